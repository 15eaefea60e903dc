#pragma once
// The window and what presents to it: GLFW, the Vulkan context (with the window's surface), the
// swapchain, Dear ImGui, window read-backs and the window's frame clock. One frame:
//
//   loop.wait_events(seconds);
//   if (auto frame = loop.begin_frame()) {  // also starts the ImGui frame
//       ... build the UI, record the viewport into frame->image ...
//       loop.end_frame(*frame, capture);    // draws the UI over it and presents
//   }
//   loop.count_frame();
//
// Nothing here knows what is drawn or what the panels are.
#include <chrono>
#include <deque>
#include <memory>
#include <optional>
#include <string>

#include <vulkan/vulkan.h>

#include "app/gui/glfw_window.hpp"
#include "app/gui/gui.hpp"
#include "app/gui/imgui_layer_vk.hpp"
#include "core/image.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/swapchain_target_vk.hpp"

namespace splatscape::gui {

class FrameLoop {
public:
    using Clock = std::chrono::steady_clock;

    // Opens the window (throws Error without a display) and the Vulkan device that draws into it
    // (--gpu, --validation, --vsync of `options`).
    FrameLoop(const WindowOptions& options, const std::string& title);
    ~FrameLoop();
    FrameLoop(const FrameLoop&) = delete;
    FrameLoop& operator=(const FrameLoop&) = delete;

    vk::Context& context() { return *m_context; }
    const vk::Context& context() const { return *m_context; }
    GlfwWindow& window() { return m_window; }
    const GlfwWindow& window() const { return m_window; }
    // The window's pixels can be read back (screenshots of the window).
    bool can_capture() const { return m_can_capture; }
    // The UI exists (from the first frame on: it needs the swapchain's format).
    bool ui_ready() const { return bool(m_imgui); }

    // Waits up to `seconds` for input; 0 only polls.
    void wait_events(double seconds);
    // Fits the swapchain to the window and begins a frame, and the UI's frame with it. nullopt when
    // there is nothing to draw to (minimised, or the swapchain was just rebuilt).
    std::optional<vk::SwapchainFrame> begin_frame();
    // Draws the UI over the frame's image (in COLOR_ATTACHMENT_OPTIMAL), copies the result for
    // read_capture() when `capture`, and presents.
    void end_frame(const vk::SwapchainFrame& frame, bool capture);
    // The window as the last captured frame showed it (RGB), after waiting for the device.
    Image read_capture();

    // Ends the frame's timing (call once per loop iteration that drew).
    void count_frame();
    double fps() const { return m_fps; }           // mean over the last second
    double frame_ms() const { return m_frame_ms; } // wall time of the last frame
    uint64_t frames() const { return m_frames; }   // window frames so far
    double seconds_in_frame() const;               // since the last frame ended
    double seconds_running() const;                // since the window opened

private:
    GlfwLibrary m_glfw;
    GlfwWindow m_window;
    std::unique_ptr<vk::Context> m_context;
    std::unique_ptr<vk::SwapchainTarget> m_target;
    std::unique_ptr<ImGuiLayer> m_imgui;
    bool m_can_capture = false;

    vk::Buffer m_capture;
    VkExtent2D m_capture_extent{};
    bool m_capture_bgra = false;

    Clock::time_point m_run_start;
    Clock::time_point m_frame_start;
    std::deque<Clock::time_point> m_frame_times;
    double m_fps = 0.0;
    double m_frame_ms = 0.0;
    uint64_t m_frames = 0;
};

} // namespace splatscape::gui
