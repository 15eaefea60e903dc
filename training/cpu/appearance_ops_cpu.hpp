#pragma once
// Appearance compensation and loss masks on the CPU: training/kernels/appearance.hpp over pixels.
#include "training/ops/appearance_ops.hpp"

namespace splatscape {

class AppearanceOpsCpu final : public AppearanceOps {
public:
    void affine_forward(const Tensor& rgb, const Tensor& params, size_t row, Tensor& out) override;
    void affine_backward(const Tensor& rgb, const Tensor& d_out, const Tensor& params, size_t row, Tensor& d_rgb,
                         Tensor& d_params) override;
    void apply_mask(Tensor& image, const Tensor& mask) override;
};

} // namespace splatscape
