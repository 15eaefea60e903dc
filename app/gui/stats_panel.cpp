// Stats panel: frame rate, GPU time per pass, visible Gaussians, memory.
#include <imgui.h>

#include "app/gui/panels.hpp"

namespace splatscape::gui {
namespace {

double mib(uint64_t bytes) {
    return double(bytes) / (1024.0 * 1024.0);
}

} // namespace

void draw_stats_panel(const ViewerSnapshot& s) {
    if (!ImGui::CollapsingHeader("Stats", ImGuiTreeNodeFlags_DefaultOpen)) return;
    const FrameTiming& t = s.timing;
    const RenderStats& r = t.stats;
    ImGui::Text("%.1f FPS (%.1f ms per window frame)", t.fps, t.frame_ms);
    if (t.render_width > 0)
        ImGui::Text("render %ux%u (%.0f%% of the viewport)", t.render_width, t.render_height, 100.0 * t.render_scale);
    if (!r.passes.empty()) {
        ImGui::Text("GPU %.2f ms per render", r.gpu_ms);
        if (ImGui::BeginTable("passes", 2, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg)) {
            for (const PassTiming& p : r.passes) {
                ImGui::TableNextRow();
                ImGui::TableNextColumn();
                ImGui::TextUnformatted(p.pass.c_str());
                ImGui::TableNextColumn();
                ImGui::Text("%8.3f ms", p.ms);
            }
            ImGui::EndTable();
        }
    } else if (t.renders > 0) {
        ImGui::TextDisabled("no GPU timestamps on this device");
    }
    if (r.parameters > 0) {
        // A ray-marched NeRF.
        ImGui::Text("samples %llu, pixels hit %llu", (unsigned long long)r.samples, (unsigned long long)r.visible);
    } else {
        ImGui::Text("visible %llu of %llu Gaussians", (unsigned long long)r.visible, (unsigned long long)r.gaussians);
        ImGui::Text("tile pairs %llu, busiest tile %u", (unsigned long long)r.instances, r.max_tile_count);
    }
    ImGui::Text("GPU memory %.1f MiB (device %.0f MiB)", mib(s.gpu_memory_bytes), mib(s.device_local_bytes));
    ImGui::TextDisabled("%s", s.device.c_str());
    if (s.validation) {
        if (s.validation_errors == 0)
            ImGui::TextDisabled("validation layer on, no errors");
        else
            ImGui::TextColored({1.0f, 0.4f, 0.35f, 1.0f}, "validation layer: %u errors", s.validation_errors);
    }
}

} // namespace splatscape::gui
