#include "training/cpu/raster_ops_cpu.hpp"

#include <cassert>

namespace splatscape {
namespace {

cpu::RasterInputs<float> raster_inputs(const RasterTensors& t) {
    cpu::RasterInputs<float> in;
    in.count = t.count();
    in.means = t.means->f32();
    in.opacities = t.opacities->f32();
    if (t.filter_3d) in.filter_3d = t.filter_3d->f32();
    if (t.covariances) {
        in.covariances = t.covariances->f32();
    } else {
        in.log_scales = t.log_scales->f32();
        in.rotations = t.rotations->f32();
    }
    if (t.colors) {
        in.colors = t.colors->f32();
    } else {
        in.sh = t.sh->f32();
        in.sh_stride = t.sh->cols() / 3;
        in.sh_degree = t.sh_degree;
    }
    return in;
}

template <class T>
T* ptr(Tensor* t) {
    return t ? reinterpret_cast<T*>(t->raw()) : nullptr;
}

} // namespace

std::unique_ptr<RasterContext> RasterOpsCpu::create_context() {
    return std::make_unique<CpuRasterContext>();
}

void RasterOpsCpu::forward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx, RenderTensors& out) {
    auto& c = static_cast<CpuRasterContext&>(ctx);
    const size_t pixels = size_t(frame.camera.width) * frame.camera.height;
    assert(out.rgb && out.rgb->numel() == pixels * 3);
    (void)pixels;
    cpu::RasterImages<float> images{out.rgb->f32(), ptr<float>(out.alpha), ptr<float>(out.depth)};
    cpu::rasterize_forward(raster_inputs(in), frame.camera, frame.settings, frame.background, c.ws, images);
}

void RasterOpsCpu::backward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx,
                            const RenderTensors& d_out, RasterGradTensors& g) {
    auto& c = static_cast<CpuRasterContext&>(ctx);
    cpu::RasterGrads<float> grads;
    grads.means = ptr<float>(g.means);
    grads.log_scales = ptr<float>(g.log_scales);
    grads.rotations = ptr<float>(g.rotations);
    grads.covariances = ptr<float>(g.covariances);
    grads.opacities = ptr<float>(g.opacities);
    grads.sh = ptr<float>(g.sh);
    grads.colors = ptr<float>(g.colors);
    grads.view_grad_norm = ptr<float>(g.view_grad_norm);
    cpu::rasterize_backward(raster_inputs(in), frame.camera, frame.settings, c.ws, d_out.rgb->f32(),
                            ptr<const float>(d_out.alpha), ptr<const float>(d_out.depth), grads);
}

void RasterOpsCpu::radii(const RasterContext& ctx, Tensor& radii) {
    cpu::raster_radii(static_cast<const CpuRasterContext&>(ctx).ws, radii.f32());
}

} // namespace splatscape
