#include "app/gui/nerf_scene_vk.hpp"

#include "app/gui/panels.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::gui {

NerfMarchedScene::NerfMarchedScene(const ScenePasses& passes, const std::shared_ptr<const NerfScene>& scene)
    : m_context(passes.context) {
    set_scene(scene);
}

NerfMarchedScene::~NerfMarchedScene() {
    m_context.wait_idle(); // frames in flight may still read the scene
}

void NerfMarchedScene::set_scene(const std::shared_ptr<const NerfScene>& scene) {
    m_context.wait_idle();
    m_scene.reset();
    if (scene) {
        const NerfScene& s = *scene;
        m_scene = std::make_unique<vk::GpuNerfScene>(m_context, s);
        if (!m_renderer) m_renderer = std::make_unique<vk::NerfRenderer>(m_context);
        m_panel.experts = s.experts();
        m_panel.parameters = s.parameter_count();
        m_panel.cascades = s.cascades;
        m_panel.resolution = s.resolution;
        const double cells = double(s.cascades) * double(s.resolution) * double(s.resolution) * double(s.resolution);
        m_panel.occupied = double(s.occupied_cells()) / cells;
    }
    content_changed();
}

std::vector<RenderModeChoice> NerfMarchedScene::render_modes() const {
    return {{RenderMode::Color, "colour"}, {RenderMode::Depth, "depth"}, {RenderMode::Experts, "experts"}};
}

void NerfMarchedScene::record(const DrawRequest& r) {
    m_renderer->prepare(*m_scene, uint32_t(r.camera->width), uint32_t(r.camera->height), r.settings->mode);
    m_renderer->record(r.cmd, *m_scene, *r.camera, *r.settings, r.target, r.timer, r.slot);
    m_recorded_mode[r.slot % vk::NerfRenderer::kFrameSlots] = r.settings->mode;
    m_recorded_pixels[r.slot % vk::NerfRenderer::kFrameSlots] = uint64_t(r.camera->width) * uint64_t(r.camera->height);
}

vk::FrameResult NerfMarchedScene::finish(uint32_t slot, const vk::TimestampQueries* timer) {
    vk::FrameResult result = m_renderer->finish(slot, timer);
    m_panel.mode = m_recorded_mode[slot % vk::NerfRenderer::kFrameSlots];
    m_panel.samples = result.stats.samples;
    m_panel.pixels = m_recorded_pixels[slot % vk::NerfRenderer::kFrameSlots];
    return result;
}

void NerfMarchedScene::draw_panels(const ViewerSnapshot&, Commands&) const {
    draw_nerf_panel(m_panel);
}

} // namespace splatscape::gui
