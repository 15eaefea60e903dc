// View panel: render mode (the scene kind's modes), SH degree, background, splat scale, field of
// view and how to render.
#include <algorithm>
#include <vector>

#include <imgui.h>

#include "app/gui/panels.hpp"

namespace splatscape::gui {

void draw_view_panel(const ViewerSnapshot& s, Commands& out) {
    if (!ImGui::CollapsingHeader("View", ImGuiTreeNodeFlags_DefaultOpen)) return;
    ViewSettings v = s.view;
    bool changed = false;

    const std::vector<RenderModeChoice>& modes = s.render_modes;
    int mode = 0;
    for (int i = 0; i < int(modes.size()); ++i)
        if (modes[size_t(i)].mode == v.render.mode) mode = i;
    const auto label = [](void* data, int i, const char** text) {
        *text = static_cast<const RenderModeChoice*>(data)[i].label;
        return true;
    };
    if (!modes.empty() &&
        ImGui::Combo("mode", &mode, +label, const_cast<RenderModeChoice*>(modes.data()), int(modes.size()))) {
        v.render.mode = modes[size_t(std::clamp(mode, 0, int(modes.size()) - 1))].mode;
        changed = true;
    }
    if (s.splat_settings) {
        const int max_degree = std::max(s.scene_sh_degree, 0);
        int degree = std::min(v.render.sh_degree, max_degree);
        if (max_degree > 0) {
            if (ImGui::SliderInt("SH degree", &degree, 0, max_degree)) {
                v.render.sh_degree = degree;
                changed = true;
            }
        } else {
            ImGui::TextDisabled("SH degree 0 (the scene has no higher bands)");
        }
    }
    float bg[3] = {v.render.background.x, v.render.background.y, v.render.background.z};
    if (ImGui::ColorEdit3("background", bg)) {
        v.render.background = {bg[0], bg[1], bg[2]};
        changed = true;
    }
    if (s.splat_settings)
        changed |= ImGui::SliderFloat("splat scale", &v.render.scale_modifier, 0.01f, 2.0f, "%.2f",
                                      ImGuiSliderFlags_Logarithmic);
    changed |= ImGui::SliderFloat("field of view", &v.fov_y, 10.0f, 120.0f, "%.0f deg");
    if (s.splat_settings) {
        changed |= ImGui::Checkbox("antialiased", &v.render.antialiased);
        if (ImGui::IsItemHovered())
            ImGui::SetTooltip("opacity compensation of the low-pass filter (Mip-Splatting style)");
        if (v.render.mode == RenderMode::Centers)
            changed |= ImGui::SliderInt("dot radius", &v.render.center_radius, 0, 8);
    }
    changed |= ImGui::Checkbox("dataset cameras", &v.show_cameras);
    ImGui::SameLine();
    changed |= ImGui::Checkbox("camera path", &v.show_path);
    changed |= ImGui::Checkbox("lower resolution while moving", &v.adaptive_resolution);
    if (v.adaptive_resolution)
        changed |= ImGui::SliderFloat("frame budget", &v.frame_budget_ms, 8.0f, 200.0f, "%.0f ms");
    changed |= ImGui::Checkbox("render every frame", &v.continuous);
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("otherwise the scene is rendered only when something changed");
    if (changed) out.push_back(command::SetView{v});
}

} // namespace splatscape::gui
