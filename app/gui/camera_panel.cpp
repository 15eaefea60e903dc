// Camera panel: where the camera is, the mouse and key bindings, reset, world up, snapping to a
// dataset view and the ground truth beside the render.
#include <algorithm>
#include <cmath>

#include <imgui.h>

#include "app/gui/panels.hpp"

namespace splatscape::gui {

void draw_camera_panel(const ViewerSnapshot& s, PanelInputs& in, Commands& out) {
    if (!ImGui::CollapsingHeader("Camera", ImGuiTreeNodeFlags_DefaultOpen)) return;
    ImGui::Text("position %.3f %.3f %.3f", s.position.x, s.position.y, s.position.z);
    ImGui::Text("pivot    %.3f %.3f %.3f", s.pivot.x, s.pivot.y, s.pivot.z);
    if (ImGui::Button("Reset (R)")) out.push_back(command::ResetCamera{});
    ImGui::SameLine();
    // World up: the six axes; the current one is found by the nearest.
    constexpr const char* kUpNames[] = {"+x", "-x", "+y", "-y", "+z", "-z"};
    const glm::vec3 kUps[] = {{1, 0, 0}, {-1, 0, 0}, {0, 1, 0}, {0, -1, 0}, {0, 0, 1}, {0, 0, -1}};
    int up = 0;
    float best = -2.0f;
    for (int i = 0; i < 6; ++i) {
        const float d = kUps[i].x * s.up.x + kUps[i].y * s.up.y + kUps[i].z * s.up.z;
        if (d > best) {
            best = d;
            up = i;
        }
    }
    const bool axis_aligned = best > 0.999f;
    ImGui::SetNextItemWidth(70.0f);
    if (ImGui::Combo(axis_aligned ? "up" : "up (from cameras)", &up, kUpNames, 6))
        out.push_back(command::SetUp{kUps[up]});
    if (ImGui::TreeNode("Controls")) {
        ImGui::TextDisabled("left drag: orbit    right/middle drag: pan");
        ImGui::TextDisabled("wheel: zoom    W A S D: fly    Q E: down / up");
        ImGui::TextDisabled("shift: faster    F12: screenshot    F1: hide panels");
        ImGui::TreePop();
    }
    if (!s.scene || s.scene->views.empty()) {
        ImGui::TextDisabled("no dataset cameras");
        return;
    }
    const auto& views = s.scene->views;
    in.selected_view = std::clamp(in.selected_view, 0, int(views.size()) - 1);
    ImGui::SetNextItemWidth(-1.0f);
    if (ImGui::BeginCombo("##view", views[size_t(in.selected_view)].label.c_str())) {
        for (int i = 0; i < int(views.size()); ++i) {
            if (ImGui::Selectable(views[size_t(i)].label.c_str(), i == in.selected_view)) {
                in.selected_view = i;
                out.push_back(command::SnapToView{i});
            }
        }
        ImGui::EndCombo();
    }
    if (ImGui::Button("Go to view")) out.push_back(command::SnapToView{in.selected_view});
    ImGui::SameLine();
    if (ImGui::ArrowButton("##prev", ImGuiDir_Left)) {
        in.selected_view = (in.selected_view + int(views.size()) - 1) % int(views.size());
        out.push_back(command::SnapToView{in.selected_view});
    }
    ImGui::SameLine();
    if (ImGui::ArrowButton("##next", ImGuiDir_Right)) {
        in.selected_view = (in.selected_view + 1) % int(views.size());
        out.push_back(command::SnapToView{in.selected_view});
    }
    bool compare = s.compare;
    if (ImGui::Checkbox("ground truth beside the render", &compare)) {
        if (compare && s.snapped_view < 0) out.push_back(command::SnapToView{in.selected_view});
        out.push_back(command::SetCompare{compare});
    }
    if (s.snapped_view >= 0)
        ImGui::TextDisabled("at %s", views[size_t(std::min<int>(s.snapped_view, int(views.size()) - 1))].label.c_str());
    else if (s.compare)
        ImGui::TextDisabled("the camera left the view: go to a view to compare");
    if (s.reference_loading) ImGui::TextDisabled("loading the photo ...");
    if (!s.reference_error.empty()) ImGui::TextColored({1.0f, 0.4f, 0.35f, 1.0f}, "%s", s.reference_error.c_str());
}

} // namespace splatscape::gui
