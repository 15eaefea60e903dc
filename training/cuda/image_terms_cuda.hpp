#pragma once
// Launchers of the 3D smoothing filter and appearance families on CUDA
// (training/cuda/image_terms_cuda.cu), over training/kernels/filter3d.hpp and appearance.hpp.
// Framework-free; every launch runs on the legacy default stream. Internal to training/cuda.
#include <cstddef>
#include <cstdint>

#include "training/kernels/math.hpp"

namespace splatscape::cuda {

// 3D smoothing filter: rates [N] = the highest kern::sampling_rate over cameras [c] (device memory).
void launch_sampling_rates(size_t n, const float* means, int mean_cols, const kern::RasterCamera<float>* cameras,
                           int camera_count, float near, float* rates);
// The lowest positive value of rates [N] (+inf when none); blocking.
float lowest_positive(const float* rates, size_t n, void* temp, size_t temp_bytes, float* scratch /* [n + 1] */);
size_t lowest_positive_temp_bytes(size_t n);
// variance [N] = kern::filter_3d_variance(rate > 0 ? rate : unseen, size), in place over rates.
void launch_filter_variance(size_t n, float* rates, float unseen, float size);

// Appearance: out [P, 3] = transform(params) of rgb.
void launch_affine_forward(size_t pixels, const float* rgb, const float* params, float* out);
// d_rgb [P, 3]; partial [blocks, 12] sums of the parameters' gradient per block; returns blocks.
unsigned launch_affine_backward(size_t pixels, const float* rgb, const float* d_out, const float* params, float* d_rgb,
                                float* partial);
unsigned affine_backward_blocks(size_t pixels);
// d_params [12] += the sum over `blocks` rows of partial, in order.
void launch_affine_reduce(const float* partial, unsigned blocks, float* d_params);
// image [P, cols] *= mask [P].
void launch_apply_mask(size_t pixels, int cols, float* image, const float* mask);

} // namespace splatscape::cuda
