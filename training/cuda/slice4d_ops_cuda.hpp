#pragma once
// The 4D slicing family on CUDA: training/cuda/slice4d_cuda.hpp's launchers and GPU row selection
// for 4D densification. Internal to training/cuda.
#include "training/cuda/row_select_cuda.hpp"
#include "training/ops/slice4d_ops.hpp"

namespace splatscape {

class CudaBackend;

class Slice4dOpsCuda final : public Slice4dOps {
public:
    explicit Slice4dOpsCuda(CudaBackend& backend) : m_backend(backend), m_rows(backend) {}

    void forward(const Gaussian4dTensors& in, const Slice4dSettings& s, Slice4dTensors& out) override;
    void backward(const Gaussian4dTensors& in, const Slice4dSettings& s, const Slice4dTensors& fwd,
                  const Slice4dGradTensors& d, float scale, Gaussian4dGradTensors& grads) override;
    void view_stats(const Tensor& rows, const Tensor& radii, const Tensor& view_grad_norm, const Tensor& time_grad,
                    Tensor& grad_accum, Tensor& time_grad_accum, Tensor& denom, Tensor& max_radii) override;
    AdcCounts grow(const Tensor& grad_accum, const Tensor& time_grad_accum, const Tensor& denom,
                   const Tensor& log_scales, const Gs4dDensifyThresholds& t, Tensor& clone_rows,
                   Tensor& split_rows) override;
    Tensor keep(const Gaussian4dTensors& in, const Tensor& max_radii, const Gs4dDensifyThresholds& t,
                const Tensor& drop) override;
    void split_children(const Gaussian4dTensors& in, const Tensor& rows, float divisor, uint64_t seed,
                        uint64_t stream, Tensor& child_means, Tensor& child_log_scales) override;

private:
    CudaBackend& m_backend;
    RowSelectCuda m_rows;
};

} // namespace splatscape
