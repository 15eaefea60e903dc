#pragma once
// The 4D Gaussian scene (gs4d): its 4D parameters on the GPU, sliced at the time shown by a compute
// pre-pass (renderer/slice4d_vk.hpp) before each render, then drawn by the splat renderer. The
// time and its playback are this kind's: it contributes the Time panel (time_panel.cpp) and the
// space key, and applies their SetTime commands.
#include <memory>

#include "app/gui/drawn_scene_vk.hpp"
#include "app/gui/time_controls.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "renderer/slice4d_vk.hpp"
#include "renderer/splat_renderer_vk.hpp"

namespace splatscape::gui {

class Gaussians4dScene final : public DrawnScene {
public:
    // Gaussians whose marginal in t is below `min_weight` are left out of a slice (the run's
    // min_temporal_weight). The time starts at the beginning of the cloud's range, paused.
    Gaussians4dScene(const ScenePasses& passes, const std::shared_ptr<const GaussianCloud4d>& cloud, float min_weight);
    ~Gaussians4dScene() override;
    Gaussians4dScene(const Gaussians4dScene&) = delete;
    Gaussians4dScene& operator=(const Gaussians4dScene&) = delete;

    const TimeControls& time() const { return m_time; }

    std::string kind() const override { return "4D Gaussians"; }
    bool empty() const override { return !m_scene; }
    void record(const DrawRequest& request) override;
    vk::FrameResult finish(uint32_t slot, const vk::TimestampQueries* timer) override;
    bool update(double seconds) override { return m_time.advance(seconds); }
    bool animating() const override { return m_time.playing; }
    void draw_panels(const ViewerSnapshot& snapshot, Commands& out) const override;
    void shortcuts(Commands& out) const override;
    bool apply(const std::any& payload) override;

private:
    vk::Context& m_context;
    std::shared_ptr<vk::SplatRenderer> m_renderer; // shared by the scenes of a window
    std::unique_ptr<vk::GpuScene4d> m_scene;       // null: nothing to draw
    std::unique_ptr<vk::Slice4dPass> m_slice;
    float m_min_weight = 0.05f;
    TimeControls m_time;
};

} // namespace splatscape::gui
