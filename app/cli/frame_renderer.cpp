#include "app/cli/frame_renderer.hpp"

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/render.hpp"
#ifdef SPLATSCAPE_HAVE_VULKAN
#include "renderer/offscreen_renderer.hpp"
#endif

namespace splatscape::cli {
namespace {

class CpuFrameRenderer final : public FrameRenderer {
public:
    CpuFrameRenderer(const GaussianCloud& cloud, int threads)
        : m_backend(create_backend("cpu", threads)), m_renderer(*m_backend, cloud) {}
    std::string name() const override { return "cpu"; }
    Image render(const Camera& camera, glm::vec3 background) override {
        RenderOptions o;
        o.background = background;
        return m_renderer.render(camera, o);
    }

private:
    std::unique_ptr<Backend> m_backend;
    CloudRenderer m_renderer;
};

#ifdef SPLATSCAPE_HAVE_VULKAN
class VulkanFrameRenderer final : public FrameRenderer {
public:
    VulkanFrameRenderer(const GaussianCloud& cloud, int gpu) : m_renderer(OffscreenOptions{gpu}) {
        m_renderer.set_scene(cloud);
    }
    std::string name() const override { return "vulkan"; }
    Image render(const Camera& camera, glm::vec3 background) override {
        RenderSettings settings;
        settings.background = background;
        return m_renderer.render(camera, settings).image;
    }

private:
    OffscreenRenderer m_renderer;
};
#endif

} // namespace

std::vector<std::string> frame_renderer_names() {
#ifdef SPLATSCAPE_HAVE_VULKAN
    return {"auto", "vulkan", "cpu"};
#else
    return {"auto", "cpu"};
#endif
}

std::unique_ptr<FrameRenderer> create_frame_renderer(const std::string& name, const GaussianCloud& cloud, int threads,
                                                     [[maybe_unused]] int gpu) {
#ifdef SPLATSCAPE_HAVE_VULKAN
    if (name == "vulkan" || (name == "auto" && (gpu >= 0 || OffscreenRenderer::available(nullptr, true))))
        return std::make_unique<VulkanFrameRenderer>(cloud, gpu);
#endif
    if (name == "cpu" || name == "auto") return std::make_unique<CpuFrameRenderer>(cloud, threads);
    std::string names;
    for (const auto& n : frame_renderer_names()) names += (names.empty() ? "" : ", ") + n;
    throw UsageError(cat("--renderer ", name, ": unknown renderer (this build has: ", names, ")"));
}

} // namespace splatscape::cli
