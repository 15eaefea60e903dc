// Tiles panel (tiled scenes, contributed by TiledScene): the budgets and the error a person can set,
// the drawn tiles' boxes on or off, and what is drawn, resident and requested.
#include <imgui.h>

#include "app/gui/panels.hpp"
#include "app/gui/tiled_scene_vk.hpp"

namespace splatscape::gui {

void draw_tiles_panel(const TilesPanelState& s, Commands& out) {
    if (!ImGui::CollapsingHeader("Tiles", ImGuiTreeNodeFlags_DefaultOpen)) return;
    const vk::StreamingStats& t = s.stats;
    TileSettings set = s.settings;
    bool changed = false;
    ImGui::Text("%zu tiles in %d levels", t.tiles, s.levels);
    changed |= ImGui::SliderFloat("splat budget (M)", &set.budget_msplats, 0.0f, 100.0f,
                                  set.budget_msplats > 0 ? "%.2f" : "no limit", ImGuiSliderFlags_Logarithmic);
    changed |= ImGui::SliderFloat("memory (MiB)", &set.budget_mb, 1.0f, s.pool_mb, "%.0f");
    changed |= ImGui::SliderFloat("error (px)", &set.tau, 0.25f, 32.0f, "%.2f", ImGuiSliderFlags_Logarithmic);
    changed |= ImGui::Checkbox("tile boxes (colour = level)", &set.show_boxes);
    ImGui::Text("drawn %zu tiles, %.2f M splats", t.drawn_tiles, double(t.drawn_splats) / 1e6);
    ImGui::Text("resident %zu tiles, %.2f M splats", t.resident_tiles, double(t.resident_splats) / 1e6);
    ImGui::Text("memory %.1f of %.1f MiB (pool %.1f MiB)", double(t.resident_bytes) / 1048576.0,
                double(t.budget_bytes) / 1048576.0, double(t.pool_bytes) / 1048576.0);
    ImGui::Text("requested %zu, failed %zu, read %llu tiles (%.1f MB)", t.loading_tiles, t.failed_tiles,
                (unsigned long long)t.loaded_total, double(t.bytes_read) / 1e6);
    ImGui::TextColored(t.refined ? ImVec4(0.5f, 0.9f, 0.5f, 1.0f) : ImVec4(0.95f, 0.8f, 0.4f, 1.0f), "%s",
                       t.refined ? "fully refined" : "refining...");
    for (const std::string& m : s.messages) ImGui::TextColored({1.0f, 0.5f, 0.4f, 1.0f}, "%s", m.c_str());
    if (changed) out.push_back(command::SceneCommand{SetTileSettings{set}});
}

} // namespace splatscape::gui
