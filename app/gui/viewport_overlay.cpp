// Lines over the viewport: the dataset cameras as frusta and the camera path, projected with the
// camera that rendered the viewport (Dear ImGui's background draw list, under the panels).
#include <algorithm>
#include <cmath>

#include <glm/geometric.hpp>
#include <imgui.h>

#include "app/gui/camera_controller.hpp"
#include "app/gui/panels.hpp"

namespace splatscape::gui {
namespace {

struct Projector {
    const Camera& camera;
    UiRect rect;
    float near_z;

    ImVec2 to_screen(glm::vec3 c) const {
        const float u = camera.fx * c.x / c.z + camera.cx, v = camera.fy * c.y / c.z + camera.cy;
        return {rect.x + u * rect.width / float(camera.width), rect.y + v * rect.height / float(camera.height)};
    }
    // Draws the world segment a-b, clipped to the near plane.
    void line(ImDrawList* dl, glm::vec3 a, glm::vec3 b, ImU32 color, float thickness) const {
        glm::vec3 ca = camera.R * a + camera.t, cb = camera.R * b + camera.t;
        if (ca.z < near_z && cb.z < near_z) return;
        if (ca.z < near_z) ca = ca + (cb - ca) * ((near_z - ca.z) / (cb.z - ca.z));
        if (cb.z < near_z) cb = cb + (ca - cb) * ((near_z - cb.z) / (ca.z - cb.z));
        ImVec2 pa = to_screen(ca), pb = to_screen(cb);
        // Points near the camera plane project very far out; clipped here, the line keeps its
        // precision (the draw list's own clipping is only a scissor).
        if (clip(pa, pb)) dl->AddLine(pa, pb, color, thickness);
    }
    // Liang-Barsky: trims a-b to the rectangle (grown by a pixel); false when nothing is left.
    bool clip(ImVec2& a, ImVec2& b) const {
        const float x0 = rect.x - 1.0f, y0 = rect.y - 1.0f, x1 = rect.x + rect.width + 1.0f,
                    y1 = rect.y + rect.height + 1.0f;
        const float dx = b.x - a.x, dy = b.y - a.y;
        float t0 = 0.0f, t1 = 1.0f;
        const float p[4] = {-dx, dx, -dy, dy}, q[4] = {a.x - x0, x1 - a.x, a.y - y0, y1 - a.y};
        for (int i = 0; i < 4; ++i) {
            if (p[i] == 0.0f) {
                if (q[i] < 0.0f) return false;
                continue;
            }
            const float t = q[i] / p[i];
            if (p[i] < 0.0f)
                t0 = std::max(t0, t);
            else
                t1 = std::min(t1, t);
            if (t0 > t1) return false;
        }
        const ImVec2 start = a;
        a = {start.x + t0 * dx, start.y + t0 * dy};
        b = {start.x + t1 * dx, start.y + t1 * dy};
        return true;
    }
};

// A camera's pyramid `depth` world units deep, with a tick on its top edge so that up is visible.
void frustum(ImDrawList* dl, const Projector& p, const Camera& c, float depth, ImU32 color, float thickness) {
    const glm::mat4 c2w = c.camera_to_world();
    auto world = [&](float u, float v) {
        const glm::vec3 local{(u - c.cx) / c.fx * depth, (v - c.cy) / c.fy * depth, depth};
        return glm::vec3(c2w * glm::vec4(local, 1.0f));
    };
    const glm::vec3 o = c.center();
    const float w = float(c.width), h = float(c.height);
    const glm::vec3 corners[4] = {world(0, 0), world(w, 0), world(w, h), world(0, h)};
    for (int i = 0; i < 4; ++i) {
        p.line(dl, o, corners[i], color, thickness);
        p.line(dl, corners[i], corners[(i + 1) % 4], color, thickness);
    }
    const glm::vec3 tick = world(0.5f * w, -0.25f * h);
    p.line(dl, corners[0], tick, color, thickness);
    p.line(dl, tick, corners[1], color, thickness);
}

} // namespace

void draw_viewport_overlays(const ViewerSnapshot& s, const Camera& camera, const UiRect& rect) {
    if (camera.width <= 0 || camera.height <= 0 || rect.width <= 0 || rect.height <= 0) return;
    ImDrawList* dl = ImGui::GetBackgroundDrawList();
    dl->PushClipRect({rect.x, rect.y}, {rect.x + rect.width, rect.y + rect.height}, true);
    const float depth = 0.06f * s.scene_radius;
    const Projector p{camera, rect, 1e-4f * s.scene_radius};
    if (s.view.show_cameras && s.scene) {
        const glm::vec3 eye = camera.center();
        for (size_t i = 0; i < s.scene->views.size(); ++i) {
            // Not the camera being looked through (snapped to, or started at).
            const Camera& c = s.scene->views[i].frame.camera;
            if (int(i) == s.snapped_view || glm::length(c.center() - eye) < 1e-4f * s.scene_radius) continue;
            const bool test = s.scene->views[i].label.rfind("test", 0) == 0;
            const ImU32 color = test ? IM_COL32(255, 140, 60, 200) : IM_COL32(90, 170, 255, 170);
            frustum(dl, p, c, depth, color, 1.0f);
        }
    }
    if (s.view.show_path && s.path && !s.previewing) {
        const ImU32 key_color = IM_COL32(255, 220, 60, 230);
        for (const PathKey& k : s.path->keys()) {
            const int w = s.path->width, h = s.path->height;
            const float f = focal_for_fov(k.fov_y, h);
            const Camera c = Camera::from_camera_to_world(k.camera_to_world(), w, h, f, f, 0.5f * w, 0.5f * h);
            frustum(dl, p, c, depth, key_color, 1.5f);
        }
        if (s.path_frames)
            for (size_t i = 1; i < s.path_frames->size(); ++i)
                p.line(dl, (*s.path_frames)[i - 1].camera.center(), (*s.path_frames)[i].camera.center(), key_color,
                       1.0f);
    }
    dl->PopClipRect();
}

void draw_overlay_boxes(const std::vector<OverlayBox>& boxes, const Camera& camera, const UiRect& rect, float near_z) {
    if (boxes.empty() || camera.width <= 0 || camera.height <= 0 || rect.width <= 0 || rect.height <= 0) return;
    ImDrawList* dl = ImGui::GetBackgroundDrawList();
    dl->PushClipRect({rect.x, rect.y}, {rect.x + rect.width, rect.y + rect.height}, true);
    const Projector p{camera, rect, near_z};
    // Corner k has bit 0: max x, bit 1: max y, bit 2: max z; the edges join corners one bit apart.
    static const int kEdges[12][2] = {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3},
                                      {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};
    for (const OverlayBox& b : boxes) {
        glm::vec3 corner[8];
        for (int k = 0; k < 8; ++k)
            corner[k] = {(k & 1) ? b.max.x : b.min.x, (k & 2) ? b.max.y : b.min.y, (k & 4) ? b.max.z : b.min.z};
        const ImU32 colour = ImGui::ColorConvertFloat4ToU32({b.colour.x, b.colour.y, b.colour.z, b.colour.w});
        for (const auto& e : kEdges) p.line(dl, corner[e[0]], corner[e[1]], colour, 1.0f);
    }
    dl->PopClipRect();
}

void draw_segments_overlay(const std::vector<float>& ends, const Camera& camera, const UiRect& rect, float near_z,
                           uint32_t rgba) {
    if (camera.width <= 0 || camera.height <= 0 || rect.width <= 0 || rect.height <= 0) return;
    ImDrawList* dl = ImGui::GetBackgroundDrawList();
    dl->PushClipRect({rect.x, rect.y}, {rect.x + rect.width, rect.y + rect.height}, true);
    const Projector p{camera, rect, near_z};
    const ImU32 color = IM_COL32(rgba >> 24, (rgba >> 16) & 255u, (rgba >> 8) & 255u, rgba & 255u);
    for (size_t s = 0; s + 6 <= ends.size(); s += 6)
        p.line(dl, {ends[s], ends[s + 1], ends[s + 2]}, {ends[s + 3], ends[s + 4], ends[s + 5]}, color, 1.0f);
    dl->PopClipRect();
}

} // namespace splatscape::gui
