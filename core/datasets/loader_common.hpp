#pragma once
// Pieces the format loaders share beyond loaders.hpp: finding image files by the names datasets
// give them, reading image sizes without decoding, and turning intrinsics given at one size into
// a camera at the size the image will be loaded at.
#include <filesystem>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include <glm/mat4x4.hpp>

#include "core/camera.hpp"
#include "core/datasets/dataset.hpp"
#include "core/image.hpp"
#include "core/io/colmap.hpp"
#include "core/json_util.hpp"

namespace splatscape::loaders {

namespace fs = std::filesystem;

// Finds image files by the names datasets give them: exact, then ignoring case (photos named
// IMG_0001.JPG listed as img_0001.jpg), then by stem with any image extension (Blender's file
// paths have none; downscaled folders often hold .png copies of .JPG photos). Each folder is
// listed once, so resolving thousands of names costs no file-system call per name.
class ImageResolver {
public:
    // `name` may contain sub-folders ("cam0/0001.jpg"). Returns an empty path when nothing fits.
    fs::path find(const fs::path& folder, const std::string& name);
    // The image files of a folder (by extension), sorted by name.
    std::vector<fs::path> list_images(const fs::path& folder);

private:
    struct Index {
        bool exists = false;
        std::unordered_map<std::string, std::string> by_lower_name;              // lower-case name -> name
        std::unordered_map<std::string, std::vector<std::string>> by_lower_stem; // image files only
        std::vector<std::string> images;                                         // image files, sorted
    };
    const Index& index(const fs::path& folder);
    std::map<fs::path, Index> m_cache;
};

bool has_image_extension(const fs::path& path);
std::string to_lower(std::string s);

// "<folder>_<factor>" beside `folder` (images -> images_4) when `factor` > 1 and it exists; else empty.
fs::path downscaled_folder(const fs::path& folder, int factor);

// Reads image headers (never decodes), once per key: frames that share a key (one COLMAP camera,
// one declared size) are assumed to share the size of the first one probed, and
// Dataset::load_image checks each image's decoded size when it is used.
class SizeProbe {
public:
    const ImageInfo& get(const std::string& key, const fs::path& image);
    bool any_alpha() const { return m_any_alpha; }
    size_t probes() const { return m_cache.size(); }

private:
    std::map<std::string, ImageInfo> m_cache;
    bool m_any_alpha = false;
};

// Intrinsics as a dataset states them, for images of `ref_width` x `ref_height` pixels.
struct Intrinsics {
    double ref_width = 0, ref_height = 0;
    double fx = 0, fy = 0, cx = 0, cy = 0;
    Distortion distortion;
};

// The frame's camera at the resolution it will be loaded at. `source` is the image file's size;
// the intrinsics are rescaled from their reference size to it (photos resized since calibration,
// images_N folders) and then to load_size(). Throws Error(file, field, ...) when the image's
// aspect ratio disagrees with the reference size or the intrinsics are not usable.
Frame make_frame(std::string name, const fs::path& image, int source_width, int source_height,
                 const Intrinsics& intrinsics, const glm::mat4& camera_to_world_opencv, const DatasetOptions& options,
                 bool already_downscaled, const std::string& file, const std::string& field);

// A 4x4 (or 3x4) row-major JSON matrix of finite numbers, as Blender and instant-ngp write poses.
// Throws Error(file, field, ...) on the wrong shape, non-numbers, or a degenerate rotation.
glm::mat4 json_pose(const Json& j, const std::string& field, const std::string& file);
// Throws unless the rotation part of a camera-to-world matrix has three independent axes.
void check_pose(const glm::mat4& c2w, const std::string& file, const std::string& field);

// A COLMAP camera as intrinsics at its own width and height. SIMPLE_PINHOLE, PINHOLE,
// SIMPLE_RADIAL, RADIAL, OPENCV, FULL_OPENCV, OPENCV_FISHEYE, SIMPLE_RADIAL_FISHEYE,
// RADIAL_FISHEYE, SIMPLE_FISHEYE and FISHEYE map onto core's Distortion; any other model throws
// Error(file, "camera <id> model", ...) naming the model.
Intrinsics colmap_intrinsics(const ColmapCamera& camera, const std::string& file);
// World-to-camera rotation of a COLMAP quaternion (w x y z; normalised here), row-major [3][3].
std::array<std::array<double, 3>, 3> colmap_rotation(const std::array<double, 4>& qvec);

} // namespace splatscape::loaders
