// splatscape render RUN|SCENE (--camera-path PATH.json | --orbit N) -o DIR|VIDEO: renders frames to PNG,
// or into one .mp4 / .webm video (app/cli/video_encoder.hpp).
// The camera-path schema is documented in app/cli/camera_path.hpp.
#include <cstdio>
#include <filesystem>
#include <memory>

#include <glm/geometric.hpp>

#include "app/cli/camera_path.hpp"
#include "app/cli/command.hpp"
#include "app/cli/frame_renderer.hpp"
#include "app/cli/render_tiled.hpp"
#include "app/cli/video_encoder.hpp"
#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "core/io/scene_io.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "core/tiles/tileset.hpp"
#include "training/trainer.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

struct RenderArgs {
    std::string input;
    std::string output;
    std::string camera_path;
    int orbit = 0;
    std::string renderer = "auto";
    int gpu = -1;
    int width = 0, height = 0;
    float fov = 0;
    float elevation = -1000;
    float radius = 0;
    std::vector<float> background;
    std::vector<float> up;
    int threads = 0;
    std::optional<float> time;     // dynamic scenes: one scene time for every frame
    std::vector<float> time_range; // dynamic scenes: times from the first to the second, over the frames
    double fps = 0;                // video frame rate (0: the camera path's, else 30)
    StreamingArgs streaming;       // tiled scenes
};

glm::vec3 vec3_option(const std::vector<float>& v, const char* name) {
    if (v.size() != 3) throw UsageError(cat(name, " expects three comma-separated numbers"));
    return {v[0], v[1], v[2]};
}

// Video frame rate: --fps, else the camera path's "fps", else 30.
double video_fps(const RenderArgs& a) {
    double fps = a.fps;
    if (fps <= 0 && !a.camera_path.empty()) {
        const Json path = load_json(a.camera_path);
        fps = path.is_object() && path.contains("fps") ? json_number(path["fps"], "fps", a.camera_path) : 30.0;
    }
    return fps > 0 ? fps : 30.0;
}

int run_render(const RenderArgs& a) {
    if ((a.orbit > 0) == !a.camera_path.empty())
        throw UsageError("render: give exactly one of --camera-path PATH.json and --orbit N");
    const fs::path input = a.input;
    if (is_tiled_scene(input)) {
        // Streamed by the Vulkan renderer; scene times do not apply.
        if (a.renderer == "cpu") throw UsageError("render: tiled scenes are streamed by the vulkan renderer");
        if (a.time || !a.time_range.empty()) log::warn(a.input, " is a tiled scene: --time and --time-range have no effect");
        TiledRenderRequest t{a.input, a.output, a.camera_path, a.orbit, a.gpu, {}, false, a.elevation, a.radius,
                             a.up, a.background, a.streaming};
        if (a.width > 0) t.defaults.width = a.width;
        if (a.height > 0) t.defaults.height = a.height;
        if (a.fov > 0) t.defaults.fov_y_degrees = a.fov;
        if (is_video_path(a.output)) t.fps = video_fps(a);
        return render_tiled_scene(t);
    }
    fs::path scene = input;
    std::optional<Dataset> dataset;
    glm::vec3 bg{0.0f};
    if (fs::is_directory(input)) {
        // A run folder: its scene, dataset and background.
        const TrainSetup s = read_run_config(input);
        scene = input / "point_cloud.ply";
        try {
            dataset = load_dataset(s.data, s.dataset);
            if (dataset->has_alpha) bg = dataset->background;
        } catch (const Error& e) {
            log::warn("cannot read the run's dataset (", e.what(), "); using default camera settings");
        }
        if (auto it = s.model_config.find("background");
            it != s.model_config.end() && it->is_array() && it->size() == 3)
            bg = {(*it)[0].get<float>(), (*it)[1].get<float>(), (*it)[2].get<float>()};
    }
    const SceneData data = read_scene_data(fs::is_directory(input) ? input : scene);
    if (data.nerf) bg = data.nerf->background; // what the run evaluated over (a .hmohe file keeps it)
    if (!a.background.empty()) bg = vec3_option(a.background, "--background");
    if (data.size() == 0) throw Error(data.path.string(), "", "the scene has no Gaussians");

    PathDefaults d;
    glm::vec3 up{0, 0, 1};
    const Bounds core = data.bounds(0.01f);
    glm::vec3 center = core.center();
    float radius = 0.75f * glm::length(core.size());
    float elevation = 30.0f;
    if (dataset && !(dataset->train.empty() && dataset->test.empty())) {
        const auto& frames = dataset->test.empty() ? dataset->train : dataset->test;
        const Camera& c = frames.front().camera;
        d.width = c.width;
        d.height = c.height;
        d.fov_y_degrees = c.fov_y() * 57.2957795f;
        // Up: against the mean camera y axis (OpenCV cameras look with y down); orbit about the
        // training cameras' centroid distance.
        glm::vec3 down{0.0f};
        float dist = 0;
        for (const auto& f : dataset->train) {
            const glm::mat4 c2w = f.camera.camera_to_world();
            down += glm::vec3(c2w[1]);
            dist += glm::length(f.camera.center() - center);
        }
        if (!dataset->train.empty() && glm::length(down) > 1e-6f) {
            up = -glm::normalize(down);
            radius = dist / float(dataset->train.size());
            float el = 0;
            for (const auto& f : dataset->train) {
                const glm::vec3 v = glm::normalize(f.camera.center() - center);
                el += std::asin(std::clamp(glm::dot(v, up), -1.0f, 1.0f));
            }
            elevation = el / float(dataset->train.size()) * 57.2957795f;
        }
    }
    if (a.width > 0) d.width = a.width;
    if (a.height > 0) d.height = a.height;
    if (a.fov > 0) d.fov_y_degrees = a.fov;
    if (!a.up.empty()) up = vec3_option(a.up, "--up");
    if (a.radius > 0) radius = a.radius;
    if (a.elevation > -1000) elevation = a.elevation;

    const std::vector<PathFrame> frames =
        a.orbit > 0 ? orbit_frames(center, up, radius, elevation, a.orbit, d) : read_camera_path(a.camera_path, d);
    if (!a.time_range.empty() && a.time_range.size() != 2)
        throw UsageError("--time-range expects two comma-separated times: first,last");
    if (a.time && !a.time_range.empty()) throw UsageError("render: give at most one of --time and --time-range");
    if (!data.dynamic() && (a.time || !a.time_range.empty()))
        log::warn(data.path.string(), " is a static scene: --time and --time-range have no effect");
    auto renderer = create_frame_renderer(a.renderer, data, a.threads, a.gpu);
    log::info("rendering ", frames.size(), " frames of ", data.size(),
              data.nerf        ? " NeRF parameters"
              : data.dynamic() ? " 4D Gaussians"
                               : " Gaussians",
              " with the ", renderer->name(), " renderer");
    // Scene time of frame i: --time, else spread over --time-range, else the camera path's key times
    // (orbits: the start of the scene's time range).
    auto frame_time = [&](size_t i) -> float {
        if (a.time) return *a.time;
        if (!a.time_range.empty())
            return frames.size() > 1
                       ? a.time_range[0] + (a.time_range[1] - a.time_range[0]) * float(i) / float(frames.size() - 1)
                       : a.time_range[0];
        if (a.orbit > 0 && data.dynamic()) return data.cloud_4d->time_min;
        return frames[i].time;
    };
    const fs::path out = a.output;
    if (is_video_path(out)) {
        const double fps = video_fps(a);
        std::vector<PathFrame> timed = frames;
        for (size_t i = 0; i < timed.size(); ++i) timed[i].time = frame_time(i);
        if (!data.dynamic() && frames.front().time != 0.0f)
            log::warn("the camera path sets scene times; this scene is static");
        ProgressBar bar("render", frames.size(), "frame");
        render_path_video(*renderer, timed, bg, out, fps, [&](size_t done, size_t) { bar.update(done); });
        bar.finish();
        std::error_code ec;
        std::printf("video        %s (%zu frames, %dx%d, %g fps, %.2f MB)\n", out.string().c_str(), frames.size(),
                    frames.front().camera.width, frames.front().camera.height, fps,
                    double(fs::file_size(out, ec)) / 1e6);
        return 0;
    }
    fs::create_directories(out);
    ProgressBar bar("render", frames.size(), "frame");
    for (size_t i = 0; i < frames.size(); ++i) {
        if (frames[i].time != 0.0f && i == 0 && !data.dynamic())
            log::warn("the camera path sets scene times; this scene is static");
        renderer->set_time(frame_time(i));
        char name[32];
        std::snprintf(name, sizeof name, "frame_%05zu.png", i);
        save_image(out / name, renderer->render(frames[i].camera, bg));
        bar.update(i + 1);
    }
    bar.finish();
    std::printf("frames       %zu in %s (frame_00000.png ...)\n", frames.size(), out.string().c_str());
    return 0;
}

} // namespace

void add_render(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("render", "Render frames of a trained run or a scene file along a camera path");
    cmd->footer(
        "A camera path is a JSON file of keyframes: {\"fps\": 30, \"keyframes\": [{\"t\": 0, \"position\": [x,y,z],\n"
        "\"look_at\": [x,y,z], \"fov_y\": 50}, ...]} with \"rotation\": [w,x,y,z] (camera-to-world, OpenCV axes)\n"
        "instead of look_at where wanted; see docs/training.md for every field. --orbit N circles the scene.");
    auto a = std::make_shared<RenderArgs>();
    cmd->add_option("input", a->input,
                    "Run folder, scene file (.ply, .splat, ...) or tiled scene folder (tileset.json)")
        ->required();
    cmd->add_option("-o,--output", a->output,
                    "Output folder for frame_NNNNN.png, or a video file (.mp4: H.264, .webm: VP9; needs ffmpeg)")
        ->required();
    cmd->add_option("--fps", a->fps, "Video frame rate (default: the camera path's fps, else 30)")
        ->check(CLI::Range(0.1, 1000.0));
    cmd->add_option("--camera-path", a->camera_path, "Camera path JSON file");
    cmd->add_option("--orbit", a->orbit, "Render N frames on a circle around the scene")->check(CLI::Range(1, 100000));
    cmd->add_option("--renderer", a->renderer,
                    "Renderer: auto (vulkan when a Vulkan GPU exists, else cpu), vulkan or cpu; NeRF runs (hmohe) "
                    "are ray-marched by either")
        ->capture_default_str();
    cmd->add_option("--gpu", a->gpu, "Vulkan device index for the vulkan renderer (default: the best)")
        ->check(CLI::Range(0, 64));
    cmd->add_option("--width", a->width, "Frame width (default: the dataset's, or 800)")->check(CLI::Range(1, 16384));
    cmd->add_option("--height", a->height, "Frame height (default: the dataset's, or 600)")
        ->check(CLI::Range(1, 16384));
    cmd->add_option("--fov", a->fov, "Vertical field of view in degrees")->check(CLI::Range(1.0, 179.0));
    cmd->add_option("--elevation", a->elevation, "Orbit elevation in degrees (default: the cameras' mean, or 30)");
    cmd->add_option("--radius", a->radius, "Orbit radius (default: the cameras' mean distance)");
    cmd->add_option("--up", a->up, "World up vector x,y,z (default: from the cameras, or +z)")->delimiter(',');
    cmd->add_option("--background", a->background, "Background colour r,g,b in [0, 1]")->delimiter(',');
    cmd->add_option("--threads", a->threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 4096));
    cmd->add_option("--time", a->time, "Dynamic scenes: render every frame at this scene time");
    cmd->add_option("--time-range", a->time_range,
                    "Dynamic scenes: times first,last spread evenly over the frames (default: the camera path's key "
                    "times; orbits: the start of the scene's time range)")
        ->delimiter(',');
    add_streaming_options(*cmd, a->streaming);
    cmd->callback([&registry, a] { registry.action = [a] { return run_render(*a); }; });
}

} // namespace splatscape::cli
