#include "training/render.hpp"

#include <algorithm>

namespace splatscape {

kern::RasterCamera<float> raster_camera(const Camera& c) {
    kern::RasterCamera<float> r;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) r.R.m[i][j] = c.R[j][i]; // glm is column-major
    r.t = {c.t.x, c.t.y, c.t.z};
    const glm::vec3 center = c.center();
    r.center = {center.x, center.y, center.z};
    r.fx = c.fx;
    r.fy = c.fy;
    r.cx = c.cx;
    r.cy = c.cy;
    r.width = c.width;
    r.height = c.height;
    return r;
}

FrameSpec frame_spec(const Camera& camera, const RenderOptions& o) {
    FrameSpec f;
    f.camera = raster_camera(camera);
    f.settings.antialiased = o.antialiased ? 1 : 0;
    f.settings.eps2d = o.eps2d;
    f.settings.scale_modifier = o.scale_modifier;
    f.background[0] = o.background.x;
    f.background[1] = o.background.y;
    f.background[2] = o.background.z;
    return f;
}

CloudRenderer::CloudRenderer(Backend& backend, const GaussianCloud& cloud)
    : m_backend(backend), m_count(cloud.size()), m_sh_degree(cloud.sh_degree) {
    cloud.validate("scene");
    m_means = backend.zeros(m_count, 3);
    m_log_scales = backend.zeros(m_count, 3);
    m_rotations = backend.zeros(m_count, 4);
    m_opacities = backend.zeros(m_count, 1);
    m_sh = backend.zeros(m_count, cloud.sh_coeffs() * 3);
    backend.upload(m_means, cloud.positions.data());
    backend.upload(m_log_scales, cloud.log_scales.data());
    backend.upload(m_rotations, cloud.rotations.data());
    backend.upload(m_opacities, cloud.opacities.data());
    backend.upload(m_sh, cloud.sh.data());
    m_ctx = backend.ops<RasterOps>().create_context();
}

Image CloudRenderer::render(const Camera& camera, const RenderOptions& options) {
    return render(camera, options, nullptr, nullptr);
}

Image CloudRenderer::render(const Camera& camera, const RenderOptions& options, Image* alpha, Image* depth) {
    RasterTensors in;
    in.means = &m_means;
    in.log_scales = &m_log_scales;
    in.rotations = &m_rotations;
    in.opacities = &m_opacities;
    in.sh = &m_sh;
    in.sh_degree = options.sh_degree < 0 ? m_sh_degree : std::min(options.sh_degree, m_sh_degree);
    return rasterize_images(m_backend, *m_ctx, in, camera, options, alpha, depth);
}

Image rasterize_images(Backend& backend, RasterContext& ctx, const RasterTensors& in, const Camera& camera,
                       const RenderOptions& options, Image* alpha, Image* depth) {
    const FrameSpec frame = frame_spec(camera, options);
    const size_t pixels = size_t(camera.width) * camera.height;
    Tensor rgb = backend.zeros(pixels, 3);
    Tensor a = alpha ? backend.zeros(pixels, 1) : Tensor();
    Tensor d = depth ? backend.zeros(pixels, 1) : Tensor();
    RenderTensors out{&rgb, alpha ? &a : nullptr, depth ? &d : nullptr};
    backend.ops<RasterOps>().forward(in, frame, ctx, out);
    Image image(camera.width, camera.height, 3);
    backend.download(rgb, image.data.data());
    if (alpha) {
        *alpha = Image(camera.width, camera.height, 1);
        backend.download(a, alpha->data.data());
    }
    if (depth) {
        *depth = Image(camera.width, camera.height, 1);
        backend.download(d, depth->data.data());
    }
    return image;
}

} // namespace splatscape
