#pragma once
// Renderers the `render` and `eval` commands can use, behind one small interface: "cpu" (the
// training backend's rasterizer); the Vulkan renderer adds "vulkan", and "auto" picks it when a
// Vulkan GPU exists (CPU Vulkan drivers such as lavapipe are slower than the "cpu" renderer).
#include <memory>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/image.hpp"

namespace splatscape::cli {

class FrameRenderer {
public:
    virtual ~FrameRenderer() = default;
    virtual std::string name() const = 0;
    // RGB image of the scene from `camera` over `background` (pinhole; distortion is not applied).
    virtual Image render(const Camera& camera, glm::vec3 background) = 0;
};

// Throws UsageError naming the choices for an unknown name. `threads` 0: all cores. `gpu`: the
// Vulkan device index (--gpu N), -1 for the best one.
std::unique_ptr<FrameRenderer> create_frame_renderer(const std::string& name, const GaussianCloud& cloud,
                                                     int threads = 0, int gpu = -1);
std::vector<std::string> frame_renderer_names();

} // namespace splatscape::cli
