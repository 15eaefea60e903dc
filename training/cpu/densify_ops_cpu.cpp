#include "training/cpu/densify_ops_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <vector>

#include "training/backend.hpp"
#include "training/cpu/raster_ops_cpu.hpp"
#include "training/cpu/thread_pool.hpp"

namespace splatscape {

void DensifyOpsCpu::accumulate_view_stats(const Tensor& view_grad_norm, const RasterContext& ctx, Tensor& grad_accum,
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

AdcCounts DensifyOpsCpu::grow(const Tensor& grad_accum, const Tensor& denom, const Tensor& log_scales,
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
    clone_rows = m_backend.zeros(clones.size(), 1, DType::I32);
    m_backend.upload(clone_rows, clones.data());
    split_rows = m_backend.zeros(splits.size(), 1, DType::I32);
    m_backend.upload(split_rows, splits.data());
    return {clones.size(), splits.size()};
}

Tensor DensifyOpsCpu::keep(const Tensor& opacity_logits, const Tensor& max_radii, const Tensor& log_scales,
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
    Tensor out = m_backend.zeros(keep.size(), 1, DType::I32);
    m_backend.upload(out, keep.data());
    return out;
}

void DensifyOpsCpu::split_children(const Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                   const Tensor& rows, float divisor, uint64_t seed, uint64_t stream,
                                   Tensor& child_means, Tensor& child_log_scales) {
    const size_t m = rows.rows();
    child_means = m_backend.zeros(2 * m, 3);
    child_log_scales = m_backend.zeros(2 * m, log_scales.cols());
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

void DensifyOpsCpu::clamp_opacity(Tensor& opacity_logits, float max_opacity) {
    const float max_logit = std::log(max_opacity / (1.0f - max_opacity));
    float* o = opacity_logits.f32();
    for (size_t i = 0; i < opacity_logits.numel(); ++i) o[i] = std::min(o[i], max_logit);
}

} // namespace splatscape
