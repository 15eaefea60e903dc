#pragma once
// Image quality metrics, following the 3DGS evaluation protocol.
#include "core/image.hpp"

namespace splatscape {

// Mean squared error over all pixels and channels; images must have equal size and channels.
double mse(const Image& a, const Image& b);
// PSNR in dB with a peak of 1. Infinite for identical images.
double psnr(const Image& a, const Image& b);
// SSIM averaged over pixels and channels: 11x11 Gaussian window, sigma 1.5, C1 = 0.01^2,
// C2 = 0.03^2, zero-padded "same" convolution as the 3DGS evaluation code computes it.
double ssim(const Image& a, const Image& b);

}  // namespace splatscape
