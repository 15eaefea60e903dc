#include "app/gui/viewport_vk.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "core/error.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::gui {
namespace {

constexpr VkImageUsageFlags kImageUsage =
    VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_SAMPLED_BIT;

bool is_srgb(VkFormat f) {
    return f == VK_FORMAT_B8G8R8A8_SRGB || f == VK_FORMAT_R8G8B8A8_SRGB;
}

VkClearColorValue clear_value(glm::vec3 c) {
    VkClearColorValue v{};
    v.float32[0] = c.x;
    v.float32[1] = c.y;
    v.float32[2] = c.z;
    v.float32[3] = 1.0f;
    return v;
}

void clear_image(VkCommandBuffer cmd, VkImage image, glm::vec3 color) {
    const VkClearColorValue value = clear_value(color);
    const VkImageSubresourceRange range{VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdClearColorImage(cmd, image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, &value, 1, &range);
}

// Scales src's (0, 0, sw, sh) into dst's rectangle; nearest when the sizes agree, so a render shown at
// its own size reaches the window unchanged.
void blit(VkCommandBuffer cmd, VkImage src, uint32_t sw, uint32_t sh, VkImage dst, const PixelRect& r) {
    VkImageBlit region{};
    region.srcSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.srcOffsets[1] = {int32_t(sw), int32_t(sh), 1};
    region.dstSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    region.dstOffsets[0] = {r.x, r.y, 0};
    region.dstOffsets[1] = {r.x + r.width, r.y + r.height, 1};
    const bool same = uint32_t(r.width) == sw && uint32_t(r.height) == sh;
    vkCmdBlitImage(cmd, src, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, dst, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                   &region, same ? VK_FILTER_NEAREST : VK_FILTER_LINEAR);
}

uint32_t round_up(uint32_t v, uint32_t m) {
    return (v + m - 1) / m * m;
}

} // namespace

ViewportRenderer::ViewportRenderer(vk::Context& context, VkFormat window_format)
    : m_context(context), m_window_format(window_format), m_renderer(context) {
    VkFormatProperties props{};
    vkGetPhysicalDeviceFormatProperties(context.physical_device(), window_format, &props);
    if (!(props.optimalTilingFeatures & VK_FORMAT_FEATURE_BLIT_DST_BIT))
        throw Error(cat("the Vulkan device '", context.info().name,
                        "' cannot scale images into the window's format (no blit support); try another --gpu"));
    vkGetPhysicalDeviceFormatProperties(context.physical_device(), image_format(), &props);
    const VkFormatFeatureFlags need =
        VK_FORMAT_FEATURE_BLIT_SRC_BIT | VK_FORMAT_FEATURE_SAMPLED_IMAGE_FILTER_LINEAR_BIT;
    if ((props.optimalTilingFeatures & need) != need)
        throw Error(cat("the Vulkan device '", context.info().name, "' cannot scale 8-bit RGBA images"));
    if (context.timestamps())
        for (auto& t : m_timers) t = vk::TimestampQueries(context, 32);
}

ViewportRenderer::~ViewportRenderer() {
    m_context.wait_idle();
}

VkFormat ViewportRenderer::image_format() const {
    // Blits convert between encodings: keep the bytes the renderer wrote by matching the window's.
    return is_srgb(m_window_format) ? VK_FORMAT_R8G8B8A8_SRGB : VK_FORMAT_R8G8B8A8_UNORM;
}

void ViewportRenderer::set_scene_4d(const std::shared_ptr<const GaussianCloud4d>& cloud, float min_weight) {
    m_context.wait_idle(); // frames in flight may still read the old scene
    m_scene.reset();
    m_scene_4d.reset();
    m_scene_size = 0;
    m_pending.fill(false);
    if (cloud && cloud->size() > 0) {
        m_scene_4d = std::make_unique<vk::GpuScene4d>(m_context, *cloud);
        if (!m_slice) m_slice = std::make_unique<vk::Slice4dPass>(m_context);
        m_min_weight = min_weight;
        m_scene_size = cloud->size();
    }
}

void ViewportRenderer::set_scene(const std::shared_ptr<const GaussianCloud>& cloud) {
    m_context.wait_idle(); // frames in flight may still read the old scene
    m_scene.reset();
    m_scene_4d.reset();
    m_scene_size = 0;
    m_pending.fill(false);
    if (cloud && cloud->size() > 0) {
        m_scene = std::make_unique<vk::GpuScene>(m_context, *cloud);
        m_scene_size = cloud->size();
    }
}

void ViewportRenderer::set_external_scene(const vk::GpuScene::External& scene) {
    m_context.wait_idle(); // no frame in flight reads the previous buffers after this
    m_pending.fill(false);
    m_scene_4d.reset();
    m_scene = scene.count ? std::make_unique<vk::GpuScene>(scene) : nullptr;
    m_scene_size = scene.count;
}

void ViewportRenderer::set_streamed_scene(const vk::GpuScene::External& scene) {
    m_scene_4d.reset();
    m_scene = scene.count ? std::make_unique<vk::GpuScene>(scene) : nullptr;
    m_scene_size = scene.count;
}

void ViewportRenderer::set_reference(const Image& rgb) {
    if (rgb.empty()) {
        clear_reference();
        return;
    }
    m_context.wait_idle();
    const uint32_t w = uint32_t(rgb.width), h = uint32_t(rgb.height);
    m_reference = vk::Image2D(m_context, w, h, image_format(), kImageUsage, "ground-truth view");
    const VkDeviceSize bytes = VkDeviceSize(w) * h * 4;
    vk::Buffer staging(m_context, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, vk::MemoryUsage::Upload,
                       "ground-truth staging");
    auto* out = reinterpret_cast<uint8_t*>(staging.mapped());
    const size_t pixels = rgb.pixel_count();
    for (size_t p = 0; p < pixels; ++p) {
        for (int c = 0; c < 4; ++c) {
            const float v = c < rgb.channels && c < 3 ? rgb.data[p * rgb.channels + c]
                                                      : (c == 3 ? 1.0f : rgb.data[p * rgb.channels]);
            out[p * 4 + c] = uint8_t(std::lround(std::clamp(v, 0.0f, 1.0f) * 255.0f));
        }
    }
    m_context.submit_and_wait([&](VkCommandBuffer cmd) {
        vk::image_barrier(cmd, m_reference.handle(), VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
        VkBufferImageCopy copy{};
        copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        copy.imageExtent = {w, h, 1};
        vkCmdCopyBufferToImage(cmd, staging.handle(), m_reference.handle(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1,
                               &copy);
        vk::image_barrier(cmd, m_reference.handle(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                          VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
    });
}

void ViewportRenderer::clear_reference() {
    if (!m_reference) return;
    m_context.wait_idle();
    m_reference = vk::Image2D();
}

std::optional<vk::FrameResult> ViewportRenderer::collect(uint32_t slot) {
    if (slot >= m_pending.size() || !m_pending[slot]) return std::nullopt;
    m_pending[slot] = false;
    return m_renderer.finish(slot, m_timers[slot].enabled() ? &m_timers[slot] : nullptr);
}

void ViewportRenderer::ensure_render_image(uint32_t width, uint32_t height) {
    if (m_render_image && m_render_image.extent().width >= width && m_render_image.extent().height >= height) return;
    m_context.wait_idle();
    // Grown in steps, so that resizing the window does not reallocate every frame.
    const uint32_t w = std::max(round_up(width, 128), m_render_image ? m_render_image.extent().width : 0u);
    const uint32_t h = std::max(round_up(height, 128), m_render_image ? m_render_image.extent().height : 0u);
    m_render_image = vk::Image2D(m_context, w, h, image_format(), kImageUsage, "viewport render");
    m_render_layout = VK_IMAGE_LAYOUT_UNDEFINED;
    m_render_w = m_render_h = 0;
}

void ViewportRenderer::record(const vk::SwapchainFrame& frame, const Camera* camera, const RenderSettings& settings,
                              const ViewportLayout& layout) {
    VkCommandBuffer cmd = frame.cmd;
    if (camera) {
        const uint32_t w = uint32_t(std::max(camera->width, 1)), h = uint32_t(std::max(camera->height, 1));
        ensure_render_image(w, h);
        if (m_scene || m_scene_4d) {
            const vk::GpuScene& scene = m_scene_4d ? m_scene_4d->sliced() : *m_scene;
            m_renderer.prepare(scene, w, h);
            const vk::RenderTarget target{m_render_image.handle(), m_render_image.format(), m_render_layout,
                                          VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL};
            vk::TimestampQueries* timer = m_timers[frame.slot].enabled() ? &m_timers[frame.slot] : nullptr;
            if (m_scene_4d) m_slice->record(cmd, *m_scene_4d, settings.time, m_min_weight);
            m_renderer.record(cmd, scene, *camera, settings, &target, timer, frame.slot);
            m_pending[frame.slot] = true;
        } else {
            vk::image_barrier(cmd, m_render_image.handle(), m_render_layout, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
            clear_image(cmd, m_render_image.handle(), settings.background);
            vk::image_barrier(cmd, m_render_image.handle(), VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL,
                              VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
        }
        m_render_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
        m_render_w = w;
        m_render_h = h;
    }

    vk::image_barrier(cmd, frame.image, VK_IMAGE_LAYOUT_UNDEFINED, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
    clear_image(cmd, frame.image, layout.window_color);
    auto clip = [&](PixelRect r) {
        // Blits must stay inside the window image.
        const int w = int(frame.extent.width), h = int(frame.extent.height);
        const int x0 = std::clamp(r.x, 0, w), y0 = std::clamp(r.y, 0, h);
        const int x1 = std::clamp(r.x + r.width, 0, w), y1 = std::clamp(r.y + r.height, 0, h);
        return PixelRect{x0, y0, x1 - x0, y1 - y0};
    };
    const PixelRect render_rect = clip(layout.render);
    // Only a render that fits the rectangle unclipped is shown: a clipped one would be squeezed.
    if (m_render_w > 0 && !render_rect.empty() && render_rect.width == layout.render.width &&
        render_rect.height == layout.render.height)
        blit(cmd, m_render_image.handle(), m_render_w, m_render_h, frame.image, render_rect);
    if (layout.reference && m_reference) {
        const PixelRect r = clip(*layout.reference);
        if (!r.empty())
            blit(cmd, m_reference.handle(), m_reference.extent().width, m_reference.extent().height, frame.image, r);
    }
    vk::image_barrier(cmd, frame.image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL);
}

Image ViewportRenderer::read_render() {
    if (m_render_w == 0) return {};
    m_context.wait_idle();
    const VkDeviceSize bytes = VkDeviceSize(m_render_w) * m_render_h * 4;
    vk::Buffer readback(m_context, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, vk::MemoryUsage::Readback,
                        "viewport read-back");
    m_context.submit_and_wait([&](VkCommandBuffer cmd) {
        VkBufferImageCopy copy{};
        copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        copy.imageExtent = {m_render_w, m_render_h, 1};
        vkCmdCopyImageToBuffer(cmd, m_render_image.handle(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback.handle(), 1,
                               &copy);
        vk::host_read_barrier(cmd);
    });
    Image out(int(m_render_w), int(m_render_h), 3);
    const auto* px = reinterpret_cast<const uint8_t*>(readback.mapped());
    for (size_t p = 0; p < out.pixel_count(); ++p)
        for (int c = 0; c < 3; ++c) out.data[p * 3 + c] = float(px[p * 4 + c]) / 255.0f;
    return out;
}

void ViewportRenderer::record_window_capture(const vk::SwapchainFrame& frame) {
    const VkDeviceSize bytes = VkDeviceSize(frame.extent.width) * frame.extent.height * 4;
    if (!m_capture || m_capture.size() < bytes)
        m_capture =
            vk::Buffer(m_context, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, vk::MemoryUsage::Readback, "window capture");
    vk::image_barrier(frame.cmd, frame.image, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                      VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
    VkBufferImageCopy copy{};
    copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    copy.imageExtent = {frame.extent.width, frame.extent.height, 1};
    vkCmdCopyImageToBuffer(frame.cmd, frame.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, m_capture.handle(), 1, &copy);
    m_capture_extent = frame.extent;
    m_capture_bgra = vk::is_bgra(frame.format);
}

Image ViewportRenderer::read_window_capture() {
    if (!m_capture || m_capture_extent.width == 0) return {};
    m_context.wait_idle();
    Image out(int(m_capture_extent.width), int(m_capture_extent.height), 3);
    const auto* px = reinterpret_cast<const uint8_t*>(m_capture.mapped());
    for (size_t p = 0; p < out.pixel_count(); ++p)
        for (int c = 0; c < 3; ++c) {
            const int src = m_capture_bgra ? 2 - c : c;
            out.data[p * 3 + c] = float(px[p * 4 + src]) / 255.0f;
        }
    m_capture_extent = {};
    return out;
}

uint64_t ViewportRenderer::gpu_memory_bytes() const {
    return m_context.allocator().bytes_reserved();
}

} // namespace splatscape::gui
