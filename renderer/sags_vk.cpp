#include "renderer/sags_vk.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "renderer/vk/context_vk.hpp"
#include "shaders/shared/sags_types.h"

namespace splatscape::vk {
namespace {

void check_widths(const SagsNetwork& n, const char* name) {
    const std::string field = cat("networks.", name);
    if (n.inputs > int(gpu::kSagsMaxInputs))
        throw Error("sags scene", field + ".inputs",
                    cat(n.inputs, " inputs; the Vulkan decode holds at most ", gpu::kSagsMaxInputs,
                        " (smaller hash_levels or feature_dim)"));
    if (n.hidden_layers > 0 && n.hidden > int(gpu::kSagsMaxHidden))
        throw Error("sags scene", field + ".hidden",
                    cat(n.hidden, " hidden units; the Vulkan decode holds at most ", gpu::kSagsMaxHidden));
    if (n.outputs > int(gpu::kSagsMaxOutputs))
        throw Error("sags scene", field + ".outputs", cat(n.outputs, " outputs; at most ", gpu::kSagsMaxOutputs));
}

} // namespace

GpuSagsScene::GpuSagsScene(Context& context, const SagsDecodeCache& c) {
    c.validate("sags scene");
    const size_t n = c.size();
    if (n > GpuScene::kMaxGaussians)
        throw Error(
            cat("the sags scene has ", n, " points; the Vulkan renderer handles at most ", GpuScene::kMaxGaussians));
    if (c.feature_dim > int(gpu::kSagsMaxLocal))
        throw Error("sags scene", "feature_dim",
                    cat(c.feature_dim, " channels; the Vulkan decode holds at most ", gpu::kSagsMaxLocal));
    const SagsNetwork* nets[4] = {&c.opacity, &c.color, &c.covariance, &c.offset};
    const char* names[4] = {"opacity", "color", "covariance", "offset"};
    std::vector<float> weights;
    for (int k = 0; k < 4; ++k) {
        check_widths(*nets[k], names[k]);
        m_net_offset[k] = uint32_t(weights.size());
        weights.insert(weights.end(), nets[k]->params.begin(), nets[k]->params.end());
        m_nets[k] = *nets[k];
        m_nets[k].params.clear();
    }
    m_count = uint32_t(n);
    m_hash_width = uint32_t(c.hash_width);
    m_feature_dim = uint32_t(c.feature_dim);
    m_points = storage_buffer(context, c.points, "sags points");
    m_scales = storage_buffer(context, c.scales, "sags scales");
    if (!c.frames.empty()) m_frames = storage_buffer(context, c.frames, "sags point frames");
    m_encoded = storage_buffer(context, c.encoded, "sags encoder cache");
    m_affine = storage_buffer(context, c.affine, "sags affine");
    m_weights = storage_buffer(context, weights, "sags decoders");
    m_global_bits = storage_buffer(context, VkDeviceSize(c.feature_dim) * 4, "sags global feature");
    m_visible = storage_buffer(context, VkDeviceSize(n) * 4, "sags visibility");
    m_out_means_opacity = storage_buffer(context, VkDeviceSize(n) * 16, "sags decoded means and opacities");
    m_out_covariances = storage_buffer(context, VkDeviceSize(n) * 24, "sags decoded covariances");
    m_out_sh = storage_buffer(context, VkDeviceSize(n) * 12, "sags decoded colours");
    GpuScene::External e;
    e.count = m_count;
    e.sh_degree = 0;
    e.means_opacity = m_out_means_opacity.address();
    e.sh = m_out_sh.address();
    e.cov3d = m_out_covariances.address();
    m_decoded.emplace(e);
}

VkDeviceSize GpuSagsScene::bytes() const {
    VkDeviceSize total = 0;
    for (const Buffer* b : {&m_points, &m_scales, &m_encoded, &m_affine, &m_weights, &m_global_bits, &m_visible,
                            &m_out_means_opacity, &m_out_covariances, &m_out_sh, &m_frames})
        total += b->size();
    return total;
}

SagsDecodePass::SagsDecodePass(Context& context)
    : m_global(context, "sags_global", sizeof(gpu::SagsDecodePush)),
      m_decode(context, "sags_decode", sizeof(gpu::SagsDecodePush)),
      m_params(storage_buffer(context, sizeof(gpu::SagsDecodeParams), "sags decode parameters")) {}

void SagsDecodePass::record(VkCommandBuffer cmd, const GpuSagsScene& scene, const Camera& camera) {
    gpu::SagsDecodeParams p{};
    p.points = scene.m_points.address();
    p.scales = scene.m_scales.address();
    p.encoded = scene.m_encoded.address();
    p.affine = scene.m_affine.address();
    p.weights = scene.m_weights.address();
    p.global_bits = scene.m_global_bits.address();
    p.visible = scene.m_visible.address();
    p.out_means_opacity = scene.m_out_means_opacity.address();
    p.out_covariances = scene.m_out_covariances.address();
    p.out_sh = scene.m_out_sh.address();
    p.frames = scene.m_frames.address(); // 0 without point frames
    for (int k = 0; k < 4; ++k) {
        const SagsNetwork& n = scene.m_nets[k];
        p.nets[k] = {scene.m_net_offset[k],
                     uint32_t(n.inputs),
                     uint32_t(n.hidden),
                     uint32_t(n.hidden_layers),
                     uint32_t(n.outputs),
                     uint32_t(n.hidden_activation),
                     uint32_t(n.output_activation),
                     0u};
    }
    // Rows of the world-to-camera rotation (glm is column-major) with the translation.
    p.rot0 = {camera.R[0][0], camera.R[1][0], camera.R[2][0], camera.t.x};
    p.rot1 = {camera.R[0][1], camera.R[1][1], camera.R[2][1], camera.t.y};
    p.rot2 = {camera.R[0][2], camera.R[1][2], camera.R[2][2], camera.t.z};
    const glm::vec3 c = camera.center();
    p.centre = {c.x, c.y, c.z, 0.0f};
    p.intrinsics = {camera.fx, camera.fy, camera.cx, camera.cy};
    p.width = float(camera.width);
    p.height = float(camera.height);
    p.margin = kViewMargin;
    p.near_z = kNearZ;
    p.count = scene.size();
    p.hash_width = scene.m_hash_width;
    p.feature_dim = scene.m_feature_dim;
    // A frame still in flight on this queue may read the previous decode and parameters.
    memory_barrier(cmd);
    vkCmdUpdateBuffer(cmd, m_params.handle(), 0, sizeof(p), &p);
    vkCmdFillBuffer(cmd, scene.m_global_bits.handle(), 0, VK_WHOLE_SIZE, 0u);
    memory_barrier(cmd);
    const gpu::SagsDecodePush push{m_params.address()};
    const uint32_t groups = std::max<uint32_t>((scene.size() + gpu::kSagsThreads - 1) / gpu::kSagsThreads, 1);
    m_global.run(cmd, push, groups);
    memory_barrier(cmd);
    m_decode.run(cmd, push, groups);
    memory_barrier(cmd);
}

} // namespace splatscape::vk
