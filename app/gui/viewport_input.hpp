#pragma once
// Mouse and keys over the viewport: left drag orbits (shift: pans), right or middle drag pans, the
// wheel zooms, W A S D Q E fly (shift: 4x); F1 hides the panels, F12 saves the render, R resets
// the camera. Keys count only while the UI does not take the keyboard.
#include "app/gui/camera_controller.hpp"
#include "app/gui/viewer_state.hpp"

namespace splatscape::gui {

class ViewportInput {
public:
    // `area`: the viewport in UI points; `pixel_scale`: framebuffer pixels per point;
    // `height_px`: the viewport's height in pixels (panning moves the point under the cursor).
    // Gestures move `camera` at once; keys append commands.
    void handle(const UiRect& area, float pixel_scale, int height_px, CameraController& camera, Commands& shortcuts);
    bool dragging() const { return m_drag != Drag::None; }

    // A fly key is held (the loop then draws frames at once).
    static bool flying();
    // The UI does not take the keyboard: other owners' keys (space) may be read.
    static bool keyboard_free();

private:
    enum class Drag { None, Orbit, Pan };
    Drag m_drag = Drag::None;
};

} // namespace splatscape::gui
