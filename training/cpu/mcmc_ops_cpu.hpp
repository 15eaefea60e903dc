#pragma once
// The MCMC densification family on the CPU: training/kernels/mcmc.hpp over host rows.
#include "training/ops/mcmc_ops.hpp"

namespace splatscape {

class Backend;

class McmcOpsCpu final : public McmcOps {
public:
    explicit McmcOpsCpu(Backend& backend) : m_backend(backend) {}

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
    Backend& m_backend;
};

} // namespace splatscape
