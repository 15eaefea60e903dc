#pragma once
// Entry points of the desktop shell: `splatscape view X` and `splatscape train DATA --gui`. Declared
// in every build; a build without the GUI (-DSPLATSCAPE_GUI=OFF) defines them to say so.
#include <filesystem>
#include <string>

namespace CLI {
class App;
}

namespace splatscape {
struct TrainSetup;
}

namespace splatscape::gui {

struct WindowOptions {
    int width = 1280;
    int height = 800;
    int gpu = -1;        // Vulkan device index; -1: the best
    int validation = -1; // 1: Khronos validation on (--validation); -1: SPLATSCAPE_VK_VALIDATION / build type
    std::filesystem::path screenshot; // the window as shown, written when the viewer exits (or first settles)
    int exit_after_frames = 0;        // close after this many frames with the scene shown (0: run until closed)
    bool exit_when_done = false;      // training: close once the run ended and its final model is shown
    bool hide_ui = false;             // start with the panels hidden (F1 toggles)
    bool vsync = true;
    bool continuous = false;           // render the scene every frame (for timing)
    int start_view = -1;               // start at this dataset view
    bool compare = false;              // with the ground truth beside the render
    std::string mode = "color";        // render mode
    std::filesystem::path camera_path; // load this camera path into the editor
    bool play_path = false;            // and preview it
    std::filesystem::path commands;    // panel commands applied once the scene is shown (command_script.hpp)
    double budget_splats = 0;          // tiled scenes: splats drawn at once (0: no limit)
    double budget_mb = 0;              // tiled scenes: GPU memory for resident tiles (0: the default)
};

// Adds the window options to a subcommand (`view`, or `train` for --gui).
void add_window_options(CLI::App& command, WindowOptions& options, bool for_training);

// Opens X (run folder, scene file or dataset folder) in a window. Returns the exit code.
int run_viewer(const std::string& input, const WindowOptions& options);
// Trains with `setup` on the session thread and shows it live. Returns the exit code (0 when the
// run completed); throws Error when training failed and Interrupted when it was stopped.
int run_training_window(const TrainSetup& setup, const WindowOptions& options);

} // namespace splatscape::gui
