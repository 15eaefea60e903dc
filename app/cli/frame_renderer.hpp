#pragma once
// Renderers the `render` and `eval` commands can use, behind one small interface: "cpu" (the
// training backend's rasterizer, or for NeRF models its ray-marching ops); the Vulkan renderer adds
// "vulkan" (the splat renderer, or the NeRF ray marcher of renderer/nerf_vk.hpp), and "auto" picks it
// when a Vulkan GPU exists (CPU Vulkan drivers such as lavapipe are slower than the "cpu" renderer).
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "core/image.hpp"
#include "core/nerf_scene.hpp"
#include "core/sags_scene.hpp"

namespace splatscape::cli {

class FrameRenderer {
public:
    virtual ~FrameRenderer() = default;
    virtual std::string name() const = 0;
    // RGB image of the scene from `camera` over `background` (pinhole; distortion is not applied).
    virtual Image render(const Camera& camera, glm::vec3 background) = 0;
    // Dynamic scenes render at this scene time from the next frame on; static scenes ignore it.
    virtual void set_time(float time) { (void)time; }
};

// A scene file or run folder as read for rendering: 3D Gaussians, 4D ones (a gs4d run's
// point_cloud.ply, core/io/ply_4d.hpp), or a NeRF (an hmohe run's model.hmohe, core/io/nerf_file.hpp).
struct SceneData {
    std::filesystem::path path;              // the file read
    GaussianCloud cloud;                     // static scenes
    std::optional<GaussianCloud4d> cloud_4d; // dynamic scenes
    std::optional<SagsScene> sags;           // sags models, decoded for each camera
    std::optional<NerfScene> nerf;           // NeRF scenes, ray-marched
    float min_temporal_weight = 0.05f;       // slices leave out Gaussians below this marginal in t
    bool dynamic() const { return cloud_4d.has_value(); }
    // Gaussians (a sags model's points), or a NeRF's parameters.
    size_t size() const {
        return nerf ? nerf->parameter_count() : dynamic() ? cloud_4d->size() : (sags ? sags->size() : cloud.size());
    }
    Bounds bounds(float outlier_fraction) const;
};
// The model.sags of a run folder, or `path` when it is a .sags file; nullopt otherwise.
std::optional<std::filesystem::path> sags_model_path(const std::filesystem::path& path);
// Reads a scene file or the scene of a run folder (a gs4d run's slicing cut-off from its config).
SceneData read_scene_data(const std::filesystem::path& path);
std::unique_ptr<FrameRenderer> create_frame_renderer(const std::string& name, const SceneData& scene, int threads = 0,
                                                     int gpu = -1);

// Throws UsageError naming the choices for an unknown name. `threads` 0: all cores. `gpu`: the
// Vulkan device index (--gpu N), -1 for the best one.
std::unique_ptr<FrameRenderer> create_frame_renderer(const std::string& name, const GaussianCloud& cloud,
                                                     int threads = 0, int gpu = -1);
std::vector<std::string> frame_renderer_names();

} // namespace splatscape::cli
