#pragma once
// GLFW, owned: the library (initialised once per owner), a window without a client API (Vulkan
// draws into it), and what its callbacks report (dropped files, framebuffer size). The callbacks
// reach this object through the window's user pointer, not through globals.
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

struct GLFWwindow;

namespace splatscape::gui {

class GlfwLibrary {
public:
    // Throws Error when no display can be opened, saying what to do instead.
    GlfwLibrary();
    ~GlfwLibrary();
    GlfwLibrary(const GlfwLibrary&) = delete;
    GlfwLibrary& operator=(const GlfwLibrary&) = delete;

    // Instance extensions the window system needs for Vulkan surfaces.
    std::vector<std::string> vulkan_instance_extensions() const;
};

class GlfwWindow {
public:
    GlfwWindow(const GlfwLibrary& library, int width, int height, const std::string& title);
    ~GlfwWindow();
    GlfwWindow(const GlfwWindow&) = delete;
    GlfwWindow& operator=(const GlfwWindow&) = delete;

    GLFWwindow* handle() const { return m_window; }
    VkSurfaceKHR create_surface(VkInstance instance) const;
    bool should_close() const;
    void request_close();
    void set_title(const std::string& title);
    void hide();

    // Framebuffer size in pixels (0 x 0 while minimised).
    int framebuffer_width() const;
    int framebuffer_height() const;
    // Files dropped onto the window since the last call.
    std::vector<std::string> take_drops();

private:
    GLFWwindow* m_window = nullptr;
    std::vector<std::string> m_drops;
};

} // namespace splatscape::gui
