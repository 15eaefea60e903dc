#pragma once
// NeRF scenes (hmohe: a hash-grid gate routing each sample to one of several hash-grid experts, a
// shared colour head, an occupancy grid; core/nerf_scene.hpp) in the Vulkan renderer: the hash
// tables, the MLP weights and the occupancy bits in GPU buffers, and a compute ray marcher that
// renders a camera in passes: shaders/nerf_rays.comp sets up every pixel's ray and lists those that
// cross the grid; rounds of shaders/nerf_march.comp march the listed rays through the occupancy
// cascades, evaluate the networks at each sample and composite front to back, each round listing the
// rays that go on (early termination at the transmittance threshold, as RayMarchOps::accumulate),
// with shaders/nerf_dispatch.comp sizing the next round on the GPU (indirect dispatch: no read-back,
// and rounds left without rays cost nothing); shaders/nerf_resolve.comp turns each ray's state into
// the pixel HmoheNetwork::render gives and shaders/nerf_compose.comp into the mode's 8-bit picture.
// The math is training/kernels/nerf_march.hpp, hash_grid.hpp, mlp.hpp and sh_encoding.hpp with the
// compositing of HmoheNetwork::render, step for step, so a frame matches the CPU render
// (tests/renderer/test_nerf_vk.cpp): the same sample positions, hashes and activations.
//
//   vk::GpuNerfScene scene(context, nerf);
//   vk::NerfRenderer renderer(context);
//   renderer.prepare(scene, width, height, settings.mode);
//   renderer.record(cmd, scene, camera, settings, &target, &timer, slot);  // settings.mode: Color,
//   ...                                                                   // Depth or Experts
//   vk::FrameResult r = renderer.finish(slot, &timer);                   // once the frame completed
//
// Rounds rather than one loop per pixel: CPU drivers (llvmpipe, lavapipe) end every loop of a
// shader invocation once its loops together ran 65,535 iterations, which one ray's samples exceed;
// a round there takes as many samples as the networks' loops allow (NerfFrameParams::round_samples).
// Differences from the CPU render, both rare: a ray stops after exactly max_samples samples (the
// CPU's rounds may take a few more before they look), and the GPU's exp, division and square root
// may differ from the CPU's in the last bit.
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "core/camera.hpp"
#include "core/nerf_scene.hpp"
#include "renderer/render_settings.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/pipeline_vk.hpp"

namespace splatscape::vk {

class Context;
class TimestampQueries;

// Checks that `scene` is consistent (layouts against their data, widths against each other) and
// within what the ray marcher holds (at most 32 experts, 32 levels a grid, 9 layers and 128 values a
// layer, 8 cascades) and that every buffer fits `max_buffer_bytes`; throws Error(where, field,
// expected) otherwise.
void check_nerf_scene(const NerfScene& scene, VkDeviceSize max_buffer_bytes, const std::string& where);

class GpuNerfScene {
public:
    // Validates (check_nerf_scene with the device's buffer limit) and uploads.
    GpuNerfScene(Context& context, const NerfScene& scene, const std::string& where = "NeRF scene");
    GpuNerfScene(const GpuNerfScene&) = delete;
    GpuNerfScene& operator=(const GpuNerfScene&) = delete;

    int experts() const { return m_experts; }
    size_t parameters() const { return m_parameters; }
    VkDeviceSize bytes() const;
    // Loop iterations of the marching shader per sample (with the colour head, and without it), for
    // the rounds' size on CPU drivers.
    uint32_t sample_loops(bool colour) const { return colour ? m_sample_loops_colour : m_sample_loops; }

private:
    friend class NerfRenderer;
    int m_experts = 0;
    size_t m_parameters = 0;
    // What each frame's parameters take from the scene (the sampling space and the layouts' widths).
    glm::vec3 m_centre{0.0f};
    float m_scale = 1.0f;
    int m_cascades = 1, m_resolution = 128, m_max_samples = 1024;
    float m_min_step = 0.0f, m_max_step = 0.0f, m_cone_angle = 0.0f, m_stop_transmittance = 1e-4f;
    int m_geometry_features = 0, m_sh_degree = 0, m_appearance_dims = 0;
    uint32_t m_appearance_offset = 0;
    uint32_t m_sample_loops = 0, m_sample_loops_colour = 0;
    std::vector<glm::vec3> m_expert_colours;
    std::vector<Buffer> m_tables; // [1 + E]: the gate's hash table, then each expert's
    Buffer m_grids, m_nets, m_weights, m_occupancy;
};

class NerfRenderer {
public:
    static constexpr uint32_t kFrameSlots = SplatRenderer::kFrameSlots;

    explicit NerfRenderer(Context& context);

    // Sizes the per-pixel buffers for `scene` at width x height in `mode` (the experts mode keeps a
    // weight per expert and pixel). Waits for the device before it frees buffers a frame may use.
    void prepare(const GpuNerfScene& scene, uint32_t width, uint32_t height, RenderMode mode);
    // Records one frame of `scene` from `camera` (pinhole; the image size is prepare()'s) in
    // settings.mode: Color (the default for modes it does not draw), Depth or Experts, over
    // settings.background. The picture goes into `target` when given; `slot` (< kFrameSlots) selects
    // where the frame's counters are read back. Throws Error on a CPU driver when one sample's
    // network loops alone exceed its loop limit (networks far larger than hmohe's).
    void record(VkCommandBuffer cmd, const GpuNerfScene& scene, const Camera& camera, const RenderSettings& settings,
                const RenderTarget* target, TimestampQueries* timer, uint32_t slot = 0);
    // The counters of the frame recorded with `slot`, once it completed: samples (network
    // evaluations), pixels hit (visible), the depth range, the scene's parameters (gaussians: 0),
    // rays the rounds did not finish (unfinished: 0 unless too few were recorded).
    FrameResult finish(uint32_t slot = 0, const TimestampQueries* timer = nullptr);

    uint32_t width() const { return m_width; }
    uint32_t height() const { return m_height; }
    // Marching rounds the last recorded frame holds, and the samples a round takes per ray.
    uint32_t rounds() const { return m_rounds; }
    uint32_t round_samples() const { return m_round_samples; }
    // Per pixel of the last frame, row-major: gpu::NerfPixel (colour and opacity, depth, expert).
    const Buffer& pixel_buffer() const { return m_pixels; }
    // Packed 8-bit pixels of the last frame.
    const Buffer& display_buffer() const { return m_display; }
    VkDeviceSize bytes() const;

private:
    Context& m_context;
    ComputePipeline m_rays_pass, m_march_pass, m_dispatch_pass, m_resolve_pass, m_compose_pass;
    uint32_t m_width = 0, m_height = 0;
    uint32_t m_rounds = 0, m_round_samples = 0;
    Buffer m_params, m_counters, m_dispatch;
    Buffer m_pixels, m_display, m_rays, m_lists, m_expert_weights;
    std::array<Buffer, kFrameSlots> m_readback;
    std::array<bool, kFrameSlots> m_recorded{};
    std::array<size_t, kFrameSlots> m_parameters{};
};

} // namespace splatscape::vk
