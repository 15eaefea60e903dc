#include "training/cpu/cpu_backend.hpp"

#include <algorithm>
#include <cassert>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <new>
#include <vector>

#include "core/error.hpp"
#include "training/cpu/encoding_ops_cpu.hpp"
#include "training/cpu/mlp_ops_cpu.hpp"
#include "training/cpu/neighbour_ops_cpu.hpp"
#include "training/cpu/rasterizer_cpu.hpp"
#include "training/cpu/thread_pool.hpp"

namespace splatscape {
namespace {

void release_host(void* p) {
    std::free(p);
}

class CpuRasterContext final : public RasterContext {
public:
    size_t visible() const override { return size_t(ws.visible_count()); }
    size_t entries() const override { return ws.entries(); }
    cpu::RasterWorkspace<float> ws;
};

cpu::RasterInputs<float> raster_inputs(const RasterTensors& t) {
    cpu::RasterInputs<float> in;
    in.count = t.count();
    in.means = t.means->f32();
    in.opacities = t.opacities->f32();
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

CpuBackend::CpuBackend(int threads) {
    cpu::set_cpu_threads(threads);
    m_threads = cpu::cpu_threads();
    provide<EncodingOps>(std::make_unique<EncodingOpsCpu>(*this));
    provide<MlpOps>(std::make_unique<MlpOpsCpu>(*this));
    provide<NeighbourOps>(std::make_unique<NeighbourOpsCpu>(*this));
}

std::string CpuBackend::description() const {
    return cat("cpu (", m_threads, m_threads == 1 ? " thread)" : " threads)");
}

Tensor CpuBackend::zeros(size_t rows, int cols, DType dtype) {
    const size_t bytes = rows * size_t(cols) * dtype_size(dtype);
    // Cache-line aligned; at least one line so that empty tensors still own a valid pointer.
    const size_t alloc = std::max<size_t>(64, (bytes + 63) / 64 * 64);
    void* p = std::aligned_alloc(64, alloc);
    if (!p) throw Error(cat("out of host memory: could not allocate ", alloc, " bytes (", rows, " x ", cols, ")"));
    std::memset(p, 0, alloc);
    return Tensor(p, rows, cols, dtype, Device::Cpu, release_host);
}

void CpuBackend::upload(Tensor& dst, const void* host) {
    if (dst.bytes()) std::memcpy(dst.raw(), host, dst.bytes());
}

void CpuBackend::download(const Tensor& src, void* host) {
    if (src.bytes()) std::memcpy(host, src.raw(), src.bytes());
}

void CpuBackend::fill(Tensor& t, float value) {
    if (t.dtype() == DType::F32)
        std::fill(t.f32(), t.f32() + t.numel(), value);
    else
        std::fill(t.i32(), t.i32() + t.numel(), int32_t(value));
}

Tensor CpuBackend::clone(const Tensor& src) {
    Tensor t = zeros(src.rows(), src.cols(), src.dtype());
    upload(t, src.raw());
    return t;
}

std::unique_ptr<RasterContext> CpuBackend::create_raster_context() {
    return std::make_unique<CpuRasterContext>();
}

void CpuBackend::rasterize_forward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx,
                                   RenderTensors& out) {
    auto& c = static_cast<CpuRasterContext&>(ctx);
    const size_t pixels = size_t(frame.camera.width) * frame.camera.height;
    assert(out.rgb && out.rgb->numel() == pixels * 3);
    (void)pixels;
    cpu::RasterImages<float> images{out.rgb->f32(), ptr<float>(out.alpha), ptr<float>(out.depth)};
    cpu::rasterize_forward(raster_inputs(in), frame.camera, frame.settings, frame.background, c.ws, images);
}

void CpuBackend::rasterize_backward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx,
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

void CpuBackend::raster_radii(const RasterContext& ctx, Tensor& radii) {
    cpu::raster_radii(static_cast<const CpuRasterContext&>(ctx).ws, radii.f32());
}

LossValue CpuBackend::image_loss(const Tensor& rendered, const Tensor& target, int width, int height, float ssim_weight,
                                 Tensor* d_rendered) {
    const auto v = cpu::image_loss(rendered.f32(), target.f32(), width, height, 3, ssim_weight,
                                   d_rendered ? d_rendered->f32() : nullptr, m_loss_ws);
    return {v.loss, v.l1, v.ssim};
}

void CpuBackend::compose_over(const Tensor& rgba, const float bg[3], Tensor& target) {
    const size_t n = rgba.rows();
    const float* s = rgba.f32();
    float* d = target.f32();
    cpu::parallel_for_each(n, 4096, [&](size_t i) {
        for (int c = 0; c < 3; ++c) d[i * 3 + c] = s[i * 4 + c] + (1.0f - s[i * 4 + 3]) * bg[c];
    });
}

void CpuBackend::adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a,
                           int split_col, const kern::AdamStep& b) {
    const size_t rows = param.rows();
    const int cols = param.cols();
    float* p = param.f32();
    const float* g = grad.f32();
    float* mm = m.f32();
    float* vv = v.f32();
    if (split_col >= cols) {
        // One step for the whole tensor: a flat loop the compiler vectorises.
        const size_t n = rows * size_t(cols);
        cpu::cpu_pool().parallel_for(n, 1 << 16, [&](size_t b, size_t e, int) {
#pragma omp simd
            for (size_t i = b; i < e; ++i) kern::adam_update(p[i], g[i], mm[i], vv[i], a);
        });
        return;
    }
    cpu::parallel_for_each(rows, 2048, [&](size_t r) {
        const size_t base = r * cols;
        for (int c = 0; c < split_col; ++c) kern::adam_update(p[base + c], g[base + c], mm[base + c], vv[base + c], a);
#pragma omp simd
        for (int c = split_col; c < cols; ++c)
            kern::adam_update(p[base + c], g[base + c], mm[base + c], vv[base + c], b);
    });
}

void CpuBackend::accumulate_view_stats(const Tensor& view_grad_norm, const RasterContext& ctx, Tensor& grad_accum,
                                       Tensor& denom, Tensor& max_radii) {
    const auto& ws = static_cast<const CpuRasterContext&>(ctx).ws;
    const size_t n = grad_accum.rows();
    const float* norm = view_grad_norm.f32();
    float* acc = grad_accum.f32();
    float* den = denom.f32();
    float* mr = max_radii.f32();
    for (size_t i = 0; i < n; ++i) {
        if (!ws.visible[i]) continue;
        acc[i] += norm[i];
        den[i] += 1.0f;
        mr[i] = std::max(mr[i], float(ws.pre[i].proj.radius));
    }
}

AdcCounts CpuBackend::adc_grow(const Tensor& grad_accum, const Tensor& denom, const Tensor& log_scales,
                               const kern::AdcThresholds& t, Tensor& clone_rows, Tensor& split_rows) {
    const size_t n = grad_accum.rows();
    const int sc = log_scales.cols();
    std::vector<int32_t> clones, splits;
    for (size_t i = 0; i < n; ++i) {
        const float* ls = log_scales.f32() + i * sc;
        const float max_ls = std::max(ls[0], std::max(ls[1], ls[2]));
        const int action = kern::adc_grow_action(grad_accum.f32()[i], denom.f32()[i], max_ls, t);
        if (action == kern::kAdcClone) clones.push_back(int32_t(i));
        if (action == kern::kAdcSplit) splits.push_back(int32_t(i));
    }
    clone_rows = zeros(clones.size(), 1, DType::I32);
    upload(clone_rows, clones.data());
    split_rows = zeros(splits.size(), 1, DType::I32);
    upload(split_rows, splits.data());
    return {clones.size(), splits.size()};
}

Tensor CpuBackend::adc_keep(const Tensor& opacity_logits, const Tensor& max_radii, const Tensor& log_scales,
                            const kern::AdcThresholds& t, const Tensor& drop) {
    const size_t n = opacity_logits.rows();
    const int sc = log_scales.cols();
    std::vector<int32_t> keep;
    keep.reserve(n);
    size_t d = 0;
    const size_t nd = drop.rows();
    for (size_t i = 0; i < n; ++i) {
        while (d < nd && size_t(drop.i32()[d]) < i) ++d;
        if (d < nd && size_t(drop.i32()[d]) == i) continue;
        const float* ls = log_scales.f32() + i * sc;
        const float max_ls = std::max(ls[0], std::max(ls[1], ls[2]));
        if (!kern::adc_prune(opacity_logits.f32()[i], max_radii.f32()[i], max_ls, t)) keep.push_back(int32_t(i));
    }
    Tensor out = zeros(keep.size(), 1, DType::I32);
    upload(out, keep.data());
    return out;
}

void CpuBackend::split_children(const Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                const Tensor& rows, float divisor, uint64_t seed, uint64_t stream, Tensor& child_means,
                                Tensor& child_log_scales) {
    const size_t m = rows.rows();
    child_means = zeros(2 * m, 3);
    child_log_scales = zeros(2 * m, log_scales.cols());
    const int sc = log_scales.cols();
    cpu::parallel_for_each(2 * m, 1024, [&](size_t k) {
        const size_t c = k / m, i = k % m;
        const size_t r = size_t(rows.i32()[i]);
        // Extra log-scale columns (a 4D model's time scale) are copied, then the spatial ones replaced.
        std::copy_n(log_scales.f32() + r * sc, sc, child_log_scales.f32() + size_t(k) * sc);
        kern::split_child(means.f32() + r * 3, log_scales.f32() + r * sc, rotations.f32() + r * 4, divisor, seed,
                          stream, uint64_t(r) * 2 + c, child_means.f32() + size_t(k) * 3,
                          child_log_scales.f32() + size_t(k) * sc);
    });
}

void CpuBackend::clamp_opacity(Tensor& opacity_logits, float max_opacity) {
    const float max_logit = std::log(max_opacity / (1.0f - max_opacity));
    float* o = opacity_logits.f32();
    for (size_t i = 0; i < opacity_logits.numel(); ++i) o[i] = std::min(o[i], max_logit);
}

Tensor CpuBackend::gather_rows(const Tensor& src, const Tensor& rows) {
    const size_t m = rows.rows();
    const size_t row_bytes = size_t(src.cols()) * dtype_size(src.dtype());
    Tensor out = zeros(m, src.cols(), src.dtype());
    const auto* s = static_cast<const uint8_t*>(src.raw());
    auto* d = static_cast<uint8_t*>(out.raw());
    cpu::parallel_for_each(
        m, 4096, [&](size_t i) { std::memcpy(d + i * row_bytes, s + size_t(rows.i32()[i]) * row_bytes, row_bytes); });
    return out;
}

Tensor CpuBackend::concat_rows(const Tensor& a, const Tensor& b) {
    if (a.cols() != b.cols() || a.dtype() != b.dtype())
        throw Error(cat("concat_rows: column counts differ (", a.cols(), " vs ", b.cols(), ")"));
    Tensor out = zeros(a.rows() + b.rows(), a.cols(), a.dtype());
    if (a.bytes()) std::memcpy(out.raw(), a.raw(), a.bytes());
    if (b.bytes()) std::memcpy(static_cast<uint8_t*>(out.raw()) + a.bytes(), b.raw(), b.bytes());
    return out;
}

} // namespace splatscape
