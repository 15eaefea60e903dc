#pragma once
// Front-to-back compositing of sorted Gaussians at one pixel (docs/rasterizer.md, "Forward, per
// pixel") and the backward of one Gaussian's contribution, walking the same list back to front.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

constexpr float kAlphaMax = 0.99f;
constexpr float kAlphaMin = 1.0f / 255.0f;
constexpr float kTransmittanceMin = 1e-4f;

// exp() of the compositing loops. On the host, float uses a branch-free polynomial (Cephes expf,
// relative error below 2e-7) that compilers vectorise; double and CUDA use the library function.
SPLATSCAPE_HD float splat_exp(float x) {
#if defined(__CUDA_ARCH__)
    return ::expf(x);
#else
    x = hd_clamp(x, -87.0f, 88.0f);
    // Round to nearest by adding and removing 1.5 * 2^23 (no branch for the compiler to duplicate).
    const float fn = (x * 1.44269504088896341f + 12582912.0f) - 12582912.0f;
    const int n = int(fn);
    const float r = (x - fn * 0.693359375f) + fn * 2.12194440e-4f;
    float p = 1.9875691500e-4f;
    p = p * r + 1.3981999507e-3f;
    p = p * r + 8.3334519073e-3f;
    p = p * r + 4.1665795894e-2f;
    p = p * r + 1.6666665459e-1f;
    p = p * r + 5.0000001201e-1f;
    p = p * r * r + r + 1.0f;
    return p * __builtin_bit_cast(float, (n + 127) << 23);
#endif
}
SPLATSCAPE_HD double splat_exp(double x) {
    return ::exp(x);
}

// Exponent of the 2D Gaussian at offset d = mean2d - pixel centre.
template <class T>
SPLATSCAPE_HD T gaussian_power(Vec3<T> conic, T dx, T dy) {
    return T(-0.5) * (conic.x * dx * dx + conic.z * dy * dy) - conic.y * dx * dy;
}

// Opacity of one Gaussian at one pixel: 0 when it is skipped (power > 0 or alpha < 1/255).
template <class T>
SPLATSCAPE_HD T splat_alpha(T alpha_base, Vec3<T> conic, T dx, T dy) {
    const T power = gaussian_power(conic, dx, dy);
    if (power > T(0)) return T(0);
    const T alpha = hd_min(T(kAlphaMax), alpha_base * splat_exp(power));
    return alpha < T(kAlphaMin) ? T(0) : alpha;
}

// Per-pixel state of the back-to-front walk. `T` starts at the final transmittance and is divided
// back up; `S*` hold what the Gaussians behind the current one (and the background) contributed.
template <class T>
struct PixelBackward {
    T trans;   // transmittance in front of the current Gaussian, once it has been stepped over
    T S[3];    // colour behind, absolute weights; starts at T_final * background
    T S_depth; // depth behind
    T T_final;
    T dC[3]; // dL/d(out_rgb)
    T dA;    // dL/d(out_alpha)
    T dD;    // dL/d(out_depth)
};

template <class T>
SPLATSCAPE_HD void pixel_backward_init(PixelBackward<T>& st, T T_final, const T* background, const T* dC, T dA, T dD) {
    st.trans = T_final;
    st.T_final = T_final;
    for (int c = 0; c < 3; ++c) {
        st.S[c] = T_final * background[c];
        st.dC[c] = dC[c];
    }
    st.S_depth = T(0);
    st.dA = dA;
    st.dD = dD;
}

// Gradients of one Gaussian at one pixel, accumulated by the caller over the pixels it covers.
template <class T>
struct SplatGrad {
    T mean2d[2];
    T conic[3];
    T alpha_base;
    T rgb[3];
    T depth;
};

// One back-to-front step of a Gaussian at a pixel. `index` is the Gaussian's position in the tile's
// list and `visited` the pixel's visited count; with the alpha test they decide whether the forward
// composited it there. When it did not, the state and `g` are left unchanged (the step divides by one and adds
// zeros), which keeps the function free of branches so that loops over pixels vectorise. Adds this
// pixel's share to `g`. The 0.99 clamp passes no gradient to opacity, mean or conic.
template <class T>
SPLATSCAPE_HD void composite_backward_step(PixelBackward<T>& st, T alpha_base, Vec3<T> conic, T dx, T dy,
                                           uint32_t index, uint32_t visited, const T* rgb, T depth, SplatGrad<T>& g) {
    const T power = gaussian_power(conic, dx, dy);
    const T G = splat_exp(power);
    const T raw = alpha_base * G;
    const T alpha = index < visited ? splat_alpha(alpha_base, conic, dx, dy) : T(0);
    const T one_minus = T(1) - alpha;
    st.trans = st.trans / one_minus;
    const T w = alpha * st.trans; // weight of this Gaussian in the pixel
    T d_alpha = T(0);
    for (int c = 0; c < 3; ++c) {
        g.rgb[c] += w * st.dC[c];
        d_alpha += st.dC[c] * (rgb[c] * st.trans - st.S[c] / one_minus);
        st.S[c] += rgb[c] * w;
    }
    g.depth += w * st.dD;
    d_alpha += st.dD * (depth * st.trans - st.S_depth / one_minus);
    st.S_depth += depth * w;
    d_alpha += st.dA * st.T_final / one_minus;
    // Only a composited, unclamped alpha passes gradient to opacity, mean and conic.
    // (Masks as 0/1 factors rather than nested conditions: vectorisers handle these uniformly.)
    const T composited = alpha > T(0) ? T(1) : T(0);
    const T unclamped = raw < T(kAlphaMax) ? T(1) : T(0);
    const T d_raw = d_alpha * composited * unclamped;
    g.alpha_base += G * d_raw;
    const T d_power = d_raw * raw;
    g.conic[0] += T(-0.5) * dx * dx * d_power;
    g.conic[1] += -dx * dy * d_power;
    g.conic[2] += T(-0.5) * dy * dy * d_power;
    g.mean2d[0] += -(conic.x * dx + conic.y * dy) * d_power;
    g.mean2d[1] += -(conic.z * dy + conic.y * dx) * d_power;
}

} // namespace splatscape::kern
