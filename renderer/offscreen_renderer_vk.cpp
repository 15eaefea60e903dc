#include <algorithm>
#include <cstring>
#include <optional>

#include "core/error.hpp"
#include "renderer/nerf_vk.hpp"
#include "renderer/offscreen_renderer.hpp"
#include "renderer/sags_vk.hpp"
#include "renderer/slice4d_vk.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/offscreen_target_vk.hpp"
#include "renderer/vk/timestamps_vk.hpp"
#include "shaders/shared/nerf_types.h"

namespace splatscape {

struct OffscreenRenderer::Impl {
    vk::Context context;
    vk::SplatRenderer renderer;
    vk::TimestampQueries timer;
    std::optional<vk::GpuScene> scene;
    std::optional<vk::GpuScene4d> scene_4d;
    std::optional<vk::Slice4dPass> slice;
    std::optional<vk::GpuSagsScene> scene_sags;
    std::optional<vk::SagsDecodePass> decode;
    std::optional<vk::GpuNerfScene> scene_nerf;
    std::optional<vk::NerfRenderer> nerf;
    float min_weight = 0.05f;
    std::optional<vk::OffscreenTarget> target;
    vk::Buffer color_readback;
    vk::Buffer depth_readback;
    vk::Buffer nerf_pixels, nerf_display; // read-backs of a NeRF frame

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

OffscreenRenderer::OffscreenRenderer(const OffscreenOptions& options) : m_impl(std::make_unique<Impl>(options)) {}

OffscreenRenderer::~OffscreenRenderer() = default;

bool OffscreenRenderer::available(std::string* why, bool gpu_only) {
    try {
        for (auto& d : vk::Context::list_devices())
            if (d.unsuitable.empty() && !(gpu_only && d.type == VK_PHYSICAL_DEVICE_TYPE_CPU)) return true;
        if (why) *why = gpu_only ? "no Vulkan GPU can run the renderer" : "no Vulkan device can run the renderer";
    } catch (const Error& e) {
        if (why) *why = e.what();
    }
    return false;
}

std::vector<std::string> OffscreenRenderer::devices() {
    std::vector<std::string> out;
    for (auto& d : vk::Context::list_devices()) out.push_back(vk::describe(d));
    return out;
}

void OffscreenRenderer::set_scene(const GaussianCloud& cloud) {
    m_impl->scene.reset();
    m_impl->scene_4d.reset();
    m_impl->scene_sags.reset();
    m_impl->scene_nerf.reset();
    m_impl->scene.emplace(m_impl->context, cloud);
}

void OffscreenRenderer::set_scene(const GaussianCloud4d& cloud, float min_weight) {
    m_impl->scene.reset();
    m_impl->scene_4d.reset();
    m_impl->scene_sags.reset();
    m_impl->scene_nerf.reset();
    m_impl->scene_4d.emplace(m_impl->context, cloud);
    if (!m_impl->slice) m_impl->slice.emplace(m_impl->context);
    m_impl->min_weight = min_weight;
}

void OffscreenRenderer::set_scene(const SagsDecodeCache& cache) {
    m_impl->scene.reset();
    m_impl->scene_4d.reset();
    m_impl->scene_sags.reset();
    m_impl->scene_nerf.reset();
    m_impl->scene_sags.emplace(m_impl->context, cache);
    if (!m_impl->decode) m_impl->decode.emplace(m_impl->context);
}

void OffscreenRenderer::set_scene(const NerfScene& scene, const std::string& where) {
    m_impl->scene.reset();
    m_impl->scene_4d.reset();
    m_impl->scene_sags.reset();
    m_impl->scene_nerf.reset();
    m_impl->scene_nerf.emplace(m_impl->context, scene, where);
    if (!m_impl->nerf) m_impl->nerf.emplace(m_impl->context);
}

RenderOutput OffscreenRenderer::render(const Camera& camera, const RenderSettings& settings) {
    Impl& s = *m_impl;
    if (s.scene_nerf) return render_nerf(camera, settings);
    if (!s.scene && !s.scene_4d && !s.scene_sags) throw Error("OffscreenRenderer::render: no scene was set");
    const vk::GpuScene& scene = s.scene_4d ? s.scene_4d->sliced() : (s.scene_sags ? s.scene_sags->decoded() : *s.scene);
    if (camera.width <= 0 || camera.height <= 0)
        throw Error(cat("cannot render an image of ", camera.width, "x", camera.height, " pixels"));
    const uint32_t w = uint32_t(camera.width), h = uint32_t(camera.height);
    if (!s.target || s.target->width() != w || s.target->height() != h) {
        s.context.wait_idle();
        s.target.reset();
        s.target.emplace(s.context, w, h);
        const VkDeviceSize pixels = VkDeviceSize(w) * h;
        s.color_readback = vk::Buffer(s.context, pixels * 16, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      vk::MemoryUsage::Readback, "colour read-back");
        s.depth_readback = vk::Buffer(s.context, pixels * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                      vk::MemoryUsage::Readback, "depth read-back");
    }
    vk::FrameResult result;
    // A frame that found more (tile, Gaussian) pairs than room is rendered again with room for them.
    for (int attempt = 0;; ++attempt) {
        const uint32_t capacity_before = s.renderer.instance_capacity();
        s.renderer.prepare(scene, w, h);
        if (attempt > 0 && s.renderer.instance_capacity() <= capacity_before)
            throw Error(cat("the frame needs ", result.stats.instances,
                            " (tile, Gaussian) pairs but the Vulkan device '", s.context.info().name, "' has room for ",
                            capacity_before, ": render a smaller image or fewer Gaussians"));
        s.context.submit_and_wait([&](VkCommandBuffer cmd) {
            vk::RenderTarget t = s.target->target();
            if (s.scene_4d) s.slice->record(cmd, *s.scene_4d, settings.time, s.min_weight);
            if (s.scene_sags) s.decode->record(cmd, *s.scene_sags, camera);
            s.renderer.record(cmd, scene, camera, settings, &t, &s.timer);
            s.target->record_readback(cmd);
            const VkDeviceSize pixels = VkDeviceSize(w) * h;
            VkBufferCopy color{0, 0, pixels * 16}, depth{0, 0, pixels * 4};
            vkCmdCopyBuffer(cmd, s.renderer.color_buffer().handle(), s.color_readback.handle(), 1, &color);
            vkCmdCopyBuffer(cmd, s.renderer.depth_buffer().handle(), s.depth_readback.handle(), 1, &depth);
        });
        result = s.renderer.finish(0, &s.timer);
        if (!result.overflowed) break;
    }

    RenderOutput out;
    out.stats = std::move(result.stats);
    const size_t pixels = size_t(w) * h;
    const float* rgba = s.color_readback.data<float>();
    out.alpha = Image(int(w), int(h), 1);
    out.depth = Image(int(w), int(h), 1);
    std::copy_n(s.depth_readback.data<float>(), pixels, out.depth.data.begin());
    for (size_t p = 0; p < pixels; ++p) out.alpha.data[p] = rgba[p * 4 + 3];
    if (settings.mode == RenderMode::Color) {
        out.image = Image(int(w), int(h), 3);
        for (size_t p = 0; p < pixels; ++p)
            for (int c = 0; c < 3; ++c) out.image.data[p * 3 + c] = rgba[p * 4 + c];
    } else {
        out.image = s.target->read(3);
    }
    return out;
}

RenderOutput OffscreenRenderer::render_nerf(const Camera& camera, const RenderSettings& settings) {
    Impl& s = *m_impl;
    if (camera.width <= 0 || camera.height <= 0)
        throw Error(cat("cannot render an image of ", camera.width, "x", camera.height, " pixels"));
    const uint32_t w = uint32_t(camera.width), h = uint32_t(camera.height);
    const size_t pixels = size_t(w) * h;
    s.nerf->prepare(*s.scene_nerf, w, h, settings.mode);
    if (s.nerf_pixels.size() < pixels * sizeof(gpu::NerfPixel)) {
        s.nerf_pixels = vk::Buffer(s.context, pixels * sizeof(gpu::NerfPixel), VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                                   vk::MemoryUsage::Readback, "NeRF pixel read-back");
        s.nerf_display = vk::Buffer(s.context, pixels * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, vk::MemoryUsage::Readback,
                                    "NeRF display read-back");
    }
    s.context.submit_and_wait([&](VkCommandBuffer cmd) {
        s.nerf->record(cmd, *s.scene_nerf, camera, settings, nullptr, &s.timer);
        VkBufferCopy copy{0, 0, pixels * sizeof(gpu::NerfPixel)};
        vkCmdCopyBuffer(cmd, s.nerf->pixel_buffer().handle(), s.nerf_pixels.handle(), 1, &copy);
        VkBufferCopy shown{0, 0, pixels * 4};
        vkCmdCopyBuffer(cmd, s.nerf->display_buffer().handle(), s.nerf_display.handle(), 1, &shown);
    });
    RenderOutput out;
    out.stats = s.nerf->finish(0, &s.timer).stats;
    std::vector<gpu::NerfPixel> px(pixels);
    std::memcpy(px.data(), s.nerf_pixels.mapped(), pixels * sizeof(gpu::NerfPixel));
    out.alpha = Image(int(w), int(h), 1);
    out.depth = Image(int(w), int(h), 1);
    out.image = Image(int(w), int(h), 3);
    for (size_t p = 0; p < pixels; ++p) {
        out.alpha.data[p] = px[p].colour.w;
        out.depth.data[p] = px[p].depth * px[p].colour.w;
    }
    if (settings.mode == RenderMode::Experts) {
        out.expert.resize(pixels);
        for (size_t p = 0; p < pixels; ++p) out.expert[p] = px[p].expert;
    }
    if (settings.mode == RenderMode::Color || settings.mode == RenderMode::Experts) {
        for (size_t p = 0; p < pixels; ++p)
            for (int c = 0; c < 3; ++c) out.image.data[p * 3 + size_t(c)] = px[p].colour[c];
    } else {
        const uint32_t* bytes = s.nerf_display.data<uint32_t>();
        for (size_t p = 0; p < pixels; ++p)
            for (int c = 0; c < 3; ++c)
                out.image.data[p * 3 + size_t(c)] = float((bytes[p] >> (8 * c)) & 255u) / 255.0f;
    }
    return out;
}

std::string OffscreenRenderer::device_name() const {
    return m_impl->context.info().name;
}
uint32_t OffscreenRenderer::subgroup_size() const {
    return m_impl->context.subgroup_size();
}
bool OffscreenRenderer::validation_enabled() const {
    return m_impl->context.validation_enabled();
}
uint32_t OffscreenRenderer::validation_errors() const {
    return m_impl->context.validation_errors();
}

} // namespace splatscape
