#pragma once
// sags scenes in the Vulkan renderer: the view-independent encoder output of every point and the
// decoder networks in GPU buffers (core/sags_scene.hpp SagsDecodeCache), and a compute pre-pass
// that decodes every point's Gaussian for the frame's camera (shaders/sags_global.comp: the points
// in view and their global feature; shaders/sags_decode.comp: the decoders and the composition),
// so view-dependent opacity and colour change live as the camera moves. SplatRenderer then draws
// the decoded scene like any other. The math is training/kernels/sags.hpp and mlp.hpp, so a frame
// renders as the CPU decode and rasterizer do (tests/renderer/test_sags_vk.cpp).
//
//   vk::GpuSagsScene scene(context, cache);
//   vk::SagsDecodePass decode(context);
//   // each frame, inside one command buffer:
//   decode.record(cmd, scene, camera);
//   renderer.record(cmd, scene.decoded(), camera, settings, ...);
#include <cstdint>
#include <optional>

#include "core/camera.hpp"
#include "core/sags_scene.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/pipeline_vk.hpp"

namespace splatscape::vk {

class Context;

class GpuSagsScene {
public:
    // Validates (sizes, and widths within the decode pass's limits: decoder inputs <= 160, hidden
    // <= 64, local features <= 64; an Error names the field) and uploads.
    GpuSagsScene(Context& context, const SagsDecodeCache& cache);
    GpuSagsScene(const GpuSagsScene&) = delete;
    GpuSagsScene& operator=(const GpuSagsScene&) = delete;

    uint32_t size() const { return m_count; }
    // The Gaussians the last recorded decode wrote (SH degree 0, precomputed covariances).
    const GpuScene& decoded() const { return *m_decoded; }
    VkDeviceSize bytes() const;

private:
    friend class SagsDecodePass;
    uint32_t m_count = 0;
    uint32_t m_hash_width = 0, m_feature_dim = 0;
    uint32_t m_net_offset[4] = {};
    SagsNetwork m_nets[4]; // widths only (parameters are in m_weights)
    Buffer m_points, m_scales, m_encoded, m_affine, m_weights, m_global_bits, m_visible;
    Buffer m_out_means_opacity, m_out_covariances, m_out_sh;
    Buffer m_frames; // empty without point frames
    std::optional<GpuScene> m_decoded;
};

class SagsDecodePass {
public:
    explicit SagsDecodePass(Context& context);
    // Records the decode of `scene` for `camera` into scene.decoded(), then a barrier.
    void record(VkCommandBuffer cmd, const GpuSagsScene& scene, const Camera& camera);

    // kern::sags_in_view's margin and near plane, as training decodes.
    static constexpr float kViewMargin = 0.15f;
    static constexpr float kNearZ = 0.01f;

private:
    ComputePipeline m_global, m_decode;
    Buffer m_params; // SagsDecodeParams
};

} // namespace splatscape::vk
