// Rendering a tiled scene headless: the tiles a viewer at each camera would show, streamed from disk
// into a fixed GPU page pool under the splat and memory budgets (renderer/tiled_renderer_vk.hpp).
#include "app/cli/render_tiled.hpp"

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <memory>

#include <glm/geometric.hpp>

#include "app/cli/video_encoder.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/tiles/tileset.hpp"
#ifdef SPLATSCAPE_HAVE_VULKAN
#include "renderer/tiled_renderer_vk.hpp"
#endif

namespace splatscape::cli {

void add_streaming_options(CLI::App& cmd, StreamingArgs& a) {
    const std::string group = "Tiled scenes";
    cmd.add_option("--budget-splats", a.budget_splats, "Most splats drawn at once (0: no limit)")
        ->check(CLI::Range(0.0, 4e9))
        ->group(group);
    cmd.add_option("--budget-mb", a.budget_mb,
                   "GPU memory for resident tiles, in MiB (default: a quarter of the device's, at most 4096)")
        ->check(CLI::Range(0.0, 1e7))
        ->group(group);
    cmd.add_option("--tau", a.tau, "Screen-space error to refine to, in pixels")->capture_default_str()->group(group);
    cmd.add_flag("--realtime", a.realtime,
                 "Render each frame as a viewer shows it, without waiting for tiles in flight (default: each frame "
                 "fully refined)")
        ->group(group);
    cmd.add_option("--fade-frames", a.fade_frames,
                   "Cross-fade between levels over N frames (default 8 with --realtime, else 0)")
        ->check(CLI::Range(0, 1000))
        ->group(group);
    cmd.add_option("--stream-stats", a.stats, "Write per-frame streaming figures (JSON lines) to this file")
        ->group(group);
}

int render_tiled_scene(const TiledRenderRequest& r) {
#ifndef SPLATSCAPE_HAVE_VULKAN
    (void)r;
    throw Error("tiled scenes are rendered by the Vulkan renderer, which this build lacks");
#else
    namespace fs = std::filesystem;
    TileTree tree = read_tiled_scene(r.input);
    for (const std::string& p : tree.problems) log::warn(p);
    const Bounds box = tree.nodes[0].box;
    glm::vec3 up = tree.up;
    if (r.up.size() == 3) up = glm::normalize(glm::vec3(r.up[0], r.up[1], r.up[2]));
    const float radius = r.radius > 0 ? r.radius : 0.75f * glm::length(box.size());
    const std::vector<PathFrame> frames =
        r.orbit > 0
            ? orbit_frames(box.center(), up, radius, r.elevation > -1000 ? r.elevation : 30.0f, r.orbit, r.defaults)
            : read_camera_path(r.camera_path, r.defaults);
    if (frames.empty()) throw Error(r.camera_path, "", "the camera path has no frames");
    vk::StreamingOptions o;
    o.budget_splats = uint64_t(r.streaming.budget_splats);
    o.budget_bytes = uint64_t(r.streaming.budget_mb * 1048576.0);
    o.tau_px = r.streaming.tau;
    o.fade_frames = r.streaming.fade_frames >= 0 ? r.streaming.fade_frames : (r.streaming.realtime ? 8 : 0);
    OffscreenOptions oo;
    oo.gpu_index = r.gpu;
    TiledSceneRenderer renderer(std::move(tree), o, oo);
    const vk::StreamingStats& s0 = renderer.stats();
    log::info("streaming ", s0.tiles, " tiles on ", renderer.device_name(), ": page pool ",
              vk::format_bytes(s0.pool_bytes), ", splat budget ",
              o.budget_splats ? std::to_string(o.budget_splats) : std::string("unlimited"));
    RenderSettings settings;
    if (r.background.size() == 3) settings.background = {r.background[0], r.background[1], r.background[2]};
    const fs::path out = r.output;
    std::unique_ptr<VideoEncoder> video;
    if (is_video_path(out)) {
        VideoSettings vs;
        vs.path = out;
        vs.width = frames.front().camera.width;
        vs.height = frames.front().camera.height;
        vs.fps = r.fps;
        video = std::make_unique<VideoEncoder>(vs);
    } else {
        fs::create_directories(out);
    }
    std::ofstream stats_file;
    if (!r.streaming.stats.empty()) stats_file.open(r.streaming.stats);
    ProgressBar bar("render", frames.size(), "frame");
    for (size_t i = 0; i < frames.size(); ++i) {
        bool refined = true;
        const RenderOutput img = r.streaming.realtime
                                     ? renderer.render_frame(frames[i].camera, settings)
                                     : renderer.render_settled(frames[i].camera, settings, 600.0, &refined);
        if (!refined) log::warn("frame ", i, ": not fully refined after 600 s");
        for (const std::string& m : renderer.streamer().take_messages()) log::warn(m);
        if (video) {
            video->write(img.image);
        } else {
            char name[32];
            std::snprintf(name, sizeof name, "frame_%05zu.png", i);
            save_image(out / name, img.image);
        }
        const vk::StreamingStats& s = renderer.stats();
        if (stats_file)
            stats_file << "{\"frame\": " << i << ", \"drawn_tiles\": " << s.drawn_tiles
                       << ", \"drawn_splats\": " << s.drawn_splats << ", \"resident_tiles\": " << s.resident_tiles
                       << ", \"resident_splats\": " << s.resident_splats << ", \"resident_bytes\": " << s.resident_bytes
                       << ", \"loading\": " << s.loading_tiles << ", \"loaded_total\": " << s.loaded_total
                       << ", \"refined\": " << (s.refined ? "true" : "false") << ", \"gpu_ms\": " << img.stats.gpu_ms
                       << "}\n";
        bar.update(i + 1);
    }
    if (video) video->finish();
    bar.finish();
    const vk::StreamingStats& s = renderer.stats();
    std::error_code ec;
    if (video)
        std::printf("video        %s (%zu frames, %dx%d, %g fps, %.2f MB)\n", out.string().c_str(), frames.size(),
                    frames.front().camera.width, frames.front().camera.height, r.fps,
                    double(fs::file_size(out, ec)) / 1e6);
    else
        std::printf("frames       %zu in %s (frame_00000.png ...)\n", frames.size(), out.string().c_str());
    std::printf("streaming    %zu tiles read (%.1f MB); last frame %zu tiles, %llu splats drawn; %zu resident "
                "(%.1f of %.1f MB pool)\n",
                size_t(s.loaded_total), double(s.bytes_read) / 1e6, s.drawn_tiles, (unsigned long long)s.drawn_splats,
                s.resident_tiles, double(s.resident_bytes) / 1048576.0, double(s.pool_bytes) / 1048576.0);
    return 0;
#endif
}

} // namespace splatscape::cli
