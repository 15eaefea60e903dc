#include "app/gui/tiled_scene_view.hpp"

#include <algorithm>

#include <imgui.h>

#include "app/gui/viewport_vk.hpp"
#include "core/log.hpp"

namespace splatscape::gui {
namespace {

// One colour per level, repeating.
ImU32 level_colour(int level) {
    static const ImU32 colours[] = {IM_COL32(255, 90, 80, 200),  IM_COL32(255, 180, 60, 200),
                                    IM_COL32(240, 240, 80, 200), IM_COL32(90, 220, 90, 200),
                                    IM_COL32(70, 200, 230, 200), IM_COL32(110, 120, 255, 200),
                                    IM_COL32(220, 110, 240, 200)};
    return colours[size_t(level) % (sizeof(colours) / sizeof(colours[0]))];
}

} // namespace

TiledSceneView::TiledSceneView(vk::Context& context, const std::filesystem::path& tileset, double budget_splats,
                               double budget_mb) {
    vk::StreamingOptions o;
    o.budget_splats = uint64_t(budget_splats);
    o.budget_bytes = uint64_t(budget_mb * 1048576.0);
    TileTree tree = read_tiled_scene(tileset);
    m_state.levels = tree.depth();
    m_streamer = std::make_unique<vk::TileStreamer>(context, std::move(tree), o);
    m_state.pool_mb = float(double(m_streamer->stats().pool_bytes) / 1048576.0);
    m_state.budget_mb = m_state.pool_mb;
    m_state.budget_msplats = float(budget_splats / 1e6);
    m_state.tau = float(o.tau_px);
}

bool TiledSceneView::busy() const {
    return m_changed || !m_streamer->stats().refined;
}

void TiledSceneView::update(const Camera& camera, uint32_t slot, ViewportRenderer& viewport) {
    m_streamer->update(camera, slot);
    viewport.set_streamed_scene(m_streamer->last_scene());
    std::string key;
    for (const DrawnTile& d : m_streamer->drawn()) key += std::to_string(d.tile) + (d.fade < 1.0f ? "f," : ",");
    m_changed = key != m_last_drawn;
    m_last_drawn = std::move(key);
    for (std::string& m : m_streamer->take_messages()) {
        log::warn(m);
        m_state.messages.push_back(std::move(m));
        if (m_state.messages.size() > 8) m_state.messages.erase(m_state.messages.begin());
    }
}

void TiledSceneView::panel() {
    m_state.stats = m_streamer->stats();
    if (draw_tiles_panel(m_state)) {
        m_streamer->set_budget(uint64_t(double(m_state.budget_msplats) * 1e6),
                               uint64_t(double(m_state.budget_mb) * 1048576.0), m_state.tau);
        m_changed = true;
    }
}

void TiledSceneView::draw_boxes(const Camera& camera, const UiRect& rect) const {
    if (!m_state.show_boxes || rect.width <= 0 || camera.width <= 0) return;
    ImDrawList* list = ImGui::GetBackgroundDrawList();
    const float sx = rect.width / float(camera.width), sy = rect.height / float(camera.height);
    const auto& nodes = m_streamer->tree().nodes;
    static const int edges[12][2] = {{0, 1}, {2, 3}, {4, 5}, {6, 7}, {0, 2}, {1, 3},
                                     {4, 6}, {5, 7}, {0, 4}, {1, 5}, {2, 6}, {3, 7}};
    list->PushClipRect({rect.x, rect.y}, {rect.x + rect.width, rect.y + rect.height}, true);
    for (const DrawnTile& d : m_streamer->drawn()) {
        const TileNode& n = nodes[size_t(d.tile)];
        glm::vec3 cam[8];
        for (int k = 0; k < 8; ++k) {
            const glm::vec3 w((k & 1) ? n.box.max.x : n.box.min.x, (k & 2) ? n.box.max.y : n.box.min.y,
                              (k & 4) ? n.box.max.z : n.box.min.z);
            cam[k] = camera.R * w + camera.t;
        }
        for (const auto& e : edges) {
            glm::vec3 a = cam[e[0]], b = cam[e[1]];
            const float near = 0.05f;
            if (a.z < near && b.z < near) continue;
            // Clip the edge at the near plane.
            if (a.z < near) a += (b - a) * ((near - a.z) / (b.z - a.z));
            if (b.z < near) b += (a - b) * ((near - b.z) / (a.z - b.z));
            const ImVec2 pa{rect.x + sx * (camera.fx * a.x / a.z + camera.cx),
                            rect.y + sy * (camera.fy * a.y / a.z + camera.cy)};
            const ImVec2 pb{rect.x + sx * (camera.fx * b.x / b.z + camera.cx),
                            rect.y + sy * (camera.fy * b.y / b.z + camera.cy)};
            list->AddLine(pa, pb, level_colour(n.level), 1.0f);
        }
    }
    list->PopClipRect();
}

} // namespace splatscape::gui
