#pragma once
// The image-loss family: 3DGS's (1 - lambda) L1 + lambda D-SSIM between a render and its target,
// with the gradient (training/kernels/ssim.hpp), and the composition of RGBA targets over a
// background. CPU: training/cpu/loss_cpu.*; CUDA: training/cuda/loss_cuda.cu.
#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

struct LossValue {
    double loss = 0.0;
    double l1 = 0.0;
    double ssim = 0.0;
};

class ImageLossOps : public OpFamily {
public:
    static constexpr const char* kName = "image loss";

    // (1 - ssim_weight) L1 + ssim_weight (1 - SSIM) of rendered against target ([H * W, 3] each);
    // writes dLoss/drendered when d_rendered is not null.
    virtual LossValue image_loss(const Tensor& rendered, const Tensor& target, int width, int height,
                                 float ssim_weight, Tensor* d_rendered) = 0;
    // target = rgb + (1 - alpha) * background from premultiplied RGBA [H * W, 4].
    virtual void compose_over(const Tensor& premultiplied_rgba, const float background[3], Tensor& target) = 0;
};

} // namespace splatscape
