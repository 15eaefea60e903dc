#include "training/cuda/slice4d_ops_cuda.hpp"

#include <cuda_runtime_api.h>

#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/ops_common_cuda.hpp"
#include "training/cuda/slice4d_cuda.hpp"
#include "training/kernels/sh4d.hpp"

namespace splatscape {

using namespace cuda;

namespace {

cuda::Slice4dDevice slice_inputs(const Gaussian4dTensors& t, const char* op) {
    require(t.means && t.log_scales && t.rot_l && t.rot_r && t.opacities && t.sh, op, "every 4D tensor is required");
    const size_t n = t.count();
    require_shape(t.means, n, 4, op, "means");
    require_shape(t.log_scales, n, 4, op, "log_scales");
    require_shape(t.rot_l, n, 4, op, "rot_l");
    require_shape(t.rot_r, n, 4, op, "rot_r");
    require_shape(t.opacities, n, 1, op, "opacities");
    require_on_gpu(t.sh, op, "sh");
    const int stride = t.sh->cols() / 3;
    require(t.sh->rows() == n && t.sh->cols() % 3 == 0 && t.sh_coeffs >= 1 && stride % t.sh_coeffs == 0 &&
                stride <= kern::kMaxSh4dCoeffs,
            op,
            cat(t.sh->cols(), " SH columns do not hold whole sets of ", t.sh_coeffs, " coefficients (at most ",
                kern::kMaxSh4dCoeffs, ")"));
    cuda::Slice4dDevice in;
    in.count = n;
    in.means = t.means->f32();
    in.log_scales = t.log_scales->f32();
    in.rot_l = t.rot_l->f32();
    in.rot_r = t.rot_r->f32();
    in.opacities = t.opacities->f32();
    in.sh = t.sh->f32();
    in.sh_coeffs = t.sh_coeffs;
    in.sh_stride = stride;
    return in;
}

cuda::Slice4dLaunch slice_launch(const Slice4dSettings& s) {
    return {s.time, s.time_period, s.sh_degree, s.sh_degree_t, s.min_weight};
}

} // namespace

void Slice4dOpsCuda::forward(const Gaussian4dTensors& t, const Slice4dSettings& s, Slice4dTensors& out) {
    m_backend.use_device();
    const cuda::Slice4dDevice in = slice_inputs(t, "slice4d_forward");
    const cuda::Slice4dLaunch p = slice_launch(s);
    const int K_out = (s.sh_degree + 1) * (s.sh_degree + 1);
    require(s.sh_degree >= 0 && K_out <= t.sh_coeffs, "slice4d_forward",
            cat("SH degree ", s.sh_degree, " with ", t.sh_coeffs, " coefficients"));
    // Selected rows go to a tensor of N rows first; the outputs are then sized to the M selected.
    Tensor rows = m_backend.zeros(in.count, 1, DType::I32);
    const size_t m = cuda::launch_slice4d_select(in, p, rows.i32());
    auto ensure = [&](Tensor& x, int cols, DType dtype) {
        if (x.rows() != m || x.cols() != cols || x.dtype() != dtype) x = m_backend.zeros(m, cols, dtype);
    };
    ensure(out.rows, 1, DType::I32);
    if (m)
        SPLATSCAPE_CUDA_CHECK(
            cudaMemcpyAsync(out.rows.raw(), rows.raw(), m * 4, cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    ensure(out.means, 3, DType::F32);
    ensure(out.covariances, 6, DType::F32);
    ensure(out.opacities, 1, DType::F32);
    ensure(out.sh, K_out * 3, DType::F32);
    cuda::launch_slice4d_forward(in, p, out.rows.i32(), m, out.means.f32(), out.covariances.f32(), out.opacities.f32(),
                                 out.sh.f32());
}

void Slice4dOpsCuda::backward(const Gaussian4dTensors& t, const Slice4dSettings& s, const Slice4dTensors& fwd,
                              const Slice4dGradTensors& d, float scale, Gaussian4dGradTensors& g) {
    m_backend.use_device();
    const char* op = "slice4d_backward";
    const cuda::Slice4dDevice in = slice_inputs(t, op);
    const size_t m = fwd.count();
    require(d.means && d.covariances && d.opacities && d.sh, op, "every slice gradient is required");
    require_shape(d.means, m, 3, op, "d_means");
    require_shape(d.covariances, m, 6, op, "d_covariances");
    require_shape(d.opacities, m, 1, op, "d_opacities");
    require_shape(d.sh, m, fwd.sh.cols(), op, "d_sh");
    if (d.time_grad) require_shape(d.time_grad, m, 1, op, "time_grad");
    const size_t n = in.count;
    if (g.means) require_shape(g.means, n, 4, op, "grad means");
    if (g.log_scales) require_shape(g.log_scales, n, 4, op, "grad log_scales");
    if (g.rot_l) require_shape(g.rot_l, n, 4, op, "grad rot_l");
    if (g.rot_r) require_shape(g.rot_r, n, 4, op, "grad rot_r");
    if (g.opacities) require_shape(g.opacities, n, 1, op, "grad opacities");
    if (g.sh) require_shape(g.sh, n, t.sh->cols(), op, "grad sh");
    cuda::Slice4dDeviceGrads grads;
    grads.means = f32_or_null(g.means);
    grads.log_scales = f32_or_null(g.log_scales);
    grads.rot_l = f32_or_null(g.rot_l);
    grads.rot_r = f32_or_null(g.rot_r);
    grads.opacities = f32_or_null(g.opacities);
    grads.sh = f32_or_null(g.sh);
    cuda::launch_slice4d_backward(in, slice_launch(s), fwd.rows.i32(), m, d.means->f32(), d.covariances->f32(),
                                  d.opacities->f32(), d.sh->f32(), scale, grads, f32_or_null(d.time_grad));
}

void Slice4dOpsCuda::view_stats(const Tensor& rows, const Tensor& radii, const Tensor& view_grad_norm,
                                const Tensor& time_grad, Tensor& grad_accum, Tensor& time_grad_accum, Tensor& denom,
                                Tensor& max_radii) {
    m_backend.use_device();
    const char* op = "gs4d_view_stats";
    const size_t m = rows.rows(), n = grad_accum.rows();
    require_on_gpu(&rows, op, "rows");
    require(rows.dtype() == DType::I32, op, "rows must be int32");
    require_on_gpu(&grad_accum, op, "grad_accum");
    require_shape(&radii, m, 1, op, "radii");
    require_shape(&view_grad_norm, m, 1, op, "view_grad_norm");
    require_shape(&time_grad, m, 1, op, "time_grad");
    require_shape(&time_grad_accum, n, 1, op, "time_grad_accum");
    require_shape(&denom, n, 1, op, "denom");
    require_shape(&max_radii, n, 1, op, "max_radii");
    cuda::launch_gs4d_view_stats(m, rows.i32(), radii.f32(), view_grad_norm.f32(), time_grad.f32(), grad_accum.f32(),
                                 time_grad_accum.f32(), denom.f32(), max_radii.f32());
}

AdcCounts Slice4dOpsCuda::grow(const Tensor& grad_accum, const Tensor& time_grad_accum, const Tensor& denom,
                               const Tensor& log_scales, const Gs4dDensifyThresholds& t, Tensor& clone_rows,
                               Tensor& split_rows) {
    m_backend.use_device();
    const size_t n = grad_accum.rows();
    require_shape(&time_grad_accum, n, 1, "gs4d_grow", "time_grad_accum");
    require_shape(&denom, n, 1, "gs4d_grow", "denom");
    require_shape(&log_scales, n, 4, "gs4d_grow", "log_scales");
    m_rows.ensure(n);
    cuda::launch_gs4d_grow_flags(n, grad_accum.f32(), time_grad_accum.f32(), denom.f32(), log_scales.f32(), t.adc,
                                 t.time_grad_threshold, m_rows.flags_a(), m_rows.flags_b());
    return m_rows.grow_rows(n, clone_rows, split_rows);
}

Tensor Slice4dOpsCuda::keep(const Gaussian4dTensors& t, const Tensor& max_radii, const Gs4dDensifyThresholds& th,
                            const Tensor& drop) {
    m_backend.use_device();
    const cuda::Slice4dDevice in = slice_inputs(t, "gs4d_keep");
    const size_t n = in.count;
    require_shape(&max_radii, n, 1, "gs4d_keep", "max_radii");
    if (n == 0) return m_backend.zeros(0, 1, DType::I32);
    m_rows.ensure(n);
    m_rows.mark_dropped(n, drop, "gs4d_keep");
    cuda::launch_gs4d_keep_flags(in, max_radii.f32(), th.adc, th.time_min, th.time_max, th.min_weight,
                                 m_rows.flags_b(), m_rows.flags_a());
    return m_rows.keep_rows(n);
}

void Slice4dOpsCuda::split_children(const Gaussian4dTensors& t, const Tensor& rows, float divisor, uint64_t seed,
                                    uint64_t stream, Tensor& child_means, Tensor& child_log_scales) {
    m_backend.use_device();
    const cuda::Slice4dDevice in = slice_inputs(t, "split_children_4d");
    require_on_gpu(&rows, "split_children_4d", "rows");
    require(rows.dtype() == DType::I32 && rows.cols() == 1, "split_children_4d", "rows must be int32 [M, 1]");
    const size_t m = rows.rows();
    child_means = m_backend.zeros(2 * m, 4);
    child_log_scales = m_backend.zeros(2 * m, 4);
    cuda::launch_split_children_4d(in, rows.i32(), m, divisor, seed, stream, child_means.f32(), child_log_scales.f32());
}

} // namespace splatscape
