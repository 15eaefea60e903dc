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
    // Gaussians in buffers owned elsewhere, in this class's layout (renderer/interop_vk.hpp: memory
    // that CUDA training writes into); the owner keeps them alive while the scene is rendered.
    struct External {
        uint32_t count = 0;
        int sh_degree = 0;
        VkDeviceAddress means_opacity = 0, log_scales = 0, rotations = 0, sh = 0;
        // float [N, 6] xx xy xz yy yz zz replacing log_scales and rotations (a 4D slice,
        // renderer/slice4d_vk.hpp); xx < 0 marks a Gaussian left out of the slice.
        VkDeviceAddress cov3d = 0;
        // Streamed scenes (renderer/tile_streamer_vk.hpp): `count` draw slots in pages of
        // 2^page_shift, each page mapped onto a page of the buffers above by this table (uvec4 per
        // page: pool page, splats used, fade as float bits, 0); 0 for a plain scene.
        VkDeviceAddress page_table = 0;
        uint32_t page_shift = 0;
    };
    explicit GpuScene(const External& external)
        : m_count(external.count), m_sh_degree(external.sh_degree), m_external(external) {}

    // Largest scene this renderer indexes with 32-bit offsets.
    static constexpr size_t kMaxGaussians = size_t(1) << 30;

    uint32_t size() const { return m_count; }
    int sh_degree() const { return m_sh_degree; }
    uint32_t sh_stride() const { return uint32_t(sh_coeff_count(m_sh_degree)); }
    VkDeviceAddress means_opacity() const {
        return m_external.means_opacity ? m_external.means_opacity : m_means_opacity.address();
    }
    VkDeviceAddress log_scales() const {
        return m_external.log_scales ? m_external.log_scales : m_log_scales.address();
    }
    VkDeviceAddress rotations() const {
        return m_external.rotations ? m_external.rotations : m_rotations.address();
    }
    VkDeviceAddress sh() const {
        return m_external.sh ? m_external.sh : m_sh.address();
    }
    // Precomputed covariances, or 0 when the scene has scales and rotations.
    VkDeviceAddress cov3d() const { return m_external.cov3d; }
    VkDeviceAddress page_table() const { return m_external.page_table; }
    uint32_t page_shift() const { return m_external.page_shift; }
    VkDeviceSize bytes() const;

private:
    uint32_t m_count = 0;
    int m_sh_degree = 0;
    Buffer m_means_opacity; // vec4 [N]
    Buffer m_log_scales;    // vec4 [N]
    Buffer m_rotations;     // vec4 [N]
    Buffer m_sh;            // float [N, K, 3]
    External m_external;    // addresses of buffers owned elsewhere (zero: the buffers above)
};

} // namespace splatscape::vk
