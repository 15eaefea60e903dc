#include "core/io/scene_io.hpp"

#include <algorithm>
#include <charconv>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/gltf.hpp"
#include "core/io/html_export.hpp"
#include "core/io/ksplat.hpp"
#include "core/io/playcanvas_ply.hpp"
#include "core/io/ply.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/sog.hpp"
#include "core/io/splat_format.hpp"
#include "core/io/spz.hpp"

namespace splatscape {

const std::vector<SceneFormat>& scene_formats() {
    static const std::vector<SceneFormat> kFormats = {
        {"ply", ".ply", true, true, "reference 3D Gaussian splatting PLY (canonical)"},
        {"compressed-ply", ".compressed.ply", true, true,
         "PlayCanvas / SuperSplat compressed PLY (8-bit SH, 256-splat chunks)"},
        {"splat", ".splat", true, true, "antimatter15 .splat (32 bytes a splat, SH degree 0)"},
        {"spz", ".spz", true, true, "Niantic SPZ: reads v2-v4, writes v4 (zstd, with a frame record) or v2/v3 (gzip)"},
        {"glb", ".glb", true, true,
         "glTF 2.0 binary with KHR_gaussian_splatting (--glb-spz: SPZ-compressed, for CesiumJS)"},
        {"gltf", ".gltf", true, true, "glTF 2.0 JSON (buffer embedded) with KHR_gaussian_splatting"},
        {"sog", ".sog", true, true,
         "PlayCanvas SOG v2: WebP textures and meta.json, bundled (.sog) or as meta.json + files"},
        {"ksplat", ".ksplat", true, false, "GaussianSplats3D .ksplat (compression levels 0-2; read only)"},
        {"html", ".html", false, true, "standalone web viewer with the scene inside (open it in a browser)"},
        {"s4d", ".s4d", true, true, "Splatscape compact 4D Gaussians (gs4d scenes, quantised as SPZ; core/io/s4d.hpp)"},
    };
    return kFormats;
}

std::string scene_formats_help() {
    auto pad = [](const std::string& text, size_t width) {
        return text + std::string(width > text.size() ? width - text.size() : 1, ' ');
    };
    std::string s;
    for (const auto& f : scene_formats()) {
        const std::string mode = f.can_read && f.can_write ? "read/write" : f.can_read ? "read" : "write";
        s += "  " + pad(f.name, 16) + pad(f.extension, 18) + pad(mode, 12) + f.description + "\n";
    }
    return s;
}

std::string scene_format_for(const std::filesystem::path& path) {
    std::string name = path.filename().string();
    for (auto& c : name) c = char(std::tolower(static_cast<unsigned char>(c)));
    if (name.size() > 15 && name.ends_with(".compressed.ply")) return "compressed-ply";
    if (name == "meta.json" || name.ends_with(".meta.json")) return "sog"; // SOG as separate files
    std::string ext = lower_extension(path);
    if (ext == ".htm") return "html";
    for (auto& f : scene_formats())
        if (f.extension == ext) return f.name;
    return "";
}

std::filesystem::path resolve_scene_path(const std::filesystem::path& path) {
    std::error_code ec;
    if (!std::filesystem::exists(path, ec)) throw Error(path.string(), "", "no such file or folder");
    if (!std::filesystem::is_directory(path, ec)) return path;
    if (std::filesystem::is_regular_file(path / "point_cloud.ply", ec)) return path / "point_cloud.ply";
    // A NeRF run (hmohe) keeps its model in RUN/model.hmohe.
    if (std::filesystem::is_regular_file(path / "model.hmohe", ec)) return path / "model.hmohe";
    // The 3DGS reference layout: point_cloud/iteration_<N>/point_cloud.ply; take the highest N.
    std::filesystem::path best;
    long best_iter = -1;
    if (std::filesystem::is_directory(path / "point_cloud", ec))
        for (const auto& entry : std::filesystem::directory_iterator(path / "point_cloud", ec)) {
            const std::string name = entry.path().filename().string();
            if (!name.starts_with("iteration_")) continue;
            long iter = -1;
            auto [ptr, err] = std::from_chars(name.data() + 10, name.data() + name.size(), iter);
            if (err != std::errc() || ptr != name.data() + name.size()) continue;
            if (iter > best_iter && std::filesystem::is_regular_file(entry.path() / "point_cloud.ply", ec)) {
                best_iter = iter;
                best = entry.path() / "point_cloud.ply";
            }
        }
    if (best_iter >= 0) return best;
    throw Error(path.string(), "",
                "not a run folder: found neither point_cloud.ply, point_cloud/iteration_N/point_cloud.ply nor "
                "model.hmohe");
}

namespace {
constexpr const char* k4dSceneAdvice =
    "a 4D (dynamic) Gaussian scene: render it with `splatscape render --time T`, or write one time's 3D scene with "
    "`splatscape export --time T`";
} // namespace

GaussianCloud read_scene(const std::filesystem::path& input) {
    return read_scene(input, SceneReadOptions{});
}

GaussianCloud read_scene(const std::filesystem::path& input, const SceneReadOptions& options) {
    const std::filesystem::path path = resolve_scene_path(input);
    const std::string fmt = scene_format_for(path);
    if (fmt == "ply" || fmt == "compressed-ply") {
        auto bytes = read_file_bytes(path);
        if (is_playcanvas_ply(bytes.data(), bytes.size()))
            return decode_playcanvas_ply(bytes.data(), bytes.size(), path.string());
        if (is_gaussian_4d_ply(bytes.data(), bytes.size())) throw Error(path.string(), "", k4dSceneAdvice);
        return read_gaussian_ply(bytes.data(), bytes.size(), path.string());
    }
    if (fmt == "splat") return read_splat(path);
    if (fmt == "spz") return read_spz(path, SpzReadOptions{options.spz_frame});
    if (fmt == "glb" || fmt == "gltf") return read_gltf(path);
    if (fmt == "sog") return read_sog(path);
    if (fmt == "ksplat") return read_ksplat(path);
    if (fmt == "html")
        throw Error(path.string(), "", "a standalone HTML viewer cannot be read back; open it in a browser");
    if (fmt == "s4d") throw Error(path.string(), "", k4dSceneAdvice);
    if (path.extension() == ".hmohe")
        throw Error(path.string(), "",
                    "a NeRF model (hmohe), not Gaussians: `splatscape view`, `render`, `eval` and `info` read it; "
                    "for the other formats, distill its run to Gaussians first (`splatscape distill RUN -o RUN2`, "
                    "then export RUN2)");
    throw Error(path.string(), "",
                "unknown scene file type (known: .ply, .compressed.ply, .splat, .spz, .glb, .gltf, .sog, meta.json, "
                ".ksplat, .s4d)");
}

void write_scene(const std::filesystem::path& path, const GaussianCloud& cloud, const std::string& format) {
    write_scene(path, cloud, format, SceneWriteOptions{});
}

void write_scene(const std::filesystem::path& path, const GaussianCloud& cloud, const std::string& format,
                 const SceneWriteOptions& options) {
    const std::string fmt = format.empty() ? scene_format_for(path) : format;
    if (fmt == "ply") return write_gaussian_ply(path, cloud);
    if (fmt == "splat") return write_splat(path, cloud);
    if (fmt == "spz") {
        SpzOptions o;
        o.version = options.spz_version;
        o.frame = options.spz_frame;
        return write_spz(path, cloud, o);
    }
    if (fmt == "glb") return write_file_atomic(path, encode_glb(cloud, GltfOptions{options.glb_spz}));
    if (fmt == "gltf") return write_file_atomic(path, encode_gltf_embedded(cloud, GltfOptions{options.glb_spz}));
    if (fmt == "html") return write_viewer_html(path, cloud);
    if (fmt == "sog") return write_sog(path, cloud);
    if (fmt == "ksplat") throw UsageError(path.string() + ": .ksplat is an import format; write ply, spz, sog or glb");
    if (fmt == "compressed-ply") return write_file_atomic(path, encode_playcanvas_ply(cloud));
    if (fmt == "s4d") throw UsageError(path.string() + ": .s4d holds 4D (gs4d) scenes; write ply, spz or glb");
    throw Error(path.string(), "",
                "cannot write scene format '" + (fmt.empty() ? path.extension().string() : fmt) +
                    "' (known: ply, compressed-ply, splat, spz, glb, gltf, sog, html, s4d)");
}

} // namespace splatscape
