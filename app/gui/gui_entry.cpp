// `splatscape view` and `splatscape train --gui` in a build with the GUI.
#include <cstdio>

#include "app/gui/gui.hpp"
#include "app/gui/viewer_app.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "training/trainer.hpp"

namespace splatscape::gui {
namespace {

// Validation errors are bugs: a run with the layer on fails when it reported any.
void check_validation(const ViewerApp& app) {
    if (!app.validation_enabled()) return;
    const uint32_t errors = app.validation_errors();
    log::info("Vulkan validation: ", errors, " errors");
    if (errors > 0) throw Error(cat("the Vulkan validation layer reported ", errors, " errors (logged above)"));
}

} // namespace

int run_viewer(const std::string& input, const WindowOptions& options) {
    log::info("view: loading ", input);
    // Opened before the window, so that a bad file fails at once with its error and exit code.
    LoadedScene scene = load_scene_source(input);
    RecentFiles(RecentFiles::default_file()).add(scene.path);
    ViewerApp app(options, "Splatscape");
    app.show_scene(std::move(scene));
    app.run();
    check_validation(app);
    return 0;
}

int run_training_window(const TrainSetup& setup, const WindowOptions& options) {
    // The window first: without a display, training does not start.
    ViewerApp app(options, "Splatscape - training");
    TrainSetup session_setup = setup;
    app.enable_live_view(session_setup);
    TrainingSession session(session_setup);
    app.attach_training(session, setup);
    app.run();
    app.finish_training();
    check_validation(app);

    const TrainingMonitor& t = app.training();
    if (t.state() == TrainingState::Failed) throw Error(t.failure());
    const msg::Finished& f = t.finished();
    if (t.state() != TrainingState::Finished)
        throw Interrupted(cat("stopped at iteration ", f.iteration,
                              "; the checkpoint is saved: continue with `splatscape train --resume -o ",
                              setup.run_dir.string(), "`"));
    const std::string run = setup.run_dir.string();
    std::printf("run          %s\n", run.c_str());
    std::printf("iterations   %d in %.1f s\n", f.iteration, f.train_seconds);
    if (setup.options.model == "hmohe")
        std::printf("model        %s/model.hmohe\n", run.c_str());
    else
        std::printf("gaussians    %zu (%s/point_cloud.ply)\n", t.progress().gaussians, run.c_str());
    if (f.evaluated) std::printf("held-out     PSNR %.2f dB, SSIM %.4f (%s/eval.json)\n", f.psnr, f.ssim, run.c_str());
    return 0;
}

} // namespace splatscape::gui
