#pragma once
// An RGBA8 image the renderer draws into without a window, with a host read-back buffer. It can
// also be sampled (a GUI showing a render in a panel, say).
#include <cstdint>

#include <vulkan/vulkan.h>

#include "core/image.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/memory_vk.hpp"

namespace splatscape::vk {

class Context;

class OffscreenTarget {
public:
    OffscreenTarget(Context& context, uint32_t width, uint32_t height);

    uint32_t width() const { return m_image.extent().width; }
    uint32_t height() const { return m_image.extent().height; }
    const Image2D& image() const { return m_image; }
    VkImageLayout layout() const { return m_layout; }

    // The target for SplatRenderer::record; the image ends in `layout_after` (and is tracked).
    RenderTarget target(VkImageLayout layout_after = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
    // Records the copy of the image into the read-back buffer.
    void record_readback(VkCommandBuffer cmd);
    // The read-back pixels as floats in [0, 1] (8-bit levels), 3 or 4 channels, once the command
    // buffer with record_readback() has completed.
    Image read(int channels = 3) const;

private:
    Image2D m_image;
    Buffer m_readback;
    VkImageLayout m_layout = VK_IMAGE_LAYOUT_UNDEFINED;
};

} // namespace splatscape::vk
