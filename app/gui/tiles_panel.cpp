// Tiles panel (tiled scenes): the budgets a person can set, and what is resident, requested and drawn.
#include <imgui.h>

#include "app/gui/tiled_scene_view.hpp"

namespace splatscape::gui {

bool draw_tiles_panel(TilesPanelState& s) {
    if (!ImGui::CollapsingHeader("Tiles", ImGuiTreeNodeFlags_DefaultOpen)) return false;
    const vk::StreamingStats& t = s.stats;
    bool changed = false;
    ImGui::Text("%zu tiles in %d levels", t.tiles, s.levels);
    changed |= ImGui::SliderFloat("splat budget (M)", &s.budget_msplats, 0.0f, 100.0f,
                                  s.budget_msplats > 0 ? "%.2f" : "no limit", ImGuiSliderFlags_Logarithmic);
    changed |= ImGui::SliderFloat("memory (MiB)", &s.budget_mb, 1.0f, s.pool_mb, "%.0f");
    changed |= ImGui::SliderFloat("error (px)", &s.tau, 0.25f, 32.0f, "%.2f", ImGuiSliderFlags_Logarithmic);
    ImGui::Checkbox("tile boxes (colour = level)", &s.show_boxes);
    ImGui::Text("drawn %zu tiles, %.2f M splats", t.drawn_tiles, double(t.drawn_splats) / 1e6);
    ImGui::Text("resident %zu tiles, %.2f M splats", t.resident_tiles, double(t.resident_splats) / 1e6);
    ImGui::Text("memory %.1f of %.1f MiB (pool %.1f MiB)", double(t.resident_bytes) / 1048576.0,
                double(t.budget_bytes) / 1048576.0, double(t.pool_bytes) / 1048576.0);
    ImGui::Text("requested %zu, failed %zu, read %llu tiles (%.1f MB)", t.loading_tiles, t.failed_tiles,
                (unsigned long long)t.loaded_total, double(t.bytes_read) / 1e6);
    ImGui::TextColored(t.refined ? ImVec4(0.5f, 0.9f, 0.5f, 1.0f) : ImVec4(0.95f, 0.8f, 0.4f, 1.0f), "%s",
                       t.refined ? "fully refined" : "refining...");
    for (const std::string& m : s.messages) ImGui::TextColored({1.0f, 0.5f, 0.4f, 1.0f}, "%s", m.c_str());
    return changed;
}

} // namespace splatscape::gui
