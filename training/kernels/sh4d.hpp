#pragma once
// 4D spherindrical harmonics (Yang et al., ICLR 2024): a 4D Gaussian's colour is
//   c(d, t) = sum_{n=0..N} sum_{k} c_{n,k} cos(2 pi n dt / T) Y_k(d)
// with Y_k the real spherical harmonics of sh.hpp (bands 0..3, k = l^2 + l + m), a cosine series in
// dt = t - mu_t (time relative to the Gaussian's own temporal centre, as the reference code) with
// period T (the length of the scene's time range), and d the view direction towards the sliced
// mean. Coefficients are stored coefficient-major with the temporal frequency outermost:
//   sh4[(n * K + k) * 3 + channel],  K = (max spatial degree + 1)^2,  n = 0..max temporal degree,
// so the first K coefficients are an ordinary 3D SH set (the colour's time average).
//
// At a fixed time the temporal factors are constants, so the colour is an ordinary 3D SH function
// of the direction with coefficients sh3[k] = sum_n cos(2 pi n dt / T) c_{n,k}: the slice hands
// these to the rasterizer (whose SH evaluation and backward then serve 4D Gaussians unchanged), and
// a sliced scene exports exactly as a 3DGS file.
#include "training/kernels/sh.hpp"

namespace splatscape::kern {

constexpr double kTwoPi = 6.283185307179586476925286766559;
// Most coefficients one Gaussian stores: spatial degree 3 (16) times temporal frequencies 0..4.
constexpr int kMaxSh4dCoeffs = 16 * 5;

// sh3[k * 3 + c] for k < K_out (<= K) from the terms n <= degree_t.
template <class T>
SPLATSCAPE_HD void sh4d_collapse(int K, int K_out, int degree_t, T dt, T period, const T* sh4, T* sh3) {
    for (int i = 0; i < K_out * 3; ++i) sh3[i] = sh4[i];
    for (int n = 1; n <= degree_t; ++n) {
        const T f = hd_cos(T(kTwoPi) * T(n) * dt / period);
        const T* src = sh4 + n * K * 3;
        for (int i = 0; i < K_out * 3; ++i) sh3[i] += f * src[i];
    }
}

// Backward of sh4d_collapse: adds `scale` x dL/dsh4 to d_sh4 (for n <= degree_t and k < K_out;
// others get nothing; d_sh4 may be null) and returns dL/d(dt), unscaled.
template <class T>
SPLATSCAPE_HD T sh4d_collapse_backward(int K, int K_out, int degree_t, T dt, T period, const T* sh4, const T* d_sh3,
                                       T* d_sh4, T scale = T(1)) {
    if (d_sh4)
        for (int i = 0; i < K_out * 3; ++i) d_sh4[i] += scale * d_sh3[i];
    T d_dt = T(0);
    for (int n = 1; n <= degree_t; ++n) {
        const T omega = T(kTwoPi) * T(n) / period;
        const T f = hd_cos(omega * dt), df = -hd_sin(omega * dt) * omega;
        const T* src = sh4 + n * K * 3;
        T acc = T(0);
        for (int i = 0; i < K_out * 3; ++i) acc += src[i] * d_sh3[i];
        if (d_sh4) {
            T* dst = d_sh4 + n * K * 3;
            for (int i = 0; i < K_out * 3; ++i) dst[i] += scale * f * d_sh3[i];
        }
        d_dt += df * acc;
    }
    return d_dt;
}

// The colour of a 4D Gaussian seen along `dir` at time offset dt: max(c(d, t) + 0.5, 0) per
// channel, as the rasterizer turns SH into colour. Bit c of `clamped` is set when channel c was
// clamped. `degree` <= 3 is the active spatial degree.
template <class T>
SPLATSCAPE_HD Vec3<T> sh4d_to_rgb(int K, int degree, int degree_t, Vec3<T> dir, T dt, T period, const T* sh4,
                                  unsigned& clamped) {
    T sh3[16 * 3];
    const int K_out = (degree + 1) * (degree + 1);
    sh4d_collapse(K, K_out, degree_t, dt, period, sh4, sh3);
    return sh_to_rgb(degree, dir, sh3, clamped);
}

} // namespace splatscape::kern
