#pragma once
// SSIM (Wang et al. 2004) as the 3DGS training loss computes it: an 11x11 Gaussian window with
// sigma 1.5, zero-padded "same" filtering, C1 = 0.01^2, C2 = 0.03^2; loss term 1 - mean(SSIM).
// The per-pixel function takes the windowed statistics and returns the partial derivatives the
// backward needs (with respect to the rendered image x; the target y is constant).
#include "training/kernels/math.hpp"

namespace splatscape::kern {

constexpr int kSsimWindow = 11;
constexpr int kSsimRadius = 5;
constexpr double kSsimSigma = 1.5;
constexpr double kSsimC1 = 0.01 * 0.01;
constexpr double kSsimC2 = 0.03 * 0.03;

// Normalised 1D window: w[i] for offsets i - 5, i in [0, 11).
template <class T>
SPLATSCAPE_HD void ssim_window(T* w) {
    double sum = 0.0;
    double g[kSsimWindow];
    for (int i = 0; i < kSsimWindow; ++i) {
        const double d = double(i - kSsimRadius);
        g[i] = ::exp(-d * d / (2.0 * kSsimSigma * kSsimSigma));
        sum += g[i];
    }
    for (int i = 0; i < kSsimWindow; ++i) w[i] = T(g[i] / sum);
}

// SSIM at one pixel from the windowed means mx, my and second moments exx, eyy, exy. Writes
// dS/dmx, dS/dexx and dS/dexy when the pointers are not null.
template <class T>
SPLATSCAPE_HD T ssim_pixel(T mx, T my, T exx, T eyy, T exy, T* d_mx, T* d_exx, T* d_exy) {
    const T C1 = T(kSsimC1), C2 = T(kSsimC2);
    const T vx = exx - mx * mx, vy = eyy - my * my, cov = exy - mx * my;
    const T A1 = T(2) * mx * my + C1, A2 = T(2) * cov + C2;
    const T B1 = mx * mx + my * my + C1, B2 = vx + vy + C2;
    const T inv = T(1) / (B1 * B2);
    const T S = A1 * A2 * inv;
    if (d_mx) {
        *d_mx = T(2) * my * (A2 - A1) * inv - S * T(2) * mx * (B2 - B1) * inv;
        *d_exx = -S / B2;
        *d_exy = T(2) * A1 * inv;
    }
    return S;
}

} // namespace splatscape::kern
