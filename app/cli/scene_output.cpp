#include "app/cli/scene_output.hpp"

#include <cstdio>
#include <filesystem>
#include <optional>

#include "app/cli/frame_renderer.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/html_export.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/s4d.hpp"
#include "core/io/sags.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"
#include "training/backend.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/models/sags.hpp"
#include "training/models/sags_decode.hpp"

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

// A sags model decoded into 3D Gaussians (or written again as .sags).
int export_sags(const SceneOutputArgs& args, const std::filesystem::path& source, const std::string& format) {
    const std::filesystem::path out = args.output;
    const SagsScene scene = read_sags(source);
    std::printf("read        %s (sags%s, %zu points, %zu training cameras)\n", source.string().c_str(),
                scene.lite ? "-lite" : "", scene.size(), scene.camera_count());
    if (format == "sags") {
        write_sags(out, scene);
        std::printf("wrote       %s (.sags)\n", out.string().c_str());
        return 0;
    }
    auto backend = create_backend("cpu");
    auto model = sags_model_from_scene(*backend, scene, source.string());
    GaussianCloud cloud;
    std::string how;
    if (args.sags_view >= 0) {
        if (size_t(args.sags_view) >= scene.camera_count())
            throw UsageError(cat("--view ", args.sags_view, ": the model holds ", scene.camera_count(),
                                 " training cameras (0 .. ", int(scene.camera_count()) - 1, ")"));
        cloud = sags_decode_view(*model,
                                 sags_load_camera(scene.cameras.data() + size_t(args.sags_view) * kSagsCameraFloats));
        how = cat("decoded for training camera ", args.sags_view);
    } else {
        SagsShFit fit;
        fit.max_views = args.sags_fit_views;
        cloud = sags_decode_view_independent(*model, fit);
        how = cat("view-independent, SH degree 3 fitted over ",
                  std::min<size_t>(scene.camera_count(), size_t(fit.max_views)), " training cameras");
    }
    write_scene(out, cloud, format, args.options);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(out, ec);
    std::printf("wrote       %s (%s, %zu gaussians %s, %.2f MB)\n", out.string().c_str(), format.c_str(), cloud.size(),
                how.c_str(), ec ? 0.0 : double(bytes) / 1e6);
    return 0;
}

} // namespace

int convert_scene(const SceneOutputArgs& args) {
    const std::filesystem::path in = args.input, out = args.output;
    std::string format = args.format;
    if (format.empty() && lower_extension(out) == ".sags") format = "sags";
    if (format.empty()) {
        format = scene_format_for(out);
        if (format.empty() && args.frames > 0) format = "ply"; // a folder of frames
        if (format.empty())
            throw UsageError(cat(out.string(), ": cannot tell the format from the extension '",
                                 out.extension().string(), "'; pass --format (ply, splat, spz, glb, gltf, html, s4d)"));
    } else if (const std::string by_ext = scene_format_for(out); !by_ext.empty() && by_ext != format) {
        log::warn(out.string(), ": writing format '", format, "' to a file named like '", by_ext, "'");
    }
    const std::optional<std::filesystem::path> sags = sags_model_path(in);
    if (sags && args.time) throw UsageError("--time applies to 4D scenes; a sags model is static");
    if (format == "sags" && !sags) throw UsageError("--format sags: only a sags model (run or .sags file) writes one");
    if (sags && format == "sags") return export_sags(args, *sags, format);
    if (!sags && args.sags_view >= 0) throw UsageError("--view applies to sags models (a run with model.sags)");
    bool known = false;
    for (const auto& f : scene_formats()) known |= f.name == format && f.can_write;
    if (!known)
        throw UsageError(cat("cannot write format '", format, "' (writable: ply, splat, spz, glb, gltf, html, s4d)"));
    if (args.options.spz_version != 3 && format != "spz")
        log::warn("--spz-version only applies to spz output; ignored for ", format);

    if (sags) return export_sags(args, *sags, format);
    const std::filesystem::path source = resolve_scene_path(in);
    if (is_4d_scene_file(source)) return export_4d(args, source, format);
    if (args.time || args.frames > 0)
        throw UsageError(cat(source.string(), " is a static scene: --time and --frames apply to 4D scenes"));
    GaussianCloud cloud = read_scene(source);
    write_scene(out, cloud, format, args.options);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(out, ec);
    std::printf("read        %s (%s, %zu gaussians, SH degree %d)\n", source.string().c_str(),
                scene_format_for(source).c_str(), cloud.size(), cloud.sh_degree);
    std::printf("wrote       %s (%s%s, %.2f MB)\n", out.string().c_str(), format.c_str(),
                format == "spz" ? cat(" v", args.options.spz_version).c_str() : "", ec ? 0.0 : double(bytes) / 1e6);
    return 0;
}

} // namespace splatscape::cli
