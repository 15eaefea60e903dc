#pragma once
// Launchers of the MCMC densification family on CUDA (training/cuda/mcmc_cuda.cu), over
// training/kernels/mcmc.hpp. Framework-free; every launch runs on the legacy default stream.
// Internal to training/cuda.
#include <cstddef>
#include <cstdint>

namespace splatscape::cuda {

// flags [N] = logits[i] <= max_logit.
void launch_dead_flags(size_t n, const float* logits, float max_logit, uint64_t* flags);
// weights [N] = sigmoid(logit) in double where logit > min_logit, else 0.
void launch_opacity_weights(size_t n, const float* logits, float min_logit, double* weights);
// Scratch bytes of inclusive_scan_f64 for n values.
size_t inclusive_scan_f64_temp_bytes(size_t n);
void inclusive_scan_f64(void* temp, size_t temp_bytes, const double* in, double* out, size_t n);
// rows [count]: the first row r with cdf[r] > random_uniform(seed, stream, j) * total (at most n - 1).
void launch_sample_rows(const double* cdf, size_t n, double total, size_t count, uint64_t seed, uint64_t stream,
                        int32_t* rows);
// t [*, cols] of 4-byte elements: t[targets[j]] = t[sources[j]] for j < m.
void launch_copy_rows(uint32_t* t, int cols, const int32_t* sources, const int32_t* targets, size_t m);
// t [*, cols]: t[rows[j]] = 0 for j < m.
void launch_zero_rows(uint32_t* t, int cols, const int32_t* rows, size_t m);
// copies [N] (zeroed by the caller) += 1 at each of sources [m].
void launch_count_rows(const int32_t* sources, size_t m, int32_t* copies);
// Phase 1 of the relocation: new_logit [m], new_scales [m, scale_cols] from the sources' values.
void launch_relocation_values(const float* logits, const float* log_scales, int log_scale_cols, int scale_cols,
                              const int32_t* sources, const int32_t* copies, size_t m, float min_opacity,
                              float* new_logit, float* new_scales);
// Phase 2: both rows sources[j] and targets[j] take the values of j.
void launch_relocation_write(float* logits, float* log_scales, int log_scale_cols, int scale_cols,
                             const int32_t* sources, const int32_t* targets, size_t m, const float* new_logit,
                             const float* new_scales);
void launch_regularizer_grads(size_t n, const float* logits, const float* log_scales, int log_scale_cols,
                              int scale_cols, float opacity_weight, float scale_weight, float* d_logits,
                              float* d_log_scales);
void launch_position_noise(size_t n, float* means, const float* log_scales, int log_scale_cols, const float* rotations,
                           const float* logits, float scale, uint64_t seed, uint64_t stream);
void launch_position_noise_4d(size_t n, float* means, const float* log_scales, const float* rot_l, const float* rot_r,
                              const float* logits, float scale, uint64_t seed, uint64_t stream);

} // namespace splatscape::cuda
