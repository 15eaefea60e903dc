#pragma once
// The 3D smoothing filter family on CUDA (training/cuda/image_terms_cuda.cu). Internal to training/cuda.
#include "training/cuda/device_memory_cuda.hpp"
#include "training/ops/filter3d_ops.hpp"

namespace splatscape {

class CudaBackend;

class Filter3dOpsCuda final : public Filter3dOps {
public:
    explicit Filter3dOpsCuda(CudaBackend& backend) : m_backend(backend) {}
    void compute(const Tensor& means, const std::vector<kern::RasterCamera<float>>& cameras, float near, float size,
                 Tensor& variance) override;

private:
    CudaBackend& m_backend;
    cuda::DeviceBuffer m_cameras, m_scratch, m_temp;
};

} // namespace splatscape
