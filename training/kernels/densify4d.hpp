#pragma once
// Densification of 4D Gaussians (gs4d): 3DGS's adaptive density control driven by the spatial and
// the temporal gradient, splits that sample children from the 4D Gaussian, and the temporal
// support test used for pruning (kern::temporal_support_reaches in slice4d.hpp).
#include "training/kernels/densify.hpp"
#include "training/kernels/slice4d.hpp"

namespace splatscape::kern {

// Clone or split when the mean view-space positional gradient reaches 3DGS's threshold or the
// mean magnitude of dL/dmu_t reaches the temporal one; split when the largest spatial scale
// exceeds the dense scale (as 3DGS), clone otherwise.
SPLATSCAPE_HD int gs4d_grow_action(float grad_accum, float time_grad_accum, float denom, float max_spatial_log_scale,
                                   const AdcThresholds& t, float time_grad_threshold) {
    const float mean_grad = denom > 0.0f ? grad_accum / denom : 0.0f;
    const float mean_time_grad = denom > 0.0f ? time_grad_accum / denom : 0.0f;
    if (!(mean_grad >= t.grad_threshold) && !(mean_time_grad >= time_grad_threshold)) return kAdcKeep;
    return ::expf(max_spatial_log_scale) > t.dense_scale ? kAdcSplit : kAdcClone;
}

// Child of a split: its space-time mean drawn from the parent's 4D Gaussian N(mu, R S S^T R^T),
// all four log-scales the parent's minus log(divisor). A pure function of (seed, stream, draw).
SPLATSCAPE_HD void split_child_4d(const float* mean, const float* log_scale, const float* rot_l, const float* rot_r,
                                  float divisor, uint64_t seed, uint64_t stream, uint64_t draw, float* out_mean,
                                  float* out_log_scale) {
    const Mat4<float> R = rotation_4d(Quat<float>{rot_l[0], rot_l[1], rot_l[2], rot_l[3]},
                                      Quat<float>{rot_r[0], rot_r[1], rot_r[2], rot_r[3]});
    float local[4];
    for (int k = 0; k < 4; ++k) local[k] = ::expf(log_scale[k]) * random_normal(seed, stream, 4 * draw + k);
    const float shrink = ::logf(divisor);
    for (int i = 0; i < 4; ++i) {
        out_mean[i] =
            mean[i] + R.m[i][0] * local[0] + R.m[i][1] * local[1] + R.m[i][2] * local[2] + R.m[i][3] * local[3];
        out_log_scale[i] = log_scale[i] - shrink;
    }
}

} // namespace splatscape::kern
