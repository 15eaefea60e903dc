#include "app/gui/render_planner.hpp"

#include <algorithm>
#include <cmath>

namespace splatscape::gui {
namespace {

bool same_camera(const Camera& a, const Camera& b) {
    return a.width == b.width && a.height == b.height && a.fx == b.fx && a.fy == b.fy && a.cx == b.cx && a.cy == b.cy &&
           a.R == b.R && a.t == b.t;
}

bool same_settings(const RenderSettings& a, const RenderSettings& b) {
    return a.mode == b.mode && a.sh_degree == b.sh_degree && a.background == b.background &&
           a.scale_modifier == b.scale_modifier && a.antialiased == b.antialiased && a.center_radius == b.center_radius;
}

} // namespace

bool RenderPlanner::recently_moved(Clock::time_point now, double margin) const {
    return std::chrono::duration<double>(now - m_last_motion).count() < kMotionHold + margin;
}

float RenderPlanner::scale(bool moving, const ViewSettings& view) const {
    return moving && view.adaptive_resolution ? m_motion_scale : 1.0f;
}

bool RenderPlanner::needs_render(const Camera& camera, const ViewSettings& view) const {
    return m_dirty || view.continuous || !m_has_render || !same_camera(camera, m_rendered_camera) ||
           !same_settings(view.render, m_rendered_settings) || m_last_overflowed;
}

void RenderPlanner::rendered(const Camera& camera, const RenderSettings& settings, float scale) {
    m_has_render = true;
    m_rendered_camera = camera;
    m_rendered_settings = settings;
    m_dirty = false;
    m_last_overflowed = false;
    ++m_renders;
    m_render_width = uint32_t(camera.width);
    m_render_height = uint32_t(camera.height);
    m_render_scale = scale;
}

void RenderPlanner::completed(const RenderStats& stats, bool overflowed, double frame_ms, float frame_budget_ms) {
    m_stats = stats;
    m_last_overflowed = overflowed;
    const double pixels = double(m_render_width) * double(m_render_height);
    // Without timestamps, the frame time stands in (frames in flight wait for the device).
    const double ms = stats.gpu_ms > 0.0 ? stats.gpu_ms : frame_ms;
    if (pixels > 0.0 && ms > 0.0) {
        m_ms_per_pixel = ms / pixels;
        // While moving, render as large as fits the frame budget (rasterising scales with pixels).
        const double full = m_ms_per_pixel * double(std::max(m_render_width, 1u)) / std::max(m_render_scale, 0.05f) *
                            double(std::max(m_render_height, 1u)) / std::max(m_render_scale, 0.05f);
        const double s = std::sqrt(double(frame_budget_ms) / std::max(full, 1e-6));
        m_motion_scale = float(std::clamp(std::floor(s * 20.0) / 20.0, 0.2, 1.0));
    }
}

void RenderPlanner::count_frame(float scale, double frame_ms) {
    if (scale < 1.0f) {
        ++m_motion_frames;
        m_motion_seconds += 1e-3 * frame_ms;
    }
}

} // namespace splatscape::gui
