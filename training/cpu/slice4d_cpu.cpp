#include "training/cpu/slice4d_cpu.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/densify4d.hpp"
#include "training/kernels/sh4d.hpp"
#include "training/kernels/slice4d.hpp"

namespace splatscape {
namespace cpu {
namespace {

template <class T>
kern::Gaussian4d<T> gaussian(const Slice4dArrays<T>& in, size_t i) {
    kern::Gaussian4d<T> g;
    for (int k = 0; k < 4; ++k) {
        g.mean[k] = in.means[4 * i + k];
        g.log_scale[k] = in.log_scales[4 * i + k];
    }
    const T* l = in.rot_l + 4 * i;
    const T* r = in.rot_r + 4 * i;
    g.rot_l = {l[0], l[1], l[2], l[3]};
    g.rot_r = {r[0], r[1], r[2], r[3]};
    return g;
}

int active_coeffs(const Slice4dParams& p) {
    return (p.sh_degree + 1) * (p.sh_degree + 1);
}

} // namespace

template <class T>
std::vector<int32_t> slice4d_select(const Slice4dArrays<T>& in, const Slice4dParams& p) {
    std::vector<uint8_t> keep(in.count);
    parallel_for_each(in.count, 2048, [&](size_t i) {
        keep[i] = kern::slice_keeps(gaussian(in, i), T(p.time), T(p.min_weight)) ? 1 : 0;
    });
    std::vector<int32_t> rows;
    for (size_t i = 0; i < in.count; ++i)
        if (keep[i]) rows.push_back(int32_t(i));
    return rows;
}

template <class T>
void slice4d_forward(const Slice4dArrays<T>& in, const Slice4dParams& p, const int32_t* rows, size_t m, T* means,
                     T* covariances, T* opacities, T* sh) {
    const int K_out = active_coeffs(p);
    parallel_for_each(m, 1024, [&](size_t j) {
        const size_t i = size_t(rows[j]);
        const auto s = kern::slice_4d(gaussian(in, i), T(p.time));
        means[3 * j] = s.mean.x;
        means[3 * j + 1] = s.mean.y;
        means[3 * j + 2] = s.mean.z;
        const T c[6] = {s.cov.xx, s.cov.xy, s.cov.xz, s.cov.yy, s.cov.yz, s.cov.zz};
        std::copy_n(c, 6, covariances + 6 * j);
        opacities[j] = kern::sliced_opacity_logit(in.opacities[i], s.weight);
        kern::sh4d_collapse(in.sh_coeffs, K_out, p.sh_degree_t, s.dt, T(p.time_period),
                            in.sh + i * size_t(in.sh_stride) * 3, sh + j * size_t(K_out) * 3);
    });
}

template <class T>
void slice4d_backward(const Slice4dArrays<T>& in, const Slice4dParams& p, const int32_t* rows, size_t m,
                      const T* d_means, const T* d_covariances, const T* d_opacities, const T* d_sh, T scale,
                      Slice4dParamGrads<T>& grads, T* time_grad) {
    const int K_out = active_coeffs(p);
    const int J3 = in.sh_stride * 3;
    parallel_for_each(m, 512, [&](size_t j) {
        const size_t i = size_t(rows[j]);
        const auto g = gaussian(in, i);
        const auto s = kern::slice_4d(g, T(p.time));
        T d_weight = T(0);
        const T d_o = kern::sliced_opacity_logit_backward(in.opacities[i], s.weight, d_opacities[j], d_weight);
        // The SH gradient is added to the parameter gradient directly, scaled.
        const T d_dt = kern::sh4d_collapse_backward(in.sh_coeffs, K_out, p.sh_degree_t, s.dt, T(p.time_period),
                                                    in.sh + i * size_t(J3), d_sh + j * size_t(K_out) * 3,
                                                    grads.sh ? grads.sh + i * size_t(J3) : nullptr, scale);
        const T* dc = d_covariances + 6 * j;
        kern::Gaussian4dGrad<T> d;
        kern::slice_4d_backward(g, T(p.time), kern::Vec3<T>{d_means[3 * j], d_means[3 * j + 1], d_means[3 * j + 2]},
                                kern::Sym3<T>{dc[0], dc[1], dc[2], dc[3], dc[4], dc[5]}, d_weight, d_dt, d);
        if (time_grad) time_grad[j] = std::abs(d.mean[3]);
        if (grads.means)
            for (int k = 0; k < 4; ++k) grads.means[4 * i + k] += scale * d.mean[k];
        if (grads.log_scales)
            for (int k = 0; k < 4; ++k) grads.log_scales[4 * i + k] += scale * d.log_scale[k];
        if (grads.rot_l) {
            const T q[4] = {d.rot_l.w, d.rot_l.x, d.rot_l.y, d.rot_l.z};
            for (int k = 0; k < 4; ++k) grads.rot_l[4 * i + k] += scale * q[k];
        }
        if (grads.rot_r) {
            const T q[4] = {d.rot_r.w, d.rot_r.x, d.rot_r.y, d.rot_r.z};
            for (int k = 0; k < 4; ++k) grads.rot_r[4 * i + k] += scale * q[k];
        }
        if (grads.opacities) grads.opacities[i] += scale * d_o;
    });
}

#define SPLATSCAPE_INSTANTIATE(T)                                                                                      \
    template std::vector<int32_t> slice4d_select<T>(const Slice4dArrays<T>&, const Slice4dParams&);                    \
    template void slice4d_forward<T>(const Slice4dArrays<T>&, const Slice4dParams&, const int32_t*, size_t, T*, T*,    \
                                     T*, T*);                                                                          \
    template void slice4d_backward<T>(const Slice4dArrays<T>&, const Slice4dParams&, const int32_t*, size_t, const T*, \
                                      const T*, const T*, const T*, T, Slice4dParamGrads<T>&, T*);
SPLATSCAPE_INSTANTIATE(float)
SPLATSCAPE_INSTANTIATE(double)
#undef SPLATSCAPE_INSTANTIATE

} // namespace cpu

// ---- CpuBackend's 4D ops ------------------------------------------------------------------------

namespace {

cpu::Slice4dArrays<float> arrays(const Gaussian4dTensors& t) {
    if (t.sh->cols() % 3 != 0 || t.sh->cols() / 3 > kern::kMaxSh4dCoeffs || t.sh_coeffs < 1 ||
        (t.sh->cols() / 3) % t.sh_coeffs != 0)
        throw Error(cat("4D Gaussians: ", t.sh->cols(), " SH columns do not hold whole sets of ", t.sh_coeffs,
                        " coefficients (at most ", kern::kMaxSh4dCoeffs, ")"));
    cpu::Slice4dArrays<float> a;
    a.count = t.count();
    a.means = t.means->f32();
    a.log_scales = t.log_scales->f32();
    a.rot_l = t.rot_l->f32();
    a.rot_r = t.rot_r->f32();
    a.opacities = t.opacities->f32();
    a.sh = t.sh->f32();
    a.sh_coeffs = t.sh_coeffs;
    a.sh_stride = t.sh->cols() / 3;
    return a;
}

cpu::Slice4dParams params(const Slice4dSettings& s) {
    return {s.time, s.time_period, s.sh_degree, s.sh_degree_t, s.min_weight};
}

} // namespace

void CpuBackend::slice4d_forward(const Gaussian4dTensors& in, const Slice4dSettings& s, Slice4dTensors& out) {
    const cpu::Slice4dArrays<float> a = arrays(in);
    const cpu::Slice4dParams p = params(s);
    const std::vector<int32_t> rows = cpu::slice4d_select(a, p);
    const size_t m = rows.size();
    const int K_out = (s.sh_degree + 1) * (s.sh_degree + 1);
    auto ensure = [&](Tensor& t, int cols, DType dtype) {
        if (t.rows() != m || t.cols() != cols || t.dtype() != dtype) t = zeros(m, cols, dtype);
    };
    ensure(out.rows, 1, DType::I32);
    ensure(out.means, 3, DType::F32);
    ensure(out.covariances, 6, DType::F32);
    ensure(out.opacities, 1, DType::F32);
    ensure(out.sh, K_out * 3, DType::F32);
    upload(out.rows, rows.data());
    cpu::slice4d_forward(a, p, rows.data(), m, out.means.f32(), out.covariances.f32(), out.opacities.f32(),
                         out.sh.f32());
}

void CpuBackend::slice4d_backward(const Gaussian4dTensors& in, const Slice4dSettings& s, const Slice4dTensors& fwd,
                                  const Slice4dGradTensors& d, float scale, Gaussian4dGradTensors& g) {
    cpu::Slice4dParamGrads<float> grads;
    auto ptr = [](Tensor* t) { return t ? t->f32() : nullptr; };
    grads.means = ptr(g.means);
    grads.log_scales = ptr(g.log_scales);
    grads.rot_l = ptr(g.rot_l);
    grads.rot_r = ptr(g.rot_r);
    grads.opacities = ptr(g.opacities);
    grads.sh = ptr(g.sh);
    cpu::slice4d_backward(arrays(in), params(s), fwd.rows.i32(), fwd.count(), d.means->f32(), d.covariances->f32(),
                          d.opacities->f32(), d.sh->f32(), scale, grads, d.time_grad ? d.time_grad->f32() : nullptr);
}

void CpuBackend::gs4d_view_stats(const Tensor& rows, const Tensor& radii, const Tensor& view_grad_norm,
                                 const Tensor& time_grad, Tensor& grad_accum, Tensor& time_grad_accum, Tensor& denom,
                                 Tensor& max_radii) {
    const size_t m = rows.rows();
    for (size_t j = 0; j < m; ++j) {
        const float r = radii.f32()[j];
        if (!(r > 0.0f)) continue;
        const size_t i = size_t(rows.i32()[j]);
        grad_accum.f32()[i] += view_grad_norm.f32()[j];
        time_grad_accum.f32()[i] += time_grad.f32()[j];
        denom.f32()[i] += 1.0f;
        max_radii.f32()[i] = std::max(max_radii.f32()[i], r);
    }
}

AdcCounts CpuBackend::gs4d_grow(const Tensor& grad_accum, const Tensor& time_grad_accum, const Tensor& denom,
                                const Tensor& log_scales, const Gs4dDensifyThresholds& t, Tensor& clone_rows,
                                Tensor& split_rows) {
    const size_t n = grad_accum.rows();
    const int sc = log_scales.cols();
    std::vector<int32_t> clones, splits;
    for (size_t i = 0; i < n; ++i) {
        const float* ls = log_scales.f32() + i * sc;
        const float max_ls = std::max(ls[0], std::max(ls[1], ls[2]));
        const int action = kern::gs4d_grow_action(grad_accum.f32()[i], time_grad_accum.f32()[i], denom.f32()[i], max_ls,
                                                  t.adc, t.time_grad_threshold);
        if (action == kern::kAdcClone) clones.push_back(int32_t(i));
        if (action == kern::kAdcSplit) splits.push_back(int32_t(i));
    }
    clone_rows = zeros(clones.size(), 1, DType::I32);
    upload(clone_rows, clones.data());
    split_rows = zeros(splits.size(), 1, DType::I32);
    upload(split_rows, splits.data());
    return {clones.size(), splits.size()};
}

Tensor CpuBackend::gs4d_keep(const Gaussian4dTensors& in, const Tensor& max_radii, const Gs4dDensifyThresholds& t,
                             const Tensor& drop) {
    const cpu::Slice4dArrays<float> a = arrays(in);
    const size_t n = a.count;
    std::vector<uint8_t> keep(n);
    cpu::parallel_for_each(n, 2048, [&](size_t i) {
        const float* ls = a.log_scales + 4 * i;
        const float max_ls = std::max(ls[0], std::max(ls[1], ls[2]));
        const bool pruned = kern::adc_prune(a.opacities[i], max_radii.f32()[i], max_ls, t.adc);
        const auto g = cpu::gaussian(a, i);
        const bool supported =
            kern::temporal_support_reaches(g.mean[3], kern::temporal_variance(g), t.time_min, t.time_max, t.min_weight);
        keep[i] = !pruned && supported ? 1 : 0;
    });
    std::vector<int32_t> rows;
    size_t d = 0;
    const size_t nd = drop.rows();
    for (size_t i = 0; i < n; ++i) {
        while (d < nd && size_t(drop.i32()[d]) < i) ++d;
        if (d < nd && size_t(drop.i32()[d]) == i) continue;
        if (keep[i]) rows.push_back(int32_t(i));
    }
    Tensor out = zeros(rows.size(), 1, DType::I32);
    upload(out, rows.data());
    return out;
}

void CpuBackend::split_children_4d(const Gaussian4dTensors& in, const Tensor& rows, float divisor, uint64_t seed,
                                   uint64_t stream, Tensor& child_means, Tensor& child_log_scales) {
    const size_t m = rows.rows();
    child_means = zeros(2 * m, 4);
    child_log_scales = zeros(2 * m, 4);
    const cpu::Slice4dArrays<float> a = arrays(in);
    cpu::parallel_for_each(2 * m, 1024, [&](size_t k) {
        const size_t c = k / m, i = k % m;
        const size_t r = size_t(rows.i32()[i]);
        kern::split_child_4d(a.means + 4 * r, a.log_scales + 4 * r, a.rot_l + 4 * r, a.rot_r + 4 * r, divisor, seed,
                             stream, uint64_t(r) * 2 + c, child_means.f32() + 4 * k, child_log_scales.f32() + 4 * k);
    });
}

} // namespace splatscape
