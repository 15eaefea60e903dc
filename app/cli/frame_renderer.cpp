#include "app/cli/frame_renderer.hpp"

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/nerf_file.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/s4d.hpp"
#include "core/io/sags.hpp"
#include "core/io/scene_io.hpp"
#include "core/json_util.hpp"
#include "training/backend.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/models/hmohe.hpp"
#include "training/models/sags.hpp"
#include "training/models/sags_decode.hpp"
#include "training/render.hpp"
#ifdef SPLATSCAPE_HAVE_VULKAN
#include "renderer/offscreen_renderer.hpp"
#endif

namespace splatscape::cli {
namespace {

class CpuFrameRenderer final : public FrameRenderer {
public:
    CpuFrameRenderer(const GaussianCloud& cloud, int threads)
        : m_backend(create_backend("cpu", threads)), m_renderer(*m_backend, cloud), m_antialiased(cloud.antialiased),
          m_eps2d(cloud.eps2d) {}
    std::string name() const override { return "cpu"; }
    Image render(const Camera& camera, glm::vec3 background) override {
        RenderOptions o;
        o.background = background;
        o.antialiased = m_antialiased; // as the scene was trained
        o.eps2d = m_eps2d;
        return m_renderer.render(camera, o);
    }

private:
    std::unique_ptr<Backend> m_backend;
    CloudRenderer m_renderer;
    bool m_antialiased;
    float m_eps2d;
};

class Cpu4dFrameRenderer final : public FrameRenderer {
public:
    Cpu4dFrameRenderer(const GaussianCloud4d& cloud, float min_weight, int threads)
        : m_backend(create_backend("cpu", threads)), m_renderer(*m_backend, cloud, min_weight), m_time(cloud.time_min) {
    }
    std::string name() const override { return "cpu"; }
    void set_time(float time) override { m_time = time; }
    Image render(const Camera& camera, glm::vec3 background) override {
        RenderOptions o;
        o.background = background;
        return m_renderer.render(camera, m_time, o);
    }

private:
    std::unique_ptr<Backend> m_backend;
    Cloud4dRenderer m_renderer;
    float m_time;
};

// A sags model decoded for each camera on the CPU backend, then rasterized there.
class CpuSagsFrameRenderer final : public FrameRenderer {
public:
    CpuSagsFrameRenderer(const SagsScene& scene, const std::string& where, int threads)
        : m_backend(create_backend("cpu", threads)), m_model(sags_model_from_scene(*m_backend, scene, where)),
          m_ctx(m_backend->ops<RasterOps>("sags").create_context()) {}
    std::string name() const override { return "cpu"; }
    Image render(const Camera& camera, glm::vec3 background) override {
        ViewInfo view;
        view.camera = raster_camera(camera);
        RenderOptions o;
        o.background = background;
        return rasterize_images(*m_backend, *m_ctx, m_model->raster_inputs(view), camera, o, nullptr, nullptr);
    }

private:
    std::unique_ptr<Backend> m_backend;
    std::unique_ptr<SagsModel> m_model;
    std::unique_ptr<RasterContext> m_ctx;
};

// A NeRF ray-marched by the training backend's CPU ops (the reference the Vulkan marcher is tested
// against).
class CpuNerfFrameRenderer final : public FrameRenderer {
public:
    CpuNerfFrameRenderer(const NerfScene& scene, const std::string& where, int threads)
        : m_backend(create_backend("cpu", threads)), m_network(*m_backend, scene, where) {}
    std::string name() const override { return "cpu"; }
    Image render(const Camera& camera, glm::vec3 background) override {
        return m_network.render(camera, background, NerfRenderMode::Colour).colour;
    }

private:
    std::unique_ptr<Backend> m_backend;
    HmoheNetwork m_network;
};

#ifdef SPLATSCAPE_HAVE_VULKAN
class VulkanFrameRenderer final : public FrameRenderer {
public:
    VulkanFrameRenderer(const GaussianCloud& cloud, int gpu)
        : m_renderer(OffscreenOptions{gpu}), m_antialiased(cloud.antialiased), m_eps2d(cloud.eps2d) {
        m_renderer.set_scene(cloud);
    }
    std::string name() const override { return "vulkan"; }
    Image render(const Camera& camera, glm::vec3 background) override {
        RenderSettings settings;
        settings.background = background;
        settings.antialiased = m_antialiased; // as the scene was trained
        settings.eps2d = m_eps2d;
        return m_renderer.render(camera, settings).image;
    }

private:
    OffscreenRenderer m_renderer;
    bool m_antialiased;
    float m_eps2d;
};

class Vulkan4dFrameRenderer final : public FrameRenderer {
public:
    Vulkan4dFrameRenderer(const GaussianCloud4d& cloud, float min_weight, int gpu)
        : m_renderer(OffscreenOptions{gpu}), m_time(cloud.time_min) {
        m_renderer.set_scene(cloud, min_weight);
    }
    std::string name() const override { return "vulkan"; }
    void set_time(float time) override { m_time = time; }
    Image render(const Camera& camera, glm::vec3 background) override {
        RenderSettings settings;
        settings.background = background;
        settings.time = m_time;
        return m_renderer.render(camera, settings).image;
    }

private:
    OffscreenRenderer m_renderer;
    float m_time;
};

// A NeRF ray-marched by the Vulkan renderer's compute ray marcher (renderer/nerf_vk.hpp).
class VulkanNerfFrameRenderer final : public FrameRenderer {
public:
    VulkanNerfFrameRenderer(const NerfScene& scene, const std::string& where, int gpu)
        : m_renderer(OffscreenOptions{gpu}) {
        m_renderer.set_scene(scene, where);
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

Bounds SceneData::bounds(float outlier_fraction) const {
    if (nerf) return nerf->inner_bounds();
    if (sags) {
        GaussianCloud points;
        points.positions = sags->points;
        points.opacities.resize(sags->size());
        return points.bounds(outlier_fraction);
    }
    return dynamic() ? cloud_4d->bounds(outlier_fraction) : cloud.bounds(outlier_fraction);
}

std::optional<std::filesystem::path> sags_model_path(const std::filesystem::path& in) {
    std::error_code ec;
    if (std::filesystem::is_directory(in, ec)) {
        if (std::filesystem::is_regular_file(in / "model.sags", ec)) return in / "model.sags";
        return std::nullopt;
    }
    if (lower_extension(in) == ".sags" || is_sags_file(in)) return in;
    return std::nullopt;
}

SceneData read_scene_data(const std::filesystem::path& input) {
    SceneData s;
    if (const auto sags = sags_model_path(input)) {
        s.path = *sags;
        s.sags = read_sags(*sags);
        return s;
    }
    s.path = resolve_scene_path(input);
    if (is_nerf_file(s.path)) {
        s.nerf = read_nerf_scene(s.path);
    } else if (is_4d_scene_file(s.path)) {
        s.cloud_4d = read_4d_scene(s.path);
        // A gs4d run's own cut-off (its model settings), when the scene is a run's.
        const std::filesystem::path config = std::filesystem::is_directory(input) ? input / "config.json" : "";
        if (!config.empty() && std::filesystem::exists(config)) {
            const Json j = load_json(config);
            if (auto m = j.find("model_config"); m != j.end() && m->is_object())
                if (auto w = m->find("min_temporal_weight"); w != m->end())
                    s.min_temporal_weight = float(json_number(*w, "model_config.min_temporal_weight", config.string()));
        }
    } else {
        s.cloud = read_scene(s.path);
    }
    return s;
}

std::unique_ptr<FrameRenderer> create_frame_renderer(const std::string& name, const SceneData& scene, int threads,
                                                     int gpu) {
    if (scene.sags) {
        if (name == "cpu" || name == "auto")
            return std::make_unique<CpuSagsFrameRenderer>(*scene.sags, scene.path.string(), threads);
        if (name != "vulkan") return create_frame_renderer(name, scene.cloud, threads, gpu); // reports the name
        throw UsageError("--renderer vulkan: sags models render with --renderer cpu here (the viewer decodes them "
                         "on the GPU)");
    }
    if (scene.nerf) {
        // NeRF models: the Vulkan ray marcher on a GPU, the CPU ops otherwise (the reference it is
        // tested against; on lavapipe they are several times faster than the ray marcher).
#ifdef SPLATSCAPE_HAVE_VULKAN
        if (name == "vulkan" || (name == "auto" && (gpu >= 0 || OffscreenRenderer::available(nullptr, true))))
            return std::make_unique<VulkanNerfFrameRenderer>(*scene.nerf, scene.path.string(), gpu);
#endif
        if (name == "cpu" || name == "auto")
            return std::make_unique<CpuNerfFrameRenderer>(*scene.nerf, scene.path.string(), threads);
        return create_frame_renderer(name, scene.cloud, threads, gpu); // reports the unknown name
    }
    if (!scene.dynamic()) return create_frame_renderer(name, scene.cloud, threads, gpu);
#ifdef SPLATSCAPE_HAVE_VULKAN
    if (name == "vulkan" || (name == "auto" && (gpu >= 0 || OffscreenRenderer::available(nullptr, true))))
        return std::make_unique<Vulkan4dFrameRenderer>(*scene.cloud_4d, scene.min_temporal_weight, gpu);
#endif
    if (name == "cpu" || name == "auto")
        return std::make_unique<Cpu4dFrameRenderer>(*scene.cloud_4d, scene.min_temporal_weight, threads);
    return create_frame_renderer(name, scene.cloud, threads, gpu); // reports the unknown name
}

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
