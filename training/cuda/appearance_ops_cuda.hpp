#pragma once
// The appearance family on CUDA (training/cuda/image_terms_cuda.cu). Internal to training/cuda.
#include "training/cuda/device_memory_cuda.hpp"
#include "training/ops/appearance_ops.hpp"

namespace splatscape {

class CudaBackend;

class AppearanceOpsCuda final : public AppearanceOps {
public:
    explicit AppearanceOpsCuda(CudaBackend& backend) : m_backend(backend) {}
    void affine_forward(const Tensor& rgb, const Tensor& params, size_t row, Tensor& out) override;
    void affine_backward(const Tensor& rgb, const Tensor& d_out, const Tensor& params, size_t row, Tensor& d_rgb,
                         Tensor& d_params) override;
    void apply_mask(Tensor& image, const Tensor& mask) override;

private:
    CudaBackend& m_backend;
    cuda::DeviceBuffer m_partial;
};

} // namespace splatscape
