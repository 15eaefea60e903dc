#pragma once
// COLMAP sparse models (cameras, images, points3D) in COLMAP's text and binary formats, read into
// plain structs and written back. Values are kept as COLMAP stores them: world-to-camera poses
// (quaternion w x y z, translation), camera parameters in the model's own order, at the camera's
// width and height. Mapping onto core's Camera is the dataset loader's job.
//
// Input is untrusted: every count is checked against the bytes present before anything is
// allocated, camera parameters, poses and point positions must be finite, ids unique, and each
// problem is one Error(file, field, ...).
#include <array>
#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace splatscape {

// The camera models COLMAP documents, with their binary ids and parameter counts.
struct ColmapCameraModelInfo {
    int id;
    const char* name;
    int num_params;
    const char* params; // parameter names in order, as COLMAP documents them
};
// nullptr when the id or name is unknown.
const ColmapCameraModelInfo* colmap_camera_model(int id);
const ColmapCameraModelInfo* colmap_camera_model(std::string_view name);

struct ColmapCamera {
    uint32_t id = 0;
    std::string model; // e.g. "SIMPLE_RADIAL"
    uint64_t width = 0, height = 0;
    std::vector<double> params; // in the model's order
};

struct ColmapImage {
    uint32_t id = 0;
    std::array<double, 4> qvec{1, 0, 0, 0}; // world-to-camera rotation, w x y z
    std::array<double, 3> tvec{0, 0, 0};    // world-to-camera translation
    uint32_t camera_id = 0;
    std::string name;                       // path relative to the image folder
    std::vector<std::array<double, 2>> xys; // [P, 2] keypoint positions in pixels
    std::vector<int64_t> point3d_ids;       // [P], -1 where the keypoint has no 3D point
};

struct ColmapTrackElement {
    uint32_t image_id = 0;
    uint32_t point2d_idx = 0;
};

struct ColmapPoint3D {
    uint64_t id = 0;
    std::array<double, 3> xyz{0, 0, 0};
    std::array<uint8_t, 3> rgb{0, 0, 0};
    double error = 0.0; // mean reprojection error in pixels (-1 when unknown)
    std::vector<ColmapTrackElement> track;
};

struct ColmapModel {
    std::vector<ColmapCamera> cameras;
    std::vector<ColmapImage> images;
    std::vector<ColmapPoint3D> points;

    const ColmapCamera* find_camera(uint32_t id) const;
};

// In-memory parsers; `file` names the source in errors. Keypoints (`xys`, `point3d_ids`) and
// tracks are skipped when `with_observations` is false, which saves memory on large models.
std::vector<ColmapCamera> parse_colmap_cameras_binary(const uint8_t* data, size_t size, const std::string& file);
std::vector<ColmapImage> parse_colmap_images_binary(const uint8_t* data, size_t size, const std::string& file,
                                                    bool with_observations = true);
std::vector<ColmapPoint3D> parse_colmap_points3d_binary(const uint8_t* data, size_t size, const std::string& file,
                                                        bool with_observations = true);
std::vector<ColmapCamera> parse_colmap_cameras_text(std::string_view text, const std::string& file);
std::vector<ColmapImage> parse_colmap_images_text(std::string_view text, const std::string& file,
                                                  bool with_observations = true);
std::vector<ColmapPoint3D> parse_colmap_points3d_text(std::string_view text, const std::string& file,
                                                      bool with_observations = true);

// Reads a model folder: each of cameras / images / points3D from its .bin file when present, else
// its .txt file. cameras and images are required; points3D is optional (empty when absent).
ColmapModel read_colmap_model(const std::filesystem::path& folder, bool with_observations = true);
// True when `folder` holds cameras.{bin,txt} and images.{bin,txt}.
bool is_colmap_model_folder(const std::filesystem::path& folder);

// Writes cameras, images and points3D in COLMAP's text or binary format (atomically, per file).
void write_colmap_text(const std::filesystem::path& folder, const ColmapModel& model);
void write_colmap_binary(const std::filesystem::path& folder, const ColmapModel& model);
std::string encode_colmap_cameras_text(const std::vector<ColmapCamera>& cameras);
std::string encode_colmap_images_text(const std::vector<ColmapImage>& images);
std::string encode_colmap_points3d_text(const std::vector<ColmapPoint3D>& points);
std::vector<uint8_t> encode_colmap_cameras_binary(const std::vector<ColmapCamera>& cameras);
std::vector<uint8_t> encode_colmap_images_binary(const std::vector<ColmapImage>& images);
std::vector<uint8_t> encode_colmap_points3d_binary(const std::vector<ColmapPoint3D>& points);

} // namespace splatscape
