#include "training/cuda/mcmc_ops_cuda.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>

#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/mcmc_cuda.hpp"
#include "training/cuda/ops_common_cuda.hpp"

namespace splatscape {

using namespace cuda;

namespace {

void require_rows(const Tensor& rows, const char* op, const char* name) {
    require_on_gpu(&rows, op, name);
    require(rows.dtype() == DType::I32 && (rows.cols() == 1 || rows.empty()), op, cat(name, " must be int32 [M, 1]"));
}

} // namespace

Tensor McmcOpsCuda::dead_rows(const Tensor& opacity_logits, float max_logit) {
    m_backend.use_device();
    const size_t n = opacity_logits.rows();
    require_shape(&opacity_logits, n, 1, "mcmc dead_rows", "opacity_logits");
    if (n == 0) return m_backend.zeros(0, 1, DType::I32);
    m_rows.ensure(n);
    launch_dead_flags(n, opacity_logits.f32(), max_logit, m_rows.flags_a());
    return m_rows.keep_rows(n);
}

Tensor McmcOpsCuda::sample_rows(const Tensor& opacity_logits, float min_logit, size_t count, uint64_t seed,
                                uint64_t stream) {
    m_backend.use_device();
    const size_t n = opacity_logits.rows();
    require_shape(&opacity_logits, n, 1, "mcmc sample_rows", "opacity_logits");
    if (n == 0 || count == 0) return m_backend.zeros(0, 1, DType::I32);
    m_weights.ensure(n * sizeof(double), "MCMC sampling weights");
    m_cdf.ensure(n * sizeof(double), "MCMC sampling weights");
    m_scan_temp.ensure(std::max<size_t>(inclusive_scan_f64_temp_bytes(n), 1), "MCMC sampling scratch");
    launch_opacity_weights(n, opacity_logits.f32(), min_logit, m_weights.as<double>());
    inclusive_scan_f64(m_scan_temp.get(), m_scan_temp.bytes(), m_weights.as<double>(), m_cdf.as<double>(), n);
    SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(m_host.as<double>(), m_cdf.as<double>() + (n - 1), sizeof(double),
                                          cudaMemcpyDeviceToHost, cudaStreamLegacy));
    sync();
    const double total = m_host.as<double>()[0];
    if (!(total > 0.0)) return m_backend.zeros(0, 1, DType::I32);
    Tensor rows = m_backend.zeros(count, 1, DType::I32);
    launch_sample_rows(m_cdf.as<double>(), n, total, count, seed, stream, rows.i32());
    return rows;
}

void McmcOpsCuda::copy_rows(Tensor& t, const Tensor& sources, const Tensor& targets) {
    m_backend.use_device();
    require_on_gpu(&t, "mcmc copy_rows", "t");
    require_rows(sources, "mcmc copy_rows", "sources");
    require_rows(targets, "mcmc copy_rows", "targets");
    require(sources.rows() == targets.rows(), "mcmc copy_rows", "sources and targets differ in length");
    launch_copy_rows(static_cast<uint32_t*>(t.raw()), t.cols(), sources.i32(), targets.i32(), sources.rows());
}

void McmcOpsCuda::relocate(Tensor& opacity_logits, Tensor& log_scales, int scale_cols, const Tensor& sources,
                           const Tensor& targets, float min_opacity) {
    m_backend.use_device();
    const size_t n = opacity_logits.rows(), m = sources.rows();
    require_shape(&opacity_logits, n, 1, "mcmc relocate", "opacity_logits");
    require(log_scales.rows() == n && log_scales.cols() >= scale_cols, "mcmc relocate",
            "log_scales must be [N, >= scale_cols]");
    require_rows(sources, "mcmc relocate", "sources");
    require_rows(targets, "mcmc relocate", "targets");
    require(targets.rows() == m, "mcmc relocate", "sources and targets differ in length");
    if (m == 0) return;
    m_copies.ensure(n * sizeof(int32_t), "MCMC copy counts");
    m_values.ensure(m * size_t(1 + scale_cols) * sizeof(float), "MCMC relocated values");
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(m_copies.get(), 0, n * sizeof(int32_t), cudaStreamLegacy));
    launch_count_rows(sources.i32(), m, m_copies.as<int32_t>());
    float* new_logit = m_values.as<float>();
    float* new_scales = new_logit + m;
    launch_relocation_values(opacity_logits.f32(), log_scales.f32(), log_scales.cols(), scale_cols, sources.i32(),
                             m_copies.as<int32_t>(), m, min_opacity, new_logit, new_scales);
    launch_relocation_write(opacity_logits.f32(), log_scales.f32(), log_scales.cols(), scale_cols, sources.i32(),
                            targets.i32(), m, new_logit, new_scales);
}

void McmcOpsCuda::zero_rows(Tensor& t, const Tensor& rows) {
    m_backend.use_device();
    require_on_gpu(&t, "mcmc zero_rows", "t");
    require_rows(rows, "mcmc zero_rows", "rows");
    launch_zero_rows(static_cast<uint32_t*>(t.raw()), t.cols(), rows.i32(), rows.rows());
}

void McmcOpsCuda::add_regularizer_grads(const Tensor& opacity_logits, const Tensor& log_scales, int scale_cols,
                                        float opacity_weight, float scale_weight, Tensor& d_opacity,
                                        Tensor& d_log_scales) {
    m_backend.use_device();
    const size_t n = opacity_logits.rows();
    require_shape(&opacity_logits, n, 1, "mcmc regularizers", "opacity_logits");
    require_shape(&d_opacity, n, 1, "mcmc regularizers", "d_opacity");
    require_shape(&d_log_scales, n, log_scales.cols(), "mcmc regularizers", "d_log_scales");
    require(log_scales.rows() == n && log_scales.cols() >= scale_cols, "mcmc regularizers",
            "log_scales must be [N, >= scale_cols]");
    launch_regularizer_grads(n, opacity_logits.f32(), log_scales.f32(), log_scales.cols(), scale_cols, opacity_weight,
                             scale_weight, d_opacity.f32(), d_log_scales.f32());
}

void McmcOpsCuda::add_position_noise(Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                     const Tensor& opacity_logits, float scale, uint64_t seed, uint64_t stream) {
    m_backend.use_device();
    const size_t n = means.rows();
    require_shape(&means, n, 3, "mcmc noise", "means");
    require(log_scales.rows() == n && log_scales.cols() >= 3, "mcmc noise", "log_scales must be [N, >= 3]");
    require_shape(&rotations, n, 4, "mcmc noise", "rotations");
    require_shape(&opacity_logits, n, 1, "mcmc noise", "opacity_logits");
    launch_position_noise(n, means.f32(), log_scales.f32(), log_scales.cols(), rotations.f32(), opacity_logits.f32(),
                          scale, seed, stream);
}

void McmcOpsCuda::add_position_noise_4d(Tensor& means, const Tensor& log_scales, const Tensor& rot_l,
                                        const Tensor& rot_r, const Tensor& opacity_logits, float scale, uint64_t seed,
                                        uint64_t stream) {
    m_backend.use_device();
    const size_t n = means.rows();
    require_shape(&means, n, 4, "mcmc noise 4d", "means");
    require_shape(&log_scales, n, 4, "mcmc noise 4d", "log_scales");
    require_shape(&rot_l, n, 4, "mcmc noise 4d", "rot_l");
    require_shape(&rot_r, n, 4, "mcmc noise 4d", "rot_r");
    require_shape(&opacity_logits, n, 1, "mcmc noise 4d", "opacity_logits");
    launch_position_noise_4d(n, means.f32(), log_scales.f32(), rot_l.f32(), rot_r.f32(), opacity_logits.f32(), scale,
                             seed, stream);
}

} // namespace splatscape
