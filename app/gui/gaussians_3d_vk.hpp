#pragma once
// The 3D Gaussian scene: a GaussianCloud uploaded once (a scene file, a run, a dataset's points, a
// training snapshot), or Gaussians in buffers owned elsewhere (the zero-copy live view of CUDA
// training, app/session/live_view.hpp), drawn by the splat renderer.
#include <memory>

#include "app/gui/drawn_scene_vk.hpp"
#include "core/gaussian_cloud.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/splat_renderer_vk.hpp"

namespace splatscape::gui {

class Gaussians3dScene final : public DrawnScene {
public:
    // `cloud` may be null or empty (nothing drawn until set_cloud).
    Gaussians3dScene(const ScenePasses& passes, const std::shared_ptr<const GaussianCloud>& cloud);
    ~Gaussians3dScene() override;
    Gaussians3dScene(const Gaussians3dScene&) = delete;
    Gaussians3dScene& operator=(const Gaussians3dScene&) = delete;

    // Replaces the Gaussians. Waits for the frames in flight that read the old ones first.
    void set_cloud(const std::shared_ptr<const GaussianCloud>& cloud);
    // Draws Gaussians from buffers owned elsewhere. Waits for frames in flight first, as set_cloud
    // does, which the live view's fence scheme relies on (the previous buffers go back to training).
    void set_external(const vk::GpuScene::External& scene);

    std::string kind() const override { return "3D Gaussians"; }
    bool empty() const override { return !m_scene; }
    void record(const DrawRequest& request) override;
    vk::FrameResult finish(uint32_t slot, const vk::TimestampQueries* timer) override;

private:
    vk::Context& m_context;
    std::shared_ptr<vk::SplatRenderer> m_renderer; // shared by the scenes of a window
    std::unique_ptr<vk::GpuScene> m_scene;         // null: nothing to draw
};

} // namespace splatscape::gui
