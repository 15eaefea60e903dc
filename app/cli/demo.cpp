// splatscape demo: generates the built-in scene, trains gs3d on it, evaluates on the held-out
// views, exports PLY and .splat, and prints where everything is. --model gs4d does the same with
// the built-in dynamic scene and 4D Gaussian splatting, and exports the web viewer's page, which
// plays the scene over time. --model sags trains structure-aware Gaussian splatting on the static
// scene and reports its .sags file beside the decoded PLY (--model sags-lite: SAGS-Lite, key points only).
// --model hmohe trains the mixture of hash-grid NeRF experts on the static scene and renders which
// expert draws each pixel.
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <memory>

#include "app/cli/command.hpp"
#include "app/cli/model_settings.hpp"
#include "app/gui/gui.hpp"
#include "app/session/console_watch.hpp"
#include "core/error.hpp"
#include "core/io/html_export.hpp"
#include "core/io/nerf_file.hpp"
#include "core/io/ply.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/splat_format.hpp"
#include "core/log.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "training/backend.hpp"
#include "training/evaluation.hpp"
#include "training/models/hmohe.hpp"
#include "training/presets.hpp"
#include "training/trainer.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

struct DemoArgs {
    std::string model = "gs3d";
    std::string output; // default: splatscape-demo, or splatscape-demo-4d for gs4d
    int iterations = 0;
    std::string device = "auto";
    int threads = 0;
    uint64_t seed = 0;
    bool force = false;
    std::string view = "auto"; // auto | always | never
};

// "auto" opens the viewer only for a person at a terminal with a display: never in CI, scripts or
// a headless build.
bool should_open_viewer(const std::string& view) {
    if (view == "never") return false;
#ifndef SPLATSCAPE_HAVE_GUI
    if (view == "always") log::warn("this build has no GUI; not opening the viewer");
    return false;
#else
    const bool display = (std::getenv("DISPLAY") && *std::getenv("DISPLAY")) ||
                         (std::getenv("WAYLAND_DISPLAY") && *std::getenv("WAYLAND_DISPLAY"));
    if (view == "always") return true;
    return display && isatty(STDIN_FILENO) && isatty(STDOUT_FILENO);
#endif
}

// The built-in dynamic scene at the size its demo preset is tuned for (assets/presets/gs4d/demo.json).
void shrink_for_gs4d(SyntheticSceneOptions& o) {
    o.kind = SyntheticSceneKind::Dynamic;
    o.width = o.height = 128;
    o.train_views = 64;
    o.test_views = 16;
}

// The dominant expert of every pixel of a held-out view, as an image and as pixel counts per expert.
struct ExpertUse {
    fs::path image;
    std::vector<size_t> pixels; // per expert
    size_t covered = 0;         // pixels an expert dominates (opacity above one half)
};

ExpertUse render_experts(const fs::path& run_dir, const fs::path& model, int threads) {
    const TrainSetup s = read_run_config(run_dir);
    const Dataset ds = load_dataset(s.data, s.dataset);
    const std::vector<Frame>& frames = evaluation_frames(ds);
    const NerfScene scene = read_nerf_scene(model);
    auto backend = create_backend("cpu", threads);
    HmoheNetwork network(*backend, scene, model.string());
    const Frame& f = frames.empty() ? ds.train.front() : frames.front();
    const HmoheNetwork::RenderResult r = network.render(ds.render_camera(f), scene.background, NerfRenderMode::Expert);
    ExpertUse use;
    use.pixels.assign(size_t(scene.experts()), 0);
    for (int32_t e : r.expert)
        if (e >= 0) ++use.pixels[size_t(e)], ++use.covered;
    use.image = run_dir / "experts.png";
    save_image(use.image, r.expert_colour);
    return use;
}

int run_demo(const DemoArgs& a) {
    const bool dynamic = a.model == "gs4d";
    const bool sags = a.model == "sags" || a.model == "sags-lite";
    const bool nerf = a.model == "hmohe";
    const fs::path root = !a.output.empty() ? fs::path(a.output)
                          : dynamic         ? fs::path("splatscape-demo-4d")
                          : sags            ? fs::path("splatscape-demo-sags")
                          : nerf            ? fs::path("splatscape-demo-nerf")
                                            : fs::path("splatscape-demo");
    const fs::path scene_dir = root / "scene", run_dir = root / "run";
    if (fs::exists(run_dir / "checkpoint.bin") && !a.force)
        throw UsageError(cat(root.string(), " already holds a demo; pass --force to run it again or choose -o"));

    SyntheticSceneOptions scene;
    scene.seed = a.seed;
    if (dynamic) shrink_for_gs4d(scene);
    if (!fs::exists(scene_dir / "transforms_train.json") || a.force) {
        log::info("generating the built-in ", dynamic ? "dynamic " : "", "scene in ", scene_dir.string());
        const SyntheticSceneStats st = generate_synthetic_scene(scene, scene_dir);
        log::info("generated ", st.images, " images in ", std::to_string(st.seconds).substr(0, 4), " s");
    }

    TrainSetup s;
    s.data = scene_dir;
    s.run_dir = run_dir;
    s.options.model = a.model;
    s.model_config = load_preset(a.model, "demo"); // assets/presets/<model>/demo.json
    s.options.seed = a.seed;
    s.options.device = a.device;
    s.options.threads = a.threads;
    s.options.iterations = a.iterations;
    s.options.checkpoint_every = 0;
    s.options.probe_every = 500;
    if (a.force) remove_run_results(run_dir);

    const auto t0 = std::chrono::steady_clock::now();
    WatchResult r;
    {
        TrainingSession session(s);
        r = watch_in_console(session, "demo");
    }
    const double total = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    // The web export: .splat for gs3d; for gs4d the viewer page, which slices the 4D Gaussians in
    // its shader (no other web viewer reads them). A NeRF has no web export (`distill` makes a
    // Gaussian run of it); the demo shows its experts instead.
    size_t gaussians = 0;
    fs::path web;
    ExpertUse experts;
    if (nerf) {
        experts = render_experts(run_dir, run_dir / "model.hmohe", a.threads);
    } else if (dynamic) {
        const GaussianCloud4d cloud = read_gaussian_4d_ply(run_dir / "point_cloud.ply");
        gaussians = cloud.size();
        web = run_dir / "scene.html";
        write_viewer_html(web, cloud);
    } else {
        const GaussianCloud cloud = read_gaussian_ply(run_dir / "point_cloud.ply");
        gaussians = cloud.size();
        web = run_dir / "scene.splat";
        write_splat(web, cloud);
    }

    std::printf("\nSplatscape demo%s\n", dynamic ? " (4D Gaussian splatting)"
                                         : sags  ? " (structure-aware Gaussian splatting)"
                                         : nerf  ? " (hmohe: mixture of hash-grid NeRF experts)"
                                                 : "");
    std::printf("scene        %s (built-in%s, %dx%d, %d train / %d test views)\n", scene_dir.string().c_str(),
                dynamic ? " dynamic, times 0 to 1" : "", scene.width, scene.height, scene.train_views,
                scene.test_views);
    if (nerf)
        std::printf("training     %d iterations in %.1f s (%.1f s with loading and evaluation)\n", r.finished.iteration,
                    r.finished.train_seconds, total);
    else
        std::printf("training     %d iterations in %.1f s (%.1f s with loading and evaluation), %zu Gaussians\n",
                    r.finished.iteration, r.finished.train_seconds, total, gaussians);
    if (r.finished.evaluated)
        std::printf("held-out     PSNR %.2f dB, SSIM %.4f on %d views\n", r.finished.psnr, r.finished.ssim,
                    scene.test_views);
    std::printf("run folder   %s\n", run_dir.string().c_str());
    if (nerf) {
        size_t in_use = 0;
        std::string shares;
        for (size_t e = 0; e < experts.pixels.size(); ++e) {
            in_use += experts.pixels[e] > 0 ? 1 : 0;
            shares +=
                cat(e ? " " : "",
                    std::lround(100.0 * double(experts.pixels[e]) / double(std::max<size_t>(experts.covered, 1))), "%");
        }
        std::printf("experts      %zu of %zu draw the first held-out view (pixel shares %s)\n", in_use,
                    experts.pixels.size(), shares.c_str());
        std::printf("  model      %s\n", (run_dir / "model.hmohe").string().c_str());
        std::printf("  experts    %s\n", experts.image.string().c_str());
    } else {
        if (sags) {
            std::printf("  model      %s (%.2f MB)\n", (run_dir / "model.sags").string().c_str(),
                        double(fs::file_size(run_dir / "model.sags")) / 1e6);
            std::printf("  decoded    %s (%.2f MB, SH fitted to the decoded colours)\n",
                        (run_dir / "point_cloud.ply").string().c_str(),
                        double(fs::file_size(run_dir / "point_cloud.ply")) / 1e6);
        } else {
            std::printf("  model      %s\n", (run_dir / "point_cloud.ply").string().c_str());
        }
        std::printf("  web        %s\n", web.string().c_str());
    }
    std::printf("  metrics    %s\n", (run_dir / "eval.json").string().c_str());
    std::printf("  renders    %s\n", (run_dir / "eval" / "renders").string().c_str());
    if (dynamic)
        std::printf("next         splatscape render %s --orbit 60 --time-range 0 1 -o %s\n", run_dir.string().c_str(),
                    (root / "orbit").string().c_str());
    else
        std::printf("next         splatscape render %s --orbit 60 -o %s\n", run_dir.string().c_str(),
                    (root / "orbit").string().c_str());
    std::printf("             splatscape view %s\n", run_dir.string().c_str());
    // A NeRF run exports to the splat formats once distilled to Gaussians.
    if (nerf)
        std::printf("             splatscape distill %s -o %s --config demo\n", run_dir.string().c_str(),
                    (root / "gs").string().c_str());
    std::fflush(stdout);
    if (should_open_viewer(a.view)) {
        log::info("opening the viewer (close the window to finish; --view never skips it)");
        return gui::run_viewer(run_dir.string(), gui::WindowOptions{});
    }
    return 0;
}

} // namespace

void add_demo(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("demo", "Generate the built-in scene, train on it, evaluate and export");
    auto a = std::make_shared<DemoArgs>();
    cmd->add_option("--model", a->model,
                    "gs3d: the static scene; gs4d: the dynamic scene with 4D Gaussian splatting (time slider in "
                    "the viewer, a web page that plays it); sags: the static scene with structure-aware Gaussian "
                    "splatting (model.sags, decoded for the viewer); sags-lite: the same storing key points only; "
                    "hmohe: the static scene as a NeRF, a mixture of hash-grid experts (an image of which expert "
                    "draws each pixel)")
        ->check(CLI::IsMember({"gs3d", "gs4d", "sags", "sags-lite", "hmohe"}))
        ->capture_default_str();
    cmd->add_option("-o,--output", a->output,
                    "Folder for the scene and the run (default: splatscape-demo, splatscape-demo-4d for gs4d, "
                    "splatscape-demo-sags for sags, splatscape-demo-nerf for hmohe)");
    cmd->add_option("--iters", a->iterations, "Training iterations (default: the demo preset's, assets/presets/)")
        ->check(CLI::Range(1, 1000000));
    cmd->add_option("--device", a->device, "cpu, cuda[:N] or auto (a CUDA device when there is one)")
        ->capture_default_str();
    cmd->add_option("--threads", a->threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 4096));
    cmd->add_option("--seed", a->seed, "Seed of the scene's cameras and of training")->capture_default_str();
    cmd->add_flag("--force", a->force, "Regenerate and retrain in a folder that holds a demo");
    cmd->add_option("--view", a->view,
                    "Open the trained scene in the viewer: auto (when run from a terminal with a display and "
                    "the GUI is built), always or never")
        ->check(CLI::IsMember({"auto", "always", "never"}))
        ->capture_default_str();
    cmd->callback([&registry, a] { registry.action = [a] { return run_demo(*a); }; });
}

} // namespace splatscape::cli
