#include "training/cpu/sags_ops_cpu.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/ops/sags_ops_check.hpp"

namespace splatscape {

using namespace kern;

namespace {

// Rows per chunk of a reduction over a view's rows: a function of the row count only.
constexpr size_t kReduceChunk = 1024;

} // namespace

Tensor SagsOpsCpu::visible_points(const Tensor& points, const RasterCamera<float>& camera, float margin, float near_z) {
    sags_check::points(points, Device::Cpu, "visible_points");
    const size_t n = points.rows();
    std::vector<uint8_t> in(n);
    const float* p = points.f32();
    cpu::parallel_for_each(n, 4096, [&](size_t i) { in[i] = sags_in_view(camera, p + 3 * i, margin, near_z); });
    std::vector<int32_t> list;
    list.reserve(n);
    for (size_t i = 0; i < n; ++i)
        if (in[i]) list.push_back(int32_t(i));
    Tensor rows = m_backend.zeros(list.size(), 1, DType::I32);
    if (!list.empty()) m_backend.upload(rows, list.data());
    return rows;
}

void SagsOpsCpu::assemble(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                          const Tensor& points, const Tensor& rows, const Vec3<float>& centre, Tensor& x) {
    const sags_check::Encoded e = sags_check::assemble(hash, local, global, affine, points, rows, x, Device::Cpu);
    const int width = x.cols();
    const int32_t* r = rows.i32();
    cpu::parallel_for_each(rows.rows(), 512, [&](size_t m) {
        const size_t i = size_t(r[m]);
        sags_assemble_row(hash.f32() + i * e.hw, e.hw, local.f32() + i * e.fd, global.f32(), e.fd, affine.f32(),
                          points.f32() + 3 * i, centre, x.f32() + m * width);
    });
}

void SagsOpsCpu::assemble_backward(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                                   const Tensor& rows, const Tensor& d_x, Tensor& d_hash, Tensor& d_local,
                                   Tensor& d_global, Tensor& d_affine) {
    const sags_check::Encoded e = sags_check::assemble_backward(hash, local, global, affine, rows, d_x, d_hash, d_local,
                                                                d_global, d_affine, Device::Cpu);
    const int E = e.hw + 2 * e.fd;
    const int width = d_x.cols();
    const size_t M = rows.rows();
    const int32_t* r = rows.i32();
    const float* a = affine.f32();
    const size_t chunks = (M + kReduceChunk - 1) / kReduceChunk;
    // Per chunk: d_global [fd], d_affine [E, 2].
    const size_t stride = size_t(e.fd) + 2 * size_t(E);
    std::vector<float> partial(chunks * stride, 0.0f);
    cpu::cpu_pool().parallel_for(chunks, 1, [&](size_t cb, size_t ce, int) {
        for (size_t c = cb; c < ce; ++c) {
            float* dg = partial.data() + c * stride;
            float* da = dg + e.fd;
            for (size_t m = c * kReduceChunk; m < std::min(M, (c + 1) * kReduceChunk); ++m) {
                const size_t i = size_t(r[m]);
                const float* g = d_x.f32() + m * width;
                const float* h = hash.f32() + i * e.hw;
                const float* l = local.f32() + i * e.fd;
                float* dh = d_hash.f32() + i * e.hw;
                float* dl = d_local.f32() + i * e.fd;
                for (int k = 0; k < e.hw; ++k) {
                    dh[k] += a[2 * k] * g[k];
                    da[2 * k] += h[k] * g[k];
                    da[2 * k + 1] += g[k];
                }
                for (int k = 0; k < e.fd; ++k) {
                    const int q = e.hw + k;
                    dl[k] += a[2 * q] * g[q];
                    da[2 * q] += l[k] * g[q];
                    da[2 * q + 1] += g[q];
                }
                for (int k = 0; k < e.fd; ++k) {
                    const int q = e.hw + e.fd + k;
                    dg[k] += a[2 * q] * g[q];
                    da[2 * q] += global.f32()[k] * g[q];
                    da[2 * q + 1] += g[q];
                }
            }
        }
    });
    float* dg = d_global.f32();
    float* da = d_affine.f32();
    for (size_t c = 0; c < chunks; ++c) {
        const float* p = partial.data() + c * stride;
        for (int k = 0; k < e.fd; ++k) dg[k] += p[k];
        for (int k = 0; k < 2 * E; ++k) da[k] += p[e.fd + k];
    }
}

void SagsOpsCpu::compose(const Tensor& decoded, const Tensor& points, const Tensor& scales, const Tensor* frames,
                         const Tensor& rows, float cutoff, float revive, const SagsGaussianTensors& out) {
    sags_check::compose(decoded, points, scales, frames, rows, out, Device::Cpu);
    const int32_t* r = rows.i32();
    const float* f = frames ? frames->f32() : nullptr;
    cpu::parallel_for_each(rows.rows(), 1024, [&](size_t m) {
        const size_t i = size_t(r[m]);
        const SagsGaussian<float> g =
            sags_compose(decoded.f32() + m * kSagsDecodedCols, points.f32() + 3 * i, scales.f32() + i * kSagsScaleCols,
                         f ? f + 4 * i : nullptr, cutoff, revive);
        for (int a = 0; a < 3; ++a) {
            out.means->f32()[3 * m + a] = g.mean[a];
            out.log_scales->f32()[3 * m + a] = g.log_scale[a];
            out.colors->f32()[3 * m + a] = g.color[a];
        }
        for (int k = 0; k < 4; ++k) out.rotations->f32()[4 * m + k] = g.rotation[k];
        out.opacities->f32()[m] = g.opacity_logit;
    });
}

void SagsOpsCpu::compose_backward(const Tensor& decoded, const Tensor& scales, const Tensor* frames, const Tensor& rows,
                                  float cutoff, float revive, const SagsGaussianTensors& grads, Tensor& d_decoded,
                                  Tensor& d_scales) {
    sags_check::compose_backward(decoded, scales, frames, rows, grads, d_decoded, d_scales, Device::Cpu);
    const int32_t* r = rows.i32();
    const float* f = frames ? frames->f32() : nullptr;
    // Rows are distinct, so every point's log-scale gradient is written by one row.
    cpu::parallel_for_each(rows.rows(), 1024, [&](size_t m) {
        const size_t i = size_t(r[m]);
        sags_compose_backward(decoded.f32() + m * kSagsDecodedCols, scales.f32() + i * kSagsScaleCols,
                              f ? f + 4 * i : nullptr, cutoff, revive, grads.means->f32() + 3 * m,
                              grads.log_scales->f32() + 3 * m, grads.rotations->f32() + 4 * m,
                              grads.opacities->f32()[m], grads.colors->f32() + 3 * m,
                              d_decoded.f32() + m * kSagsDecodedCols, d_scales.f32() + i * kSagsScaleCols);
    });
}

void SagsOpsCpu::accumulate_stats(const Tensor& rows, const Tensor& view_grad_norm, const Tensor& decoded,
                                  const Tensor& means, Tensor& grad_accum, Tensor& views, Tensor& opacity_accum,
                                  Tensor& last_means) {
    sags_check::stats(rows, view_grad_norm, decoded, means, grad_accum, views, opacity_accum, last_means, Device::Cpu);
    const int32_t* r = rows.i32();
    const size_t limit = grad_accum.rows();
    cpu::parallel_for_each(rows.rows(), 4096, [&](size_t m) {
        const size_t i = size_t(r[m]);
        if (i >= limit) return;
        grad_accum.f32()[i] += view_grad_norm.f32()[m];
        views.f32()[i] += 1.0f;
        opacity_accum.f32()[i] += std::max(decoded.f32()[m * kSagsDecodedCols + kSagsOpacityCol], 0.0f);
        for (int a = 0; a < 3; ++a) last_means.f32()[3 * i + a] = means.f32()[3 * m + a];
    });
}

void SagsOpsCpu::add_residual(const Tensor& features, Tensor& local) {
    sags_check::residual(features, local, Device::Cpu);
    const float* f = features.f32();
    float* l = local.f32();
    cpu::parallel_for_each(local.numel(), 65536, [&](size_t t) { l[t] = sags_residual(f[t], l[t]); });
}

void SagsOpsCpu::add_residual_backward(Tensor& d_local, Tensor& d_features) {
    sags_check::residual(d_features, d_local, Device::Cpu);
    float* dl = d_local.f32();
    float* df = d_features.f32();
    cpu::parallel_for_each(d_local.numel(), 65536, [&](size_t t) {
        df[t] += dl[t];
        dl[t] *= kSagsResidualWeight;
    });
}

void SagsOpsCpu::expand_midpoints(const Tensor& values, const Tensor& pairs, Tensor& out) {
    sags_check::midpoints(values, pairs, out, Device::Cpu);
    const size_t n = values.rows();
    const int C = values.cols();
    const int32_t* pr = pairs.i32();
    std::copy(values.f32(), values.f32() + values.numel(), out.f32());
    cpu::parallel_for_each(pairs.rows(), 1024, [&](size_t p) {
        const float* a = values.f32() + size_t(pr[2 * p]) * C;
        const float* b = values.f32() + size_t(pr[2 * p + 1]) * C;
        float* o = out.f32() + (n + p) * C;
        for (int c = 0; c < C; ++c) o[c] = sags_midpoint(a[c], b[c]);
    });
}

void SagsOpsCpu::expand_midpoints_backward(const Tensor& pairs, const Tensor& d_out, Tensor& d_values) {
    sags_check::midpoints(d_values, pairs, d_out, Device::Cpu);
    const size_t n = d_values.rows();
    const int C = d_values.cols();
    const int32_t* pr = pairs.i32();
    float* dv = d_values.f32();
    const float* g = d_out.f32();
    cpu::parallel_for_each(n, 4096, [&](size_t i) {
        for (int c = 0; c < C; ++c) dv[i * C + c] += g[i * C + c];
    });
    // A key point is an end of several pairs: one pass in pair order.
    for (size_t p = 0; p < pairs.rows(); ++p)
        for (int e = 0; e < 2; ++e) {
            float* d = dv + size_t(pr[2 * p + e]) * C;
            const float* s = g + (n + p) * C;
            for (int c = 0; c < C; ++c) d[c] += 0.5f * s[c];
        }
}

} // namespace splatscape
