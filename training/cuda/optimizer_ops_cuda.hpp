#pragma once
// The optimizer family on CUDA: one fused Adam kernel per parameter tensor. Internal to training/cuda.
#include "training/ops/optimizer_ops.hpp"

namespace splatscape {

class CudaBackend;

class OptimizerOpsCuda final : public OptimizerOps {
public:
    explicit OptimizerOpsCuda(CudaBackend& backend) : m_backend(backend) {}

    void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a, int split_col,
                   const kern::AdamStep& b) override;

private:
    CudaBackend& m_backend;
};

} // namespace splatscape
