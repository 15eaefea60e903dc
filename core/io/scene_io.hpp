#pragma once
// Reading and writing Gaussian scenes by file extension. Every format converts to and from the
// internal frame and quaternion order at this boundary (DESIGN.md, "Conventions").
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

struct SceneFormat {
    std::string name;        // "ply", "splat", ...
    std::string extension;   // ".ply"
    bool can_read = false;
    bool can_write = false;
    std::string description;
};

// The formats this build knows, for --help texts and `convert`.
const std::vector<SceneFormat>& scene_formats();
// Format name for a path's extension ("" when unknown). ".compressed.ply" is "compressed-ply".
std::string scene_format_for(const std::filesystem::path& path);

// Reads any known scene file; throws Error naming the file on unknown extensions or bad content.
GaussianCloud read_scene(const std::filesystem::path& path);
// Writes by `format` ("" = from the extension).
void write_scene(const std::filesystem::path& path, const GaussianCloud& cloud, const std::string& format = "");

}  // namespace splatscape
