#include "training/cuda/image_loss_ops_cuda.hpp"

#include <cuda_runtime_api.h>

#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/loss_cuda.hpp"
#include "training/cuda/ops_common_cuda.hpp"
#include "training/cuda/ops_cuda.hpp"

namespace splatscape {

using namespace cuda;

LossValue ImageLossOpsCuda::image_loss(const Tensor& rendered, const Tensor& target, int width, int height,
                                       float ssim_weight, Tensor* d_rendered) {
    m_backend.use_device();
    const size_t pixels = size_t(width) * height;
    require(width > 0 && height > 0, "image_loss", cat("image size ", width, " x ", height));
    require_shape(&rendered, pixels, 3, "image_loss", "rendered");
    require_shape(&target, pixels, 3, "image_loss", "target");
    require_shape(d_rendered, pixels, 3, "image_loss", "d_rendered");
    const size_t blocks = cuda::loss_blocks(width, height);
    m_loss_partials.ensure(2 * blocks * sizeof(double), "loss partial sums");
    m_loss_sums.ensure(2 * sizeof(double), "loss sums");
    if (d_rendered) m_loss_derivatives.ensure(9 * pixels * sizeof(float), "SSIM derivatives");
    cuda::launch_ssim_l1_forward(rendered.f32(), target.f32(), width, height, d_rendered != nullptr,
                                 m_loss_derivatives.as<float>(), m_loss_partials.as<double>(),
                                 m_loss_sums.as<double>());
    if (d_rendered)
        cuda::launch_ssim_l1_backward(rendered.f32(), target.f32(), width, height, ssim_weight,
                                      m_loss_derivatives.as<float>(), d_rendered->f32());
    SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(m_host.as<double>(), m_loss_sums.get(), 2 * sizeof(double),
                                          cudaMemcpyDeviceToHost, cudaStreamLegacy));
    sync();
    const double count = double(pixels) * 3.0;
    LossValue v;
    v.ssim = m_host.as<double>()[0] / count;
    v.l1 = m_host.as<double>()[1] / count;
    const double lambda = ssim_weight;
    v.loss = (1.0 - lambda) * v.l1 + lambda * (1.0 - v.ssim);
    return v;
}

void ImageLossOpsCuda::compose_over(const Tensor& rgba, const float background[3], Tensor& target) {
    m_backend.use_device();
    require_on_gpu(&rgba, "compose_over", "rgba");
    require(rgba.cols() == 4, "compose_over", "rgba must be [P, 4]");
    require_shape(&target, rgba.rows(), 3, "compose_over", "target");
    cuda::launch_compose_over(rgba.f32(), rgba.rows(), background, target.f32());
}

} // namespace splatscape
