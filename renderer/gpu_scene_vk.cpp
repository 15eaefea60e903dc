#include "renderer/gpu_scene_vk.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::vk {
namespace {

constexpr VkBufferUsageFlags kSceneUsage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
constexpr size_t kChunk = size_t(1) << 20; // Gaussians converted and uploaded at a time

// Uploads n rows of 4 floats produced by `row(i, out)`, a chunk at a time.
template <class Row>
void upload_rows(Context& context, const Buffer& dst, size_t n, Row row) {
    std::vector<float> chunk;
    for (size_t begin = 0; begin < n; begin += kChunk) {
        const size_t end = std::min(n, begin + kChunk);
        chunk.resize((end - begin) * 4);
        for (size_t i = begin; i < end; ++i) row(i, &chunk[(i - begin) * 4]);
        upload(context, dst, chunk.data(), chunk.size() * sizeof(float), begin * 4 * sizeof(float));
    }
}

} // namespace

GpuScene::GpuScene(Context& context, const GaussianCloud& cloud) {
    cloud.validate("scene");
    const size_t n = cloud.size();
    if (n > kMaxGaussians)
        throw Error(cat("the scene has ", n, " Gaussians; the Vulkan renderer handles at most ", kMaxGaussians));
    const size_t sh_floats = n * size_t(cloud.sh_coeffs()) * 3;
    if (sh_floats > size_t(UINT32_MAX))
        throw Error(cat("the scene's ", n, " Gaussians with SH degree ", cloud.sh_degree,
                        " have more SH coefficients than the Vulkan renderer indexes (2^32 floats): lower the SH "
                        "degree (splatscape convert --sh-degree) or split the scene"));
    m_count = uint32_t(n);
    m_sh_degree = cloud.sh_degree;
    const VkDeviceSize rows = VkDeviceSize(n) * 4 * sizeof(float);
    m_means_opacity = Buffer(context, rows, kSceneUsage, MemoryUsage::GpuOnly, "scene means and opacities");
    m_log_scales = Buffer(context, rows, kSceneUsage, MemoryUsage::GpuOnly, "scene scales");
    m_rotations = Buffer(context, rows, kSceneUsage, MemoryUsage::GpuOnly, "scene rotations");
    m_sh = Buffer(context, sh_floats * sizeof(float), kSceneUsage, MemoryUsage::GpuOnly, "scene SH coefficients");
    upload_rows(context, m_means_opacity, n, [&](size_t i, float* out) {
        out[0] = cloud.positions[3 * i];
        out[1] = cloud.positions[3 * i + 1];
        out[2] = cloud.positions[3 * i + 2];
        out[3] = cloud.opacities[i];
    });
    upload_rows(context, m_log_scales, n, [&](size_t i, float* out) {
        out[0] = cloud.log_scales[3 * i];
        out[1] = cloud.log_scales[3 * i + 1];
        out[2] = cloud.log_scales[3 * i + 2];
        out[3] = 0.0f;
    });
    upload(context, m_rotations, cloud.rotations.data(), rows);
    upload(context, m_sh, cloud.sh.data(), sh_floats * sizeof(float));
}

VkDeviceSize GpuScene::bytes() const {
    return m_means_opacity.size() + m_log_scales.size() + m_rotations.size() + m_sh.size();
}

} // namespace splatscape::vk
