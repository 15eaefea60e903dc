#pragma once
// MCMC densification (Kheradmand et al., "3D Gaussian Splatting as Markov Chain Monte Carlo",
// NeurIPS 2024) for one Gaussian: the opacity and scale of a Gaussian shared with copies of itself
// (relocation, section 4.2), the regularisers on opacity and scale (section 4.3), and the
// exploration noise on the position (section 4.1, eq. 9).
#include "training/kernels/covariance.hpp"
#include "training/kernels/random.hpp"
#include "training/kernels/slice4d.hpp"

namespace splatscape::kern {

// A Gaussian is shared by at most this many copies (itself included) in one relocation; draws
// beyond it are counted as this many (the reference code's table of binomial coefficients).
constexpr int kMcmcMaxCopies = 51;

// The Gaussian of opacity o = sigmoid(opacity_logit) replaced by `n` copies at the same place
// (itself and n - 1 relocated ones) that render the same: each copy's opacity is
// 1 - (1 - o)^(1/n), and its scales are multiplied by o / sum_{i=1..n} sum_{k=0..i-1} C(i-1, k)
// (-1)^k / sqrt(k + 1) new_opacity^(k + 1) (the paper's eq. 10 and 11). The new opacity is clamped
// to [min_opacity, 1 - 2^-23] as the reference does, so that a relocated Gaussian is never dead at
// once. Returns the new opacity as a logit and the log of the scale factor. Evaluated in double:
// the alternating sum cancels heavily for large n and opacities near 1, and the CPU and CUDA
// launchers then agree to the last bit but for the final rounding.
SPLATSCAPE_HD void mcmc_relocation(float opacity_logit, int n, float min_opacity, float& new_logit,
                                   float& log_scale_shift) {
    n = n < 1 ? 1 : (n > kMcmcMaxCopies ? kMcmcMaxCopies : n);
    const double o = 1.0 / (1.0 + ::exp(-double(opacity_logit)));
    const double o_new = 1.0 - ::pow(1.0 - o, 1.0 / double(n));
    double denom = 0.0;
    for (int i = 1; i <= n; ++i) {
        double binom = 1.0; // C(i - 1, k), updated along k
        double power = o_new;
        for (int k = 0; k <= i - 1; ++k) {
            denom += binom * ((k % 2) ? -1.0 : 1.0) / ::sqrt(double(k + 1)) * power;
            binom = binom * double(i - 1 - k) / double(k + 1);
            power *= o_new;
        }
    }
    const double coeff = denom > 0.0 ? o / denom : 1.0;
    const double hi = 1.0 - 1.0 / 8388608.0;
    const double clamped = o_new < double(min_opacity) ? double(min_opacity) : (o_new > hi ? hi : o_new);
    new_logit = float(::log(clamped / (1.0 - clamped)));
    log_scale_shift = coeff > 0.0 ? float(::log(coeff)) : 0.0f;
}

// The regularisers' gradients for one Gaussian: L = w_o sigmoid(o) + w_s sum_k exp(ls_k), with the
// weights already divided by the number of elements they average over (the paper's mean |opacity|
// and mean |scale|). Values are returned for reports; gradients are added.
template <class T>
SPLATSCAPE_HD T mcmc_opacity_regularizer(T opacity_logit, T weight, T& d_logit) {
    const T s = hd_sigmoid(opacity_logit);
    d_logit += weight * s * (T(1) - s);
    return weight * s;
}

template <class T>
SPLATSCAPE_HD T mcmc_scale_regularizer(T log_scale, T weight, T& d_log_scale) {
    const T e = hd_exp(log_scale);
    d_log_scale += weight * e;
    return weight * e;
}

// The noise gate of the paper's eq. 9, sigmoid(k (1 - opacity - t)) with k = 100, t = 0.995: 0.62 at
// opacity 0, 0.5 at 0.005, 0.01 at 0.05, below 1e-20 at 0.5.
SPLATSCAPE_HD float mcmc_noise_gate(float opacity) {
    return 1.0f / (1.0f + ::expf(-100.0f * ((1.0f - opacity) - 0.995f)));
}

// Position noise of a 3D Gaussian: scale * gate(opacity) * Sigma * eps with eps ~ N(0, I) drawn as
// numbers 3 * draw .. 3 * draw + 2 of (seed, stream), and Sigma = R S S^T R^T its covariance. `scale`
// is noise_lr times the current position learning rate.
SPLATSCAPE_HD void mcmc_position_noise(const float* log_scale, const float* rotation, float opacity_logit, float scale,
                                       uint64_t seed, uint64_t stream, uint64_t draw, float* out) {
    const Sym3<float> S = covariance_3d(Vec3<float>{log_scale[0], log_scale[1], log_scale[2]},
                                        Quat<float>{rotation[0], rotation[1], rotation[2], rotation[3]}, 1.0f);
    const float g = scale * mcmc_noise_gate(hd_sigmoid(opacity_logit));
    float e[3];
    for (int k = 0; k < 3; ++k) e[k] = random_normal(seed, stream, 3 * draw + k);
    out[0] = g * (S.xx * e[0] + S.xy * e[1] + S.xz * e[2]);
    out[1] = g * (S.xy * e[0] + S.yy * e[1] + S.yz * e[2]);
    out[2] = g * (S.xz * e[0] + S.yz * e[1] + S.zz * e[2]);
}

// The same for a 4D Gaussian (gs4d): its space-time mean moves by scale * gate * Sigma4 * eps,
// eps ~ N(0, I4) drawn as numbers 4 * draw .. 4 * draw + 3.
SPLATSCAPE_HD void mcmc_position_noise_4d(const float* log_scale, const float* rot_l, const float* rot_r,
                                          float opacity_logit, float scale, uint64_t seed, uint64_t stream,
                                          uint64_t draw, float* out) {
    Gaussian4d<float> g4;
    for (int k = 0; k < 4; ++k) {
        g4.mean[k] = 0.0f;
        g4.log_scale[k] = log_scale[k];
    }
    g4.rot_l = {rot_l[0], rot_l[1], rot_l[2], rot_l[3]};
    g4.rot_r = {rot_r[0], rot_r[1], rot_r[2], rot_r[3]};
    const Sym4<float> S = covariance_4d(g4);
    const float g = scale * mcmc_noise_gate(hd_sigmoid(opacity_logit));
    float e[4];
    for (int k = 0; k < 4; ++k) e[k] = random_normal(seed, stream, 4 * draw + k);
    for (int i = 0; i < 4; ++i)
        out[i] = g * (S.m[i][0] * e[0] + S.m[i][1] * e[1] + S.m[i][2] * e[2] + S.m[i][3] * e[3]);
}

} // namespace splatscape::kern
