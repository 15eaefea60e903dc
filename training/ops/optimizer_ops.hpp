#pragma once
// The optimizer family: Adam (training/kernels/adam.hpp) on a parameter tensor, in place.
#include "training/kernels/adam.hpp"
#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

class OptimizerOps : public OpFamily {
public:
    static constexpr const char* kName = "optimizer";

    // Adam on every element of `param`; columns [0, split_col) take step `a`, the rest step `b`
    // (one tensor can hold two parameter groups, as the SH DC and rest coefficients do).
    virtual void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a,
                           int split_col, const kern::AdamStep& b) = 0;
};

} // namespace splatscape
