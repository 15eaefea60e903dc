#include "app/gui/glfw_window.hpp"

#define GLFW_INCLUDE_VULKAN
#include <GLFW/glfw3.h>

#include "core/error.hpp"
#include "core/log.hpp"

namespace splatscape::gui {
namespace {

void on_glfw_error(int code, const char* description) {
    log::debug("GLFW error ", code, ": ", description ? description : "");
}

void on_drop(GLFWwindow* window, int count, const char** paths) {
    auto* self = static_cast<std::vector<std::string>*>(glfwGetWindowUserPointer(window));
    if (!self) return;
    for (int i = 0; i < count; ++i)
        if (paths[i]) self->emplace_back(paths[i]);
}

} // namespace

GlfwLibrary::GlfwLibrary() {
    glfwSetErrorCallback(on_glfw_error);
    if (!glfwInit()) {
        const char* message = nullptr;
        glfwGetError(&message);
        throw Error(cat("cannot open a window (", message ? message : "GLFW could not start",
                        "): set DISPLAY to an X server, run under xvfb-run, or use `splatscape render` for "
                        "headless frames"));
    }
    if (!glfwVulkanSupported()) {
        glfwTerminate();
        throw Error("cannot open a Vulkan window: GLFW finds no Vulkan loader (install libvulkan1 and a driver, such "
                    "as mesa-vulkan-drivers)");
    }
}

GlfwLibrary::~GlfwLibrary() {
    glfwTerminate();
}

std::vector<std::string> GlfwLibrary::vulkan_instance_extensions() const {
    uint32_t count = 0;
    const char** names = glfwGetRequiredInstanceExtensions(&count);
    std::vector<std::string> out;
    for (uint32_t i = 0; names && i < count; ++i) out.emplace_back(names[i]);
    return out;
}

GlfwWindow::GlfwWindow(const GlfwLibrary&, int width, int height, const std::string& title) {
    glfwWindowHint(GLFW_CLIENT_API, GLFW_NO_API);
    glfwWindowHint(GLFW_RESIZABLE, GLFW_TRUE);
    m_window = glfwCreateWindow(width, height, title.c_str(), nullptr, nullptr);
    if (!m_window) {
        const char* message = nullptr;
        glfwGetError(&message);
        throw Error(cat("cannot create a window: ", message ? message : "unknown GLFW error"));
    }
    glfwSetWindowUserPointer(m_window, &m_drops);
    glfwSetDropCallback(m_window, on_drop);
}

GlfwWindow::~GlfwWindow() {
    if (m_window) glfwDestroyWindow(m_window);
}

VkSurfaceKHR GlfwWindow::create_surface(VkInstance instance) const {
    VkSurfaceKHR surface = VK_NULL_HANDLE;
    if (glfwCreateWindowSurface(instance, m_window, nullptr, &surface) != VK_SUCCESS) return VK_NULL_HANDLE;
    return surface;
}

bool GlfwWindow::should_close() const {
    return glfwWindowShouldClose(m_window);
}

void GlfwWindow::request_close() {
    glfwSetWindowShouldClose(m_window, GLFW_TRUE);
}

void GlfwWindow::set_title(const std::string& title) {
    glfwSetWindowTitle(m_window, title.c_str());
}

void GlfwWindow::hide() {
    glfwHideWindow(m_window);
}

int GlfwWindow::framebuffer_width() const {
    int w = 0, h = 0;
    glfwGetFramebufferSize(m_window, &w, &h);
    return w;
}

int GlfwWindow::framebuffer_height() const {
    int w = 0, h = 0;
    glfwGetFramebufferSize(m_window, &w, &h);
    return h;
}

std::vector<std::string> GlfwWindow::take_drops() {
    return std::exchange(m_drops, {});
}

} // namespace splatscape::gui
