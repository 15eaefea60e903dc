#pragma once
// Per-image appearance compensation for one pixel: an affine colour transform
// out_c = sum_k A[c][k] rgb_k + b_c of the render, as the per-image exposure of the 3DGS reference
// code's later versions (and of Hierarchical 3DGS). Parameters row-major [A00 A01 A02 b0 A10 ...].
#include "training/kernels/math.hpp"

namespace splatscape::kern {

constexpr int kAppearanceParams = 12;

// The identity transform.
SPLATSCAPE_HD float appearance_identity(int k) {
    return (k % 4) == (k / 4) ? 1.0f : 0.0f;
}

template <class T>
SPLATSCAPE_HD void affine_color(const T* p, const T* rgb, T* out) {
    for (int c = 0; c < 3; ++c)
        out[c] = p[4 * c] * rgb[0] + p[4 * c + 1] * rgb[1] + p[4 * c + 2] * rgb[2] + p[4 * c + 3];
}

// d_rgb = A^T d_out (written); d_p += the parameters' gradient of this pixel.
template <class T>
SPLATSCAPE_HD void affine_color_backward(const T* p, const T* rgb, const T* d_out, T* d_rgb, T* d_p) {
    for (int k = 0; k < 3; ++k) d_rgb[k] = p[k] * d_out[0] + p[4 + k] * d_out[1] + p[8 + k] * d_out[2];
    for (int c = 0; c < 3; ++c) {
        for (int k = 0; k < 3; ++k) d_p[4 * c + k] += d_out[c] * rgb[k];
        d_p[4 * c + 3] += d_out[c];
    }
}

} // namespace splatscape::kern
