#pragma once
// Launchers of the element-wise ops of the CUDA backend: the optimizer, densification and row
// surgery. Framework-free; every launch runs on the legacy default stream.
#include <cstddef>
#include <cstdint>

#include "training/kernels/adam.hpp"
#include "training/kernels/densify.hpp"

namespace splatscape::cuda {

void launch_fill_f32(float* data, size_t count, float value);
void launch_fill_i32(int32_t* data, size_t count, int32_t value);

// Adam over [rows, cols]: columns [0, split_col) take step a, the rest step b.
void launch_adam(float* param, const float* grad, float* m, float* v, size_t rows, int cols, int split_col,
                 const kern::AdamStep& a, const kern::AdamStep& b);

// target [P, 3] = rgba[:, :3] + (1 - rgba[:, 3]) * background, rgba [P, 4] premultiplied.
void launch_compose_over(const float* rgba, size_t pixels, const float background[3], float* target);

// out[i, :] = src[rows[i], :] for 4-byte elements. src [*, cols], rows [m], out [m, cols].
void launch_gather_rows(const uint32_t* src, int cols, const int32_t* rows, size_t m, uint32_t* out);

// Where radii > 0: grad_accum += norm, denom += 1, max_radii = max(max_radii, radius). All [N].
void launch_accumulate_view_stats(size_t n, const float* view_grad_norm, const int32_t* radii, float* grad_accum,
                                  float* denom, float* max_radii);

// flags [N, 2]: (clone, split) by kern::adc_grow_action on the first three of `scale_cols` columns
// of log_scales [N, scale_cols].
void launch_adc_grow_flags(size_t n, const float* grad_accum, const float* denom, const float* log_scales,
                           int scale_cols, const kern::AdcThresholds& t, uint64_t* clone_flags, uint64_t* split_flags);
// keep_flags [N] = !dropped && !kern::adc_prune; dropped [N] is 1 at the rows the drop list names.
void launch_mark_rows(const int32_t* rows, size_t m, uint64_t* flags /* [N], set to 1 at rows */);
void launch_adc_keep_flags(size_t n, const float* opacity_logits, const float* max_radii, const float* log_scales,
                           int scale_cols, const kern::AdcThresholds& t, const uint64_t* dropped, uint64_t* keep_flags);
// out[positions[i] - 1] = i where flags[i]; positions is the inclusive prefix sum of flags. [N]
void launch_compact_rows(size_t n, const uint64_t* flags, const uint64_t* positions, int32_t* out);

// Children of split rows (CpuBackend::split_children's layout): rows [m]; child_means [2m, 3],
// child_log_scales [2m, scale_cols].
void launch_split_children(const float* means, const float* log_scales, int scale_cols, const float* rotations,
                           const int32_t* rows, size_t m, float divisor, uint64_t seed, uint64_t stream,
                           float* child_means, float* child_log_scales);

// opacity logits [N] = min(logit, max_logit).
void launch_clamp_max(float* data, size_t n, float max_value);

} // namespace splatscape::cuda
