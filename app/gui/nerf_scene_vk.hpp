#pragma once
// A NeRF (hmohe: a hash-grid gate, hash-grid experts, a colour head and an occupancy grid) drawn by
// the Vulkan compute ray marcher of renderer/nerf_vk.hpp: colour, depth, or each pixel in the
// colour of the expert carrying most of its weight (experts, with the legend in its NeRF panel).
// The viewport's render planner makes the renders smaller while the camera moves and renders at
// full size when it stops, as for every kind. Training runs show their hmohe snapshots through it.
#include <memory>
#include <vector>

#include "app/gui/drawn_scene_vk.hpp"
#include "core/nerf_scene.hpp"
#include "renderer/nerf_vk.hpp"

namespace splatscape::gui {

// What the NeRF panel shows (nerf_panel.cpp).
struct NerfPanelState {
    int experts = 0;
    size_t parameters = 0;
    double occupied = 0.0; // fraction of the occupancy grid's cells
    int cascades = 0;
    int resolution = 0;
    RenderMode mode = RenderMode::Color; // of the last render
    uint64_t samples = 0;                // network evaluations of the last render
    uint64_t pixels = 0;                 // its pixels
};

class NerfMarchedScene final : public DrawnScene {
public:
    NerfMarchedScene(const ScenePasses& passes, const std::shared_ptr<const NerfScene>& scene);
    ~NerfMarchedScene() override;
    NerfMarchedScene(const NerfMarchedScene&) = delete;
    NerfMarchedScene& operator=(const NerfMarchedScene&) = delete;

    // Replaces the model (a newer training snapshot). Waits for the frames in flight first.
    void set_scene(const std::shared_ptr<const NerfScene>& scene);

    std::string kind() const override { return "NeRF (hmohe, ray-marched)"; }
    bool empty() const override { return !m_scene; }
    std::vector<RenderModeChoice> render_modes() const override;
    bool splat_settings() const override { return false; }
    void record(const DrawRequest& request) override;
    vk::FrameResult finish(uint32_t slot, const vk::TimestampQueries* timer) override;
    void draw_panels(const ViewerSnapshot& snapshot, Commands& out) const override;

private:
    vk::Context& m_context;
    std::unique_ptr<vk::GpuNerfScene> m_scene; // null: nothing to draw
    std::unique_ptr<vk::NerfRenderer> m_renderer;
    NerfPanelState m_panel;
    RenderMode m_recorded_mode[vk::NerfRenderer::kFrameSlots] = {};
    uint64_t m_recorded_pixels[vk::NerfRenderer::kFrameSlots] = {};
};

} // namespace splatscape::gui
