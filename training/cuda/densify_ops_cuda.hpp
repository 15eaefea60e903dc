#pragma once
// The Gaussian densification family on CUDA: decision kernels over training/kernels/densify.hpp and
// GPU row selection. Internal to training/cuda.
#include "training/cuda/row_select_cuda.hpp"
#include "training/ops/densify_ops.hpp"

namespace splatscape {

class CudaBackend;

class DensifyOpsCuda final : public DensifyOps {
public:
    explicit DensifyOpsCuda(CudaBackend& backend) : m_backend(backend), m_rows(backend) {}

    void accumulate_view_stats(const Tensor& view_grad_norm, const RasterContext& ctx, Tensor& grad_accum,
                               Tensor& denom, Tensor& max_radii) override;
    AdcCounts grow(const Tensor& grad_accum, const Tensor& denom, const Tensor& log_scales,
                   const kern::AdcThresholds& t, Tensor& clone_rows, Tensor& split_rows) override;
    Tensor keep(const Tensor& opacity_logits, const Tensor& max_radii, const Tensor& log_scales,
                const kern::AdcThresholds& t, const Tensor& drop) override;
    void split_children(const Tensor& means, const Tensor& log_scales, const Tensor& rotations, const Tensor& rows,
                        float divisor, uint64_t seed, uint64_t stream, Tensor& child_means,
                        Tensor& child_log_scales) override;
    void clamp_opacity(Tensor& opacity_logits, float max_opacity) override;

private:
    CudaBackend& m_backend;
    RowSelectCuda m_rows;
};

} // namespace splatscape
