#pragma once
// The desktop shell: one frame loop for viewing and for watching training. It wires the owners
// together and holds no state of theirs: the window, swapchain and UI frame (FrameLoop), what is
// open and drawn (SceneDocument, with a DrawnScene per kind of scene), the camera and its editors
// (CameraRig, moved through ViewportInput), the training run (TrainingFollower), when to render
// (RenderPlanner), the viewport image (ViewportRenderer), the photo beside it (GroundTruth),
// screenshots and the camera path's video (VideoRender). Each frame it builds a snapshot for the
// panels and routes their commands.
#include <memory>
#include <optional>
#include <string>

#include "app/gui/camera_rig.hpp"
#include "app/gui/frame_loop_vk.hpp"
#include "app/gui/ground_truth.hpp"
#include "app/gui/gui.hpp"
#include "app/gui/panels.hpp"
#include "app/gui/render_planner.hpp"
#include "app/gui/scene_document.hpp"
#include "app/gui/screenshots.hpp"
#include "app/gui/training_follower.hpp"
#include "app/gui/video_render.hpp"
#include "app/gui/viewer_state.hpp"
#include "app/gui/viewport_input.hpp"
#include "app/gui/viewport_vk.hpp"

namespace splatscape::gui {

class ViewerApp {
public:
    ViewerApp(const WindowOptions& options, const std::string& title);
    ~ViewerApp();
    ViewerApp(const ViewerApp&) = delete;
    ViewerApp& operator=(const ViewerApp&) = delete;

    // Shows a loaded scene and frames the camera on it.
    void show_scene(LoadedScene scene);
    // Before the session starts: the zero-copy live view of CUDA training, when the window's GPU is
    // the training device (TrainingFollower::enable_live_view).
    void enable_live_view(TrainSetup& setup);
    // Follows a training run: its snapshots become the scene; the dataset is read for its cameras.
    void attach_training(TrainingSession& session, const TrainSetup& setup);

    // The frame loop, until the window closes or an exit condition of the options is met.
    void run();

    const TrainingMonitor& training() const;
    // After run(): stops the trainer if it still runs (it writes a checkpoint) and reads its
    // messages until it has ended. The window is hidden meanwhile.
    void finish_training();
    uint32_t validation_errors() const { return m_frames.context().validation_errors(); }
    bool validation_enabled() const { return m_frames.context().validation_enabled(); }

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

    void frame();
    // How long to wait for input before the next frame (0: poll and draw at once).
    double event_wait() const;
    void poll();
    void open(const std::string& path);
    void show_source(LoadedScene scene, bool reframe);
    void apply(const Command& command);
    void snap_to_view(int index);
    void render_video(const std::string& path);
    void start_options();
    Layout compute_layout() const;
    ViewerSnapshot snapshot() const;
    RenderPlan plan(const Layout& layout);
    bool settled(const RenderPlan& plan) const;
    bool last_frame(bool settled) const;
    void save_screenshots(const RenderPlan& plan, bool settled);
    ShotContext shot_context(const ViewportLayout* layout) const;
    void print_summary() const;

    WindowOptions m_options; // start_view, play_path and screenshot are cleared once done
    FrameLoop m_frames;
    // Declared before the document: the drawn scene may read the live view's buffers.
    std::unique_ptr<TrainingFollower> m_training; // null when the window only views
    SceneDocument m_document;
    std::unique_ptr<ViewportRenderer> m_viewport; // from the first frame (it needs the window's format)
    CameraRig m_camera;
    ViewportInput m_input;
    GroundTruth m_ground_truth;
    RenderPlanner m_planner;
    Screenshots m_shots;
    VideoRender m_video; // the camera path's video, rendered on its own thread
    Commands m_script;   // --commands, applied once the scene is shown
    PanelInputs m_inputs;
    bool m_show_ui = true;
    int m_settled_frames = 0;
    bool m_exit = false;
};

} // namespace splatscape::gui
