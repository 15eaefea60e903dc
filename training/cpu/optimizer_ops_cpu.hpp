#pragma once
// The optimizer family on the CPU: kern::adam_update in threaded, vectorised loops.
#include "training/ops/optimizer_ops.hpp"

namespace splatscape {

class OptimizerOpsCpu final : public OptimizerOps {
public:
    void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a, int split_col,
                   const kern::AdamStep& b) override;
};

} // namespace splatscape
