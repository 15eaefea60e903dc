// Camera-path editor: keyframes from the current view, their times, a preview, and the JSON file
// that `splatscape render --camera-path` reads.
#include <string>

#include <imgui.h>

#include "app/gui/panels.hpp"

namespace splatscape::gui {
namespace {

// "Render video": the path at the frame size and fps above, into an .mp4 or .webm, in the background.
void draw_video_controls(const ViewerSnapshot& s, size_t frames, PanelInputs& in, Commands& out) {
    const VideoStatus& v = s.video;
    ImGui::SetNextItemWidth(-1.0f);
    ImGui::BeginDisabled(v.running);
    ImGui::InputTextWithHint("##video_file", "camera_path.mp4", in.video_file.data(), in.video_file.size());
    ImGui::EndDisabled();
    if (v.running) {
        const float fraction = v.total > 0 ? float(v.done) / float(v.total) : 0.0f;
        const std::string label = std::to_string(v.done) + " / " + std::to_string(v.total) + " frames";
        ImGui::ProgressBar(fraction, ImVec2(-70.0f, 0.0f), label.c_str());
        ImGui::SameLine();
        if (ImGui::Button("Cancel")) out.push_back(command::PathCancelVideo{});
    } else {
        const bool unavailable = !s.video_unavailable.empty();
        ImGui::BeginDisabled(unavailable || frames == 0);
        if (ImGui::Button("Render video")) out.push_back(command::PathRenderVideo{in.video_file.data()});
        ImGui::EndDisabled();
        if (ImGui::IsItemHovered(ImGuiHoveredFlags_AllowWhenDisabled)) {
            if (unavailable)
                ImGui::SetTooltip("%s", s.video_unavailable.c_str());
            else if (frames == 0)
                ImGui::SetTooltip("add keyframes first");
            else
                ImGui::SetTooltip("%zu frames of %dx%d at %g fps through ffmpeg (.mp4: H.264, .webm: VP9), "
                                  "as `splatscape render --camera-path FILE.json -o FILE.mp4`",
                                  frames, s.path->width, s.path->height, s.path->fps);
        }
    }
    if (!v.message.empty()) {
        if (v.failed) ImGui::PushStyleColor(ImGuiCol_Text, ImVec4(1.0f, 0.4f, 0.35f, 1.0f));
        ImGui::TextWrapped("%s", v.message.c_str());
        if (v.failed) ImGui::PopStyleColor();
    }
}

} // namespace

void draw_camera_path_panel(const ViewerSnapshot& s, PanelInputs& in, Commands& out) {
    if (!ImGui::CollapsingHeader("Camera path") || !s.path) return;
    const CameraPathModel& path = *s.path;
    if (ImGui::Button("Add keyframe")) out.push_back(command::PathAddKey{});
    if (ImGui::IsItemHovered()) ImGui::SetTooltip("the current view, one second after the last key");
    ImGui::SameLine();
    ImGui::BeginDisabled(path.empty());
    if (ImGui::Button(s.previewing ? "Stop preview" : "Preview")) out.push_back(command::PathPreview{!s.previewing});
    ImGui::SameLine();
    if (ImGui::Button("Clear")) out.push_back(command::PathClear{});
    ImGui::EndDisabled();
    if (s.previewing) ImGui::Text("%.2f / %.2f s", s.preview_time, path.duration());

    const auto& keys = path.keys();
    if (!keys.empty() &&
        ImGui::BeginTable(
            "keys", 3, ImGuiTableFlags_SizingFixedFit | ImGuiTableFlags_RowBg | ImGuiTableFlags_ScrollY,
            ImVec2(0.0f, std::min(6.5f, float(keys.size()) + 1.5f) * ImGui::GetFrameHeightWithSpacing()))) {
        ImGui::TableSetupColumn("#");
        ImGui::TableSetupColumn("t (s)");
        ImGui::TableSetupColumn("");
        ImGui::TableHeadersRow();
        for (size_t i = 0; i < keys.size(); ++i) {
            ImGui::PushID(int(i));
            ImGui::TableNextRow();
            ImGui::TableNextColumn();
            if (ImGui::Selectable(std::to_string(i).c_str(), in.selected_key == int(i))) {
                in.selected_key = int(i);
                out.push_back(command::PathGoTo{i});
            }
            ImGui::TableNextColumn();
            float t = keys[i].t;
            ImGui::SetNextItemWidth(70.0f);
            if (ImGui::DragFloat("##t", &t, 0.02f, 0.0f, 0.0f, "%.2f")) out.push_back(command::PathSetTime{i, t});
            ImGui::TableNextColumn();
            if (ImGui::SmallButton("set")) out.push_back(command::PathUpdateKey{i});
            if (ImGui::IsItemHovered()) ImGui::SetTooltip("move this key to the current view");
            ImGui::SameLine();
            if (ImGui::SmallButton("del")) out.push_back(command::PathRemoveKey{i});
            ImGui::PopID();
        }
        ImGui::EndTable();
    }

    command::PathSettings settings{path.width, path.height, path.fps, path.smooth};
    bool changed = false;
    int size[2] = {settings.width, settings.height};
    ImGui::SetNextItemWidth(140.0f);
    if (ImGui::InputInt2("frame size", size)) {
        settings.width = std::clamp(size[0], 1, 16384);
        settings.height = std::clamp(size[1], 1, 16384);
        changed = true;
    }
    float fps = float(settings.fps);
    ImGui::SetNextItemWidth(140.0f);
    if (ImGui::DragFloat("fps", &fps, 0.5f, 1.0f, 240.0f, "%.1f")) {
        settings.fps = std::clamp(double(fps), 1.0, 240.0);
        changed = true;
    }
    changed |= ImGui::Checkbox("smooth", &settings.smooth);
    if (changed) out.push_back(settings);

    ImGui::SetNextItemWidth(-1.0f);
    ImGui::InputTextWithHint("##path_file", "camera_path.json", in.path_file.data(), in.path_file.size());
    ImGui::BeginDisabled(path.empty());
    if (ImGui::Button("Save")) out.push_back(command::PathSave{in.path_file.data()});
    ImGui::EndDisabled();
    ImGui::SameLine();
    if (ImGui::Button("Load")) out.push_back(command::PathLoad{in.path_file.data()});
    if (!s.path_message.empty()) ImGui::TextWrapped("%s", s.path_message.c_str());
    const size_t frames = s.path_frames ? s.path_frames->size() : 0;
    if (!path.empty())
        ImGui::TextDisabled("%zu keys, %.1f s, %zu frames at %g fps", keys.size(), path.duration(), frames, path.fps);
    draw_video_controls(s, frames, in, out);
}

} // namespace splatscape::gui
