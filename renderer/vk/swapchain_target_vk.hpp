#pragma once
// Presenting to a window: a swapchain on the context's surface (created by the caller, e.g. with
// glfwCreateWindowSurface; this library knows no window system) that survives resizes and
// minimising. Frames in flight: 2, each with its own command buffer, fence and semaphores.
//
//   target.resize(w, h);                      // from the window's framebuffer-size callback
//   if (auto frame = target.begin_frame()) {  // nullopt: minimised, or the swapchain was rebuilt
//       RenderTarget t = frame->target();     // renderer.record(frame->cmd, ..., &t, ..., frame->slot)
//       ...                                   // more commands (a UI pass) on frame->image
//       target.end_frame(*frame, t.layout_after);
//   }
#include <array>
#include <cstdint>
#include <optional>
#include <vector>

#include <vulkan/vulkan.h>

#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/raii_vk.hpp"

namespace splatscape::vk {

class Context;

struct SwapchainOptions {
    bool vsync = true;     // FIFO; otherwise mailbox (or immediate) when the surface offers it
    bool readable = false; // images also usable as copy sources (screenshots, tests)
};

struct SwapchainFrame {
    VkCommandBuffer cmd = VK_NULL_HANDLE; // begun; end_frame ends and submits it
    VkImage image = VK_NULL_HANDLE;       // in VK_IMAGE_LAYOUT_UNDEFINED at the start of the frame
    VkImageView view = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_UNDEFINED;
    VkExtent2D extent{};
    uint32_t image_index = 0;
    uint32_t slot = 0; // frame-in-flight index, < SplatRenderer::kFrameSlots

    // For SplatRenderer::record: leaves the image ready for presenting (or further drawing).
    RenderTarget target(VkImageLayout layout_after = VK_IMAGE_LAYOUT_PRESENT_SRC_KHR) const {
        return {image, format, VK_IMAGE_LAYOUT_UNDEFINED, layout_after};
    }
};

class SwapchainTarget {
public:
    static constexpr uint32_t kFramesInFlight = SplatRenderer::kFrameSlots;

    SwapchainTarget(Context& context, uint32_t width, uint32_t height, const SwapchainOptions& options = {});
    ~SwapchainTarget();
    SwapchainTarget(const SwapchainTarget&) = delete;
    SwapchainTarget& operator=(const SwapchainTarget&) = delete;

    // The window's framebuffer size changed; 0 x 0 while minimised. The swapchain is rebuilt at
    // the next begin_frame.
    void resize(uint32_t width, uint32_t height);
    // Waits for this slot's previous frame, acquires an image and begins the command buffer.
    // nullopt when there is nothing to draw to (minimised) or the swapchain had to be rebuilt.
    std::optional<SwapchainFrame> begin_frame();
    // Moves the image from `layout` to present layout, submits and presents.
    void end_frame(const SwapchainFrame& frame, VkImageLayout layout);

    VkFormat format() const { return m_format; }
    VkExtent2D extent() const { return m_extent; }
    uint32_t image_count() const { return uint32_t(m_images.size()); }
    bool minimized() const { return m_requested.width == 0 || m_requested.height == 0; }
    uint32_t rebuilds() const { return m_rebuilds; } // how often the swapchain was recreated

private:
    // Returns false when the surface has no area (minimised).
    bool rebuild();
    void destroy_views();

    struct Slot {
        UniqueCommandPool pool;
        VkCommandBuffer cmd = VK_NULL_HANDLE;
        UniqueFence fence;
        UniqueSemaphore acquired;
    };

    Context& m_context;
    SwapchainOptions m_options;
    VkExtent2D m_requested{};
    VkExtent2D m_extent{};
    VkFormat m_format = VK_FORMAT_UNDEFINED;
    VkColorSpaceKHR m_color_space = VK_COLOR_SPACE_SRGB_NONLINEAR_KHR;
    UniqueSwapchain m_swapchain;
    std::vector<VkImage> m_images;
    std::vector<UniqueImageView> m_views;
    std::vector<UniqueSemaphore> m_rendered; // per image: presentation waits on it
    std::array<Slot, kFramesInFlight> m_slots;
    uint32_t m_frame = 0;
    bool m_stale = true;
    uint32_t m_rebuilds = 0;
};

} // namespace splatscape::vk
