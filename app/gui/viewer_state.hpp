#pragma once
// What panels see and what they may ask for. Each frame the shell builds a ViewerSnapshot (values,
// and const views of the models it owns); panels draw from it and append Commands, which the shell
// applies after the UI is built. Panels never touch the renderer, the camera or the trainer.
#include <any>
#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include <glm/vec3.hpp>

#include "app/gui/camera_path_model.hpp"
#include "app/gui/scene_source.hpp"
#include "app/gui/training_monitor.hpp"
#include "app/gui/video_render.hpp"
#include "core/camera.hpp"
#include "renderer/render_settings.hpp"
#include "training/messages.hpp"

namespace splatscape::gui {

class DrawnScene;

// A render mode as the View panel lists it.
struct RenderModeChoice {
    RenderMode mode = RenderMode::Color;
    const char* label = "";
};

// The modes of the splat renderer (every Gaussian kind of scene draws them).
inline std::vector<RenderModeChoice> splat_render_modes() {
    return {{RenderMode::Color, "colour"},
            {RenderMode::Depth, "depth"},
            {RenderMode::Alpha, "alpha"},
            {RenderMode::Centers, "Gaussian centres"},
            {RenderMode::Heatmap, "Gaussians per tile"}};
}

// Settings of the View panel.
struct ViewSettings {
    RenderSettings render;
    float fov_y = 50.0f;             // degrees, for the free camera (the camera rig owns it)
    bool adaptive_resolution = true; // render smaller while the camera moves, when renders are slow
    float frame_budget_ms = 40.0f;   // what "slow" means
    bool continuous = false;         // render every frame even when nothing changed (for timing)
    bool show_cameras = true;        // dataset cameras as frusta
    bool show_path = true;           // the camera path's keys and curve
};

// A rectangle in ImGui's coordinates (window points; framebuffer pixels times 1/scale).
struct UiRect {
    float x = 0, y = 0, width = 0, height = 0;
    bool contains(float px, float py) const { return px >= x && py >= y && px < x + width && py < y + height; }
};

struct FrameTiming {
    double fps = 0.0;      // window frames per second (mean over the last second)
    double frame_ms = 0.0; // wall time of the last frame
    RenderStats stats;     // of the last completed render
    uint32_t render_width = 0, render_height = 0;
    float render_scale = 1.0f; // internal resolution / viewport resolution of the last render
    uint64_t renders = 0;      // scene renders so far
    uint64_t frames = 0;       // window frames so far
};

struct ViewerSnapshot {
    // Scene
    const LoadedScene* scene = nullptr; // null: nothing open
    bool loading = false;
    std::string loading_what;
    std::string error; // last failure to open something
    const std::vector<std::string>* recent = nullptr;
    bool can_open = true; // false while training owns the view

    // What is drawn (null: nothing), and what the View panel offers for it
    const DrawnScene* drawn = nullptr;
    std::vector<RenderModeChoice> render_modes = splat_render_modes();
    bool splat_settings = true;

    // View
    ViewSettings view;
    int scene_sh_degree = 0;

    // Camera
    glm::vec3 position{0.0f}, pivot{0.0f}, up{0.0f};
    float pivot_distance = 0.0f;
    float scene_radius = 1.0f;
    int snapped_view = -1; // index into scene->views, while the camera sits there
    bool compare = false;  // ground truth beside the render
    bool reference_loading = false;
    std::string reference_error;

    // Stats
    FrameTiming timing;
    std::string device;
    uint64_t device_local_bytes = 0;
    uint64_t gpu_memory_bytes = 0;
    bool validation = false;
    uint32_t validation_errors = 0;

    // Screenshot
    std::string last_screenshot;
    bool window_capture = true; // the window's images can be read back

    // Camera path
    const CameraPathModel* path = nullptr;
    const std::vector<cli::PathFrame>* path_frames = nullptr; // the path as `render` would sample it
    std::string path_message;
    bool previewing = false;
    float preview_time = 0.0f;     // seconds into the path
    VideoStatus video;             // the path's video render
    std::string video_unavailable; // why this scene cannot be rendered into a video (empty: it can)

    // Training (null when the window only views)
    const TrainingMonitor* training = nullptr;
    bool snapshot_saving = false;
    std::string snapshot_saved;
};

namespace command {
struct OpenScene {
    std::string path;
};
struct ForgetRecent {
    std::string path;
};
struct SetView {
    ViewSettings view;
};
struct ResetCamera {};
struct SetUp {
    glm::vec3 up;
};
struct SnapToView {
    int index = 0;
};
struct SetCompare {
    bool on = false;
};
struct Screenshot {
    std::string path;
    bool window = false; // the whole window as shown; otherwise the render alone
};
struct PathAddKey {};
struct PathRemoveKey {
    size_t index = 0;
};
struct PathUpdateKey {
    size_t index = 0; // to the current view
};
struct PathSetTime {
    size_t index = 0;
    float t = 0.0f;
};
struct PathGoTo {
    size_t index = 0;
};
struct PathClear {};
struct PathSettings {
    int width = 1280, height = 720;
    double fps = 30.0;
    bool smooth = true;
};
struct PathPreview {
    bool on = false;
};
struct PathSave {
    std::string path;
};
struct PathLoad {
    std::string path;
};
// Renders the path into a video (.mp4 or .webm) in the background, as `render -o FILE` would.
struct PathRenderVideo {
    std::string path;
};
struct PathCancelVideo {};
struct Train {
    TrainerCommand command;
};
struct SaveSnapshot {};
struct ToggleUi {};
// A command of the scene kind shown (its own type, e.g. the Time panel's SetTime), applied by
// DrawnScene::apply: a kind adds commands without touching this file.
struct SceneCommand {
    std::any payload;
};
} // namespace command

using Command = std::variant<command::OpenScene, command::ForgetRecent, command::SetView, command::ResetCamera,
                             command::SetUp, command::SnapToView, command::SetCompare, command::Screenshot,
                             command::PathAddKey, command::PathRemoveKey, command::PathUpdateKey, command::PathSetTime,
                             command::PathGoTo, command::PathClear, command::PathSettings, command::PathPreview,
                             command::PathSave, command::PathLoad, command::PathRenderVideo, command::PathCancelVideo,
                             command::Train, command::SaveSnapshot, command::ToggleUi, command::SceneCommand>;

using Commands = std::vector<Command>;

} // namespace splatscape::gui
