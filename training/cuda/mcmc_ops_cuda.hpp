#pragma once
// The MCMC densification family on CUDA (training/cuda/mcmc_cuda.cu). Internal to training/cuda.
#include "training/cuda/device_memory_cuda.hpp"
#include "training/cuda/row_select_cuda.hpp"
#include "training/ops/mcmc_ops.hpp"

namespace splatscape {

class CudaBackend;

class McmcOpsCuda final : public McmcOps {
public:
    explicit McmcOpsCuda(CudaBackend& backend) : m_backend(backend), m_rows(backend) {}

    Tensor dead_rows(const Tensor& opacity_logits, float max_logit) override;
    Tensor sample_rows(const Tensor& opacity_logits, float min_logit, size_t count, uint64_t seed,
                       uint64_t stream) override;
    void copy_rows(Tensor& t, const Tensor& sources, const Tensor& targets) override;
    void relocate(Tensor& opacity_logits, Tensor& log_scales, int scale_cols, const Tensor& sources,
                  const Tensor& targets, float min_opacity) override;
    void zero_rows(Tensor& t, const Tensor& rows) override;
    void add_regularizer_grads(const Tensor& opacity_logits, const Tensor& log_scales, int scale_cols,
                               float opacity_weight, float scale_weight, Tensor& d_opacity,
                               Tensor& d_log_scales) override;
    void add_position_noise(Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                            const Tensor& opacity_logits, float scale, uint64_t seed, uint64_t stream) override;
    void add_position_noise_4d(Tensor& means, const Tensor& log_scales, const Tensor& rot_l, const Tensor& rot_r,
                               const Tensor& opacity_logits, float scale, uint64_t seed, uint64_t stream) override;

private:
    CudaBackend& m_backend;
    RowSelectCuda m_rows;
    cuda::DeviceBuffer m_weights, m_cdf, m_scan_temp, m_copies, m_values;
    cuda::PinnedBuffer m_host{64};
};

} // namespace splatscape
