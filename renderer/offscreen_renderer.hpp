#pragma once
// Headless rendering of a Gaussian scene with the Vulkan renderer: for `splatscape render`,
// benchmarks and tests. No Vulkan types in this header.
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "core/image.hpp"
#include "core/nerf_scene.hpp"
#include "core/sags_scene.hpp"
#include "renderer/render_settings.hpp"

namespace splatscape {

struct OffscreenOptions {
    int gpu_index = -1;  // --gpu N; -1 picks the best device
    int validation = -1; // Khronos validation: -1 default (debug builds, SPLATSCAPE_VK_VALIDATION), 0 off, 1 on
    bool timestamps = true;
};

struct RenderOutput {
    // Color mode: the composited rgb as floats, exactly as rasterised (NeRF scenes: as marched,
    // and so are their Experts mode's expert colours). Other modes: the mode's picture in 8-bit
    // levels. 3 channels.
    Image image;
    Image alpha; // 1 channel: 1 - final transmittance
    // 1 channel: alpha-weighted depth (expected depth = depth / alpha). NeRF scenes, in the Depth
    // mode only: HmoheNetwork::render's depth along the camera axis (0 where alpha <= 1e-3) times alpha.
    Image depth;
    // NeRF scenes in the Experts mode: per pixel the expert carrying most of its weight, -1 where
    // alpha <= 0.5. Empty otherwise.
    std::vector<int32_t> expert;
    RenderStats stats;
};

class OffscreenRenderer {
public:
    // Throws Error with an actionable message when no Vulkan device can be used.
    explicit OffscreenRenderer(const OffscreenOptions& options = {});
    ~OffscreenRenderer();
    OffscreenRenderer(const OffscreenRenderer&) = delete;
    OffscreenRenderer& operator=(const OffscreenRenderer&) = delete;

    // Whether a usable Vulkan device exists (without creating one's device); `why` says why not.
    // `gpu_only` leaves out CPU devices such as lavapipe (slower than the CPU rasterizer).
    static bool available(std::string* why = nullptr, bool gpu_only = false);
    // One line per Vulkan device, as --gpu numbers them.
    static std::vector<std::string> devices();

    // Uploads the scene (validated: throws Error on inconsistent arrays or non-finite values).
    void set_scene(const GaussianCloud& cloud);
    // A 4D scene (gs4d): each frame slices it at RenderSettings::time on the GPU first
    // (renderer/slice4d_vk.hpp), leaving out Gaussians whose marginal in t is below `min_weight`.
    void set_scene(const GaussianCloud4d& cloud, float min_weight = 0.05f);
    // A sags model: each frame decodes every point's Gaussian for the camera on the GPU first
    // (renderer/sags_vk.hpp).
    void set_scene(const SagsDecodeCache& cache);
    // A NeRF (hmohe): each frame is ray-marched on the GPU (renderer/nerf_vk.hpp) in
    // RenderSettings::mode Color, Depth or Experts (others render Color). Validated: throws Error
    // naming `where` and the field for an inconsistent scene or one beyond the ray marcher's limits.
    void set_scene(const NerfScene& scene, const std::string& where = "NeRF scene");
    // Renders at the camera's width x height (pinhole; distortion is ignored).
    RenderOutput render(const Camera& camera, const RenderSettings& settings = {});

    std::string device_name() const;
    uint32_t subgroup_size() const;
    bool validation_enabled() const;
    uint32_t validation_errors() const;

private:
    struct Impl;
    RenderOutput render_nerf(const Camera& camera, const RenderSettings& settings);
    std::unique_ptr<Impl> m_impl;
};

} // namespace splatscape
