#pragma once
// Per-image appearance compensation and loss masks (training/kernels/appearance.hpp): an affine
// colour transform of a render, out_c = sum_k A[c][k] rgb_k + b_c (A, b one image's 12 parameters,
// row-major [A row 0, b_0, A row 1, b_1, A row 2, b_2]), with its backward, and the product of an
// image with a mask. CPU: training/cpu/appearance_ops_cpu.*; CUDA: training/cuda/appearance_ops_cuda.*
// over training/cuda/image_terms_cuda.cu.
#include <cstddef>

#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

class AppearanceOps : public OpFamily {
public:
    static constexpr const char* kName = "appearance";

    // out [P, 3] = the transform of row `row` of params [V, 12] applied to rgb [P, 3].
    virtual void affine_forward(const Tensor& rgb, const Tensor& params, size_t row, Tensor& out) = 0;
    // d_rgb [P, 3] = A^T d_out; d_params[row] += sum over pixels of the parameters' gradient (summed
    // in a fixed order: the same result on every run).
    virtual void affine_backward(const Tensor& rgb, const Tensor& d_out, const Tensor& params, size_t row,
                                 Tensor& d_rgb, Tensor& d_params) = 0;
    // image [P, C] *= mask [P, 1], in place.
    virtual void apply_mask(Tensor& image, const Tensor& mask) = 0;
};

} // namespace splatscape
