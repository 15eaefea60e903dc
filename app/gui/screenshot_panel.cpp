// Screenshot panel: the render alone (at full resolution) or the whole window, as PNG.
#include <imgui.h>

#include "app/gui/panels.hpp"

namespace splatscape::gui {

void draw_screenshot_panel(const ViewerSnapshot& s, PanelInputs& in, Commands& out) {
    if (!ImGui::CollapsingHeader("Screenshot")) return;
    ImGui::SetNextItemWidth(-1.0f);
    ImGui::InputTextWithHint("##shot", "file.png (empty: screenshot_N.png here)", in.screenshot_path.data(),
                             in.screenshot_path.size());
    if (ImGui::Button("Save render (F12)")) out.push_back(command::Screenshot{in.screenshot_path.data(), false});
    if (s.window_capture) {
        ImGui::SameLine();
        if (ImGui::Button("Save window")) out.push_back(command::Screenshot{in.screenshot_path.data(), true});
    }
    if (!s.last_screenshot.empty()) ImGui::TextWrapped("saved %s", s.last_screenshot.c_str());
}

} // namespace splatscape::gui
