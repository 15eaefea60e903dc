#include "app/gui/frame_loop_vk.hpp"

#include <algorithm>

#include <GLFW/glfw3.h>
#include <imgui.h>

#include "core/error.hpp"
#include "core/log.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/check_vk.hpp"

namespace splatscape::gui {
namespace {

// How long a minimised window sleeps between checks.
constexpr double kMinimizedWait = 1.0 / 30.0;

} // namespace

FrameLoop::FrameLoop(const WindowOptions& options, const std::string& title)
    : m_window(m_glfw, options.width, options.height, title) {
    vk::ContextOptions c;
    c.gpu_index = options.gpu;
    c.validation = options.validation;
    c.instance_extensions = m_glfw.vulkan_instance_extensions();
    c.create_surface = [this](VkInstance instance) { return m_window.create_surface(instance); };
    m_context = std::make_unique<vk::Context>(c);
    log::info("view: Vulkan device ", vk::describe(m_context->info()),
              m_context->validation_enabled() ? ", validation layer on" : "");

    // Screenshots of the window read its images back, when the surface allows it.
    VkSurfaceCapabilitiesKHR caps{};
    SPLATSCAPE_VK_CHECK(
        vkGetPhysicalDeviceSurfaceCapabilitiesKHR(m_context->physical_device(), m_context->surface(), &caps));
    m_can_capture = caps.supportedUsageFlags & VK_IMAGE_USAGE_TRANSFER_SRC_BIT;
    if (!(caps.supportedUsageFlags & VK_IMAGE_USAGE_COLOR_ATTACHMENT_BIT))
        throw Error("the window surface cannot be drawn to by the UI (no colour-attachment usage)");
    vk::SwapchainOptions so;
    so.vsync = options.vsync;
    so.readable = m_can_capture;
    m_target = std::make_unique<vk::SwapchainTarget>(*m_context, uint32_t(m_window.framebuffer_width()),
                                                     uint32_t(m_window.framebuffer_height()), so);
    m_run_start = m_frame_start = Clock::now();
}

FrameLoop::~FrameLoop() {
    if (m_context) m_context->wait_idle();
}

void FrameLoop::wait_events(double seconds) {
    if (seconds > 0.0)
        glfwWaitEventsTimeout(seconds);
    else
        glfwPollEvents();
}

std::optional<vk::SwapchainFrame> FrameLoop::begin_frame() {
    const int fb_w = m_window.framebuffer_width(), fb_h = m_window.framebuffer_height();
    m_target->resize(uint32_t(std::max(fb_w, 0)), uint32_t(std::max(fb_h, 0)));
    std::optional<vk::SwapchainFrame> frame = m_target->begin_frame();
    if (!frame) {
        // Minimised (or the swapchain was just rebuilt): nothing to draw; do not spin.
        if (m_target->minimized()) glfwWaitEventsTimeout(kMinimizedWait);
        return std::nullopt;
    }
    // The UI's render pass needs the swapchain's format, known once it exists.
    if (!m_imgui)
        m_imgui =
            std::make_unique<ImGuiLayer>(*m_context, m_window.handle(), m_target->format(), m_target->image_count());
    m_imgui->new_frame();
    return frame;
}

void FrameLoop::end_frame(const vk::SwapchainFrame& frame, bool capture) {
    ImGui::Render();
    m_imgui->record(frame, m_target->rebuilds());
    if (capture) {
        const VkDeviceSize bytes = VkDeviceSize(frame.extent.width) * frame.extent.height * 4;
        if (!m_capture || m_capture.size() < bytes)
            m_capture = vk::Buffer(*m_context, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, vk::MemoryUsage::Readback,
                                   "window capture");
        vk::image_barrier(frame.cmd, frame.image, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL,
                          VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
        VkBufferImageCopy copy{};
        copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        copy.imageExtent = {frame.extent.width, frame.extent.height, 1};
        vkCmdCopyImageToBuffer(frame.cmd, frame.image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, m_capture.handle(), 1,
                               &copy);
        m_capture_extent = frame.extent;
        m_capture_bgra = vk::is_bgra(frame.format);
    }
    m_target->end_frame(frame,
                        capture ? VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL : VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL);
}

Image FrameLoop::read_capture() {
    if (!m_capture || m_capture_extent.width == 0) return {};
    m_context->wait_idle();
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

void FrameLoop::count_frame() {
    const auto now = Clock::now();
    m_frame_ms = 1e3 * std::chrono::duration<double>(now - m_frame_start).count();
    m_frame_start = now;
    ++m_frames;
    m_frame_times.push_back(now);
    while (m_frame_times.size() > 2 && now - m_frame_times.front() > std::chrono::seconds(1)) m_frame_times.pop_front();
    if (m_frame_times.size() > 1)
        m_fps = double(m_frame_times.size() - 1) /
                std::max(std::chrono::duration<double>(m_frame_times.back() - m_frame_times.front()).count(), 1e-9);
}

double FrameLoop::seconds_in_frame() const {
    return std::chrono::duration<double>(Clock::now() - m_frame_start).count();
}

double FrameLoop::seconds_running() const {
    return std::chrono::duration<double>(Clock::now() - m_run_start).count();
}

} // namespace splatscape::gui
