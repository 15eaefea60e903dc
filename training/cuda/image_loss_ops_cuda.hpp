#pragma once
// The image-loss family on CUDA: training/cuda/loss_cuda.hpp's fused L1 + SSIM launchers with their
// buffers. Internal to training/cuda.
#include "training/cuda/device_memory_cuda.hpp"
#include "training/ops/image_loss_ops.hpp"

namespace splatscape {

class CudaBackend;

class ImageLossOpsCuda final : public ImageLossOps {
public:
    explicit ImageLossOpsCuda(CudaBackend& backend) : m_backend(backend) {}

    LossValue image_loss(const Tensor& rendered, const Tensor& target, int width, int height, float ssim_weight,
                         Tensor* d_rendered) override;
    void compose_over(const Tensor& premultiplied_rgba, const float background[3], Tensor& target) override;

private:
    CudaBackend& m_backend;
    cuda::DeviceBuffer m_loss_derivatives, m_loss_partials, m_loss_sums;
    cuda::PinnedBuffer m_host{64};
};

} // namespace splatscape
