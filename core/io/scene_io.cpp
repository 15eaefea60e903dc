#include "core/io/scene_io.hpp"

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/ply.hpp"
#include "core/io/splat_format.hpp"

namespace splatscape {

const std::vector<SceneFormat>& scene_formats() {
    static const std::vector<SceneFormat> kFormats = {
        {"ply", ".ply", true, true, "reference 3D Gaussian splatting PLY (canonical)"},
        {"splat", ".splat", true, true, "antimatter15 .splat (32 bytes a splat, SH degree 0)"},
    };
    return kFormats;
}

std::string scene_format_for(const std::filesystem::path& path) {
    std::string name = path.filename().string();
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (name.size() > 15 && name.ends_with(".compressed.ply")) return "compressed-ply";
    std::string ext = lower_extension(path);
    for (auto& f : scene_formats())
        if (f.extension == ext) return f.name;
    return "";
}

GaussianCloud read_scene(const std::filesystem::path& path) {
    std::string fmt = scene_format_for(path);
    if (fmt == "ply") return read_gaussian_ply(path);
    if (fmt == "splat") return read_splat(path);
    throw Error(path.string(), "", "unknown scene file type (known: .ply, .splat)");
}

void write_scene(const std::filesystem::path& path, const GaussianCloud& cloud, const std::string& format) {
    std::string fmt = format.empty() ? scene_format_for(path) : format;
    if (fmt == "ply") return write_gaussian_ply(path, cloud);
    if (fmt == "splat") return write_splat(path, cloud);
    throw Error(path.string(), "", "cannot write scene format '" + (fmt.empty() ? path.extension().string() : fmt) + "'");
}

}  // namespace splatscape
