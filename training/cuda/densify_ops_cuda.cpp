#include "training/cuda/densify_ops_cuda.hpp"

#include <cmath>

#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/ops_common_cuda.hpp"
#include "training/cuda/ops_cuda.hpp"
#include "training/cuda/raster_ops_cuda.hpp"

namespace splatscape {

using namespace cuda;

void DensifyOpsCuda::accumulate_view_stats(const Tensor& view_grad_norm, const RasterContext& base,
                                           Tensor& grad_accum, Tensor& denom, Tensor& max_radii) {
    m_backend.use_device();
    const auto& c = dynamic_cast<const CudaRasterContext&>(base);
    const size_t n = grad_accum.rows();
    require(n == c.n, "accumulate_view_stats", cat(n, " rows, the last forward had ", c.n));
    require_shape(&view_grad_norm, n, 1, "accumulate_view_stats", "view_grad_norm");
    require_shape(&grad_accum, n, 1, "accumulate_view_stats", "grad_accum");
    require_shape(&denom, n, 1, "accumulate_view_stats", "denom");
    require_shape(&max_radii, n, 1, "accumulate_view_stats", "max_radii");
    cuda::launch_accumulate_view_stats(n, view_grad_norm.f32(), c.radii.as<int32_t>(), grad_accum.f32(), denom.f32(),
                                       max_radii.f32());
}

AdcCounts DensifyOpsCuda::grow(const Tensor& grad_accum, const Tensor& denom, const Tensor& log_scales,
                               const kern::AdcThresholds& t, Tensor& clone_rows, Tensor& split_rows) {
    m_backend.use_device();
    const size_t n = grad_accum.rows();
    require_shape(&denom, n, 1, "adc_grow", "denom");
    require(log_scales.rows() == n && log_scales.cols() >= 3, "adc_grow", "log_scales must be [N, >= 3]");
    m_rows.ensure(n);
    cuda::launch_adc_grow_flags(n, grad_accum.f32(), denom.f32(), log_scales.f32(), log_scales.cols(), t,
                                m_rows.flags_a(), m_rows.flags_b());
    return m_rows.grow_rows(n, clone_rows, split_rows);
}

Tensor DensifyOpsCuda::keep(const Tensor& opacity_logits, const Tensor& max_radii, const Tensor& log_scales,
                            const kern::AdcThresholds& t, const Tensor& drop) {
    m_backend.use_device();
    const size_t n = opacity_logits.rows();
    require_shape(&opacity_logits, n, 1, "adc_keep", "opacity_logits");
    require_shape(&max_radii, n, 1, "adc_keep", "max_radii");
    require(log_scales.rows() == n && log_scales.cols() >= 3, "adc_keep", "log_scales must be [N, >= 3]");
    if (n == 0) return m_backend.zeros(0, 1, DType::I32);
    m_rows.ensure(n);
    m_rows.mark_dropped(n, drop, "adc_keep");
    cuda::launch_adc_keep_flags(n, opacity_logits.f32(), max_radii.f32(), log_scales.f32(), log_scales.cols(), t,
                                m_rows.flags_b(), m_rows.flags_a());
    return m_rows.keep_rows(n);
}

void DensifyOpsCuda::split_children(const Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                    const Tensor& rows, float divisor, uint64_t seed, uint64_t stream,
                                    Tensor& child_means, Tensor& child_log_scales) {
    m_backend.use_device();
    const size_t n = means.rows();
    require_shape(&means, n, 3, "split_children", "means");
    require(log_scales.rows() == n && log_scales.cols() >= 3, "split_children", "log_scales must be [N, >= 3]");
    require_shape(&rotations, n, 4, "split_children", "rotations");
    require_on_gpu(&rows, "split_children", "rows");
    const size_t m = rows.rows();
    child_means = m_backend.zeros(2 * m, 3);
    child_log_scales = m_backend.zeros(2 * m, log_scales.cols());
    cuda::launch_split_children(means.f32(), log_scales.f32(), log_scales.cols(), rotations.f32(), rows.i32(), m,
                                divisor, seed, stream, child_means.f32(), child_log_scales.f32());
}

void DensifyOpsCuda::clamp_opacity(Tensor& opacity_logits, float max_opacity) {
    m_backend.use_device();
    require_on_gpu(&opacity_logits, "clamp_opacity", "opacity_logits");
    // The same float expression as the CPU backend, so both clamp to the same logit.
    const float max_logit = std::log(max_opacity / (1.0f - max_opacity));
    cuda::launch_clamp_max(opacity_logits.f32(), opacity_logits.numel(), max_logit);
}

} // namespace splatscape
