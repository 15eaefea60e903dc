// splatscape view X: the desktop viewer (app/gui) for a run folder, a scene file or a dataset folder.
// This file also holds the window options shared with `train --gui`, and, in a build without the
// GUI (-DSPLATSCAPE_GUI=OFF), entry points that say so.
#include <memory>
#include <string>
#include <vector>

#include "app/cli/command.hpp"
#include "app/gui/gui.hpp"
#include "core/error.hpp"
#include "core/io/scene_io.hpp"

namespace splatscape {
namespace gui {

namespace {

// Options parsed into their own storage, then copied into WindowOptions by the callback below.
struct RawWindowOptions {
    std::vector<int> size;
    bool validation = false;
    bool no_vsync = false;
    std::string screenshot;
    std::string camera_path;
    std::string commands;
};

} // namespace

void add_window_options(CLI::App& cmd, WindowOptions& o, bool for_training) {
    auto raw = std::make_shared<RawWindowOptions>();
    const std::string group = for_training ? "Window (with --gui)" : "Window";
    cmd.add_option("--window-size", raw->size, "Window size WxH in screen points (default 1280x800)")
        ->delimiter('x')
        ->expected(2)
        ->check(CLI::Range(64, 16384))
        ->group(group);
    cmd.add_option(for_training ? "--render-gpu" : "--gpu", o.gpu, "Vulkan device index (default: the best)")
        ->check(CLI::Range(0, 64))
        ->group(group);
    cmd.add_flag("--validation", raw->validation,
                 "Khronos validation layer on (also SPLATSCAPE_VK_VALIDATION=1); any error makes the exit code 1")
        ->group(group);
    cmd.add_option("--screenshot", raw->screenshot,
                   "Save the window as PNG (with a .json beside it: camera and viewport) once the view has "
                   "settled, or at exit with --exit-after-frames/--exit-when-done")
        ->group(group);
    cmd.add_option("--exit-after-frames", o.exit_after_frames,
                   "Close after N frames with the scene shown at full resolution (tests, timing)")
        ->check(CLI::Range(1, 100000000))
        ->group(group);
    if (for_training)
        cmd.add_flag("--exit-when-done", o.exit_when_done,
                     "Close the window when training has ended and its final model is shown")
            ->group(group);
    cmd.add_flag("--hide-ui", o.hide_ui, "Start with the panels hidden (F1 shows them)")->group(group);
    cmd.add_flag("--no-vsync", raw->no_vsync, "Present without waiting for the display's refresh")->group(group);
    cmd.add_flag("--continuous", o.continuous, "Render the scene every frame, not only when it changes")->group(group);
    cmd.add_option("--mode", o.mode,
                   "Render mode: color, depth, alpha, centers, heatmap; NeRF scenes (hmohe): color, depth, experts")
        ->check(CLI::IsMember({"color", "depth", "alpha", "centers", "centres", "heatmap", "experts"}))
        ->capture_default_str()
        ->group(group);
    if (!for_training) {
        cmd.add_option("--camera", o.start_view, "Start at dataset view N (train views first, then test views)")
            ->check(CLI::Range(0, 10000000))
            ->group(group);
        cmd.add_flag("--compare", o.compare, "With --camera: the ground-truth photo beside the render")->group(group);
        cmd.add_option("--camera-path", raw->camera_path,
                       "Load a camera path (render --camera-path JSON) into the editor")
            ->group(group);
        cmd.add_flag("--play", o.play_path, "Preview the camera path at start")->group(group);
        cmd.add_option("--commands", raw->commands,
                       "Apply the panels' commands in this JSON file once the scene is shown, e.g. "
                       "[{\"command\": \"path_render_video\", \"file\": \"orbit.mp4\"}] (app/gui/README.md)")
            ->check(CLI::ExistingFile)
            ->group(group);
        cmd.add_option("--budget-splats", o.budget_splats, "Tiled scenes: most splats drawn at once (0: no limit)")
            ->check(CLI::Range(0.0, 4e9))
            ->group(group);
        cmd.add_option("--budget-mb", o.budget_mb,
                       "Tiled scenes: GPU memory for resident tiles in MiB (default: a quarter of the device's, at "
                       "most 4096)")
            ->check(CLI::Range(0.0, 1e7))
            ->group(group);
    }
    // After parsing: fold the raw values in.
    cmd.parse_complete_callback([raw, &o] {
        if (raw->size.size() == 2) {
            o.width = raw->size[0];
            o.height = raw->size[1];
        }
        if (raw->validation) o.validation = 1;
        o.vsync = !raw->no_vsync;
        o.screenshot = raw->screenshot;
        o.camera_path = raw->camera_path;
        o.commands = raw->commands;
    });
}

#ifndef SPLATSCAPE_HAVE_GUI

namespace {
[[noreturn]] void no_gui() {
    throw Error("this build of splatscape has no GUI (it was configured with -DSPLATSCAPE_GUI=OFF, or without the "
                "Vulkan renderer): rebuild with -DSPLATSCAPE_GUI=ON, or render frames headless with "
                "`splatscape render`");
}
} // namespace

int run_viewer(const std::string&, const WindowOptions&) {
    no_gui();
}
int run_training_window(const TrainSetup&, const WindowOptions&) {
    no_gui();
}

#endif

} // namespace gui

namespace cli {
namespace {

struct ViewArgs {
    std::string input;
    gui::WindowOptions window;
};

} // namespace

void add_view(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("view", "Explore a run, a scene file or a dataset in a window");
    cmd->footer("X is a run folder (its Gaussians and its dataset's cameras), a scene file, or a dataset folder\n"
                "(its cameras, and its sparse points when it has any). Mouse: left drag orbits, right or middle\n"
                "drag pans, the wheel zooms; W A S D Q E fly; R resets; F12 saves the render; F1 hides the panels.\n"
                "Recent files are kept in $XDG_CONFIG_HOME/splatscape/recent.json.\n"
                "Scene formats:\n" +
                scene_formats_help());
    auto a = std::make_shared<ViewArgs>();
    cmd->add_option("input", a->input, "Run folder, scene file (.ply, .splat, .spz, .glb, ...), tiled scene folder or dataset folder")
        ->required();
    gui::add_window_options(*cmd, a->window, false);
    cmd->callback([&registry, a] { registry.action = [a] { return gui::run_viewer(a->input, a->window); }; });
}

} // namespace cli
} // namespace splatscape
