// NeRF panel (contributed by NerfMarchedScene): the model's experts and occupancy, the samples the
// last render took, and in the experts mode the colour of each expert.
#include <imgui.h>

#include "app/gui/nerf_scene_vk.hpp"
#include "app/gui/panels.hpp"
#include "core/error.hpp"

namespace splatscape::gui {

void draw_nerf_panel(const NerfPanelState& s) {
    if (!ImGui::CollapsingHeader("NeRF", ImGuiTreeNodeFlags_DefaultOpen)) return;
    ImGui::Text("%d experts, %.2f M parameters", s.experts, double(s.parameters) / 1e6);
    ImGui::Text("occupancy %d x %d^3 cells, %.1f%% occupied", s.cascades, s.resolution, 100.0 * s.occupied);
    if (s.pixels > 0) ImGui::Text("last render: %.1f samples per pixel", double(s.samples) / double(s.pixels));
    if (s.mode != RenderMode::Experts) {
        ImGui::TextDisabled("view mode \"experts\" colours each pixel by its expert");
        return;
    }
    for (int e = 0; e < s.experts; ++e) {
        const glm::vec3 c = nerf_expert_colour(e, s.experts);
        ImGui::ColorButton(cat("##expert", e).c_str(), ImVec4(c.x, c.y, c.z, 1.0f),
                           ImGuiColorEditFlags_NoTooltip | ImGuiColorEditFlags_NoPicker, ImVec2(14.0f, 14.0f));
        ImGui::SameLine();
        ImGui::Text("expert %d", e);
        if (e % 4 != 3 && e + 1 < s.experts) ImGui::SameLine(0.0f, 16.0f);
    }
    ImGui::TextDisabled("pixels with opacity <= 0.5 show the background");
}

} // namespace splatscape::gui
