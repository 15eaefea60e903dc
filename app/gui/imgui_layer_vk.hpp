#pragma once
// Dear ImGui on a GLFW window, drawn with Vulkan over the viewport: the ImGui context, its GLFW and
// Vulkan backends, the render pass and a framebuffer per swapchain image. One owner, created after
// the window and the Vulkan context and destroyed before them; no globals of our own.
#include <cstdint>
#include <vector>

#include <vulkan/vulkan.h>

#include "renderer/vk/raii_vk.hpp"
#include "renderer/vk/swapchain_target_vk.hpp"

struct GLFWwindow;
struct ImGuiContext;

namespace splatscape::vk {
class Context;
}

namespace splatscape::gui {

using UniqueRenderPass = vk::DeviceHandle<VkRenderPass, vkDestroyRenderPass>;
using UniqueFramebuffer = vk::DeviceHandle<VkFramebuffer, vkDestroyFramebuffer>;

class ImGuiLayer {
public:
    // `format` and `image_count` are the swapchain's. GLFW input callbacks are installed on
    // `window` (chaining to any the caller set before).
    ImGuiLayer(vk::Context& context, GLFWwindow* window, VkFormat format, uint32_t image_count);
    ~ImGuiLayer();
    ImGuiLayer(const ImGuiLayer&) = delete;
    ImGuiLayer& operator=(const ImGuiLayer&) = delete;

    // Starts an ImGui frame (input from GLFW, display size from the window).
    void new_frame();
    // Draws the finished ImGui frame (after ImGui::Render) over the frame's image, which must be in
    // VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL and stays in it. `swapchain_rebuilds` tells when the
    // swapchain's images were replaced (SwapchainTarget::rebuilds()).
    void record(const vk::SwapchainFrame& frame, uint32_t swapchain_rebuilds);

private:
    // Each step of the set-up owns what it made, so a failure part-way undoes the earlier steps.
    struct ImGuiContextOwner {
        ImGuiContextOwner();
        ~ImGuiContextOwner();
        ImGuiContext* context = nullptr;
    };
    struct GlfwBackend {
        explicit GlfwBackend(GLFWwindow* window);
        ~GlfwBackend();
    };
    struct VulkanBackend {
        VulkanBackend(vk::Context& context, VkDescriptorPool pool, VkRenderPass pass, uint32_t image_count);
        ~VulkanBackend();
    };

    vk::Context& m_context;
    VkFormat m_format;
    ImGuiContextOwner m_imgui;
    GlfwBackend m_glfw;
    vk::UniqueDescriptorPool m_descriptors;
    UniqueRenderPass m_render_pass;
    VulkanBackend m_vulkan;
    std::vector<UniqueFramebuffer> m_framebuffers; // per swapchain image
    std::vector<VkExtent2D> m_framebuffer_extents;
    uint32_t m_framebuffer_generation = UINT32_MAX;
};

} // namespace splatscape::gui
