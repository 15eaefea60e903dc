#pragma once
// Rendering Gaussian clouds with a training backend (evaluation, `splatscape render`, snapshots).
#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/image.hpp"
#include "training/backend.hpp"
#include "training/ops/raster_ops.hpp"

namespace splatscape {

// The pinhole part of a camera, in the rasterizer's form. Distortion is not applied (datasets are
// undistorted when loaded).
kern::RasterCamera<float> raster_camera(const Camera& camera);

struct RenderOptions {
    glm::vec3 background{0.0f};
    bool antialiased = false;
    float eps2d = 0.3f;
    float scale_modifier = 1.0f;
    int sh_degree = -1; // -1: the cloud's degree
};

FrameSpec frame_spec(const Camera& camera, const RenderOptions& options);

// One forward of the rasterizer on `ctx`, downloaded: the colour image, and alpha and expected
// depth when asked for.
Image rasterize_images(Backend& backend, RasterContext& ctx, const RasterTensors& in, const Camera& camera,
                       const RenderOptions& options, Image* alpha, Image* depth);

// A cloud uploaded once to a backend and rendered from many cameras.
class CloudRenderer {
public:
    CloudRenderer(Backend& backend, const GaussianCloud& cloud);
    Image render(const Camera& camera, const RenderOptions& options);
    // Alpha and alpha-weighted depth as well ([H, W, 1] images; either pointer may be null).
    Image render(const Camera& camera, const RenderOptions& options, Image* alpha, Image* depth);
    size_t size() const { return m_count; }

private:
    Backend& m_backend;
    size_t m_count;
    int m_sh_degree;
    Tensor m_means, m_log_scales, m_rotations, m_opacities, m_sh;
    std::unique_ptr<RasterContext> m_ctx;
};

} // namespace splatscape
