#include "app/gui/tiled_scene_vk.hpp"

#include <algorithm>

#include <glm/geometric.hpp>

#include "app/gui/panels.hpp"
#include "core/log.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::gui {
namespace {

constexpr size_t kMessagesShown = 8;

// One colour per level, repeating (RGBA).
glm::vec4 level_colour(int level) {
    static const glm::vec4 colours[] = {{1.00f, 0.35f, 0.31f, 0.8f}, {1.00f, 0.71f, 0.24f, 0.8f},
                                        {0.94f, 0.94f, 0.31f, 0.8f}, {0.35f, 0.86f, 0.35f, 0.8f},
                                        {0.27f, 0.78f, 0.90f, 0.8f}, {0.43f, 0.47f, 1.00f, 0.8f},
                                        {0.86f, 0.43f, 0.94f, 0.8f}};
    return colours[size_t(level) % (sizeof(colours) / sizeof(colours[0]))];
}

} // namespace

TiledScene::TiledScene(const ScenePasses& passes, TileTree tree, const DrawOptions& options)
    : m_context(passes.context), m_renderer(passes.splats) {
    vk::StreamingOptions o;
    o.budget_splats = uint64_t(options.budget_splats);
    o.budget_bytes = uint64_t(options.budget_mb * 1048576.0);
    m_panel.levels = tree.depth();
    m_streamer = std::make_unique<vk::TileStreamer>(m_context, std::move(tree), o);
    // The tree's reading problems were reported with the scene's warnings; the panel lists them.
    m_panel.messages = m_streamer->take_messages();
    if (m_panel.messages.size() > kMessagesShown)
        m_panel.messages.erase(m_panel.messages.begin(), m_panel.messages.end() - kMessagesShown);
    m_panel.stats = m_streamer->stats();
    m_panel.pool_mb = float(double(m_panel.stats.pool_bytes) / 1048576.0);
    m_panel.settings.budget_mb = m_panel.pool_mb;
    m_panel.settings.budget_msplats = float(options.budget_splats / 1e6);
    m_panel.settings.tau = float(o.tau_px);
}

TiledScene::~TiledScene() {
    m_context.wait_idle(); // frames in flight may still read the page pool
}

void TiledScene::record(const DrawRequest& r) {
    // The frames that used this slot before have completed (the frame loop waited for them), as the
    // streamer's page table of the slot requires.
    const vk::GpuScene& scene = m_streamer->update(*r.camera, r.slot);
    std::string drawn;
    for (const DrawnTile& d : m_streamer->drawn()) drawn += std::to_string(d.tile) + (d.fade < 1.0f ? "f," : ",");
    m_changed = drawn != m_last_drawn;
    m_last_drawn = std::move(drawn);
    for (std::string& m : m_streamer->take_messages()) {
        log::warn(m);
        m_panel.messages.push_back(std::move(m));
        if (m_panel.messages.size() > kMessagesShown) m_panel.messages.erase(m_panel.messages.begin());
    }
    m_panel.stats = m_streamer->stats();
    m_renderer->prepare(scene, uint32_t(r.camera->width), uint32_t(r.camera->height));
    m_renderer->record(r.cmd, scene, *r.camera, *r.settings, r.target, r.timer, r.slot);
}

vk::FrameResult TiledScene::finish(uint32_t slot, const vk::TimestampQueries* timer) {
    return m_renderer->finish(slot, timer);
}

bool TiledScene::update(double) {
    return animating();
}

bool TiledScene::animating() const {
    // Tiles in flight, waiting for an upload or fading: the next render shows more.
    return m_changed || !m_streamer->stats().refined;
}

void TiledScene::draw_panels(const ViewerSnapshot&, Commands& out) const {
    draw_tiles_panel(m_panel, out);
}

void TiledScene::draw_overlay(const Camera& camera, const UiRect& rect) const {
    if (!m_panel.settings.show_boxes) return;
    const auto& nodes = m_streamer->tree().nodes;
    std::vector<OverlayBox> boxes;
    for (const DrawnTile& d : m_streamer->drawn()) {
        const TileNode& n = nodes[size_t(d.tile)];
        boxes.push_back({n.box.min, n.box.max, level_colour(n.level)});
    }
    // Edges behind this plane are clipped: a thousandth of the scene's size.
    const float near_z = 1e-3f * std::max(glm::length(nodes[0].box.size()), 1e-6f);
    draw_overlay_boxes(boxes, camera, rect, near_z);
}

bool TiledScene::apply(const std::any& payload) {
    const auto* c = std::any_cast<SetTileSettings>(&payload);
    if (!c) return false;
    m_panel.settings = c->settings;
    m_streamer->set_budget(uint64_t(double(c->settings.budget_msplats) * 1e6),
                           uint64_t(double(c->settings.budget_mb) * 1048576.0), c->settings.tau);
    m_changed = true;
    return true;
}

} // namespace splatscape::gui
