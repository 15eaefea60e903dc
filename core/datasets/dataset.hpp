#pragma once
// One Dataset for every input format: posed frames (camera, image path, optional mask and time),
// a train/test split, optional sparse points and the scene bounds. Cameras are in the internal
// OpenCV/COLMAP convention (core/camera.hpp); loaders convert at the boundary.
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/image.hpp"
#include "core/point_cloud.hpp"

namespace splatscape {

struct Frame {
    std::string name;               // image name as the dataset gives it (for sorting and reports)
    std::filesystem::path image;    // image file
    std::filesystem::path mask;     // optional loss mask (empty: none): a transforms.json "mask_path", or
                                    // the file of the image's name in the dataset's masks/ folder
    Camera camera;                  // at the resolution the image will be loaded at (after downscale)
    int source_width = 0;           // the image file's own size
    int source_height = 0;
    std::optional<float> time;      // dynamic scenes: normalised time in [0, 1]
};

struct DatasetOptions {
    std::string format = "auto";          // auto | blender | ngp | dnerf | colmap | llff | dynerf
    int downscale = 1;                    // integer factor; an existing images_N folder is used when present
    int max_width = 1600;                 // larger photos are scaled down to this width (0: never), as 3DGS does
    glm::vec3 background{1.0f};           // RGBA images are composited over this colour
    bool undistort = true;                // images of distorted cameras are resampled to pinhole on load
    int test_every = 8;                   // hold-out period when the dataset has no test split of its own
};

struct Dataset {
    std::filesystem::path root;
    std::string format;                   // which loader read it
    std::vector<Frame> train;
    std::vector<Frame> val;               // the dataset's own validation split (Blender, D-NeRF); often empty
    std::vector<Frame> test;
    PointCloud points;                    // may be empty
    Bounds bounds;                        // scene bounds (from points, aabb, or cameras)
    glm::vec3 background{1.0f};           // the background RGBA images were composited on
    bool has_alpha = false;               // images carry an alpha channel (Blender-style)
    bool dynamic = false;                 // frames carry times
    DatasetOptions options;

    // Radius of the sphere around the cameras' centroid that holds all train cameras, times 1.1
    // (3DGS's "cameras_extent"); scales the position learning rate and densification thresholds.
    float camera_extent() const;
    glm::vec3 camera_centroid() const;
    size_t frame_count() const { return train.size() + val.size() + test.size(); }

    // Loads a frame's image as 3-channel RGB at the camera's resolution: decoded, composited over
    // the background when it has alpha, resized by area when downscaled, and undistorted to a
    // pinhole camera when `options.undistort` and the camera has distortion. Throws Error naming
    // the file when the image is missing, undecodable, or not the size the dataset says.
    Image load_image(const Frame& frame) const;
    // The camera the loaded image corresponds to (pinhole when undistortion is applied).
    Camera render_camera(const Frame& frame) const;
    // The frame's loss mask as one channel in [0, 1] (0: leave the pixel out), at the camera's
    // resolution and undistorted as load_image does: its mask file (the first channel), or with
    // `from_alpha` the image's alpha channel (Error when it has none). Empty when there is no mask.
    Image load_mask(const Frame& frame, bool from_alpha = false) const;
    // Training frames that have a mask file.
    size_t mask_count() const;
};

// Detects the format from the folder (or uses options.format) and loads it.
Dataset load_dataset(const std::filesystem::path& path, const DatasetOptions& options = {});
// The format load_dataset would pick for `path`, or "" when none fits.
std::string detect_dataset_format(const std::filesystem::path& path);

}  // namespace splatscape
