#include "renderer/vk/offscreen_target_vk.hpp"

#include "core/error.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::vk {

OffscreenTarget::OffscreenTarget(Context& context, uint32_t width, uint32_t height)
    : m_image(context, width, height, VK_FORMAT_R8G8B8A8_UNORM,
              VK_IMAGE_USAGE_TRANSFER_DST_BIT | VK_IMAGE_USAGE_TRANSFER_SRC_BIT | VK_IMAGE_USAGE_SAMPLED_BIT,
              "offscreen target"),
      m_readback(context, VkDeviceSize(width) * height * 4, VK_BUFFER_USAGE_TRANSFER_DST_BIT, MemoryUsage::Readback,
                 "offscreen read-back") {}

RenderTarget OffscreenTarget::target(VkImageLayout layout_after) {
    RenderTarget t{m_image.handle(), m_image.format(), m_layout, layout_after};
    m_layout = layout_after;
    return t;
}

void OffscreenTarget::record_readback(VkCommandBuffer cmd) {
    if (m_layout != VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL) {
        image_barrier(cmd, m_image.handle(), m_layout, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
        m_layout = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
    }
    VkBufferImageCopy copy{};
    copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    copy.imageExtent = {width(), height(), 1};
    vkCmdCopyImageToBuffer(cmd, m_image.handle(), VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, m_readback.handle(), 1, &copy);
    host_read_barrier(cmd);
}

Image OffscreenTarget::read(int channels) const {
    if (channels != 3 && channels != 4) throw Error("OffscreenTarget::read: 3 or 4 channels");
    Image out(int(width()), int(height()), channels);
    const auto* bytes = reinterpret_cast<const uint8_t*>(m_readback.mapped());
    const size_t pixels = out.pixel_count();
    for (size_t p = 0; p < pixels; ++p)
        for (int c = 0; c < channels; ++c) out.data[p * channels + c] = float(bytes[p * 4 + c]) / 255.0f;
    return out;
}

} // namespace splatscape::vk
