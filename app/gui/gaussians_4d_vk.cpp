#include "app/gui/gaussians_4d_vk.hpp"

#include "app/gui/panels.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::gui {

Gaussians4dScene::Gaussians4dScene(const ScenePasses& passes, const std::shared_ptr<const GaussianCloud4d>& cloud,
                                   float min_weight)
    : m_context(passes.context), m_renderer(passes.splats), m_min_weight(min_weight) {
    if (cloud && cloud->size() > 0) {
        m_scene = std::make_unique<vk::GpuScene4d>(m_context, *cloud);
        m_slice = std::make_unique<vk::Slice4dPass>(m_context);
    }
    if (cloud) m_time.set_range(cloud->time_min, cloud->time_max);
}

Gaussians4dScene::~Gaussians4dScene() {
    m_context.wait_idle(); // frames in flight may still read the scene
}

void Gaussians4dScene::record(const DrawRequest& r) {
    const vk::GpuScene& sliced = m_scene->sliced();
    m_renderer->prepare(sliced, uint32_t(r.camera->width), uint32_t(r.camera->height));
    RenderSettings settings = *r.settings;
    settings.time = m_time.time;
    m_slice->record(r.cmd, *m_scene, settings.time, m_min_weight);
    m_renderer->record(r.cmd, sliced, *r.camera, settings, r.target, r.timer, r.slot);
}

vk::FrameResult Gaussians4dScene::finish(uint32_t slot, const vk::TimestampQueries* timer) {
    return m_renderer->finish(slot, timer);
}

void Gaussians4dScene::draw_panels(const ViewerSnapshot&, Commands& out) const {
    draw_time_panel(m_time, out);
}

void Gaussians4dScene::shortcuts(Commands& out) const {
    time_shortcuts(m_time, out);
}

bool Gaussians4dScene::apply(const std::any& payload) {
    const auto* c = std::any_cast<SetTime>(&payload);
    if (!c) return false;
    m_time = c->controls;
    return true;
}

} // namespace splatscape::gui
