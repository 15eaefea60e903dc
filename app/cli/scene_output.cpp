#include "app/cli/scene_output.hpp"

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <optional>
#include <vector>

#include "app/cli/frame_renderer.hpp"
#include "app/cli/viewer_views.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/html_export.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/s4d.hpp"
#include "core/io/sags.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"
#include "core/tiles/tileset.hpp"
#include "training/backend.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/models/sags.hpp"
#include "training/models/sags_decode.hpp"

namespace splatscape::cli {

namespace {

// --sh-degree N: coefficients above degree N dropped; the colour straight on (degree 0) is kept.
void reduce_sh_degree(GaussianCloud& cloud, int degree) {
    if (degree < 0 || degree >= cloud.sh_degree) return;
    std::printf("SH degree   %d -> %d\n", cloud.sh_degree, degree);
    cloud.set_sh_degree(degree);
}

// The spatial degree of 4D colour: each temporal frequency keeps its coefficients up to `degree`.
void reduce_sh_degree(GaussianCloud4d& cloud, int degree) {
    if (degree < 0 || degree >= cloud.sh_degree) return;
    std::printf("SH degree   %d -> %d (spatial; temporal degree %d kept)\n", cloud.sh_degree, degree,
                cloud.sh_degree_t);
    const int k_old = cloud.spatial_coeffs(), k_new = sh_coeff_count(degree), frequencies = cloud.sh_degree_t + 1;
    const size_t n = cloud.size();
    std::vector<float> sh(n * size_t(k_new * frequencies) * 3);
    for (size_t i = 0; i < n; ++i)
        for (int f = 0; f < frequencies; ++f)
            std::copy_n(&cloud.sh[(i * k_old * frequencies + size_t(f * k_old)) * 3], k_new * 3,
                        &sh[(i * k_new * frequencies + size_t(f * k_new)) * 3]);
    cloud.sh = std::move(sh);
    cloud.sh_degree = degree;
}

int export_4d(const SceneOutputArgs& args, const std::filesystem::path& source, const std::string& format) {
    const std::filesystem::path out = args.output;
    GaussianCloud4d cloud = read_4d_scene(source);
    const SceneData data = read_scene_data(args.input);
    auto backend = create_backend("cpu");
    std::printf("read        %s (4D, %zu gaussians, SH degree %d, temporal degree %d, time %g .. %g)\n",
                source.string().c_str(), cloud.size(), cloud.sh_degree, cloud.sh_degree_t, cloud.time_min,
                cloud.time_max);
    reduce_sh_degree(cloud, args.sh_degree);
    if (args.time && args.frames > 0) throw UsageError("export: give at most one of --time and --frames");
    if (args.time) {
        const GaussianCloud slice = slice_cloud(*backend, cloud, *args.time, data.min_temporal_weight);
        if (format == "tiles") return write_tiled_output(args, slice);
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

std::optional<SpzFrame> frame_option(const std::string& value, const char* option) {
    if (value.empty()) return std::nullopt;
    const auto f = parse_spz_frame(value);
    if (!f || (*f != SpzFrame::Rub && *f != SpzFrame::Rdf))
        throw UsageError(cat(option, " expects rub or rdf, got '", value, "'"));
    return f;
}

// The Gaussians a sags model (core/io/sags.hpp) stands for: decoded as training camera
// args.sags_view sees them, or view-independently with SH fitted over the training cameras.
GaussianCloud decode_sags(const SceneOutputArgs& args, const std::filesystem::path& source) {
    const SagsScene scene = read_sags(source);
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
        how = cat("decoded view-independently, SH degree 3 fitted over ",
                  std::min<size_t>(scene.camera_count(), size_t(fit.max_views)), " training cameras");
    }
    std::printf("read        %s (sags%s, %zu points, %zu training cameras; %zu gaussians %s)\n",
                source.string().c_str(), scene.lite ? "-lite" : "", scene.size(), scene.camera_count(), cloud.size(),
                how.c_str());
    return cloud;
}

} // namespace

std::string spz_frame_note(const SpzOptions& o) {
    const SpzFrame f = spz_write_frame(o);
    if (o.version >= 4)
        return f == SpzFrame::Rdf
                   ? "RDF with a frame record: upright in SuperSplat / splat-transform (which read the bytes as PLY) "
                     "and in Niantic's reader (which follows the record); readers of gzip SPZ only (Spark 2.2) need "
                     "--spz-version 3"
                   : cat(to_string(f), " with a frame record: Niantic's reader follows the record; SuperSplat / "
                                       "splat-transform ignore it and show the scene upside down");
    return f == SpzFrame::Rub ? cat("RUB, the SPZ spec's frame (v", o.version,
                                    " has no frame record): upright in Niantic's reader, upside down in SuperSplat / "
                                    "splat-transform, which read RDF; version 4 (the default) serves both")
                              : cat("RDF (v", o.version,
                                    " has no frame record): upright in SuperSplat / splat-transform, upside down in "
                                    "Niantic's reader, which reads RUB; version 4 (the default) serves both");
}

void add_scene_output_options(CLI::App& cmd, SceneOutputArgs& args) {
    cmd.add_option("--spz-version", args.options.spz_version,
                   "SPZ version to write: 4 (zstd, with a frame record; default), 3 or 2 (gzip, no frame record)")
        ->check(CLI::Range(2, 4));
    cmd.add_option("--spz-frame", args.spz_frame,
                   "SPZ frame, rub or rdf: of the output when it is .spz (default: rdf with a frame record in v4, rub "
                   "in v2/v3), else of the input .spz (default: its frame record, else rub)");
    cmd.add_option("--input-spz-frame", args.input_spz_frame,
                   "Frame of an input .spz when the output is .spz too (rub or rdf; default: its record, else rub)");
    cmd.add_option("--dataset", args.dataset,
                   "html: open the page on this dataset's held-out cameras, with its up direction and a camera "
                   "menu (default: the run folder's own dataset)");
    cmd.add_option("--sh-degree", args.sh_degree,
                   "Keep spherical harmonics up to this degree (0-3; 4D scenes: the spatial degree), dropping the "
                   "higher ones: smaller files, less view-dependent colour (default: keep all)")
        ->check(CLI::Range(0, 3));
    cmd.add_flag("--glb-spz", args.options.glb_spz,
                 "glb/gltf/tiles: compress the splats as SPZ (KHR_gaussian_splatting_compression_spz_2), as "
                 "CesiumJS needs to render them as splats");
    add_tiled_output_options(cmd, args.tiled);
}

int convert_scene(const SceneOutputArgs& args_in) {
    SceneOutputArgs args = args_in;
    const std::filesystem::path in = args.input, out = args.output;
    const bool tiled_in = is_tiled_scene(in);
    if (tiled_in && args.format == "html") return write_tiled_web_folder(args);
    const bool tiled_out = is_tiled_output(args);
    std::string format = tiled_out ? "tiles" : args.format;
    if (format.empty() && !tiled_out && lower_extension(out) == ".sags") format = "sags";
    if (format.empty()) {
        format = scene_format_for(out);
        if (format.empty() && args.frames > 0) format = "ply"; // a folder of frames
        if (format.empty())
            throw UsageError(cat(out.string(), ": cannot tell the format from the extension '",
                                 out.extension().string(),
                                 "'; pass --format (ply, compressed-ply, splat, spz, glb, gltf, sog, html, s4d, tiles)"));
    } else if (const std::string by_ext = scene_format_for(out); !tiled_out && !by_ext.empty() && by_ext != format) {
        log::warn(out.string(), ": writing format '", format, "' to a file named like '", by_ext, "'");
    }
    const std::optional<std::filesystem::path> sags = tiled_in ? std::nullopt : sags_model_path(in);
    if (sags && args.time) throw UsageError("--time applies to 4D scenes; a sags model is static");
    if (format == "sags") {
        if (!sags) throw UsageError("--format sags: only a sags model (run or .sags file) writes one");
        write_sags(out, read_sags(*sags), SagsFileOptions::named(args.sags_precision));
        std::printf("wrote       %s (.sags)\n", out.string().c_str());
        return 0;
    }
    if (!sags && args.sags_view >= 0) throw UsageError("--view applies to sags models (a run with model.sags)");
    bool known = tiled_out;
    for (const auto& f : scene_formats()) known |= f.name == format && f.can_write;
    if (!known)
        throw UsageError(cat("cannot write format '", format,
                             "' (writable: ply, compressed-ply, splat, spz, glb, gltf, sog, html, s4d, tiles)"));
    if (args.options.spz_version != 4 && format != "spz")
        log::warn("--spz-version only applies to spz output; ignored for ", format,
                  tiled_out ? " (SPZ inside tiles: --tile-spz-version)" : "");
    // Tiles are glTF: --glb-spz compresses them as --spz does.
    if (args.options.glb_spz && format != "glb" && format != "gltf" && !tiled_out)
        log::warn("--glb-spz only applies to glb, gltf and tiles output; ignored for ", format);
    if (!args.tiled.tiles.empty() && !tiled_in)
        log::warn("--tiles applies to a tiled scene as input; ", in.string(), " is not one");

    const std::filesystem::path source = tiled_in ? in : sags ? *sags : resolve_scene_path(in);
    SceneReadOptions read_options;
    read_options.spz_frame = frame_option(args.input_spz_frame, "--input-spz-frame");
    if (format == "spz")
        args.options.spz_frame = frame_option(args.spz_frame, "--spz-frame");
    else if (!args.spz_frame.empty() && scene_format_for(source) == "spz")
        read_options.spz_frame = frame_option(args.spz_frame, "--spz-frame");
    else if (!args.spz_frame.empty())
        log::warn("--spz-frame applies to .spz files; neither ", source.string(), " nor ", out.string(), " is one");
    if (!tiled_in && !sags && is_4d_scene_file(source)) return export_4d(args, source, format);
    if (args.time || args.frames > 0)
        throw UsageError(cat(source.string(), " is a static scene: --time and --frames apply to 4D scenes"));
    GaussianCloud cloud = tiled_in ? read_tiled_input(args) : sags ? decode_sags(args, *sags) : read_scene(source, read_options);
    if (!sags)
        std::printf("read        %s (%s, %zu gaussians, SH degree %d)\n", source.string().c_str(),
                    tiled_in ? "tiled scene" : scene_format_for(source).c_str(), cloud.size(), cloud.sh_degree);
    reduce_sh_degree(cloud, args.sh_degree);
    if (tiled_out) return write_tiled_output(args, cloud);
    if (format == "html") {
        const Json views = viewer_views(in, args.dataset, cloud);
        write_viewer_html(out, cloud, views);
        if (!views.is_null())
            std::printf("views       %zu cameras (the page opens on %s), up [%.3f %.3f %.3f]\n",
                        views["cameras"].size(), views["cameras"][0]["name"].get<std::string>().c_str(),
                        views["up"][0].get<float>(), views["up"][1].get<float>(), views["up"][2].get<float>());
    } else {
        write_scene(out, cloud, format, args.options);
    }
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(out, ec);
    std::printf("wrote       %s (%s%s, %.2f MB)\n", out.string().c_str(), format.c_str(),
                format == "spz" ? cat(" v", args.options.spz_version).c_str()
                : (format == "glb" || format == "gltf") && args.options.glb_spz ? ", SPZ-compressed"
                                                                                : "",
                ec ? 0.0 : double(bytes) / 1e6);
    if (format == "spz") {
        SpzOptions o;
        o.version = args.options.spz_version;
        o.frame = args.options.spz_frame;
        std::printf("frame       %s\n", spz_frame_note(o).c_str());
    }
    return 0;
}

} // namespace splatscape::cli
