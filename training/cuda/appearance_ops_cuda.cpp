#include "training/cuda/appearance_ops_cuda.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>

#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/image_terms_cuda.hpp"
#include "training/cuda/ops_common_cuda.hpp"
#include "training/kernels/appearance.hpp"

namespace splatscape {

using namespace cuda;

void AppearanceOpsCuda::affine_forward(const Tensor& rgb, const Tensor& params, size_t row, Tensor& out) {
    m_backend.use_device();
    const size_t p = rgb.rows();
    require_shape(&rgb, p, 3, "appearance forward", "rgb");
    require_shape(&out, p, 3, "appearance forward", "out");
    require(params.cols() == kern::kAppearanceParams && row < params.rows(), "appearance forward",
            "params must be [V, 12] with the row inside");
    require_on_gpu(&params, "appearance forward", "params");
    launch_affine_forward(p, rgb.f32(), params.f32() + row * kern::kAppearanceParams, out.f32());
}

void AppearanceOpsCuda::affine_backward(const Tensor& rgb, const Tensor& d_out, const Tensor& params, size_t row,
                                        Tensor& d_rgb, Tensor& d_params) {
    m_backend.use_device();
    const size_t p = rgb.rows();
    require_shape(&rgb, p, 3, "appearance backward", "rgb");
    require_shape(&d_out, p, 3, "appearance backward", "d_out");
    require_shape(&d_rgb, p, 3, "appearance backward", "d_rgb");
    require(params.cols() == kern::kAppearanceParams && row < params.rows(), "appearance backward",
            "params must be [V, 12] with the row inside");
    require_shape(&d_params, params.rows(), kern::kAppearanceParams, "appearance backward", "d_params");
    m_partial.ensure(size_t(affine_backward_blocks(p)) * kern::kAppearanceParams * sizeof(float),
                     "appearance partial sums");
    const unsigned b = launch_affine_backward(p, rgb.f32(), d_out.f32(), params.f32() + row * kern::kAppearanceParams,
                                              d_rgb.f32(), m_partial.as<float>());
    launch_affine_reduce(m_partial.as<float>(), b, d_params.f32() + row * kern::kAppearanceParams);
}

void AppearanceOpsCuda::apply_mask(Tensor& image, const Tensor& mask) {
    m_backend.use_device();
    require_on_gpu(&image, "apply_mask", "image");
    require_shape(&mask, image.rows(), 1, "apply_mask", "mask");
    launch_apply_mask(image.rows(), image.cols(), image.f32(), mask.f32());
}

} // namespace splatscape
