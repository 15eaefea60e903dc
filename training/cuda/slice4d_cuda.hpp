#pragma once
// The 4D slice op on the GPU: the CUDA launchers of what training/cpu/slice4d_cpu.cpp does on the
// CPU, over the same per-element functions (training/kernels/slice4d.hpp, sh4d.hpp). Framework-free:
// every pointer is device memory, every launch runs on the legacy default stream. Results match the
// CPU launchers to float rounding (the device build uses --use_fast_math).
#include <cstddef>
#include <cstdint>

#include "training/kernels/densify.hpp"

namespace splatscape::cuda {

// 4D Gaussians, shapes as Gaussian4dTensors (training/backend.hpp).
struct Slice4dDevice {
    size_t count = 0;
    const float* means = nullptr;      // [N, 4]
    const float* log_scales = nullptr; // [N, 4]
    const float* rot_l = nullptr;      // [N, 4]
    const float* rot_r = nullptr;      // [N, 4]
    const float* opacities = nullptr;  // [N]
    const float* sh = nullptr;         // [N, sh_stride, 3]
    int sh_coeffs = 1;                 // K
    int sh_stride = 1;                 // J = K * (stored temporal degree + 1)
};

// Slice4dSettings (training/backend.hpp).
struct Slice4dLaunch {
    float time = 0.0f;
    float time_period = 1.0f;
    int sh_degree = 0;
    int sh_degree_t = 0;
    float min_weight = 0.05f;
};

// Writes the rows whose marginal weight reaches p.min_weight to rows [N] (ascending) and returns
// their number M (this reads one count back, so it synchronises).
size_t launch_slice4d_select(const Slice4dDevice& in, const Slice4dLaunch& p, int32_t* rows);

// The slice of rows [M]: means [M, 3], covariances [M, 6], opacity logits [M], sh [M, (sh_degree + 1)^2, 3].
void launch_slice4d_forward(const Slice4dDevice& in, const Slice4dLaunch& p, const int32_t* rows, size_t m,
                            float* means, float* covariances, float* opacities, float* sh);

// Parameter gradients, shapes of Slice4dDevice (null: not written).
struct Slice4dDeviceGrads {
    float* means = nullptr;
    float* log_scales = nullptr;
    float* rot_l = nullptr;
    float* rot_r = nullptr;
    float* opacities = nullptr;
    float* sh = nullptr;
};

// Adds scale x the parameter gradients of the slice's loss gradients (shapes of the forward's
// outputs) to `grads`; writes |dL/dmu_t| (unscaled) per row to time_grad [M] when it is not null.
// Rows are distinct, so the additions do not race.
void launch_slice4d_backward(const Slice4dDevice& in, const Slice4dLaunch& p, const int32_t* rows, size_t m,
                             const float* d_means, const float* d_covariances, const float* d_opacities,
                             const float* d_sh, float scale, const Slice4dDeviceGrads& grads, float* time_grad);

// ---- densification of 4D Gaussians (training/kernels/densify4d.hpp) -----------------------------

// For each slice row j with radii[j] > 0 (rows [M], the slice's 4D Gaussians, distinct):
// grad_accum[r] += view_grad_norm[j], time_grad_accum[r] += time_grad[j], denom[r] += 1,
// max_radii[r] = max(max_radii[r], radii[j]), r = rows[j]. Per-Gaussian arrays are [N].
void launch_gs4d_view_stats(size_t m, const int32_t* rows, const float* radii, const float* view_grad_norm,
                            const float* time_grad, float* grad_accum, float* time_grad_accum, float* denom,
                            float* max_radii);

// flags [N]: (clone, split) by kern::gs4d_grow_action on the first three log-scale columns ([N, 4]).
void launch_gs4d_grow_flags(size_t n, const float* grad_accum, const float* time_grad_accum, const float* denom,
                            const float* log_scales, const kern::AdcThresholds& t, float time_grad_threshold,
                            uint64_t* clone_flags, uint64_t* split_flags);

// keep_flags [N] = !dropped && !kern::adc_prune && the marginal in t reaches min_weight in
// [time_min, time_max] (kern::temporal_support_reaches).
void launch_gs4d_keep_flags(const Slice4dDevice& in, const float* max_radii, const kern::AdcThresholds& t,
                            float time_min, float time_max, float min_weight, const uint64_t* dropped,
                            uint64_t* keep_flags);

// Children of split rows (kern::split_child_4d): child c of rows[i] at row c * M + i of
// child_means [2M, 4] and child_log_scales [2M, 4], draw number rows[i] * 2 + c.
void launch_split_children_4d(const Slice4dDevice& in, const int32_t* rows, size_t m, float divisor, uint64_t seed,
                              uint64_t stream, float* child_means, float* child_log_scales);

} // namespace splatscape::cuda
