#include "app/gui/gaussians_3d_vk.hpp"

#include "renderer/vk/context_vk.hpp"

namespace splatscape::gui {

Gaussians3dScene::Gaussians3dScene(const ScenePasses& passes, const std::shared_ptr<const GaussianCloud>& cloud)
    : m_context(passes.context), m_renderer(passes.splats) {
    if (cloud && cloud->size() > 0) m_scene = std::make_unique<vk::GpuScene>(m_context, *cloud);
}

Gaussians3dScene::~Gaussians3dScene() {
    m_context.wait_idle(); // frames in flight may still read the scene
}

void Gaussians3dScene::set_cloud(const std::shared_ptr<const GaussianCloud>& cloud) {
    m_context.wait_idle();
    m_scene.reset();
    if (cloud && cloud->size() > 0) m_scene = std::make_unique<vk::GpuScene>(m_context, *cloud);
    content_changed();
}

void Gaussians3dScene::set_external(const vk::GpuScene::External& scene) {
    m_context.wait_idle(); // no frame in flight reads the previous buffers after this
    m_scene = scene.count ? std::make_unique<vk::GpuScene>(scene) : nullptr;
    content_changed();
}

void Gaussians3dScene::record(const DrawRequest& r) {
    m_renderer->prepare(*m_scene, uint32_t(r.camera->width), uint32_t(r.camera->height));
    m_renderer->record(r.cmd, *m_scene, *r.camera, *r.settings, r.target, r.timer, r.slot);
}

vk::FrameResult Gaussians3dScene::finish(uint32_t slot, const vk::TimestampQueries* timer) {
    return m_renderer->finish(slot, timer);
}

} // namespace splatscape::gui
