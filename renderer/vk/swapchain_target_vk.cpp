#include "renderer/vk/swapchain_target_vk.hpp"

#include <algorithm>

#include "core/error.hpp"
#include "core/log.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::vk {

SwapchainTarget::SwapchainTarget(Context& context, uint32_t width, uint32_t height, const SwapchainOptions& options)
    : m_context(context), m_options(options), m_requested{width, height} {
    if (!context.surface()) throw Error("SwapchainTarget needs a context created with a surface");
    for (auto& slot : m_slots) {
        VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
        pool_info.queueFamilyIndex = context.queue_family();
        VkCommandPool pool = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateCommandPool(context.device(), &pool_info, nullptr, &pool));
        slot.pool = UniqueCommandPool(context.device(), pool);
        VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        alloc.commandPool = pool;
        alloc.commandBufferCount = 1;
        SPLATSCAPE_VK_CHECK(vkAllocateCommandBuffers(context.device(), &alloc, &slot.cmd));
        VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        fence_info.flags = VK_FENCE_CREATE_SIGNALED_BIT;
        VkFence fence = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateFence(context.device(), &fence_info, nullptr, &fence));
        slot.fence = UniqueFence(context.device(), fence);
        VkSemaphoreCreateInfo sem_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VkSemaphore sem = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateSemaphore(context.device(), &sem_info, nullptr, &sem));
        slot.acquired = UniqueSemaphore(context.device(), sem);
    }
}

SwapchainTarget::~SwapchainTarget() {
    vkDeviceWaitIdle(m_context.device());
}

void SwapchainTarget::resize(uint32_t width, uint32_t height) {
    if (width != m_requested.width || height != m_requested.height) m_stale = true;
    m_requested = {width, height};
}

void SwapchainTarget::destroy_views() {
    m_views.clear();
    m_rendered.clear();
    m_images.clear();
}

bool SwapchainTarget::rebuild() {
    VkPhysicalDevice gpu = m_context.physical_device();
    VkSurfaceKHR surface = m_context.surface();
    VkSurfaceCapabilitiesKHR caps{};
    SPLATSCAPE_VK_CHECK(vkGetPhysicalDeviceSurfaceCapabilitiesKHR(gpu, surface, &caps));
    VkExtent2D extent = caps.currentExtent;
    if (extent.width == UINT32_MAX) { // the window system lets the swapchain decide
        extent.width = std::clamp(m_requested.width, caps.minImageExtent.width, caps.maxImageExtent.width);
        extent.height = std::clamp(m_requested.height, caps.minImageExtent.height, caps.maxImageExtent.height);
    }
    if (extent.width == 0 || extent.height == 0 || m_requested.width == 0 || m_requested.height == 0) return false;
    if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_DST_BIT))
        throw Error("the window surface does not accept copies into its images (VK_IMAGE_USAGE_TRANSFER_DST_BIT)");

    uint32_t count = 0;
    SPLATSCAPE_VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(gpu, surface, &count, nullptr));
    std::vector<VkSurfaceFormatKHR> formats(count);
    SPLATSCAPE_VK_CHECK(vkGetPhysicalDeviceSurfaceFormatsKHR(gpu, surface, &count, formats.data()));
    // UNORM first: the renderer's bytes are already sRGB-encoded colours, and an SRGB format would
    // only matter to a UI drawn with graphics shaders.
    const VkFormat preferred[] = {VK_FORMAT_B8G8R8A8_UNORM, VK_FORMAT_R8G8B8A8_UNORM, VK_FORMAT_B8G8R8A8_SRGB,
                                  VK_FORMAT_R8G8B8A8_SRGB};
    m_format = VK_FORMAT_UNDEFINED;
    for (VkFormat want : preferred) {
        for (auto& f : formats)
            if (f.format == want && f.colorSpace == VK_COLOR_SPACE_SRGB_NONLINEAR_KHR) {
                m_format = f.format;
                m_color_space = f.colorSpace;
                break;
            }
        if (m_format != VK_FORMAT_UNDEFINED) break;
    }
    if (m_format == VK_FORMAT_UNDEFINED) throw Error("the window surface offers no 8-bit RGBA or BGRA format");

    SPLATSCAPE_VK_CHECK(vkGetPhysicalDeviceSurfacePresentModesKHR(gpu, surface, &count, nullptr));
    std::vector<VkPresentModeKHR> modes(count);
    SPLATSCAPE_VK_CHECK(vkGetPhysicalDeviceSurfacePresentModesKHR(gpu, surface, &count, modes.data()));
    VkPresentModeKHR mode = VK_PRESENT_MODE_FIFO_KHR;
    if (!m_options.vsync) {
        for (VkPresentModeKHR m : {VK_PRESENT_MODE_MAILBOX_KHR, VK_PRESENT_MODE_IMMEDIATE_KHR})
            if (std::find(modes.begin(), modes.end(), m) != modes.end()) {
                mode = m;
                break;
            }
    }

    uint32_t images = caps.minImageCount + 1;
    if (caps.maxImageCount > 0) images = std::min(images, caps.maxImageCount);
    VkImageUsageFlags usage = VK_IMAGE_USAGE_TRANSFER_DST_BIT;
    usage |= caps.supportedUsageFlags & VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT; // a UI pass on top
    if (m_options.readable) {
        if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT))
            throw Error("the window surface's images cannot be read back (no VK_IMAGE_USAGE_TRANSFER_SRC_BIT)");
        usage |= VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    }

    // Every frame in flight must be done with the old images before they go.
    SPLATSCAPE_VK_CHECK(vkDeviceWaitIdle(m_context.device()));
    VkSwapchainCreateInfoKHR info{VK_STRUCTURE_TYPE_SWAPCHAIN_CREATE_INFO_KHR};
    info.surface = surface;
    info.minImageCount = images;
    info.imageFormat = m_format;
    info.imageColorSpace = m_color_space;
    info.imageExtent = extent;
    info.imageArrayLayers = 1;
    info.imageUsage = usage;
    info.imageSharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.preTransform = caps.currentTransform;
    info.compositeAlpha =
        (caps.supportedCompositeAlpha & VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR)
            ? VK_COMPOSITE_ALPHA_OPAQUE_BIT_KHR
            : VkCompositeAlphaFlagBitsKHR(caps.supportedCompositeAlpha & -caps.supportedCompositeAlpha);
    info.presentMode = mode;
    info.clipped = VK_TRUE;
    info.oldSwapchain = m_swapchain;
    VkSwapchainKHR swapchain = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateSwapchainKHR(m_context.device(), &info, nullptr, &swapchain));
    destroy_views();
    m_swapchain = UniqueSwapchain(m_context.device(), swapchain);
    m_extent = extent;

    SPLATSCAPE_VK_CHECK(vkGetSwapchainImagesKHR(m_context.device(), swapchain, &count, nullptr));
    m_images.resize(count);
    SPLATSCAPE_VK_CHECK(vkGetSwapchainImagesKHR(m_context.device(), swapchain, &count, m_images.data()));
    for (VkImage image : m_images) {
        VkImageViewCreateInfo view{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
        view.image = image;
        view.viewType = VK_IMAGE_VIEW_TYPE_2D;
        view.format = m_format;
        view.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
        VkImageView handle = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateImageView(m_context.device(), &view, nullptr, &handle));
        m_views.emplace_back(m_context.device(), handle);
        VkSemaphoreCreateInfo sem_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VkSemaphore sem = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateSemaphore(m_context.device(), &sem_info, nullptr, &sem));
        m_rendered.emplace_back(m_context.device(), sem);
    }
    // The acquire semaphores of slots whose acquire failed may still be pending: start them afresh.
    for (auto& slot : m_slots) {
        VkSemaphoreCreateInfo sem_info{VK_STRUCTURE_TYPE_SEMAPHORE_CREATE_INFO};
        VkSemaphore sem = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateSemaphore(m_context.device(), &sem_info, nullptr, &sem));
        slot.acquired = UniqueSemaphore(m_context.device(), sem);
    }
    m_stale = false;
    ++m_rebuilds;
    log::debug("swapchain ", extent.width, "x", extent.height, ", ", count, " images, present mode ", int(mode));
    return true;
}

std::optional<SwapchainFrame> SwapchainTarget::begin_frame() {
    if (minimized()) return std::nullopt;
    if (m_stale || !m_swapchain) {
        if (!rebuild()) return std::nullopt;
    }
    const uint32_t slot_index = m_frame % kFramesInFlight;
    Slot& slot = m_slots[slot_index];
    VkFence fence = slot.fence;
    SPLATSCAPE_VK_CHECK(vkWaitForFences(m_context.device(), 1, &fence, VK_TRUE, UINT64_MAX));
    uint32_t index = 0;
    VkResult r =
        vkAcquireNextImageKHR(m_context.device(), m_swapchain, UINT64_MAX, slot.acquired, VK_NULL_HANDLE, &index);
    if (r == VK_ERROR_OUT_OF_DATE_KHR) {
        m_stale = true;
        return std::nullopt;
    }
    if (r == VK_SUBOPTIMAL_KHR)
        m_stale = true; // still usable: draw this frame, rebuild after
    else
        SPLATSCAPE_VK_CHECK(r);
    SPLATSCAPE_VK_CHECK(vkResetFences(m_context.device(), 1, &fence));
    SPLATSCAPE_VK_CHECK(vkResetCommandPool(m_context.device(), slot.pool, 0));
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    SPLATSCAPE_VK_CHECK(vkBeginCommandBuffer(slot.cmd, &begin));
    SwapchainFrame frame;
    frame.cmd = slot.cmd;
    frame.image = m_images[index];
    frame.view = m_views[index];
    frame.format = m_format;
    frame.extent = m_extent;
    frame.image_index = index;
    frame.slot = slot_index;
    return frame;
}

void SwapchainTarget::end_frame(const SwapchainFrame& frame, VkImageLayout layout) {
    Slot& slot = m_slots[frame.slot];
    if (layout != VK_IMAGE_LAYOUT_PRESENT_SRC_KHR)
        image_barrier(frame.cmd, frame.image, layout, VK_IMAGE_LAYOUT_PRESENT_SRC_KHR);
    host_read_barrier(frame.cmd);
    SPLATSCAPE_VK_CHECK(vkEndCommandBuffer(frame.cmd));
    VkSemaphore wait = slot.acquired, signal = m_rendered[frame.image_index];
    const VkPipelineStageFlags wait_stage = VK_PIPELINE_STAGE_ALL_COMMANDS_BIT;
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.waitSemaphoreCount = 1;
    submit.pWaitSemaphores = &wait;
    submit.pWaitDstStageMask = &wait_stage;
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &frame.cmd;
    submit.signalSemaphoreCount = 1;
    submit.pSignalSemaphores = &signal;
    SPLATSCAPE_VK_CHECK(vkQueueSubmit(m_context.queue(), 1, &submit, slot.fence));
    VkSwapchainKHR swapchain = m_swapchain;
    VkPresentInfoKHR present{VK_STRUCTURE_TYPE_PRESENT_INFO_KHR};
    present.waitSemaphoreCount = 1;
    present.pWaitSemaphores = &signal;
    present.swapchainCount = 1;
    present.pSwapchains = &swapchain;
    present.pImageIndices = &frame.image_index;
    VkResult r = vkQueuePresentKHR(m_context.queue(), &present);
    if (r == VK_ERROR_OUT_OF_DATE_KHR || r == VK_SUBOPTIMAL_KHR)
        m_stale = true;
    else
        SPLATSCAPE_VK_CHECK(r);
    ++m_frame;
}

} // namespace splatscape::vk
