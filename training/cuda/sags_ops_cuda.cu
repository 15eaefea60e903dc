// Kernels and host side of SagsOpsCuda (sags_ops_cuda.hpp), over training/kernels/sags.hpp.
#include <cuda_runtime.h>

#include <cub/device/device_select.cuh>
#include <thrust/iterator/counting_iterator.h>

#include <algorithm>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/cuda/sags_ops_cuda.hpp"
#include "training/ops/sags_ops_check.hpp"

namespace splatscape {
namespace {

using namespace kern;

constexpr int kThreads = 256;
constexpr Device kCuda = Device::Cuda;
// Rows a block of the reductions of assemble_backward sums before its atomic adds.
constexpr int kReduceRows = 256;

unsigned blocks_for(size_t n) {
    return unsigned(std::max<size_t>(1, (n + kThreads - 1) / kThreads));
}

__global__ void visible_kernel(const float* p, size_t n, RasterCamera<float> cam, float margin, float near_z,
                               uint8_t* flags) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) flags[i] = sags_in_view(cam, p + 3 * i, margin, near_z) ? 1 : 0;
}

__global__ void assemble_kernel(const float* hash, int hw, const float* local, const float* global, int fd,
                                const float* affine, const float* points, const int32_t* rows, size_t m_count,
                                Vec3<float> centre, float* x, int width) {
    const size_t m = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (m >= m_count) return;
    const size_t i = size_t(rows[m]);
    sags_assemble_row(hash + i * hw, hw, local + i * fd, global, fd, affine, points + 3 * i, centre, x + m * width);
}

// Per (row, channel) of hash and local: the scaled gradient into the point's rows (rows are distinct).
__global__ void assemble_grad_rows_kernel(const float* affine, int hw, int fd, const int32_t* rows, size_t m_count,
                                          const float* d_x, int width, float* d_hash, float* d_local) {
    const size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    const int C = hw + fd;
    if (t >= m_count * size_t(C)) return;
    const size_t m = t / size_t(C);
    const int c = int(t % size_t(C));
    const size_t i = size_t(rows[m]);
    const float g = d_x[m * width + c];
    if (c < hw)
        d_hash[i * hw + c] += affine[2 * c] * g;
    else
        d_local[i * fd + (c - hw)] += affine[2 * c] * g;
}

// Block b sums rows [b * kReduceRows, ...) of every channel, then adds to d_affine and d_global.
__global__ void assemble_grad_sums_kernel(const float* hash, int hw, const float* local, const float* global, int fd,
                                          const float* affine, const int32_t* rows, size_t m_count, const float* d_x,
                                          int width, float* d_global, float* d_affine) {
    const int E = hw + 2 * fd;
    const size_t m0 = size_t(blockIdx.x) * kReduceRows;
    const size_t m1 = min(m_count, m0 + size_t(kReduceRows));
    for (int c = threadIdx.x; c < E; c += blockDim.x) {
        float s_scale = 0.0f, s_shift = 0.0f;
        for (size_t m = m0; m < m1; ++m) {
            const float g = d_x[m * width + c];
            const size_t i = size_t(rows[m]);
            const float v = c < hw ? hash[i * hw + c] : (c < hw + fd ? local[i * fd + (c - hw)] : global[c - hw - fd]);
            s_scale += v * g;
            s_shift += g;
        }
        atomicAdd(&d_affine[2 * c], s_scale);
        atomicAdd(&d_affine[2 * c + 1], s_shift);
        if (c >= hw + fd) atomicAdd(&d_global[c - hw - fd], affine[2 * c] * s_shift);
    }
}

__global__ void compose_kernel(const float* decoded, const float* points, const float* scales, const float* frames,
                               const int32_t* rows, size_t m_count, float cutoff, float revive, float* means,
                               float* log_scales, float* rotations, float* opacities, float* colors) {
    const size_t m = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (m >= m_count) return;
    const size_t i = size_t(rows[m]);
    const SagsGaussian<float> g =
        sags_compose(decoded + m * kSagsDecodedCols, points + 3 * i, scales + i * kSagsScaleCols,
                     frames ? frames + 4 * i : nullptr, cutoff, revive);
    for (int a = 0; a < 3; ++a) {
        means[3 * m + a] = g.mean[a];
        log_scales[3 * m + a] = g.log_scale[a];
        colors[3 * m + a] = g.color[a];
    }
    for (int k = 0; k < 4; ++k) rotations[4 * m + k] = g.rotation[k];
    opacities[m] = g.opacity_logit;
}

__global__ void compose_grad_kernel(const float* decoded, const float* scales, const float* frames, const int32_t* rows,
                                    size_t m_count, float cutoff, float revive, const float* d_means,
                                    const float* d_log_scales, const float* d_rotations, const float* d_opacities,
                                    const float* d_colors, float* d_decoded, float* d_scales) {
    const size_t m = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (m >= m_count) return;
    const size_t i = size_t(rows[m]);
    sags_compose_backward(decoded + m * kSagsDecodedCols, scales + i * kSagsScaleCols,
                          frames ? frames + 4 * i : nullptr, cutoff, revive, d_means + 3 * m, d_log_scales + 3 * m,
                          d_rotations + 4 * m, d_opacities[m], d_colors + 3 * m, d_decoded + m * kSagsDecodedCols,
                          d_scales + i * kSagsScaleCols);
}

__global__ void stats_kernel(const int32_t* rows, size_t m_count, size_t limit, const float* grad_norm,
                             const float* decoded, const float* means, float* grad_accum, float* views,
                             float* opacity_accum, float* last_means) {
    const size_t m = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (m >= m_count) return;
    const size_t i = size_t(rows[m]);
    if (i >= limit) return;
    grad_accum[i] += grad_norm[m];
    views[i] += 1.0f;
    opacity_accum[i] += fmaxf(decoded[m * kSagsDecodedCols + kSagsOpacityCol], 0.0f);
    for (int a = 0; a < 3; ++a) last_means[3 * i + a] = means[3 * m + a];
}

__global__ void residual_kernel(const float* features, size_t total, float* local) {
    const size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t < total) local[t] = sags_residual(features[t], local[t]);
}

__global__ void residual_grad_kernel(size_t total, float* d_local, float* d_features) {
    const size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= total) return;
    d_features[t] += d_local[t];
    d_local[t] *= kSagsResidualWeight;
}

__global__ void midpoints_kernel(const float* values, size_t n, int C, const int32_t* pairs, size_t p_count,
                                 float* out) {
    const size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= (n + p_count) * size_t(C)) return;
    const size_t r = t / size_t(C);
    const int c = int(t % size_t(C));
    if (r < n) {
        out[t] = values[t];
    } else {
        const size_t p = r - n;
        out[t] = sags_midpoint(values[size_t(pairs[2 * p]) * C + c], values[size_t(pairs[2 * p + 1]) * C + c]);
    }
}

__global__ void midpoints_grad_kernel(const int32_t* pairs, size_t n, int C, size_t p_count, const float* d_out,
                                      float* d_values) {
    const size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= (n + p_count) * size_t(C)) return;
    const size_t r = t / size_t(C);
    const int c = int(t % size_t(C));
    if (r < n) {
        atomicAdd(&d_values[t], d_out[t]);
    } else {
        const size_t p = r - n;
        const float g = 0.5f * d_out[t];
        atomicAdd(&d_values[size_t(pairs[2 * p]) * C + c], g);
        atomicAdd(&d_values[size_t(pairs[2 * p + 1]) * C + c], g);
    }
}

} // namespace

Tensor SagsOpsCuda::visible_points(const Tensor& points, const RasterCamera<float>& camera, float margin,
                                   float near_z) {
    sags_check::points(points, kCuda, "visible_points");
    const size_t n = points.rows();
    if (n == 0) return m_backend.zeros(0, 1, DType::I32);
    uint8_t* flags = nullptr;
    int* count = nullptr;
    Tensor all = m_backend.zeros(n, 1, DType::I32);
    SPLATSCAPE_CUDA_CHECK(cudaMallocAsync(&flags, n, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cudaMallocAsync(&count, sizeof(int), cudaStreamLegacy));
    visible_kernel<<<blocks_for(n), kThreads>>>(points.f32(), n, camera, margin, near_z, flags);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags visible_kernel");
    const thrust::counting_iterator<int32_t> indices(0);
    size_t temp_bytes = 0;
    SPLATSCAPE_CUDA_CHECK(cub::DeviceSelect::Flagged(nullptr, temp_bytes, indices, flags, all.i32(), count, int(n)));
    void* temp = nullptr;
    SPLATSCAPE_CUDA_CHECK(cudaMallocAsync(&temp, temp_bytes, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cub::DeviceSelect::Flagged(temp, temp_bytes, indices, flags, all.i32(), count, int(n)));
    int m = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&m, count, sizeof(int), cudaMemcpyDeviceToHost));
    SPLATSCAPE_CUDA_CHECK(cudaFreeAsync(temp, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cudaFreeAsync(count, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cudaFreeAsync(flags, cudaStreamLegacy));
    Tensor rows = m_backend.zeros(size_t(m), 1, DType::I32);
    if (m > 0)
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(rows.i32(), all.i32(), size_t(m) * sizeof(int32_t),
                                              cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    return rows;
}

void SagsOpsCuda::assemble(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                           const Tensor& points, const Tensor& rows, const Vec3<float>& centre, Tensor& x) {
    const sags_check::Encoded e = sags_check::assemble(hash, local, global, affine, points, rows, x, kCuda);
    const size_t M = rows.rows();
    if (M == 0) return;
    assemble_kernel<<<blocks_for(M), kThreads>>>(hash.f32(), e.hw, local.f32(), global.f32(), e.fd, affine.f32(),
                                                 points.f32(), rows.i32(), M, centre, x.f32(), x.cols());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags assemble_kernel");
}

void SagsOpsCuda::assemble_backward(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                                    const Tensor& rows, const Tensor& d_x, Tensor& d_hash, Tensor& d_local,
                                    Tensor& d_global, Tensor& d_affine) {
    const sags_check::Encoded e = sags_check::assemble_backward(hash, local, global, affine, rows, d_x, d_hash, d_local,
                                                                d_global, d_affine, kCuda);
    const size_t M = rows.rows();
    if (M == 0) return;
    assemble_grad_rows_kernel<<<blocks_for(M * size_t(e.hw + e.fd)), kThreads>>>(
        affine.f32(), e.hw, e.fd, rows.i32(), M, d_x.f32(), d_x.cols(), d_hash.f32(), d_local.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags assemble_grad_rows_kernel");
    const unsigned blocks = unsigned((M + kReduceRows - 1) / kReduceRows);
    assemble_grad_sums_kernel<<<blocks, 128>>>(hash.f32(), e.hw, local.f32(), global.f32(), e.fd, affine.f32(),
                                               rows.i32(), M, d_x.f32(), d_x.cols(), d_global.f32(), d_affine.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags assemble_grad_sums_kernel");
}

void SagsOpsCuda::compose(const Tensor& decoded, const Tensor& points, const Tensor& scales, const Tensor* frames,
                          const Tensor& rows, float cutoff, float revive, const SagsGaussianTensors& out) {
    sags_check::compose(decoded, points, scales, frames, rows, out, kCuda);
    const size_t M = rows.rows();
    if (M == 0) return;
    compose_kernel<<<blocks_for(M), kThreads>>>(
        decoded.f32(), points.f32(), scales.f32(), frames ? frames->f32() : nullptr, rows.i32(), M, cutoff, revive,
        out.means->f32(), out.log_scales->f32(), out.rotations->f32(), out.opacities->f32(), out.colors->f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags compose_kernel");
}

void SagsOpsCuda::compose_backward(const Tensor& decoded, const Tensor& scales, const Tensor* frames,
                                   const Tensor& rows, float cutoff, float revive, const SagsGaussianTensors& g,
                                   Tensor& d_decoded, Tensor& d_scales) {
    sags_check::compose_backward(decoded, scales, frames, rows, g, d_decoded, d_scales, kCuda);
    const size_t M = rows.rows();
    if (M == 0) return;
    compose_grad_kernel<<<blocks_for(M), kThreads>>>(
        decoded.f32(), scales.f32(), frames ? frames->f32() : nullptr, rows.i32(), M, cutoff, revive, g.means->f32(),
        g.log_scales->f32(), g.rotations->f32(), g.opacities->f32(), g.colors->f32(), d_decoded.f32(), d_scales.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags compose_grad_kernel");
}

void SagsOpsCuda::accumulate_stats(const Tensor& rows, const Tensor& view_grad_norm, const Tensor& decoded,
                                   const Tensor& means, Tensor& grad_accum, Tensor& views, Tensor& opacity_accum,
                                   Tensor& last_means) {
    sags_check::stats(rows, view_grad_norm, decoded, means, grad_accum, views, opacity_accum, last_means, kCuda);
    const size_t M = rows.rows();
    if (M == 0) return;
    stats_kernel<<<blocks_for(M), kThreads>>>(rows.i32(), M, grad_accum.rows(), view_grad_norm.f32(), decoded.f32(),
                                              means.f32(), grad_accum.f32(), views.f32(), opacity_accum.f32(),
                                              last_means.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags stats_kernel");
}

void SagsOpsCuda::add_residual(const Tensor& features, Tensor& local) {
    sags_check::residual(features, local, kCuda);
    const size_t total = local.numel();
    if (total == 0) return;
    residual_kernel<<<blocks_for(total), kThreads>>>(features.f32(), total, local.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags residual_kernel");
}

void SagsOpsCuda::add_residual_backward(Tensor& d_local, Tensor& d_features) {
    sags_check::residual(d_features, d_local, kCuda);
    const size_t total = d_local.numel();
    if (total == 0) return;
    residual_grad_kernel<<<blocks_for(total), kThreads>>>(total, d_local.f32(), d_features.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags residual_grad_kernel");
}

void SagsOpsCuda::expand_midpoints(const Tensor& values, const Tensor& pairs, Tensor& out) {
    sags_check::midpoints(values, pairs, out, kCuda);
    const size_t total = out.numel();
    if (total == 0) return;
    midpoints_kernel<<<blocks_for(total), kThreads>>>(values.f32(), values.rows(), values.cols(), pairs.i32(),
                                                      pairs.rows(), out.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags midpoints_kernel");
}

void SagsOpsCuda::expand_midpoints_backward(const Tensor& pairs, const Tensor& d_out, Tensor& d_values) {
    sags_check::midpoints(d_values, pairs, d_out, kCuda);
    const size_t total = d_out.numel();
    if (total == 0) return;
    midpoints_grad_kernel<<<blocks_for(total), kThreads>>>(pairs.i32(), d_values.rows(), d_values.cols(), pairs.rows(),
                                                           d_out.f32(), d_values.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sags midpoints_grad_kernel");
}

} // namespace splatscape
