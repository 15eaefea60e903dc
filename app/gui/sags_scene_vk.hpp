#pragma once
// A sags scene (structure-aware Gaussian splatting): the model's view-independent encoder output and
// its decoders on the GPU, decoded for the viewport's camera every frame by the compute pre-pass of
// renderer/sags_vk.hpp and drawn by the splat renderer, so view-dependent opacity and colour change
// as the camera moves. Besides the splat modes it draws the point skeleton (points), the skeleton
// with its k-nearest-neighbour graph as lines over the viewport (graph), and the skeleton coloured
// by curvature (curvature). Training runs show their sags snapshots through it.
#include <memory>
#include <vector>

#include "app/gui/drawn_scene_vk.hpp"
#include "core/sags_scene.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/sags_vk.hpp"
#include "renderer/splat_renderer_vk.hpp"

namespace splatscape::gui {

class SagsDecodedScene final : public DrawnScene {
public:
    SagsDecodedScene(const ScenePasses& passes, const std::shared_ptr<const SagsDecodeCache>& cache);
    ~SagsDecodedScene() override;
    SagsDecodedScene(const SagsDecodedScene&) = delete;
    SagsDecodedScene& operator=(const SagsDecodedScene&) = delete;

    // Replaces the model (a newer training snapshot). Waits for the frames in flight first.
    void set_cache(const std::shared_ptr<const SagsDecodeCache>& cache);

    std::string kind() const override { return "sags (decoded per view)"; }
    bool empty() const override { return !m_scene; }
    std::vector<RenderModeChoice> render_modes() const override;
    void record(const DrawRequest& request) override;
    vk::FrameResult finish(uint32_t slot, const vk::TimestampQueries* timer) override;
    void draw_overlay(const Camera& camera, const UiRect& rect) const override;

    // At most this many graph edges are drawn (those of evenly spaced points).
    static constexpr size_t kMaxGraphEdges = 40000;

private:
    vk::Context& m_context;
    std::shared_ptr<vk::SplatRenderer> m_renderer; // shared by the scenes of a window
    std::unique_ptr<vk::GpuSagsScene> m_scene;     // null: nothing to draw
    std::unique_ptr<vk::SagsDecodePass> m_decode;
    std::unique_ptr<vk::GpuScene> m_skeleton, m_curvature;
    std::vector<float> m_edges; // [2 S, 3]
    float m_near_z = 1e-3f;
    RenderMode m_last_mode = RenderMode::Color;
};

} // namespace splatscape::gui
