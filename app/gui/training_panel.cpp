// Training panel: the run's state, loss and PSNR curves, Gaussian count, and pause / resume /
// stop / checkpoint / snapshot. It only reads the trainer's messages and sends it commands.
#include <algorithm>

#include <GLFW/glfw3.h>
#include <imgui.h>

#include "app/gui/panels.hpp"

namespace splatscape::gui {
namespace {

void plot(const char* id, const char* name, const std::vector<float>& values, const std::vector<float>& iters,
          const char* unit) {
    if (values.empty()) {
        ImGui::TextDisabled("%s: no values yet", name);
        return;
    }
    const auto [lo, hi] = std::minmax_element(values.begin(), values.end());
    char overlay[96];
    std::snprintf(overlay, sizeof overlay, "%s %.4g%s at %.0f (%.3g .. %.3g)", name, values.back(), unit, iters.back(),
                  *lo, *hi);
    ImGui::PlotLines(id, values.data(), int(values.size()), 0, overlay, *lo, *hi > *lo ? *hi : *lo + 1e-6f,
                     ImVec2(ImGui::GetContentRegionAvail().x, 70.0f));
}

} // namespace

void draw_training_panel(const ViewerSnapshot& s, Commands& out) {
    if (!s.training) return;
    if (!ImGui::CollapsingHeader("Training", ImGuiTreeNodeFlags_DefaultOpen)) return;
    const TrainingMonitor& t = *s.training;
    const msg::Progress& p = t.progress();
    ImGui::Text("%s", to_string(t.state()).c_str());
    if (!t.started().backend.empty()) {
        ImGui::SameLine();
        ImGui::TextDisabled("on %s", t.started().backend.c_str());
    }
    const float fraction = p.iterations > 0 ? float(p.iteration) / float(p.iterations) : 0.0f;
    char bar[64];
    std::snprintf(bar, sizeof bar, "%d / %d", p.iteration, p.iterations);
    ImGui::ProgressBar(fraction, ImVec2(-1.0f, 0.0f), bar);
    ImGui::Text("%.1f it/s   %.0f s   %zu Gaussians", p.iterations_per_second, p.elapsed_seconds, p.gaussians);

    plot("##loss", "loss", t.loss(), t.loss_iterations(), "");
    plot("##psnr", "PSNR", t.psnr(), t.psnr_iterations(), " dB");

    const bool live = !t.done() && t.state() != TrainingState::Starting;
    ImGui::BeginDisabled(!live);
    if (t.state() == TrainingState::Paused) {
        if (ImGui::Button("Resume")) out.push_back(command::Train{TrainerCommand::Resume});
    } else if (ImGui::Button("Pause")) {
        out.push_back(command::Train{TrainerCommand::Pause});
    }
    ImGui::SameLine();
    if (ImGui::Button("Stop")) out.push_back(command::Train{TrainerCommand::Stop});
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("stops after writing a checkpoint; continue with train --resume");
    ImGui::SameLine();
    if (ImGui::Button("Checkpoint")) out.push_back(command::Train{TrainerCommand::SaveCheckpoint});
    ImGui::EndDisabled();
    ImGui::SameLine();
    ImGui::BeginDisabled(s.snapshot_saving || t.last_snapshot_iteration() < 0);
    if (ImGui::Button("Save snapshot")) out.push_back(command::SaveSnapshot{});
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("writes the model shown now as a PLY in the run folder");
    ImGui::EndDisabled();
    if (!s.snapshot_saved.empty()) ImGui::TextWrapped("%s", s.snapshot_saved.c_str());
    if (t.state() == TrainingState::Failed) ImGui::TextColored({1.0f, 0.4f, 0.35f, 1.0f}, "%s", t.failure().c_str());
    if (ImGui::TreeNode("Log")) {
        ImGui::BeginChild("log", ImVec2(0.0f, 120.0f), true, ImGuiWindowFlags_HorizontalScrollbar);
        for (const std::string& line : t.log_lines()) ImGui::TextUnformatted(line.c_str());
        if (ImGui::GetScrollY() >= ImGui::GetScrollMaxY()) ImGui::SetScrollHereY(1.0f);
        ImGui::EndChild();
        ImGui::TreePop();
    }
}

void training_shortcuts(const TrainingMonitor& t, Commands& out) {
    if (ImGui::IsKeyPressed(GLFW_KEY_SPACE, false))
        out.push_back(
            command::Train{t.state() == TrainingState::Paused ? TrainerCommand::Resume : TrainerCommand::Pause});
}

} // namespace splatscape::gui
