#pragma once
// 4D Gaussian scenes (gs4d) in the Vulkan renderer: the 4D parameters in GPU buffers, and a compute
// pre-pass (shaders/slice4d.comp) that slices them at a time into a 3D scene with precomputed
// covariances, which SplatRenderer then draws like any other scene. The math is that of
// training/kernels/slice4d.hpp and sh4d.hpp, so a slice renders as the CPU slice does.
//
//   vk::GpuScene4d scene(context, cloud4d);
//   vk::Slice4dPass slice(context);
//   // each frame, inside one command buffer:
//   slice.record(cmd, scene, time, 0.05f);
//   renderer.record(cmd, scene.sliced(), camera, settings, ...);
#include <cstdint>
#include <optional>

#include "core/gaussian_cloud_4d.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/pipeline_vk.hpp"

namespace splatscape::vk {

class Context;

class GpuScene4d {
public:
    // Validates and uploads; the slice buffers are sized for every Gaussian.
    GpuScene4d(Context& context, const GaussianCloud4d& cloud);
    GpuScene4d(const GpuScene4d&) = delete;
    GpuScene4d& operator=(const GpuScene4d&) = delete;

    uint32_t size() const { return m_count; }
    int sh_degree() const { return m_sh_degree; }
    int sh_degree_t() const { return m_sh_degree_t; }
    float time_min() const { return m_time_min; }
    float time_max() const { return m_time_max; }
    float time_period() const { return m_time_period; }
    // The 3D scene the last recorded slice writes.
    const GpuScene& sliced() const { return *m_sliced; }
    VkDeviceSize bytes() const;
    // What the slice writes: vec4 (mean, opacity logit) [N], float [N, 6] covariances (xx = -1:
    // left out), float [N, (sh_degree + 1)^2, 3] SH.
    const Buffer& slice_means_opacity() const { return m_out_means_opacity; }
    const Buffer& slice_covariances() const { return m_out_covariances; }
    const Buffer& slice_sh() const { return m_out_sh; }

private:
    friend class Slice4dPass;
    uint32_t m_count = 0;
    int m_sh_degree = 0, m_sh_degree_t = 0;
    float m_time_min = 0, m_time_max = 1, m_time_period = 1;
    Buffer m_means;      // vec4 [N]: x y z t
    Buffer m_log_scales; // vec4 [N]
    Buffer m_rot_l;      // vec4 [N]
    Buffer m_rot_r;      // vec4 [N]
    Buffer m_opacities;  // float [N]
    Buffer m_sh;         // float [N, K * (sh_degree_t + 1), 3]
    Buffer m_out_means_opacity, m_out_covariances, m_out_sh;
    std::optional<GpuScene> m_sliced; // the buffers above, as the splat renderer reads a scene
};

class Slice4dPass {
public:
    explicit Slice4dPass(Context& context);
    // Records the slice of `scene` at `time` into scene.sliced(), then a barrier. Gaussians whose
    // marginal in t is below `min_weight` are left out (gs4d's min_temporal_weight).
    void record(VkCommandBuffer cmd, const GpuScene4d& scene, float time, float min_weight);

private:
    ComputePipeline m_pipeline;
    Buffer m_params; // Slice4dParams
};

} // namespace splatscape::vk
