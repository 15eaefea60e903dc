#include "training/cuda/filter3d_ops_cuda.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>

#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/image_terms_cuda.hpp"
#include "training/cuda/ops_common_cuda.hpp"

namespace splatscape {

using namespace cuda;

void Filter3dOpsCuda::compute(const Tensor& means, const std::vector<kern::RasterCamera<float>>& cameras, float near,
                              float size, Tensor& variance) {
    m_backend.use_device();
    const size_t n = means.rows();
    require(means.cols() >= 3, "filter_3d", "means must be [N, >= 3]");
    require_on_gpu(&means, "filter_3d", "means");
    require_shape(&variance, n, 1, "filter_3d", "variance");
    if (n == 0) return;
    const size_t camera_bytes = std::max<size_t>(cameras.size(), 1) * sizeof(kern::RasterCamera<float>);
    m_cameras.ensure(camera_bytes, "3D filter cameras");
    if (!cameras.empty())
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(m_cameras.get(), cameras.data(),
                                              cameras.size() * sizeof(kern::RasterCamera<float>),
                                              cudaMemcpyHostToDevice, cudaStreamLegacy));
    launch_sampling_rates(n, means.f32(), means.cols(), m_cameras.as<kern::RasterCamera<float>>(), int(cameras.size()),
                          near, variance.f32());
    m_scratch.ensure((n + 1) * sizeof(float), "3D filter scratch");
    m_temp.ensure(std::max<size_t>(lowest_positive_temp_bytes(n), 1), "3D filter scratch");
    const float lowest = lowest_positive(variance.f32(), n, m_temp.get(), m_temp.bytes(), m_scratch.as<float>());
    const float unseen = lowest < __builtin_huge_valf() ? lowest : 0.0f;
    launch_filter_variance(n, variance.f32(), unseen, size);
}

} // namespace splatscape
