#include "renderer/tiled_renderer_vk.hpp"

#include "core/error.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/timestamps_vk.hpp"

namespace splatscape {

struct TiledSceneRenderer::Impl {
    vk::Context context;
    vk::SplatRenderer renderer;
    vk::TimestampQueries timer;
    vk::Buffer color_readback;
    uint32_t width = 0, height = 0;

    static vk::ContextOptions context_options(const OffscreenOptions& o) {
        vk::ContextOptions c;
        c.gpu_index = o.gpu_index;
        c.validation = o.validation;
        return c;
    }
    explicit Impl(const OffscreenOptions& o)
        : context(context_options(o)), renderer(context),
          timer(o.timestamps ? vk::TimestampQueries(context, 32) : vk::TimestampQueries()) {}
};

TiledSceneRenderer::TiledSceneRenderer(TileTree tree, const vk::StreamingOptions& streaming, const OffscreenOptions& o)
    : m_impl(std::make_unique<Impl>(o)) {
    m_streamer = std::make_unique<vk::TileStreamer>(m_impl->context, std::move(tree), streaming);
}

TiledSceneRenderer::~TiledSceneRenderer() {
    m_impl->context.wait_idle();
    m_streamer.reset();
}

RenderOutput TiledSceneRenderer::draw(const vk::GpuScene& scene, const Camera& camera, const RenderSettings& settings) {
    Impl& s = *m_impl;
    const uint32_t w = uint32_t(camera.width), h = uint32_t(camera.height);
    if (camera.width <= 0 || camera.height <= 0) throw Error(cat("cannot render ", camera.width, "x", camera.height));
    if (w != s.width || h != s.height) {
        s.context.wait_idle();
        s.color_readback = vk::Buffer(s.context, VkDeviceSize(w) * h * 16, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      vk::MemoryUsage::Readback, "colour read-back");
        s.width = w;
        s.height = h;
    }
    vk::FrameResult result;
    for (int attempt = 0;; ++attempt) {
        const uint32_t before = s.renderer.instance_capacity();
        s.renderer.prepare(scene, w, h);
        if (attempt > 0 && s.renderer.instance_capacity() <= before)
            throw Error(cat("the frame needs ", result.stats.instances,
                            " (tile, Gaussian) pairs; the device has room for ", before));
        s.context.submit_and_wait([&](VkCommandBuffer cmd) {
            s.renderer.record(cmd, scene, camera, settings, nullptr, s.timer.enabled() ? &s.timer : nullptr);
            VkBufferCopy copy{0, 0, VkDeviceSize(w) * h * 16};
            vkCmdCopyBuffer(cmd, s.renderer.color_buffer().handle(), s.color_readback.handle(), 1, &copy);
        });
        result = s.renderer.finish(0, s.timer.enabled() ? &s.timer : nullptr);
        if (!result.overflowed) break;
    }
    RenderOutput out;
    out.stats = std::move(result.stats);
    const size_t pixels = size_t(w) * h;
    const float* rgba = s.color_readback.data<float>();
    out.image = Image(int(w), int(h), 3);
    out.alpha = Image(int(w), int(h), 1);
    for (size_t p = 0; p < pixels; ++p) {
        for (int c = 0; c < 3; ++c) out.image.data[p * 3 + c] = rgba[p * 4 + c];
        out.alpha.data[p] = rgba[p * 4 + 3];
    }
    return out;
}

RenderOutput TiledSceneRenderer::render_frame(const Camera& camera, const RenderSettings& settings) {
    m_impl->context.wait_idle();
    return draw(m_streamer->update(camera, 0), camera, settings);
}

RenderOutput TiledSceneRenderer::render_settled(const Camera& camera, const RenderSettings& settings, double seconds,
                                                bool* refined) {
    const bool ok = m_streamer->settle(camera, seconds);
    if (refined) *refined = ok;
    return draw(m_streamer->update(camera, 0), camera, settings);
}

std::string TiledSceneRenderer::device_name() const {
    return m_impl->context.info().name;
}
uint32_t TiledSceneRenderer::validation_errors() const {
    return m_impl->context.validation_errors();
}
bool TiledSceneRenderer::validation_enabled() const {
    return m_impl->context.validation_enabled();
}
uint64_t TiledSceneRenderer::gpu_memory_bytes() const {
    return m_impl->context.allocator().bytes_reserved();
}

} // namespace splatscape
