// Scene panel: open by path, recent files, drag-and-drop hint, and what is open.
#include <imgui.h>

#include "app/gui/panels.hpp"

namespace splatscape::gui {

void draw_scene_panel(const ViewerSnapshot& s, PanelInputs& in, Commands& out) {
    if (!ImGui::CollapsingHeader("Scene", ImGuiTreeNodeFlags_DefaultOpen)) return;
    if (s.can_open) {
        ImGui::SetNextItemWidth(-60.0f);
        const bool enter =
            ImGui::InputTextWithHint("##scene_path", "run folder, scene file or dataset", in.scene_path.data(),
                                     in.scene_path.size(), ImGuiInputTextFlags_EnterReturnsTrue);
        ImGui::SameLine();
        if ((ImGui::Button("Open") || enter) && in.scene_path[0] != '\0')
            out.push_back(command::OpenScene{in.scene_path.data()});
        ImGui::TextDisabled("or drop a file or folder onto the window");
        if (s.recent && !s.recent->empty() && ImGui::TreeNode("Recent")) {
            for (const std::string& item : *s.recent) {
                ImGui::PushID(item.c_str());
                if (ImGui::SmallButton("x")) out.push_back(command::ForgetRecent{item});
                ImGui::SameLine();
                if (ImGui::Selectable(item.c_str(), s.scene && s.scene->path.string() == item))
                    out.push_back(command::OpenScene{item});
                if (ImGui::IsItemHovered()) ImGui::SetTooltip("%s", item.c_str());
                ImGui::PopID();
            }
            ImGui::TreePop();
        }
    }
    if (s.loading) ImGui::TextColored({1.0f, 0.85f, 0.3f, 1.0f}, "loading %s ...", s.loading_what.c_str());
    if (!s.error.empty()) ImGui::TextColored({1.0f, 0.4f, 0.35f, 1.0f}, "%s", s.error.c_str());
    if (!s.scene) {
        ImGui::TextDisabled("nothing open");
        return;
    }
    if (ImGui::BeginTable("scene_info", 2)) {
        ImGui::TableSetupColumn("what", ImGuiTableColumnFlags_WidthFixed);
        ImGui::TableSetupColumn("value", ImGuiTableColumnFlags_WidthStretch);
        for (const auto& [label, value] : s.scene->info) {
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            ImGui::TextDisabled("%s", label.c_str());
            ImGui::TableNextColumn();
            ImGui::TextWrapped("%s", value.c_str());
        }
        ImGui::EndTable();
    }
    for (const std::string& w : s.scene->warnings) ImGui::TextColored({1.0f, 0.7f, 0.3f, 1.0f}, "%s", w.c_str());
}

} // namespace splatscape::gui
