#pragma once
// The image-loss family on the CPU: training/cpu/loss_cpu.hpp on host tensors.
#include "training/cpu/loss_cpu.hpp"
#include "training/ops/image_loss_ops.hpp"

namespace splatscape {

class ImageLossOpsCpu final : public ImageLossOps {
public:
    LossValue image_loss(const Tensor& rendered, const Tensor& target, int width, int height, float ssim_weight,
                         Tensor* d_rendered) override;
    void compose_over(const Tensor& premultiplied_rgba, const float background[3], Tensor& target) override;

private:
    cpu::LossWorkspace<float> m_ws;
};

} // namespace splatscape
