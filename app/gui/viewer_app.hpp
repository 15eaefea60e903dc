#pragma once
// The desktop shell: one window, one frame loop for viewing and for watching training. It owns
// the window, the Vulkan context and swapchain, the viewport renderer, Dear ImGui, the camera and
// the editors' models; panels get a snapshot of them and return commands (viewer_state.hpp).
#include <chrono>
#include <deque>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/camera_controller.hpp"
#include "app/gui/camera_path_model.hpp"
#include "app/gui/glfw_window.hpp"
#include "app/gui/gui.hpp"
#include "app/gui/imgui_layer_vk.hpp"
#include "app/gui/panels.hpp"
#include "app/gui/recent_files.hpp"
#include "app/gui/scene_framing.hpp"
#include "app/gui/scene_source.hpp"
#include "app/gui/tiled_scene_view.hpp"
#include "app/gui/training_monitor.hpp"
#include "app/gui/viewer_state.hpp"
#include "app/gui/viewport_vk.hpp"
#include "app/session/live_view_vk.hpp"
#include "app/session/training_session.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/swapchain_target_vk.hpp"

namespace splatscape::gui {

class ViewerApp {
public:
    using Clock = std::chrono::steady_clock;

    ViewerApp(const WindowOptions& options, const std::string& title);
    ~ViewerApp();
    ViewerApp(const ViewerApp&) = delete;
    ViewerApp& operator=(const ViewerApp&) = delete;

    // Shows a loaded scene and frames the camera on it.
    void show_scene(LoadedScene scene);
    // Follows a training run: its snapshots become the scene; the dataset is read for its cameras.
    void attach_training(TrainingSession& session, const TrainSetup& setup);
    // Before the session starts: when the window's GPU is the CUDA device training runs on, the live
    // view draws the model from memory training writes (app/session/live_view.hpp) and `setup`
    // gets the sink; otherwise snapshots keep coming through the host.
    void enable_live_view(TrainSetup& setup);

    // The frame loop, until the window closes or an exit condition of the options is met.
    void run();

    const TrainingMonitor& training() const { return m_monitor; }
    // After run(): stops the trainer if it still runs (it writes a checkpoint) and reads its
    // messages until it has ended. The window is hidden meanwhile.
    void finish_training();
    TrainingSession* session() const { return m_session; }
    uint32_t validation_errors() const { return m_context->validation_errors(); }
    bool validation_enabled() const { return m_context->validation_enabled(); }

private:
    struct Layout {
        float sidebar = 0.0f; // width in UI points
        UiRect viewport_ui;   // the area under the panels' right
        PixelRect viewport_px;
        float pixel_scale = 1.0f; // framebuffer pixels per UI point
    };
    struct RenderPlan {
        Camera camera;         // what the scene is rendered with (internal resolution)
        Camera display_camera; // the same view at the size it is shown (for overlays)
        ViewportLayout layout;
        UiRect render_ui; // where the render is shown, in UI points
        float scale = 1.0f;
        bool render = false;
    };
    enum class Drag { None, Orbit, Pan };

    void frame_loop_iteration();
    // How long to wait for input before the next frame (0: poll and draw at once).
    double event_wait() const;
    void poll_jobs();
    void poll_training();
    void open(const std::string& path);
    void apply(const Command& command);
    void apply_scene(LoadedScene scene, bool reframe);
    void show_cloud(std::shared_ptr<const GaussianCloud> cloud);
    void reset_camera();
    void snap_to_view(int index);
    void set_compare(bool on);
    void request_reference();
    void set_path_changed();
    Layout compute_layout() const;
    ViewerSnapshot snapshot() const;
    void draw_sidebar(const Layout& layout, Commands& commands);
    void handle_input(const Layout& layout, Commands& shortcuts);
    void advance_preview();
    std::optional<Camera> fixed_camera() const;
    RenderPlan plan(const Layout& layout);
    void on_render_result(const vk::FrameResult& result);
    bool settled(const RenderPlan& plan) const;
    void save_window_screenshot(const std::string& path, const RenderPlan& plan);
    void save_render_screenshot(const std::string& path);
    std::string screenshot_name(const std::string& requested);
    void write_sidecar(const std::string& image_path, const Camera& camera, const ViewportLayout* layout) const;

    WindowOptions m_options;
    GlfwLibrary m_glfw;
    GlfwWindow m_window;
    std::unique_ptr<vk::Context> m_context;
    std::unique_ptr<vk::SwapchainTarget> m_target;
    // The zero-copy live view of CUDA training (null: snapshots through the host). Before m_viewport,
    // so that the viewport (which waits for frames in flight) goes first.
    std::shared_ptr<LiveViewExchange> m_live_exchange;
    std::unique_ptr<LiveViewHost> m_live;
    bool m_live_shown = false;
    std::unique_ptr<ViewportRenderer> m_viewport;
    std::unique_ptr<TiledSceneView> m_tiles; // a streamed tiled scene (null otherwise)
    std::unique_ptr<ImGuiLayer> m_imgui;
    bool m_window_capture = false;

    // What is shown.
    std::optional<LoadedScene> m_scene;
    std::optional<TimeControls> m_time; // dynamic scenes: the time shown and its playback
    std::shared_ptr<const GaussianCloud> m_cloud;
    SceneFraming m_framing;
    bool m_framed = false;
    std::future<LoadedScene> m_loading;
    std::string m_loading_what;
    std::string m_error;
    RecentFiles m_recent;

    // How it is shown.
    ViewSettings m_view;
    CameraController m_camera;
    int m_snapped = -1;
    uint64_t m_snap_version = 0;
    bool m_compare = false;
    std::future<Image> m_reference_loading;
    int m_reference_view = -1; // whose photo the viewport holds (or is loading)
    std::string m_reference_error;
    Drag m_drag = Drag::None;
    bool m_show_ui = true;

    // Camera path editor.
    CameraPathModel m_path;
    std::vector<cli::PathFrame> m_path_frames;
    bool m_previewing = false;
    Clock::time_point m_preview_start;
    float m_preview_time = 0.0f;
    std::optional<Camera> m_preview_camera;
    std::string m_path_message; // the last save or load, or what went wrong

    PanelInputs m_inputs;

    // Rendering bookkeeping.
    bool m_dirty = true; // the scene or settings changed since the last render
    bool m_has_render = false;
    Camera m_rendered_camera;
    RenderSettings m_rendered_settings;
    float m_rendered_scale = 1.0f;
    bool m_last_overflowed = false;
    double m_ms_per_pixel = 0.0; // of the last render, for choosing the resolution while moving
    float m_motion_scale = 1.0f;
    Clock::time_point m_last_motion{};
    bool m_rendered_this_frame = false;

    // Timing.
    FrameTiming m_timing;
    std::deque<Clock::time_point> m_frame_times;
    Clock::time_point m_frame_start;
    Clock::time_point m_run_start;
    uint64_t m_motion_frames = 0; // frames rendered smaller because the camera moved
    double m_motion_seconds = 0.0;

    // Screenshots and exit conditions.
    std::vector<std::string> m_render_shots; // waiting for a settled render
    std::optional<std::string> m_window_shot;
    std::string m_last_screenshot;
    int m_shot_counter = 0;
    int m_settled_frames = 0;
    bool m_exit = false;
    bool m_cli_shot_taken = false;

    // Training.
    TrainingSession* m_session = nullptr;
    const TrainSetup* m_setup = nullptr;
    TrainingMonitor m_monitor;
    bool m_snapshot_requested = false;
    Clock::time_point m_last_snapshot{};
    double m_upload_seconds = 0.0;
    std::future<std::shared_ptr<const GaussianCloud>> m_final_loading;
    bool m_final_shown = false;
    std::shared_ptr<const GaussianCloud> m_snapshot_cloud; // the model shown, for "save snapshot"
    int m_snapshot_iteration = -1;
    std::future<std::string> m_snapshot_saving;
    std::string m_snapshot_saved;
};

} // namespace splatscape::gui
