#pragma once
// Adaptive density control (3DGS, Kerbl et al. 2023, section 5) for one Gaussian: whether to clone,
// split or prune it, and where a split child goes.
#include "training/kernels/covariance.hpp"
#include "training/kernels/random.hpp"

namespace splatscape::kern {

enum AdcAction : int { kAdcKeep = 0, kAdcClone = 1, kAdcSplit = 2 };

struct AdcThresholds {
    float grad_threshold = 0.0002f; // mean view-space gradient (normalised device units)
    float dense_scale = 0.0f;       // percent_dense * extent: larger Gaussians split, others clone
    float min_opacity = 0.005f;
    float max_screen_radius = 0.0f;   // pixels; 0 disables
    float max_world_scale = 0.0f;     // world units; 0 disables
    float split_scale_divisor = 1.6f; // 0.8 * N with N = 2 children
};

// Clone or split decision from the accumulated statistic (sum of per-view gradient norms) and the
// number of views in which the Gaussian was visible.
SPLATSCAPE_HD int adc_grow_action(float grad_accum, float denom, float max_log_scale, const AdcThresholds& t) {
    const float mean_grad = denom > 0.0f ? grad_accum / denom : 0.0f;
    if (!(mean_grad >= t.grad_threshold)) return kAdcKeep;
    return ::expf(max_log_scale) > t.dense_scale ? kAdcSplit : kAdcClone;
}

SPLATSCAPE_HD bool adc_prune(float opacity_logit, float max_radius, float max_log_scale, const AdcThresholds& t) {
    if (hd_sigmoid(opacity_logit) < t.min_opacity) return true;
    if (t.max_screen_radius > 0.0f && max_radius > t.max_screen_radius) return true;
    if (t.max_world_scale > 0.0f && ::expf(max_log_scale) > t.max_world_scale) return true;
    return false;
}

// Child `child` of a split: its mean is drawn from the parent's Gaussian, N(mean, R S S^T R^T), and
// its log-scales are the parent's divided by `split_scale_divisor`. `draw` numbers the draw so the
// result is a pure function of (seed, stream, draw).
SPLATSCAPE_HD void split_child(const float* mean, const float* log_scale, const float* rotation, float divisor,
                               uint64_t seed, uint64_t stream, uint64_t draw, float* out_mean, float* out_log_scale) {
    const Mat3<float> R =
        rotation_matrix(normalize_quat(Quat<float>{rotation[0], rotation[1], rotation[2], rotation[3]}));
    Vec3<float> local;
    local.x = ::expf(log_scale[0]) * random_normal(seed, stream, 3 * draw);
    local.y = ::expf(log_scale[1]) * random_normal(seed, stream, 3 * draw + 1);
    local.z = ::expf(log_scale[2]) * random_normal(seed, stream, 3 * draw + 2);
    const Vec3<float> offset = mul(R, local);
    out_mean[0] = mean[0] + offset.x;
    out_mean[1] = mean[1] + offset.y;
    out_mean[2] = mean[2] + offset.z;
    const float shrink = ::logf(divisor);
    for (int k = 0; k < 3; ++k) out_log_scale[k] = log_scale[k] - shrink;
}

} // namespace splatscape::kern
