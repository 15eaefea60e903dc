#pragma once
// The viewer's camera and what moves it: the free camera (CameraController, moved by the mouse and
// keys through viewport_input), the scene's framing it starts from and resets to, snapping to a
// dataset view, and the camera-path editor with its preview. No ImGui and no GPU here, so all of
// it is tested without a window (tests/gui/test_camera_rig.cpp).
#include <chrono>
#include <optional>
#include <string>
#include <vector>

#include "app/gui/camera_controller.hpp"
#include "app/gui/camera_path_model.hpp"
#include "app/gui/scene_framing.hpp"
#include "app/gui/viewer_state.hpp"

namespace splatscape::gui {

class CameraRig {
public:
    using Clock = std::chrono::steady_clock;

    // The free camera; gestures move it directly.
    CameraController& controller() { return m_camera; }
    const CameraController& controller() const { return m_camera; }
    // Bumped by every change of the free camera.
    uint64_t version() const { return m_camera.version(); }
    float fov_y() const { return m_camera.fov_y(); }
    void set_fov_y(float degrees) { m_camera.set_fov_y(degrees); }

    // Where a scene starts: world up, its centre and size, and the first view; reset() goes back.
    void frame(const SceneFraming& framing);
    bool framed() const { return m_framed; }
    const SceneFraming& framing() const { return m_framing; }
    void reset();
    // A new world up (unit): the view is levelled about it, looking where it looked.
    void set_up(glm::vec3 up);

    // Jumps to a dataset view's pose and field of view (view `index` of the scene, seen through
    // `camera`), and stops a preview. The pivot is where the view looks at the scene's centre.
    void snap_to(int index, const Camera& camera);
    // Forgets the view (a new scene).
    void unsnap() { m_snapped = -1; }
    // The view the camera sits at, or -1 once the camera moved away.
    int snapped() const { return m_snapped >= 0 && m_camera.version() == m_snap_version ? m_snapped : -1; }
    // The view last snapped to, whether or not the camera moved since.
    int last_snapped() const { return m_snapped; }

    // The camera-path editor.
    const CameraPathModel& path() const { return m_path; }
    const std::vector<cli::PathFrame>& path_frames() const { return m_path_frames; }
    const std::string& path_message() const { return m_path_message; }
    // Loads a path file into the editor (--camera-path); throws Error naming the file.
    void load_path(const std::filesystem::path& file);
    bool previewing() const { return m_previewing; }
    float preview_time() const { return m_preview_time; } // seconds into the path

    // Camera and path commands: ResetCamera, SetUp and the Path* commands. Returns false for other
    // commands (the shell applies those).
    bool apply(const Command& command);
    // Moves the preview to `now`; at the path's end the free camera stays where the path ends.
    void advance_preview(Clock::time_point now);

    // The camera the viewport shows as it is, at its own aspect: the preview's frame, else the
    // dataset view the camera sits at (through `scene`'s dataset); nullopt for the free camera.
    std::optional<Camera> fixed_camera(const LoadedScene* scene) const;
    bool in_preview_frame() const { return m_preview_camera.has_value(); }
    // The free camera at width x height pixels.
    Camera camera(int width, int height) const { return m_camera.camera(width, height); }

private:
    void path_changed();
    void stop_preview();

    CameraController m_camera;
    SceneFraming m_framing;
    bool m_framed = false;
    int m_snapped = -1;
    uint64_t m_snap_version = 0;

    CameraPathModel m_path;
    std::vector<cli::PathFrame> m_path_frames; // the path as `render` would sample it
    std::string m_path_message;                // the last save or load, or what went wrong
    bool m_previewing = false;
    Clock::time_point m_preview_start;
    float m_preview_time = 0.0f;
    std::optional<Camera> m_preview_camera;
};

} // namespace splatscape::gui
