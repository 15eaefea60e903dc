// The swapchain target in a real window (GLFW, under Xvfb in CI): frames reach the window's images
// exactly as the offscreen path renders them, and the target survives resizing and minimising,
// all without validation errors. Skipped without a display.
#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/offscreen_target_vk.hpp"
#include "renderer/vk/swapchain_target_vk.hpp"
#include "tests/renderer/vk_test_support.hpp"

namespace splatscape::test {
namespace {

GaussianCloud test_scene() {
    GaussianCloud c;
    c.resize(3, 0);
    const float pos[3][3] = {{-0.3f, 0.0f, 2.0f}, {0.3f, 0.1f, 2.5f}, {0.0f, -0.2f, 1.5f}};
    const float rgb[3][3] = {{1.0f, 0.2f, 0.1f}, {0.1f, 0.8f, 0.2f}, {0.2f, 0.3f, 1.0f}};
    for (int i = 0; i < 3; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = pos[i][a];
            c.log_scales[3 * i + a] = std::log(0.15f);
            c.sh[3 * i + a] = sh_dc_from_rgb(rgb[i][a]);
        }
        c.rotations[4 * i] = 1.0f;
        c.rotations[4 * i + 1] = c.rotations[4 * i + 2] = c.rotations[4 * i + 3] = 0.0f;
        c.opacities[i] = 1.5f;
    }
    return c;
}

Camera camera_for(VkExtent2D extent) {
    Camera c;
    c.width = int(extent.width);
    c.height = int(extent.height);
    c.fx = c.fy = 0.9f * float(extent.width);
    c.cx = extent.width * 0.5f;
    c.cy = extent.height * 0.5f;
    return c;
}

class WindowTest : public ::testing::Test {
protected:
    void SetUp() override {
        prepare_vulkan_environment();
        const char* display = std::getenv("DISPLAY");
        if (!display || !*display) GTEST_SKIP() << "no DISPLAY (CI runs this under xvfb-run)";
        if (!glfwInit()) {
            const char* message = nullptr;
            glfwGetError(&message);
            GTEST_SKIP() << "GLFW cannot open the display: " << (message ? message : "unknown error");
        }
        if (!glfwVulkanSupported()) GTEST_SKIP() << "GLFW finds no Vulkan loader";
        glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
        m_window = glfwCreateWindow(200, 150, "splatscape swapchain test", nullptr, nullptr);
        ASSERT_NE(m_window, nullptr);
        vk::ContextOptions options;
        options.validation = validation_wanted() ? 1 : 0;
        uint32_t count = 0;
        const char** extensions = glfwGetRequiredInstanceExtensions(&count);
        for (uint32_t i = 0; i < count; ++i) options.instance_extensions.emplace_back(extensions[i]);
        options.create_surface = [this](VkInstance instance) {
            VkSurfaceKHR surface = VK_NULL_HANDLE;
            return glfwCreateWindowSurface(instance, m_window, nullptr, &surface) == VK_SUCCESS ? surface
                                                                                                : VK_NULL_HANDLE;
        };
        m_context = std::make_unique<vk::Context>(options);
        if (validation_wanted()) {
            ASSERT_TRUE(m_context->validation_enabled());
        }
    }

    void TearDown() override {
        if (m_context) {
            EXPECT_EQ(m_context->validation_errors(), 0u) << "Vulkan validation errors (see log)";
        }
        m_context.reset();
        if (m_window) glfwDestroyWindow(m_window);
        glfwTerminate();
    }

    VkExtent2D framebuffer_size() {
        glfwPollEvents();
        int w = 0, h = 0;
        glfwGetFramebufferSize(m_window, &w, &h);
        return {uint32_t(w), uint32_t(h)};
    }

    GLFWwindow* m_window = nullptr;
    std::unique_ptr<vk::Context> m_context;
};

// Renders one frame into the window and returns its pixels as RGBA bytes (read back from the
// swapchain image before presenting); empty when no frame was drawn.
// `previous` receives the statistics of the last frame drawn with the same frame slot, read as a
// window's loop reads them: after begin_frame has waited for that slot.
std::vector<uint8_t> present_frame(vk::Context& context, vk::SwapchainTarget& target, vk::SplatRenderer& renderer,
                                   const vk::GpuScene& scene, VkExtent2D* drawn, vk::FrameResult* previous = nullptr) {
    auto frame = target.begin_frame();
    if (!frame) return {};
    if (previous) *previous = renderer.finish(frame->slot);
    renderer.prepare(scene, frame->extent.width, frame->extent.height);
    RenderSettings settings;
    settings.background = {0.1f, 0.1f, 0.1f};
    const vk::RenderTarget t = frame->target(VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
    renderer.record(frame->cmd, scene, camera_for(frame->extent), settings, &t, nullptr, frame->slot);
    const VkDeviceSize bytes = VkDeviceSize(frame->extent.width) * frame->extent.height * 4;
    vk::Buffer readback(context, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, vk::MemoryUsage::Readback, "window pixels");
    VkBufferImageCopy copy{};
    copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
    copy.imageExtent = {frame->extent.width, frame->extent.height, 1};
    vkCmdCopyImageToBuffer(frame->cmd, frame->image, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL, readback.handle(), 1, &copy);
    target.end_frame(*frame, VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL);
    context.wait_idle();
    std::vector<uint8_t> pixels(bytes);
    std::memcpy(pixels.data(), readback.mapped(), bytes);
    if (vk::is_bgra(frame->format))
        for (size_t p = 0; p < pixels.size(); p += 4) std::swap(pixels[p], pixels[p + 2]);
    *drawn = frame->extent;
    return pixels;
}

// The same frame through the offscreen target, as RGBA bytes.
std::vector<uint8_t> offscreen_frame(vk::Context& context, const vk::GpuScene& scene, VkExtent2D extent) {
    vk::SplatRenderer renderer(context);
    vk::OffscreenTarget target(context, extent.width, extent.height);
    renderer.prepare(scene, extent.width, extent.height);
    RenderSettings settings;
    settings.background = {0.1f, 0.1f, 0.1f};
    context.submit_and_wait([&](VkCommandBuffer cmd) {
        const vk::RenderTarget t = target.target();
        renderer.record(cmd, scene, camera_for(extent), settings, &t, nullptr);
        target.record_readback(cmd);
    });
    const Image image = target.read(4);
    std::vector<uint8_t> out(image.data.size());
    for (size_t i = 0; i < out.size(); ++i) out[i] = uint8_t(std::lround(image.data[i] * 255.0f));
    return out;
}

TEST_F(WindowTest, FramesMatchOffscreenAcrossResizeAndMinimise) {
    vk::SwapchainOptions options;
    options.readable = true;
    VkExtent2D size = framebuffer_size();
    vk::SwapchainTarget target(*m_context, size.width, size.height, options);
    vk::SplatRenderer renderer(*m_context);
    vk::GpuScene scene(*m_context, test_scene());

    auto check_frames = [&](const char* when) {
        VkExtent2D drawn{};
        std::vector<uint8_t> pixels;
        vk::FrameResult previous;
        // A few frames, so that both frames in flight and several images are used.
        for (int i = 0; i < 4; ++i) pixels = present_frame(*m_context, target, renderer, scene, &drawn, &previous);
        EXPECT_EQ(previous.stats.visible, 3u) << when << ": statistics of an earlier frame in the same slot";
        if (pixels.empty()) pixels = present_frame(*m_context, target, renderer, scene, &drawn);
        ASSERT_FALSE(pixels.empty()) << when << ": no frame was drawn";
        EXPECT_EQ(drawn.width, target.extent().width);
        const std::vector<uint8_t> expected = offscreen_frame(*m_context, scene, drawn);
        ASSERT_EQ(pixels.size(), expected.size()) << when;
        size_t differing = 0;
        for (size_t p = 0; p < pixels.size(); p += 4)
            for (int c = 0; c < 3; ++c) differing += pixels[p + c] != expected[p + c];
        EXPECT_EQ(differing, 0u) << when << ": window pixels differ from the offscreen render";
        // Not trivially equal: the Gaussians cover part of the frame in their colours.
        size_t lit = 0;
        for (size_t p = 0; p < pixels.size(); p += 4)
            lit += pixels[p] > 100 || pixels[p + 1] > 100 || pixels[p + 2] > 100;
        EXPECT_GT(lit, pixels.size() / 4 / 20) << when;
    };

    check_frames("at start");
    const uint32_t rebuilds = target.rebuilds();

    glfwSetWindowSize(m_window, 260, 130);
    for (int i = 0; i < 20 && framebuffer_size().width != 260; ++i) glfwWaitEventsTimeout(0.05);
    size = framebuffer_size();
    ASSERT_EQ(size.width, 260u) << "the window manager did not resize the window";
    target.resize(size.width, size.height);
    check_frames("after resizing");
    EXPECT_GT(target.rebuilds(), rebuilds);
    EXPECT_EQ(target.extent().width, 260u);
    EXPECT_EQ(target.extent().height, 130u);

    // Minimised: the framebuffer has no area; no frame is drawn, nothing fails.
    target.resize(0, 0);
    EXPECT_TRUE(target.minimized());
    VkExtent2D drawn{};
    EXPECT_TRUE(present_frame(*m_context, target, renderer, scene, &drawn).empty());
    target.resize(size.width, size.height);
    check_frames("after restoring");
}

} // namespace
} // namespace splatscape::test
