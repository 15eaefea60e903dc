#pragma once
// Launchers of the photometric loss of 3DGS on the GPU: (1 - lambda) L1 + lambda (1 - SSIM) with
// its gradient, SSIM as training/kernels/ssim.hpp defines it (11x11 Gaussian window, zero-padded
// "same" filtering). Two fused kernels over 16x16 tiles with a 5-pixel halo in shared memory: the
// first filters the five moments, evaluates kern::ssim_pixel and writes its three partial
// derivatives per pixel and channel; the second filters those (the filter is its own adjoint) and
// adds the L1 term. Sums are reduced per block and then in block order, in double precision.
#include <cstddef>

namespace splatscape::cuda {

struct LossSums {
    double ssim = 0.0; // sum over pixels and channels
    double l1 = 0.0;   // sum of |rendered - target|
};

// Number of per-block partial sums the kernels write for an image (size of `partials` / 2).
size_t loss_blocks(int width, int height);

// rendered, target: [H * W, 3]. derivatives: [3, 3, H * W] scratch (written when `with_grad`).
// partials: [2, loss_blocks] doubles; sums: [2] doubles (device), written last.
void launch_ssim_l1_forward(const float* rendered, const float* target, int width, int height, bool with_grad,
                            float* derivatives, double* partials, double* sums);
// d_rendered [H * W, 3] = -lambda * dSSIM/dx + (1 - lambda) * sign(x - y) / count.
void launch_ssim_l1_backward(const float* rendered, const float* target, int width, int height, float ssim_weight,
                             const float* derivatives, float* d_rendered);

} // namespace splatscape::cuda
