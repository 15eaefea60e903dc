#pragma once
// Reading and writing Gaussian scenes by file extension. Every format converts to and from the
// internal frame and quaternion order at this boundary (docs/design.md, "Conventions").
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"
#include "core/io/spz.hpp"

namespace splatscape {

struct SceneFormat {
    std::string name;      // "ply", "splat", ...
    std::string extension; // ".ply"
    bool can_read = false;
    bool can_write = false;
    std::string description;
};

// Options of the writers that have any.
struct SceneWriteOptions {
    int spz_version = 4;               // 2, 3 (gzip) or 4 (zstd streams, with a frame record)
    std::optional<SpzFrame> spz_frame; // unset: SpzOptions' default (core/io/spz.hpp)
    bool glb_spz = false;              // glb/gltf: KHR_gaussian_splatting_compression_spz_2
};

// Options of the readers that have any.
struct SceneReadOptions {
    std::optional<SpzFrame> spz_frame; // the frame of .spz bytes; unset: the file's record, else RUB
};

// The formats this build knows, for --help texts and `convert`.
const std::vector<SceneFormat>& scene_formats();
// Format name for a path's extension ("" when unknown). ".compressed.ply" is "compressed-ply".
std::string scene_format_for(const std::filesystem::path& path);
// One line per format, for --help footers.
std::string scene_formats_help();

// A scene file itself, or the scene inside a run folder: RUN/point_cloud.ply, else a NeRF run's
// RUN/model.hmohe, else the highest RUN/point_cloud/iteration_N/point_cloud.ply (the 3DGS reference
// layout). Throws Error otherwise.
std::filesystem::path resolve_scene_path(const std::filesystem::path& path);

// Reads any known scene file (or run folder); throws Error naming the file on unknown extensions
// or bad content. A .ply holding PlayCanvas's compressed layout is read as such.
GaussianCloud read_scene(const std::filesystem::path& path);
GaussianCloud read_scene(const std::filesystem::path& path, const SceneReadOptions& options);
// Writes by `format` ("" = from the extension).
void write_scene(const std::filesystem::path& path, const GaussianCloud& cloud, const std::string& format = "");
void write_scene(const std::filesystem::path& path, const GaussianCloud& cloud, const std::string& format,
                 const SceneWriteOptions& options);

} // namespace splatscape
