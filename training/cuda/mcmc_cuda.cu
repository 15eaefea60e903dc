// Kernels of the MCMC densification family (training/cuda/mcmc_cuda.hpp): the per-element functions
// of training/kernels/mcmc.hpp, as the CPU launchers call them.
#include <cuda_runtime.h>

#include <cub/device/device_scan.cuh>

#include "training/cuda/cuda_check.hpp"
#include "training/cuda/mcmc_cuda.hpp"
#include "training/kernels/mcmc.hpp"

namespace splatscape::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks(size_t n) {
    const size_t b = (n + kThreads - 1) / kThreads;
    return unsigned(b < 65536 * 8 ? (b > 0 ? b : 1) : 65536 * 8);
}

#define SPLATSCAPE_GRID_LOOP(i, n)                                                                                     \
    for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)

__global__ void dead_flags_kernel(size_t n, const float* logits, float max_logit, uint64_t* flags) {
    SPLATSCAPE_GRID_LOOP(i, n) flags[i] = logits[i] <= max_logit ? 1 : 0;
}

__global__ void opacity_weights_kernel(size_t n, const float* logits, float min_logit, double* weights) {
    SPLATSCAPE_GRID_LOOP(i, n) weights[i] = logits[i] > min_logit ? 1.0 / (1.0 + ::exp(-double(logits[i]))) : 0.0;
}

__global__ void sample_rows_kernel(const double* cdf, size_t n, double total, size_t count, uint64_t seed,
                                   uint64_t stream, int32_t* rows) {
    SPLATSCAPE_GRID_LOOP(j, count) {
        const double u = double(kern::random_uniform(seed, stream, j)) * total;
        size_t lo = 0, hi = n; // upper_bound: the first r with cdf[r] > u
        while (lo < hi) {
            const size_t mid = (lo + hi) / 2;
            if (cdf[mid] > u)
                hi = mid;
            else
                lo = mid + 1;
        }
        rows[j] = int32_t(lo < n ? lo : n - 1);
    }
}

__global__ void copy_rows_kernel(uint32_t* t, int cols, const int32_t* sources, const int32_t* targets, size_t n) {
    SPLATSCAPE_GRID_LOOP(e, n) {
        const size_t j = e / size_t(cols), c = e % size_t(cols);
        t[size_t(targets[j]) * cols + c] = t[size_t(sources[j]) * cols + c];
    }
}

__global__ void zero_rows_kernel(uint32_t* t, int cols, const int32_t* rows, size_t n) {
    SPLATSCAPE_GRID_LOOP(e, n) t[size_t(rows[e / size_t(cols)]) * cols + e % size_t(cols)] = 0u;
}

__global__ void count_rows_kernel(const int32_t* sources, size_t m, int32_t* copies) {
    SPLATSCAPE_GRID_LOOP(j, m) atomicAdd(copies + sources[j], 1);
}

__global__ void relocation_values_kernel(const float* logits, const float* log_scales, int sc, int scale_cols,
                                         const int32_t* sources, const int32_t* copies, size_t m, float min_opacity,
                                         float* new_logit, float* new_scales) {
    SPLATSCAPE_GRID_LOOP(j, m) {
        const size_t s = size_t(sources[j]);
        float shift;
        kern::mcmc_relocation(logits[s], copies[s] + 1, min_opacity, new_logit[j], shift);
        for (int k = 0; k < scale_cols; ++k) new_scales[j * scale_cols + k] = log_scales[s * sc + k] + shift;
    }
}

__global__ void relocation_write_kernel(float* logits, float* log_scales, int sc, int scale_cols,
                                        const int32_t* sources, const int32_t* targets, size_t m,
                                        const float* new_logit, const float* new_scales) {
    SPLATSCAPE_GRID_LOOP(j, m) {
        // Copies of one source write the same values to it: the order does not matter.
        const size_t rows[2] = {size_t(sources[j]), size_t(targets[j])};
        for (const size_t r : rows) {
            logits[r] = new_logit[j];
            for (int k = 0; k < scale_cols; ++k) log_scales[r * sc + k] = new_scales[j * scale_cols + k];
        }
    }
}

__global__ void regularizer_kernel(size_t n, const float* logits, const float* log_scales, int sc, int scale_cols,
                                   float wo, float ws, float* d_logits, float* d_log_scales) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        kern::mcmc_opacity_regularizer(logits[i], wo, d_logits[i]);
        for (int k = 0; k < scale_cols; ++k)
            kern::mcmc_scale_regularizer(log_scales[i * sc + k], ws, d_log_scales[i * sc + k]);
    }
}

__global__ void noise_kernel(size_t n, float* means, const float* log_scales, int sc, const float* rotations,
                             const float* logits, float scale, uint64_t seed, uint64_t stream) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        float d[3];
        kern::mcmc_position_noise(log_scales + i * sc, rotations + 4 * i, logits[i], scale, seed, stream, uint64_t(i),
                                  d);
        for (int k = 0; k < 3; ++k) means[3 * i + k] += d[k];
    }
}

__global__ void noise_4d_kernel(size_t n, float* means, const float* log_scales, const float* rot_l,
                                const float* rot_r, const float* logits, float scale, uint64_t seed, uint64_t stream) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        float d[4];
        kern::mcmc_position_noise_4d(log_scales + 4 * i, rot_l + 4 * i, rot_r + 4 * i, logits[i], scale, seed, stream,
                                     uint64_t(i), d);
        for (int k = 0; k < 4; ++k) means[4 * i + k] += d[k];
    }
}

} // namespace

void launch_dead_flags(size_t n, const float* logits, float max_logit, uint64_t* flags) {
    if (!n) return;
    dead_flags_kernel<<<blocks(n), kThreads>>>(n, logits, max_logit, flags);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_opacity_weights(size_t n, const float* logits, float min_logit, double* weights) {
    if (!n) return;
    opacity_weights_kernel<<<blocks(n), kThreads>>>(n, logits, min_logit, weights);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

size_t inclusive_scan_f64_temp_bytes(size_t n) {
    size_t bytes = 0;
    SPLATSCAPE_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, bytes, static_cast<const double*>(nullptr),
                                                        static_cast<double*>(nullptr), int64_t(n)));
    return bytes;
}

void inclusive_scan_f64(void* temp, size_t temp_bytes, const double* in, double* out, size_t n) {
    if (!n) return;
    SPLATSCAPE_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp, temp_bytes, in, out, int64_t(n), cudaStreamLegacy));
}

void launch_sample_rows(const double* cdf, size_t n, double total, size_t count, uint64_t seed, uint64_t stream,
                        int32_t* rows) {
    if (!count || !n) return;
    sample_rows_kernel<<<blocks(count), kThreads>>>(cdf, n, total, count, seed, stream, rows);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_copy_rows(uint32_t* t, int cols, const int32_t* sources, const int32_t* targets, size_t m) {
    const size_t n = m * size_t(cols);
    if (!n) return;
    copy_rows_kernel<<<blocks(n), kThreads>>>(t, cols, sources, targets, n);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_zero_rows(uint32_t* t, int cols, const int32_t* rows, size_t m) {
    const size_t n = m * size_t(cols);
    if (!n) return;
    zero_rows_kernel<<<blocks(n), kThreads>>>(t, cols, rows, n);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_count_rows(const int32_t* sources, size_t m, int32_t* copies) {
    if (!m) return;
    count_rows_kernel<<<blocks(m), kThreads>>>(sources, m, copies);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_relocation_values(const float* logits, const float* log_scales, int log_scale_cols, int scale_cols,
                              const int32_t* sources, const int32_t* copies, size_t m, float min_opacity,
                              float* new_logit, float* new_scales) {
    if (!m) return;
    relocation_values_kernel<<<blocks(m), kThreads>>>(logits, log_scales, log_scale_cols, scale_cols, sources, copies,
                                                      m, min_opacity, new_logit, new_scales);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_relocation_write(float* logits, float* log_scales, int log_scale_cols, int scale_cols,
                             const int32_t* sources, const int32_t* targets, size_t m, const float* new_logit,
                             const float* new_scales) {
    if (!m) return;
    relocation_write_kernel<<<blocks(m), kThreads>>>(logits, log_scales, log_scale_cols, scale_cols, sources, targets,
                                                     m, new_logit, new_scales);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_regularizer_grads(size_t n, const float* logits, const float* log_scales, int log_scale_cols,
                              int scale_cols, float opacity_weight, float scale_weight, float* d_logits,
                              float* d_log_scales) {
    if (!n) return;
    regularizer_kernel<<<blocks(n), kThreads>>>(n, logits, log_scales, log_scale_cols, scale_cols, opacity_weight,
                                                scale_weight, d_logits, d_log_scales);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_position_noise(size_t n, float* means, const float* log_scales, int log_scale_cols,
                           const float* rotations, const float* logits, float scale, uint64_t seed, uint64_t stream) {
    if (!n) return;
    noise_kernel<<<blocks(n), kThreads>>>(n, means, log_scales, log_scale_cols, rotations, logits, scale, seed,
                                          stream);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_position_noise_4d(size_t n, float* means, const float* log_scales, const float* rot_l,
                              const float* rot_r, const float* logits, float scale, uint64_t seed, uint64_t stream) {
    if (!n) return;
    noise_4d_kernel<<<blocks(n), kThreads>>>(n, means, log_scales, rot_l, rot_r, logits, scale, seed, stream);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

} // namespace splatscape::cuda
