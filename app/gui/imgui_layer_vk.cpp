#include "app/gui/imgui_layer_vk.hpp"

#include <array>
#include <filesystem>

#include <GLFW/glfw3.h>
#include <imgui.h>
#include <imgui_impl_glfw.h>
#include <imgui_impl_vulkan.h>

#include "core/error.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::gui {
namespace {

void check_imgui_vk(VkResult result) {
    if (result < 0) vk::throw_vk_error(result, "Dear ImGui Vulkan backend", __FILE__, __LINE__);
}

vk::UniqueDescriptorPool make_descriptor_pool(vk::Context& context) {
    // The backend needs one combined image sampler (the font atlas); a little room to spare.
    const std::array<VkDescriptorPoolSize, 1> sizes{{{VK_DESCRIPTOR_TYPE_COMBINED_IMAGE_SAMPLER, 8}}};
    VkDescriptorPoolCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_DESCRIPTOR_POOL_CREATE_INFO;
    info.flags = VK_DESCRIPTOR_POOL_CREATE_FREE_DESCRIPTOR_SET_BIT;
    info.maxSets = 8;
    info.poolSizeCount = uint32_t(sizes.size());
    info.pPoolSizes = sizes.data();
    VkDescriptorPool pool = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateDescriptorPool(context.device(), &info, nullptr, &pool));
    return vk::UniqueDescriptorPool(context.device(), pool);
}

UniqueRenderPass make_render_pass(vk::Context& context, VkFormat format) {
    // Draws over what the viewport put into the image (load, not clear), which stays a colour attachment.
    VkAttachmentDescription color{};
    color.format = format;
    color.samples = VK_SAMPLE_COUNT_1_BIT;
    color.loadOp = VK_ATTACHMENT_LOAD_OP_LOAD;
    color.storeOp = VK_ATTACHMENT_STORE_OP_STORE;
    color.stencilLoadOp = VK_ATTACHMENT_LOAD_OP_DONT_CARE;
    color.stencilStoreOp = VK_ATTACHMENT_STORE_OP_DONT_CARE;
    color.initialLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    color.finalLayout = VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL;
    VkAttachmentReference ref{0, VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL};
    VkSubpassDescription subpass{};
    subpass.pipelineBindPoint = VK_PIPELINE_BIND_POINT_GRAPHICS;
    subpass.colorAttachmentCount = 1;
    subpass.pColorAttachments = &ref;
    VkSubpassDependency dependency{};
    dependency.srcSubpass = VK_SUBPASS_EXTERNAL;
    dependency.dstSubpass = 0;
    dependency.srcStageMask = VK_PIPELINE_STAGE_TRANSFER_BIT | VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    dependency.dstStageMask = VK_PIPELINE_STAGE_COLOR_ATTACHMENT_OUTPUT_BIT;
    dependency.srcAccessMask = VK_ACCESS_TRANSFER_WRITE_BIT;
    dependency.dstAccessMask = VK_ACCESS_COLOR_ATTACHMENT_READ_BIT | VK_ACCESS_COLOR_ATTACHMENT_WRITE_BIT;
    VkRenderPassCreateInfo info{};
    info.sType = VK_STRUCTURE_TYPE_RENDER_PASS_CREATE_INFO;
    info.attachmentCount = 1;
    info.pAttachments = &color;
    info.subpassCount = 1;
    info.pSubpasses = &subpass;
    info.dependencyCount = 1;
    info.pDependencies = &dependency;
    VkRenderPass pass = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateRenderPass(context.device(), &info, nullptr, &pass));
    return UniqueRenderPass(context.device(), pass);
}

// A readable proportional font when the system has one (fonts-dejavu-core); ImGui's built-in
// bitmap font otherwise.
void load_font() {
    ImGuiIO& io = ImGui::GetIO();
    for (const char* path :
         {"/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/TTF/DejaVuSans.ttf"}) {
        std::error_code ec;
        if (std::filesystem::is_regular_file(path, ec) && io.Fonts->AddFontFromFileTTF(path, 15.0f)) return;
    }
    io.Fonts->AddFontDefault();
}

} // namespace

ImGuiLayer::ImGuiContextOwner::ImGuiContextOwner() {
    IMGUI_CHECKVERSION();
    context = ImGui::CreateContext();
    ImGuiIO& io = ImGui::GetIO();
    // The layout is fixed by the shell; nothing to remember between sessions in imgui.ini.
    io.IniFilename = nullptr;
    ImGui::StyleColorsDark();
    ImGuiStyle& style = ImGui::GetStyle();
    style.WindowRounding = 0.0f;
    style.FrameRounding = 2.0f;
    load_font();
}

ImGuiLayer::ImGuiContextOwner::~ImGuiContextOwner() {
    ImGui::DestroyContext(context);
}

ImGuiLayer::GlfwBackend::GlfwBackend(GLFWwindow* window) {
    if (!ImGui_ImplGlfw_InitForVulkan(window, true)) throw Error("Dear ImGui could not attach to the window");
}

ImGuiLayer::GlfwBackend::~GlfwBackend() {
    ImGui_ImplGlfw_Shutdown();
}

ImGuiLayer::VulkanBackend::VulkanBackend(vk::Context& context, VkDescriptorPool pool, VkRenderPass pass,
                                         uint32_t image_count) {
    ImGui_ImplVulkan_InitInfo info{};
    info.Instance = context.instance();
    info.PhysicalDevice = context.physical_device();
    info.Device = context.device();
    info.QueueFamily = context.queue_family();
    info.Queue = context.queue();
    info.DescriptorPool = pool;
    info.Subpass = 0;
    // The backend keeps a vertex buffer per image; frames in flight never exceed the image count.
    info.MinImageCount = std::max<uint32_t>(image_count, vk::SwapchainTarget::kFramesInFlight);
    info.ImageCount = info.MinImageCount;
    info.MSAASamples = VK_SAMPLE_COUNT_1_BIT;
    info.CheckVkResultFn = check_imgui_vk;
    if (!ImGui_ImplVulkan_Init(&info, pass)) throw Error("Dear ImGui's Vulkan backend failed to start");
}

ImGuiLayer::VulkanBackend::~VulkanBackend() {
    ImGui_ImplVulkan_Shutdown();
}

ImGuiLayer::ImGuiLayer(vk::Context& context, GLFWwindow* window, VkFormat format, uint32_t image_count)
    : m_context(context), m_format(format), m_glfw(window), m_descriptors(make_descriptor_pool(context)),
      m_render_pass(make_render_pass(context, format)), m_vulkan(context, m_descriptors, m_render_pass, image_count) {
    context.submit_and_wait([](VkCommandBuffer cmd) { ImGui_ImplVulkan_CreateFontsTexture(cmd); });
    ImGui_ImplVulkan_DestroyFontUploadObjects();
}

ImGuiLayer::~ImGuiLayer() {
    m_context.wait_idle();
}

void ImGuiLayer::new_frame() {
    ImGui_ImplVulkan_NewFrame();
    ImGui_ImplGlfw_NewFrame();
    ImGui::NewFrame();
}

void ImGuiLayer::record(const vk::SwapchainFrame& frame, uint32_t swapchain_rebuilds) {
    if (frame.format != m_format) throw Error("the window's pixel format changed; restart the viewer");
    if (swapchain_rebuilds != m_framebuffer_generation) {
        // The old images and views are gone (the swapchain waited for the device before replacing them).
        m_framebuffers.clear();
        m_framebuffer_extents.clear();
        m_framebuffer_generation = swapchain_rebuilds;
    }
    if (frame.image_index >= m_framebuffers.size()) {
        m_framebuffers.resize(frame.image_index + 1);
        m_framebuffer_extents.resize(frame.image_index + 1);
    }
    UniqueFramebuffer& fb = m_framebuffers[frame.image_index];
    const VkExtent2D have = m_framebuffer_extents[frame.image_index];
    if (!fb || have.width != frame.extent.width || have.height != frame.extent.height) {
        VkImageView view = frame.view;
        VkFramebufferCreateInfo info{};
        info.sType = VK_STRUCTURE_TYPE_FRAMEBUFFER_CREATE_INFO;
        info.renderPass = m_render_pass;
        info.attachmentCount = 1;
        info.pAttachments = &view;
        info.width = frame.extent.width;
        info.height = frame.extent.height;
        info.layers = 1;
        VkFramebuffer handle = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateFramebuffer(m_context.device(), &info, nullptr, &handle));
        fb = UniqueFramebuffer(m_context.device(), handle);
        m_framebuffer_extents[frame.image_index] = frame.extent;
    }
    VkRenderPassBeginInfo begin{};
    begin.sType = VK_STRUCTURE_TYPE_RENDER_PASS_BEGIN_INFO;
    begin.renderPass = m_render_pass;
    begin.framebuffer = fb;
    begin.renderArea.extent = frame.extent;
    vkCmdBeginRenderPass(frame.cmd, &begin, VK_SUBPASS_CONTENTS_INLINE);
    ImGui_ImplVulkan_RenderDrawData(ImGui::GetDrawData(), frame.cmd);
    vkCmdEndRenderPass(frame.cmd);
}

} // namespace splatscape::gui
