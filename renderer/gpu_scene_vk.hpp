#pragma once
// A GaussianCloud in GPU buffers, laid out for the preprocess pass: means with the opacity logit
// and log-scales as vec4 rows, quaternions as stored (w x y z), SH coefficients as stored.
#include <cstddef>
#include <cstdint>

#include "core/gaussian_cloud.hpp"
#include "renderer/vk/memory_vk.hpp"

namespace splatscape::vk {

class Context;

class GpuScene {
public:
    // Validates the counts (throws Error naming the limit a scene exceeds) and uploads.
    GpuScene(Context& context, const GaussianCloud& cloud);

    // Largest scene this renderer indexes with 32-bit offsets.
    static constexpr size_t kMaxGaussians = size_t(1) << 30;

    uint32_t size() const { return m_count; }
    int sh_degree() const { return m_sh_degree; }
    uint32_t sh_stride() const { return uint32_t(sh_coeff_count(m_sh_degree)); }
    VkDeviceAddress means_opacity() const { return m_means_opacity.address(); }
    VkDeviceAddress log_scales() const { return m_log_scales.address(); }
    VkDeviceAddress rotations() const { return m_rotations.address(); }
    VkDeviceAddress sh() const { return m_sh.address(); }
    VkDeviceSize bytes() const;

private:
    uint32_t m_count = 0;
    int m_sh_degree = 0;
    Buffer m_means_opacity; // vec4 [N]
    Buffer m_log_scales;    // vec4 [N]
    Buffer m_rotations;     // vec4 [N]
    Buffer m_sh;            // float [N, K, 3]
};

} // namespace splatscape::vk
