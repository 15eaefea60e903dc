#include "training/cpu/slice4d_ops_cpu.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cpu/slice4d_cpu.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/densify4d.hpp"
#include "training/kernels/sh4d.hpp"

namespace splatscape {

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

void Slice4dOpsCpu::forward(const Gaussian4dTensors& in, const Slice4dSettings& s, Slice4dTensors& out) {
    const cpu::Slice4dArrays<float> a = arrays(in);
    const cpu::Slice4dParams p = params(s);
    const std::vector<int32_t> rows = cpu::slice4d_select(a, p);
    const size_t m = rows.size();
    const int K_out = (s.sh_degree + 1) * (s.sh_degree + 1);
    auto ensure = [&](Tensor& t, int cols, DType dtype) {
        if (t.rows() != m || t.cols() != cols || t.dtype() != dtype) t = m_backend.zeros(m, cols, dtype);
    };
    ensure(out.rows, 1, DType::I32);
    ensure(out.means, 3, DType::F32);
    ensure(out.covariances, 6, DType::F32);
    ensure(out.opacities, 1, DType::F32);
    ensure(out.sh, K_out * 3, DType::F32);
    m_backend.upload(out.rows, rows.data());
    cpu::slice4d_forward(a, p, rows.data(), m, out.means.f32(), out.covariances.f32(), out.opacities.f32(),
                         out.sh.f32());
}

void Slice4dOpsCpu::backward(const Gaussian4dTensors& in, const Slice4dSettings& s, const Slice4dTensors& fwd,
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

void Slice4dOpsCpu::view_stats(const Tensor& rows, const Tensor& radii, const Tensor& view_grad_norm,
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

AdcCounts Slice4dOpsCpu::grow(const Tensor& grad_accum, const Tensor& time_grad_accum, const Tensor& denom,
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
    clone_rows = m_backend.zeros(clones.size(), 1, DType::I32);
    m_backend.upload(clone_rows, clones.data());
    split_rows = m_backend.zeros(splits.size(), 1, DType::I32);
    m_backend.upload(split_rows, splits.data());
    return {clones.size(), splits.size()};
}

Tensor Slice4dOpsCpu::keep(const Gaussian4dTensors& in, const Tensor& max_radii, const Gs4dDensifyThresholds& t,
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
    Tensor out = m_backend.zeros(rows.size(), 1, DType::I32);
    m_backend.upload(out, rows.data());
    return out;
}

void Slice4dOpsCpu::split_children(const Gaussian4dTensors& in, const Tensor& rows, float divisor, uint64_t seed,
                                   uint64_t stream, Tensor& child_means, Tensor& child_log_scales) {
    const size_t m = rows.rows();
    child_means = m_backend.zeros(2 * m, 4);
    child_log_scales = m_backend.zeros(2 * m, 4);
    const cpu::Slice4dArrays<float> a = arrays(in);
    cpu::parallel_for_each(2 * m, 1024, [&](size_t k) {
        const size_t c = k / m, i = k % m;
        const size_t r = size_t(rows.i32()[i]);
        kern::split_child_4d(a.means + 4 * r, a.log_scales + 4 * r, a.rot_l + 4 * r, a.rot_r + 4 * r, divisor, seed,
                             stream, uint64_t(r) * 2 + c, child_means.f32() + 4 * k, child_log_scales.f32() + 4 * k);
    });
}

} // namespace splatscape
