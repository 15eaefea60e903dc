// Element-wise kernels of the CUDA backend (training/cuda/ops_cuda.hpp): Adam with
// kern::adam_update, densification with kern::adc_grow_action, kern::adc_prune and
// kern::split_child, and row gathers.
#include <cuda_runtime.h>

#include "training/cuda/cuda_check.hpp"
#include "training/cuda/ops_cuda.hpp"

namespace splatscape::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks(size_t n) {
    // Grid-stride loops past this many blocks.
    const size_t b = (n + kThreads - 1) / kThreads;
    return unsigned(b < 65536 * 8 ? b : 65536 * 8);
}

#define SPLATSCAPE_GRID_LOOP(i, n)                                                                                     \
    for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)

template <class T>
__global__ void fill_kernel(T* data, size_t n, T value) {
    SPLATSCAPE_GRID_LOOP(i, n) data[i] = value;
}

__global__ void adam_kernel(float* param, const float* grad, float* m, float* v, size_t n, int cols, int split_col,
                            kern::AdamStep a, kern::AdamStep b) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        const int col = int(i % size_t(cols));
        float p = param[i], mm = m[i], vv = v[i];
        kern::adam_update(p, grad[i], mm, vv, col < split_col ? a : b);
        param[i] = p;
        m[i] = mm;
        v[i] = vv;
    }
}

__global__ void compose_over_kernel(const float* rgba, size_t n, float3 bg, float* target) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        const float4 s = reinterpret_cast<const float4*>(rgba)[i];
        target[3 * i] = s.x + (1.0f - s.w) * bg.x;
        target[3 * i + 1] = s.y + (1.0f - s.w) * bg.y;
        target[3 * i + 2] = s.z + (1.0f - s.w) * bg.z;
    }
}

__global__ void gather_rows_kernel(const uint32_t* src, int cols, const int32_t* rows, size_t n, uint32_t* out) {
    SPLATSCAPE_GRID_LOOP(e, n) {
        const size_t i = e / size_t(cols), c = e % size_t(cols);
        out[e] = src[size_t(rows[i]) * cols + c];
    }
}

__global__ void view_stats_kernel(size_t n, const float* norm, const int32_t* radii, float* acc, float* denom,
                                  float* max_radii) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        const int r = radii[i];
        if (r <= 0) continue;
        acc[i] += norm[i];
        denom[i] += 1.0f;
        max_radii[i] = fmaxf(max_radii[i], float(r));
    }
}

__device__ __forceinline__ float max_log_scale(const float* ls) {
    return fmaxf(ls[0], fmaxf(ls[1], ls[2]));
}

__global__ void adc_grow_flags_kernel(size_t n, const float* acc, const float* denom, const float* log_scales, int sc,
                                      kern::AdcThresholds t, uint64_t* clone, uint64_t* split) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        const int action = kern::adc_grow_action(acc[i], denom[i], max_log_scale(log_scales + i * sc), t);
        clone[i] = action == kern::kAdcClone ? 1 : 0;
        split[i] = action == kern::kAdcSplit ? 1 : 0;
    }
}

__global__ void mark_rows_kernel(const int32_t* rows, size_t m, uint64_t* flags) {
    SPLATSCAPE_GRID_LOOP(i, m) flags[rows[i]] = 1;
}

__global__ void adc_keep_flags_kernel(size_t n, const float* opacity, const float* max_radii, const float* log_scales,
                                      int sc, kern::AdcThresholds t, const uint64_t* dropped, uint64_t* keep) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        keep[i] = !dropped[i] && !kern::adc_prune(opacity[i], max_radii[i], max_log_scale(log_scales + i * sc), t);
    }
}

__global__ void compact_rows_kernel(size_t n, const uint64_t* flags, const uint64_t* positions, int32_t* out) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        if (flags[i]) out[positions[i] - 1] = int32_t(i);
    }
}

__global__ void split_children_kernel(const float* means, const float* log_scales, int sc, const float* rotations,
                                      const int32_t* rows, size_t m, float divisor, uint64_t seed, uint64_t stream,
                                      float* child_means, float* child_log_scales) {
    SPLATSCAPE_GRID_LOOP(k, 2 * m) {
        const size_t c = k / m, i = k % m;
        const size_t r = size_t(rows[i]);
        // Extra log-scale columns (a 4D model's time scale) are copied, then the spatial ones replaced.
        for (int q = 0; q < sc; ++q) child_log_scales[k * sc + q] = log_scales[r * sc + q];
        kern::split_child(means + r * 3, log_scales + r * sc, rotations + r * 4, divisor, seed, stream,
                          uint64_t(r) * 2 + c, child_means + k * 3, child_log_scales + k * sc);
    }
}

__global__ void clamp_max_kernel(float* data, size_t n, float max_value) {
    SPLATSCAPE_GRID_LOOP(i, n) data[i] = fminf(data[i], max_value);
}

} // namespace

void launch_fill_f32(float* data, size_t count, float value) {
    if (count == 0) return;
    fill_kernel<float><<<blocks(count), kThreads>>>(data, count, value);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("fill_kernel<float>");
}

void launch_fill_i32(int32_t* data, size_t count, int32_t value) {
    if (count == 0) return;
    fill_kernel<int32_t><<<blocks(count), kThreads>>>(data, count, value);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("fill_kernel<int32_t>");
}

void launch_adam(float* param, const float* grad, float* m, float* v, size_t rows, int cols, int split_col,
                 const kern::AdamStep& a, const kern::AdamStep& b) {
    const size_t n = rows * size_t(cols);
    if (n == 0) return;
    adam_kernel<<<blocks(n), kThreads>>>(param, grad, m, v, n, cols, split_col, a, b);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("adam_kernel");
}

void launch_compose_over(const float* rgba, size_t pixels, const float background[3], float* target) {
    if (pixels == 0) return;
    compose_over_kernel<<<blocks(pixels), kThreads>>>(rgba, pixels,
                                                      make_float3(background[0], background[1], background[2]), target);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("compose_over_kernel");
}

void launch_gather_rows(const uint32_t* src, int cols, const int32_t* rows, size_t m, uint32_t* out) {
    const size_t n = m * size_t(cols);
    if (n == 0) return;
    gather_rows_kernel<<<blocks(n), kThreads>>>(src, cols, rows, n, out);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gather_rows_kernel");
}

void launch_accumulate_view_stats(size_t n, const float* view_grad_norm, const int32_t* radii, float* grad_accum,
                                  float* denom, float* max_radii) {
    if (n == 0) return;
    view_stats_kernel<<<blocks(n), kThreads>>>(n, view_grad_norm, radii, grad_accum, denom, max_radii);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("view_stats_kernel");
}

void launch_adc_grow_flags(size_t n, const float* grad_accum, const float* denom, const float* log_scales,
                           int scale_cols, const kern::AdcThresholds& t, uint64_t* clone_flags, uint64_t* split_flags) {
    if (n == 0) return;
    adc_grow_flags_kernel<<<blocks(n), kThreads>>>(n, grad_accum, denom, log_scales, scale_cols, t, clone_flags,
                                                   split_flags);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("adc_grow_flags_kernel");
}

void launch_mark_rows(const int32_t* rows, size_t m, uint64_t* flags) {
    if (m == 0) return;
    mark_rows_kernel<<<blocks(m), kThreads>>>(rows, m, flags);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("mark_rows_kernel");
}

void launch_adc_keep_flags(size_t n, const float* opacity_logits, const float* max_radii, const float* log_scales,
                           int scale_cols, const kern::AdcThresholds& t, const uint64_t* dropped,
                           uint64_t* keep_flags) {
    if (n == 0) return;
    adc_keep_flags_kernel<<<blocks(n), kThreads>>>(n, opacity_logits, max_radii, log_scales, scale_cols, t, dropped,
                                                   keep_flags);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("adc_keep_flags_kernel");
}

void launch_compact_rows(size_t n, const uint64_t* flags, const uint64_t* positions, int32_t* out) {
    if (n == 0) return;
    compact_rows_kernel<<<blocks(n), kThreads>>>(n, flags, positions, out);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("compact_rows_kernel");
}

void launch_split_children(const float* means, const float* log_scales, int scale_cols, const float* rotations,
                           const int32_t* rows, size_t m, float divisor, uint64_t seed, uint64_t stream,
                           float* child_means, float* child_log_scales) {
    if (m == 0) return;
    split_children_kernel<<<blocks(2 * m), kThreads>>>(means, log_scales, scale_cols, rotations, rows, m, divisor, seed,
                                                       stream, child_means, child_log_scales);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("split_children_kernel");
}

void launch_clamp_max(float* data, size_t n, float max_value) {
    if (n == 0) return;
    clamp_max_kernel<<<blocks(n), kThreads>>>(data, n, max_value);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("clamp_max_kernel");
}

} // namespace splatscape::cuda
