// The sidebar: the panels in their order, in one fixed window at the left edge. The scene kind's
// own panels (DrawnScene::draw_panels) come after the Scene panel.
#include <imgui.h>

#include "app/gui/drawn_scene_vk.hpp"
#include "app/gui/panels.hpp"

namespace splatscape::gui {

void draw_sidebar(const ViewerSnapshot& s, float width, PanelInputs& in, Commands& out) {
    const ImGuiIO& io = ImGui::GetIO();
    ImGui::SetNextWindowPos({0.0f, 0.0f});
    ImGui::SetNextWindowSize({width, io.DisplaySize.y});
    const ImGuiWindowFlags flags = ImGuiWindowFlags_NoMove | ImGuiWindowFlags_NoResize | ImGuiWindowFlags_NoCollapse |
                                   ImGuiWindowFlags_NoTitleBar | ImGuiWindowFlags_NoBringToFrontOnFocus;
    if (ImGui::Begin("Splatscape", nullptr, flags)) {
        draw_training_panel(s, out);
        draw_scene_panel(s, in, out);
        if (s.drawn) s.drawn->draw_panels(s, out);
        draw_view_panel(s, out);
        draw_camera_panel(s, in, out);
        draw_stats_panel(s);
        draw_camera_path_panel(s, in, out);
        draw_screenshot_panel(s, in, out);
    }
    ImGui::End();
}

} // namespace splatscape::gui
