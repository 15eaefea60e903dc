#include "renderer/slice4d_vk.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "renderer/vk/context_vk.hpp"
#include "shaders/shared/slice4d_types.h"

namespace splatscape::vk {
namespace {

constexpr VkBufferUsageFlags kUsage =
    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT;

Buffer make(Context& context, VkDeviceSize bytes, const char* name) {
    return Buffer(context, std::max<VkDeviceSize>(bytes, 16), kUsage, MemoryUsage::GpuOnly, name);
}

} // namespace

GpuScene4d::GpuScene4d(Context& context, const GaussianCloud4d& cloud) {
    cloud.validate("4D scene");
    const size_t n = cloud.size();
    if (n > GpuScene::kMaxGaussians)
        throw Error(
            cat("the scene has ", n, " 4D Gaussians; the Vulkan renderer handles at most ", GpuScene::kMaxGaussians));
    const size_t sh_floats = n * size_t(cloud.sh_coeffs()) * 3;
    if (sh_floats > size_t(UINT32_MAX))
        throw Error(cat("the scene's ", n,
                        " 4D Gaussians have more SH coefficients than the Vulkan renderer indexes "
                        "(2^32 floats): export fewer temporal frequencies or split the scene"));
    m_count = uint32_t(n);
    m_sh_degree = cloud.sh_degree;
    m_sh_degree_t = cloud.sh_degree_t;
    m_time_min = cloud.time_min;
    m_time_max = cloud.time_max;
    m_time_period = cloud.time_period;
    const VkDeviceSize rows = VkDeviceSize(n) * 16;
    m_means = make(context, rows, "4D means");
    m_log_scales = make(context, rows, "4D scales");
    m_rot_l = make(context, rows, "4D left rotations");
    m_rot_r = make(context, rows, "4D right rotations");
    m_opacities = make(context, VkDeviceSize(n) * 4, "4D opacities");
    m_sh = make(context, sh_floats * 4, "4D SH coefficients");
    std::vector<float> means(n * 4);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) means[4 * i + a] = cloud.positions[3 * i + a];
        means[4 * i + 3] = cloud.times[i];
    }
    if (n) {
        upload(context, m_means, means.data(), rows);
        upload(context, m_log_scales, cloud.log_scales.data(), rows);
        upload(context, m_rot_l, cloud.rotations_l.data(), rows);
        upload(context, m_rot_r, cloud.rotations_r.data(), rows);
        upload(context, m_opacities, cloud.opacities.data(), VkDeviceSize(n) * 4);
        upload(context, m_sh, cloud.sh.data(), sh_floats * 4);
    }
    m_out_means_opacity = make(context, rows, "slice means and opacities");
    m_out_covariances = make(context, VkDeviceSize(n) * 24, "slice covariances");
    m_out_sh = make(context, VkDeviceSize(n) * VkDeviceSize(sh_coeff_count(m_sh_degree)) * 12, "slice SH");
    GpuScene::External e;
    e.count = m_count;
    e.sh_degree = m_sh_degree;
    e.means_opacity = m_out_means_opacity.address();
    e.sh = m_out_sh.address();
    e.cov3d = m_out_covariances.address();
    m_sliced.emplace(e);
}

VkDeviceSize GpuScene4d::bytes() const {
    VkDeviceSize total = 0;
    for (const Buffer* b : {&m_means, &m_log_scales, &m_rot_l, &m_rot_r, &m_opacities, &m_sh, &m_out_means_opacity,
                            &m_out_covariances, &m_out_sh})
        total += b->size();
    return total;
}

Slice4dPass::Slice4dPass(Context& context)
    : m_pipeline(context, "slice4d", sizeof(gpu::Slice4dPush)),
      m_params(context, sizeof(gpu::Slice4dParams), kUsage, MemoryUsage::GpuOnly, "slice parameters") {}

void Slice4dPass::record(VkCommandBuffer cmd, const GpuScene4d& scene, float time, float min_weight) {
    gpu::Slice4dParams p{};
    p.means = scene.m_means.address();
    p.log_scales = scene.m_log_scales.address();
    p.rot_l = scene.m_rot_l.address();
    p.rot_r = scene.m_rot_r.address();
    p.opacities = scene.m_opacities.address();
    p.sh = scene.m_sh.address();
    p.out_means_opacity = scene.m_out_means_opacity.address();
    p.out_covariances = scene.m_out_covariances.address();
    p.out_sh = scene.m_out_sh.address();
    p.count = scene.size();
    p.sh_coeffs = uint32_t(sh_coeff_count(scene.sh_degree()));
    p.sh_stride = p.sh_coeffs * uint32_t(scene.sh_degree_t() + 1);
    p.sh_degree_t = uint32_t(scene.sh_degree_t());
    p.out_coeffs = p.sh_coeffs;
    p.time = time;
    p.time_period = scene.time_period();
    p.min_weight = min_weight;
    // A frame still in flight on this queue may read the previous slice and parameters.
    memory_barrier(cmd);
    vkCmdUpdateBuffer(cmd, m_params.handle(), 0, sizeof(p), &p);
    memory_barrier(cmd);
    const gpu::Slice4dPush push{m_params.address()};
    m_pipeline.run(cmd, push, std::max<uint32_t>((scene.size() + gpu::kSliceThreads - 1) / gpu::kSliceThreads, 1));
    memory_barrier(cmd);
}

} // namespace splatscape::vk
