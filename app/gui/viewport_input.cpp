#include "app/gui/viewport_input.hpp"

#include <algorithm>

#include <GLFW/glfw3.h>
#include <imgui.h>

namespace splatscape::gui {

void ViewportInput::handle(const UiRect& area, float pixel_scale, int height_px, CameraController& camera,
                           Commands& shortcuts) {
    const ImGuiIO& io = ImGui::GetIO();
    const bool over = area.contains(io.MousePos.x, io.MousePos.y) && !io.WantCaptureMouse;
    if (m_drag == Drag::None && over) {
        if (ImGui::IsMouseClicked(ImGuiMouseButton_Left))
            m_drag = io.KeyShift ? Drag::Pan : Drag::Orbit;
        else if (ImGui::IsMouseClicked(ImGuiMouseButton_Right) || ImGui::IsMouseClicked(ImGuiMouseButton_Middle))
            m_drag = Drag::Pan;
    }
    if (m_drag != Drag::None) {
        const bool held = ImGui::IsMouseDown(ImGuiMouseButton_Left) || ImGui::IsMouseDown(ImGuiMouseButton_Right) ||
                          ImGui::IsMouseDown(ImGuiMouseButton_Middle);
        if (!held) {
            m_drag = Drag::None;
        } else if (io.MouseDelta.x != 0.0f || io.MouseDelta.y != 0.0f) {
            const float dx = io.MouseDelta.x * pixel_scale, dy = io.MouseDelta.y * pixel_scale;
            if (m_drag == Drag::Orbit)
                camera.orbit(dx, dy);
            else
                camera.pan(dx, dy, float(height_px));
        }
    }
    if (over && io.MouseWheel != 0.0f) camera.zoom(io.MouseWheel);

    if (ImGui::IsKeyPressed(GLFW_KEY_F1, false)) shortcuts.push_back(command::ToggleUi{});
    if (ImGui::IsKeyPressed(GLFW_KEY_F12, false)) shortcuts.push_back(command::Screenshot{"", false});
    if (io.WantCaptureKeyboard) return;
    if (ImGui::IsKeyPressed(GLFW_KEY_R, false)) shortcuts.push_back(command::ResetCamera{});
    glm::vec3 move{0.0f};
    if (ImGui::IsKeyDown(GLFW_KEY_W)) move.z += 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_S)) move.z -= 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_D)) move.x += 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_A)) move.x -= 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_E)) move.y += 1.0f;
    if (ImGui::IsKeyDown(GLFW_KEY_Q)) move.y -= 1.0f;
    if (move != glm::vec3(0.0f)) camera.fly(move * (io.KeyShift ? 4.0f : 1.0f), std::min(io.DeltaTime, 0.1f));
}

bool ViewportInput::flying() {
    const ImGuiIO& io = ImGui::GetIO();
    for (int key : {GLFW_KEY_W, GLFW_KEY_A, GLFW_KEY_S, GLFW_KEY_D, GLFW_KEY_Q, GLFW_KEY_E})
        if (io.KeysDown[key]) return true;
    return false;
}

bool ViewportInput::keyboard_free() {
    return !ImGui::GetIO().WantCaptureKeyboard;
}

} // namespace splatscape::gui
