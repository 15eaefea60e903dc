// Time panel (4D scenes, contributed by Gaussians4dScene): the scene time with a slider, play /
// pause, speed and loop; space plays and pauses.
#include <imgui.h>

#include <GLFW/glfw3.h>

#include "app/gui/panels.hpp"

namespace splatscape::gui {

void draw_time_panel(const TimeControls& shown, Commands& out) {
    if (!ImGui::CollapsingHeader("Time", ImGuiTreeNodeFlags_DefaultOpen)) return;
    TimeControls t = shown;
    bool changed = false;
    if (ImGui::Button(t.playing ? "pause" : "play", ImVec2(60.0f, 0.0f))) {
        if (!t.playing && t.time >= t.time_max && !t.loop) t.time = t.time_min; // replay from the start
        t.playing = !t.playing;
        changed = true;
    }
    ImGui::SameLine();
    float time = t.time;
    if (ImGui::SliderFloat("time", &time, t.time_min, t.time_max, "%.3f")) {
        t.set_time(time);
        changed = true;
    }
    constexpr float kSpeeds[] = {0.25f, 0.5f, 1.0f, 2.0f, 4.0f};
    constexpr const char* kSpeedNames[] = {"0.25x", "0.5x", "1x", "2x", "4x"};
    int speed = 2;
    for (int i = 0; i < 5; ++i)
        if (kSpeeds[i] == t.speed) speed = i;
    ImGui::SetNextItemWidth(80.0f);
    if (ImGui::Combo("speed", &speed, kSpeedNames, IM_ARRAYSIZE(kSpeedNames))) {
        t.speed = kSpeeds[speed];
        changed = true;
    }
    if (ImGui::IsItemHovered())
        ImGui::SetTooltip("1x plays the scene's time range in %.0f seconds", TimeControls::kPlaySeconds);
    ImGui::SameLine();
    changed |= ImGui::Checkbox("loop", &t.loop);
    ImGui::TextDisabled("time range %.3f .. %.3f (space: play / pause)", t.time_min, t.time_max);
    if (changed) out.push_back(command::SceneCommand{SetTime{t}});
}

void time_shortcuts(const TimeControls& shown, Commands& out) {
    if (!ImGui::IsKeyPressed(GLFW_KEY_SPACE, false)) return;
    TimeControls t = shown;
    t.playing = !t.playing;
    out.push_back(command::SceneCommand{SetTime{t}});
}

} // namespace splatscape::gui
