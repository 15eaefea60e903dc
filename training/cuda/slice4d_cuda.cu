#include "training/cuda/slice4d_cuda.hpp"

#include <cub/device/device_select.cuh>
#include <cuda_runtime.h>
#include <thrust/iterator/counting_iterator.h>

#include "training/cuda/cuda_check.hpp"
#include "training/kernels/densify4d.hpp"
#include "training/kernels/sh4d.hpp"
#include "training/kernels/slice4d.hpp"

namespace splatscape::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks(size_t n) {
    return unsigned((n + kThreads - 1) / kThreads);
}

__device__ kern::Gaussian4d<float> load_gaussian(const Slice4dDevice& in, size_t i) {
    kern::Gaussian4d<float> g;
    for (int k = 0; k < 4; ++k) {
        g.mean[k] = in.means[4 * i + k];
        g.log_scale[k] = in.log_scales[4 * i + k];
    }
    const float* l = in.rot_l + 4 * i;
    const float* r = in.rot_r + 4 * i;
    g.rot_l = {l[0], l[1], l[2], l[3]};
    g.rot_r = {r[0], r[1], r[2], r[3]};
    return g;
}

__global__ void select_kernel(Slice4dDevice in, Slice4dLaunch p, uint8_t* keep) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= in.count) return;
    keep[i] = kern::slice_keeps(load_gaussian(in, i), p.time, p.min_weight) ? 1 : 0;
}

__global__ void forward_kernel(Slice4dDevice in, Slice4dLaunch p, const int32_t* rows, size_t m, float* means,
                               float* covariances, float* opacities, float* sh) {
    const size_t j = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (j >= m) return;
    const size_t i = size_t(rows[j]);
    const auto s = kern::slice_4d(load_gaussian(in, i), p.time);
    means[3 * j] = s.mean.x;
    means[3 * j + 1] = s.mean.y;
    means[3 * j + 2] = s.mean.z;
    float* c = covariances + 6 * j;
    c[0] = s.cov.xx;
    c[1] = s.cov.xy;
    c[2] = s.cov.xz;
    c[3] = s.cov.yy;
    c[4] = s.cov.yz;
    c[5] = s.cov.zz;
    opacities[j] = kern::sliced_opacity_logit(in.opacities[i], s.weight);
    const int K_out = (p.sh_degree + 1) * (p.sh_degree + 1);
    kern::sh4d_collapse(in.sh_coeffs, K_out, p.sh_degree_t, s.dt, p.time_period, in.sh + i * size_t(in.sh_stride) * 3,
                        sh + j * size_t(K_out) * 3);
}

__global__ void backward_kernel(Slice4dDevice in, Slice4dLaunch p, const int32_t* rows, size_t m, const float* d_means,
                                const float* d_covariances, const float* d_opacities, const float* d_sh, float scale,
                                Slice4dDeviceGrads grads, float* time_grad) {
    const size_t j = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (j >= m) return;
    const size_t i = size_t(rows[j]);
    const int K_out = (p.sh_degree + 1) * (p.sh_degree + 1);
    const int J3 = in.sh_stride * 3;
    const auto g = load_gaussian(in, i);
    const auto s = kern::slice_4d(g, p.time);
    float d_weight = 0.0f;
    const float d_o = kern::sliced_opacity_logit_backward(in.opacities[i], s.weight, d_opacities[j], d_weight);
    // The SH gradient is added to the parameter gradient directly, scaled.
    const float d_dt = kern::sh4d_collapse_backward(in.sh_coeffs, K_out, p.sh_degree_t, s.dt, p.time_period,
                                                    in.sh + i * size_t(J3), d_sh + j * size_t(K_out) * 3,
                                                    grads.sh ? grads.sh + i * size_t(J3) : nullptr, scale);
    const float* dc = d_covariances + 6 * j;
    kern::Gaussian4dGrad<float> d;
    kern::slice_4d_backward(g, p.time, kern::Vec3<float>{d_means[3 * j], d_means[3 * j + 1], d_means[3 * j + 2]},
                            kern::Sym3<float>{dc[0], dc[1], dc[2], dc[3], dc[4], dc[5]}, d_weight, d_dt, d);
    if (time_grad) time_grad[j] = ::fabsf(d.mean[3]);
    if (grads.means)
        for (int k = 0; k < 4; ++k) grads.means[4 * i + k] += scale * d.mean[k];
    if (grads.log_scales)
        for (int k = 0; k < 4; ++k) grads.log_scales[4 * i + k] += scale * d.log_scale[k];
    if (grads.rot_l) {
        const float q[4] = {d.rot_l.w, d.rot_l.x, d.rot_l.y, d.rot_l.z};
        for (int k = 0; k < 4; ++k) grads.rot_l[4 * i + k] += scale * q[k];
    }
    if (grads.rot_r) {
        const float q[4] = {d.rot_r.w, d.rot_r.x, d.rot_r.y, d.rot_r.z};
        for (int k = 0; k < 4; ++k) grads.rot_r[4 * i + k] += scale * q[k];
    }
    if (grads.opacities) grads.opacities[i] += scale * d_o;
}

__device__ __forceinline__ float max_spatial_log_scale(const float* ls) {
    return fmaxf(ls[0], fmaxf(ls[1], ls[2]));
}

__global__ void view_stats_kernel(size_t m, const int32_t* rows, const float* radii, const float* norm,
                                  const float* time_grad, float* acc, float* time_acc, float* denom, float* max_radii) {
    const size_t j = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (j >= m) return;
    const float r = radii[j];
    if (!(r > 0.0f)) return;
    const size_t i = size_t(rows[j]);
    acc[i] += norm[j];
    time_acc[i] += time_grad[j];
    denom[i] += 1.0f;
    max_radii[i] = fmaxf(max_radii[i], r);
}

__global__ void grow_flags_kernel(size_t n, const float* acc, const float* time_acc, const float* denom,
                                  const float* log_scales, kern::AdcThresholds t, float time_threshold, uint64_t* clone,
                                  uint64_t* split) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const int action = kern::gs4d_grow_action(acc[i], time_acc[i], denom[i], max_spatial_log_scale(log_scales + 4 * i),
                                              t, time_threshold);
    clone[i] = action == kern::kAdcClone ? 1 : 0;
    split[i] = action == kern::kAdcSplit ? 1 : 0;
}

__global__ void keep_flags_kernel(Slice4dDevice in, const float* max_radii, kern::AdcThresholds t, float time_min,
                                  float time_max, float min_weight, const uint64_t* dropped, uint64_t* keep) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= in.count) return;
    const auto g = load_gaussian(in, i);
    const bool pruned = kern::adc_prune(in.opacities[i], max_radii[i], max_spatial_log_scale(g.log_scale), t);
    const bool supported =
        kern::temporal_support_reaches(g.mean[3], kern::temporal_variance(g), time_min, time_max, min_weight);
    keep[i] = !dropped[i] && !pruned && supported ? 1 : 0;
}

__global__ void split_children_kernel(Slice4dDevice in, const int32_t* rows, size_t m, float divisor, uint64_t seed,
                                      uint64_t stream, float* child_means, float* child_log_scales) {
    const size_t k = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (k >= 2 * m) return;
    const size_t c = k / m, i = k % m;
    const size_t r = size_t(rows[i]);
    kern::split_child_4d(in.means + 4 * r, in.log_scales + 4 * r, in.rot_l + 4 * r, in.rot_r + 4 * r, divisor, seed,
                         stream, uint64_t(r) * 2 + c, child_means + 4 * k, child_log_scales + 4 * k);
}

} // namespace

size_t launch_slice4d_select(const Slice4dDevice& in, const Slice4dLaunch& p, int32_t* rows) {
    const size_t n = in.count;
    if (n == 0) return 0;
    uint8_t* keep = nullptr;
    int* count = nullptr;
    SPLATSCAPE_CUDA_CHECK(cudaMallocAsync(&keep, n, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cudaMallocAsync(&count, sizeof(int), cudaStreamLegacy));
    select_kernel<<<blocks(n), kThreads>>>(in, p, keep);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("slice4d select_kernel");
    const thrust::counting_iterator<int32_t> indices(0);
    size_t temp_bytes = 0;
    SPLATSCAPE_CUDA_CHECK(cub::DeviceSelect::Flagged(nullptr, temp_bytes, indices, keep, rows, count, int(n)));
    void* temp = nullptr;
    SPLATSCAPE_CUDA_CHECK(cudaMallocAsync(&temp, temp_bytes, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cub::DeviceSelect::Flagged(temp, temp_bytes, indices, keep, rows, count, int(n)));
    int m = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&m, count, sizeof(int), cudaMemcpyDeviceToHost));
    SPLATSCAPE_CUDA_CHECK(cudaFreeAsync(temp, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cudaFreeAsync(count, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cudaFreeAsync(keep, cudaStreamLegacy));
    return size_t(m);
}

void launch_slice4d_forward(const Slice4dDevice& in, const Slice4dLaunch& p, const int32_t* rows, size_t m,
                            float* means, float* covariances, float* opacities, float* sh) {
    if (m == 0) return;
    forward_kernel<<<blocks(m), kThreads>>>(in, p, rows, m, means, covariances, opacities, sh);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("slice4d forward_kernel");
}

void launch_slice4d_backward(const Slice4dDevice& in, const Slice4dLaunch& p, const int32_t* rows, size_t m,
                             const float* d_means, const float* d_covariances, const float* d_opacities,
                             const float* d_sh, float scale, const Slice4dDeviceGrads& grads, float* time_grad) {
    if (m == 0) return;
    backward_kernel<<<blocks(m), kThreads>>>(in, p, rows, m, d_means, d_covariances, d_opacities, d_sh, scale, grads,
                                             time_grad);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("slice4d backward_kernel");
}

void launch_gs4d_view_stats(size_t m, const int32_t* rows, const float* radii, const float* view_grad_norm,
                            const float* time_grad, float* grad_accum, float* time_grad_accum, float* denom,
                            float* max_radii) {
    if (m == 0) return;
    view_stats_kernel<<<blocks(m), kThreads>>>(m, rows, radii, view_grad_norm, time_grad, grad_accum, time_grad_accum,
                                               denom, max_radii);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gs4d view_stats_kernel");
}

void launch_gs4d_grow_flags(size_t n, const float* grad_accum, const float* time_grad_accum, const float* denom,
                            const float* log_scales, const kern::AdcThresholds& t, float time_grad_threshold,
                            uint64_t* clone_flags, uint64_t* split_flags) {
    if (n == 0) return;
    grow_flags_kernel<<<blocks(n), kThreads>>>(n, grad_accum, time_grad_accum, denom, log_scales, t,
                                               time_grad_threshold, clone_flags, split_flags);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gs4d grow_flags_kernel");
}

void launch_gs4d_keep_flags(const Slice4dDevice& in, const float* max_radii, const kern::AdcThresholds& t,
                            float time_min, float time_max, float min_weight, const uint64_t* dropped,
                            uint64_t* keep_flags) {
    if (in.count == 0) return;
    keep_flags_kernel<<<blocks(in.count), kThreads>>>(in, max_radii, t, time_min, time_max, min_weight, dropped,
                                                      keep_flags);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gs4d keep_flags_kernel");
}

void launch_split_children_4d(const Slice4dDevice& in, const int32_t* rows, size_t m, float divisor, uint64_t seed,
                              uint64_t stream, float* child_means, float* child_log_scales) {
    if (m == 0) return;
    split_children_kernel<<<blocks(2 * m), kThreads>>>(in, rows, m, divisor, seed, stream, child_means,
                                                       child_log_scales);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gs4d split_children_kernel");
}

} // namespace splatscape::cuda
