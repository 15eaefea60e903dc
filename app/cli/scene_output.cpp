#include "app/cli/scene_output.hpp"

#include <cstdio>
#include <filesystem>

#include "app/cli/frame_renderer.hpp"
#include "core/error.hpp"
#include "core/io/html_export.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/s4d.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"
#include "core/tiles/tileset.hpp"
#include "training/backend.hpp"
#include "training/models/gs4d_render.hpp"

namespace splatscape::cli {

namespace {

int export_4d(const SceneOutputArgs& args, const std::filesystem::path& source, const std::string& format) {
    const std::filesystem::path out = args.output;
    const GaussianCloud4d cloud = read_4d_scene(source);
    const SceneData data = read_scene_data(args.input);
    auto backend = create_backend("cpu");
    std::printf("read        %s (4D, %zu gaussians, SH degree %d, temporal degree %d, time %g .. %g)\n",
                source.string().c_str(), cloud.size(), cloud.sh_degree, cloud.sh_degree_t, cloud.time_min,
                cloud.time_max);
    if (args.time && args.frames > 0) throw UsageError("export: give at most one of --time and --frames");
    if (args.time) {
        const GaussianCloud slice = slice_cloud(*backend, cloud, *args.time, data.min_temporal_weight);
        write_scene(out, slice, format, args.options);
        std::printf("wrote       %s (%s, the %zu gaussians of time %g)\n", out.string().c_str(), format.c_str(),
                    slice.size(), *args.time);
        return 0;
    }
    if (args.frames > 0) {
        // A folder of per-time 3D scenes, what today's 3DGS viewers load, with their times.
        std::string ext = ".ply";
        for (const auto& f : scene_formats())
            if (f.name == format) ext = f.extension;
        std::filesystem::create_directories(out);
        Json times = Json::array(), files = Json::array();
        for (int i = 0; i < args.frames; ++i) {
            const float t = args.frames > 1
                                ? cloud.time_min + (cloud.time_max - cloud.time_min) * float(i) / float(args.frames - 1)
                                : cloud.time_min;
            char name[32];
            std::snprintf(name, sizeof name, "frame_%05d", i);
            const std::string file = name + ext;
            write_scene(out / file, slice_cloud(*backend, cloud, t, data.min_temporal_weight), format, args.options);
            times.push_back(t);
            files.push_back(file);
        }
        save_json(out / "times.json", {{"times", times}, {"files", files}, {"source", source.string()}});
        std::printf("wrote       %s/frame_00000%s ... (%d %s scenes from time %g to %g, times.json)\n",
                    out.string().c_str(), ext.c_str(), args.frames, format.c_str(), cloud.time_min, cloud.time_max);
        return 0;
    }
    if (format == "ply") {
        write_gaussian_4d_ply(out, cloud);
        std::printf("wrote       %s (4D PLY)\n", out.string().c_str());
        return 0;
    }
    if (format == "s4d") {
        write_s4d(out, cloud);
        std::printf("wrote       %s (compact 4D Gaussians)\n", out.string().c_str());
        return 0;
    }
    if (format == "html") {
        write_viewer_html(out, cloud);
        std::printf("wrote       %s (web viewer with the 4D scene and a time slider)\n", out.string().c_str());
        return 0;
    }
    throw UsageError(cat(
        source.string(),
        " is a 4D scene: export it as ply (4D), s4d (compact 4D) or html (the web viewer plays it), or pass --time T "
        "for the 3D scene of one time, or --frames N for a sequence of them"));
}

} // namespace

int convert_scene(const SceneOutputArgs& args) {
    const std::filesystem::path in = args.input, out = args.output;
    if (is_tiled_output(args)) return write_tiled_output(args);
    if (is_tiled_scene(in) && args.format == "html") return write_tiled_web_folder(args);
    std::string format = args.format;
    if (format.empty()) {
        format = scene_format_for(out);
        if (format.empty() && args.frames > 0) format = "ply"; // a folder of frames
        if (format.empty())
            throw UsageError(cat(out.string(), ": cannot tell the format from the extension '",
                                 out.extension().string(), "'; pass --format (ply, splat, spz, glb, gltf, html, s4d)"));
    } else if (const std::string by_ext = scene_format_for(out); !by_ext.empty() && by_ext != format) {
        log::warn(out.string(), ": writing format '", format, "' to a file named like '", by_ext, "'");
    }
    bool known = false;
    for (const auto& f : scene_formats()) known |= f.name == format && f.can_write;
    if (!known)
        throw UsageError(cat("cannot write format '", format, "' (writable: ply, splat, spz, glb, gltf, html, s4d)"));
    if (args.options.spz_version != 3 && format != "spz")
        log::warn("--spz-version only applies to spz output; ignored for ", format);

    const bool tiled = is_tiled_scene(in);
    const std::filesystem::path source = tiled ? in : resolve_scene_path(in);
    if (!tiled && is_4d_scene_file(source)) return export_4d(args, source, format);
    if (args.time || args.frames > 0)
        throw UsageError(cat(source.string(), " is a static scene: --time and --frames apply to 4D scenes"));
    GaussianCloud cloud = tiled ? read_tiled_input(args) : read_scene(source);
    write_scene(out, cloud, format, args.options);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(out, ec);
    std::printf("read        %s (%s, %zu gaussians, SH degree %d)\n", source.string().c_str(),
                tiled ? "tiled scene" : scene_format_for(source).c_str(), cloud.size(), cloud.sh_degree);
    std::printf("wrote       %s (%s%s, %.2f MB)\n", out.string().c_str(), format.c_str(),
                format == "spz" ? cat(" v", args.options.spz_version).c_str() : "", ec ? 0.0 : double(bytes) / 1e6);
    return 0;
}

} // namespace splatscape::cli
