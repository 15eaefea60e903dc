// splatscape eval RUN: PSNR and SSIM of a trained run on its dataset's held-out views (3DGS
// protocol: 8-bit images, per-view PSNR averaged), written to RUN/eval.json with the renders.
#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/cli/command.hpp"
#include "app/cli/frame_renderer.hpp"
#include "core/error.hpp"
#include "core/io/scene_io.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"
#include "training/evaluation.hpp"
#include "training/trainer.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

struct EvalArgs {
    std::string run;
    std::string data;
    std::string scene;
    std::string renderer = "cpu";
    int threads = 0;
    int downscale = 1; // evaluate at 1/downscale of the training resolution
    bool no_images = false;
};

int run_eval(const EvalArgs& a) {
    const fs::path run = a.run;
    TrainSetup s = read_run_config(run);
    if (!a.data.empty()) s.data = a.data;
    const fs::path scene = !a.scene.empty()                  ? fs::path(a.scene)
                           : fs::exists(run / "model.hmohe") ? run / "model.hmohe" // an hmohe (NeRF) run
                           : fs::exists(run / "model.sags")  ? run / "model.sags"  // a sags run
                                                             : run / "point_cloud.ply";
    if (!fs::exists(scene))
        throw Error(scene.string(), "", "not found (has the run finished? try `splatscape train --resume`)");
    const SceneData data = read_scene_data(a.scene.empty() ? run : fs::path(a.scene));
    // Zooming out: the cameras and the ground truth (downsampled by area) at 1/downscale of the
    // size the run trained at.
    s.dataset.downscale *= a.downscale;
    if (a.downscale > 1 && s.dataset.max_width > 0)
        s.dataset.max_width = std::max(1, s.dataset.max_width / a.downscale);
    const std::string suffix = a.downscale > 1 ? cat("_x", a.downscale) : std::string();
    const fs::path out_json = run / cat("eval", suffix, ".json"), out_images = run / cat("eval", suffix);
    const Dataset dataset = load_dataset(s.data, s.dataset);
    const auto& frames = evaluation_frames(dataset);
    if (frames.empty())
        throw Error(s.data.string(), "", "the dataset has no held-out (test or val) views to evaluate on");

    // The background the run trained with.
    glm::vec3 bg = dataset.has_alpha ? dataset.background : glm::vec3(0.0f);
    if (auto it = s.model_config.find("background"); it != s.model_config.end() && it->is_array() && it->size() == 3)
        bg = {(*it)[0].get<float>(), (*it)[1].get<float>(), (*it)[2].get<float>()};
    Dataset eval_ds = dataset;
    eval_ds.background = bg;

    auto renderer = create_frame_renderer(a.renderer, data, a.threads);
    log::info("evaluating ", data.size(),
              data.nerf        ? " NeRF parameters"
              : data.dynamic() ? " 4D Gaussians"
                               : " Gaussians",
              " on ", frames.size(), " held-out views with the ", renderer->name(), " renderer");
    ProgressBar bar("eval", frames.size(), "img");
    // Dynamic scenes are rendered at each held-out frame's own time.
    const EvalResult r = evaluate_frames(
        eval_ds, frames,
        [&](const Frame& f, const Camera& c) {
            renderer->set_time(f.time.value_or(0.0f));
            return renderer->render(c, bg);
        },
        a.no_images ? fs::path() : out_images, [&](size_t done, size_t) { bar.update(done); });
    bar.finish();
    Json j = r.to_json();
    j[data.nerf ? "parameters" : "gaussians"] = data.size();
    j["scene"] = scene.string();
    j["renderer"] = renderer->name();
    j["background"] = {bg.x, bg.y, bg.z};
    if (a.downscale > 1) j["downscale"] = a.downscale;
    if (fs::exists(out_json)) {
        // Keep what training recorded about itself.
        const Json old = load_json(out_json);
        for (const char* k : {"iteration", "train_seconds"})
            if (old.contains(k)) j[k] = old[k];
    }
    save_json(out_json, j);
    for (const auto& v : r.views) std::printf("%-28s PSNR %6.2f dB  SSIM %.4f\n", v.name.c_str(), v.psnr, v.ssim);
    std::printf("mean (%zu views)%*s PSNR %6.2f dB  SSIM %.4f\n", r.views.size(), 11, "", r.psnr, r.ssim);
    std::printf("written      %s\n", out_json.string().c_str());
    return 0;
}

} // namespace

void add_eval(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("eval", "PSNR and SSIM of a trained run on its held-out views");
    cmd->footer("Follows the 3DGS protocol: renders and ground truth quantised to 8 bits, PSNR per image then\n"
                "averaged, SSIM with an 11x11 Gaussian window. Writes RUN/eval.json and RUN/eval/{renders,gt}/.");
    auto a = std::make_shared<EvalArgs>();
    cmd->add_option("run", a->run, "Run folder written by `splatscape train`")->required();
    cmd->add_option("--data", a->data, "Dataset folder (default: the one the run trained on)");
    cmd->add_option("--scene", a->scene,
                    "Scene file to evaluate (default: the run's model.sags or model.hmohe, else point_cloud.ply)");
    cmd->add_option("--renderer", a->renderer, "Renderer: cpu")->capture_default_str();
    cmd->add_option("--threads", a->threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 4096));
    cmd->add_option("--downscale", a->downscale,
                    "Evaluate at 1/N of the resolution the run trained at (zooming out: cameras scaled, ground "
                    "truth downsampled by area); writes RUN/eval_xN.json and RUN/eval_xN/")
        ->check(CLI::Range(1, 64));
    cmd->add_flag("--no-images", a->no_images, "Do not write the rendered and ground-truth images");
    cmd->callback([&registry, a] { registry.action = [a] { return run_eval(*a); }; });
}

} // namespace splatscape::cli
