#pragma once
// When the viewport renders the scene, and how large. A frame renders only when the camera, the
// settings or the picture changed (or the View panel asks for every frame, or the last render
// overflowed); otherwise the last render is shown again. While the camera moves, the render
// shrinks so that its predicted time fits the frame budget, from the last render's GPU time per
// pixel (down to 20 % of the viewport); when the motion stops it renders once at full size. No
// window and no GPU here, so the rules are tested alone (tests/gui/test_render_planner.cpp).
#include <chrono>
#include <cstdint>

#include "app/gui/viewer_state.hpp"
#include "core/camera.hpp"
#include "renderer/render_settings.hpp"

namespace splatscape::gui {

class RenderPlanner {
public:
    using Clock = std::chrono::steady_clock;
    // How long after the last camera change the view still counts as moving (renders stay small).
    static constexpr double kMotionHold = 0.25;

    // The picture changed (a new scene, new data, a new time): render again.
    void invalidate() { m_dirty = true; }
    bool dirty() const { return m_dirty; }
    // The camera moved by a gesture at `now`.
    void moved(Clock::time_point now) { m_last_motion = now; }
    // Within kMotionHold (plus `margin` seconds) of the last gesture.
    bool recently_moved(Clock::time_point now, double margin = 0.0) const;

    // The fraction of the viewport's size to render at: smaller while `moving`, when allowed.
    float scale(bool moving, const ViewSettings& view) const;
    // Whether `camera` (at the internal resolution) with `view`'s settings needs a new render.
    bool needs_render(const Camera& camera, const ViewSettings& view) const;
    // A render of `camera` with `settings` at `scale` was recorded.
    void rendered(const Camera& camera, const RenderSettings& settings, float scale);
    // The statistics of a completed render; `frame_ms` stands in for its GPU time when the device
    // has no timestamps. Sets the scale used while moving, for `frame_budget_ms`.
    void completed(const RenderStats& stats, bool overflowed, double frame_ms, float frame_budget_ms);
    // A window frame ended that showed a render at `scale` and took `frame_ms`.
    void count_frame(float scale, double frame_ms);

    bool has_render() const { return m_has_render; }
    bool overflowed() const { return m_last_overflowed; }
    const Camera& last_camera() const { return m_rendered_camera; }
    const RenderStats& stats() const { return m_stats; }
    uint64_t renders() const { return m_renders; }
    uint32_t render_width() const { return m_render_width; }
    uint32_t render_height() const { return m_render_height; }
    float render_scale() const { return m_render_scale; }
    float motion_scale() const { return m_motion_scale; }
    uint64_t motion_frames() const { return m_motion_frames; } // frames rendered smaller while moving
    double motion_seconds() const { return m_motion_seconds; }

private:
    bool m_dirty = true;
    bool m_has_render = false;
    Camera m_rendered_camera;
    RenderSettings m_rendered_settings;
    bool m_last_overflowed = false;
    double m_ms_per_pixel = 0.0;
    float m_motion_scale = 1.0f;
    Clock::time_point m_last_motion{};

    RenderStats m_stats;
    uint64_t m_renders = 0;
    uint32_t m_render_width = 0, m_render_height = 0;
    float m_render_scale = 1.0f;
    uint64_t m_motion_frames = 0;
    double m_motion_seconds = 0.0;
};

} // namespace splatscape::gui
