// Kernels of the 3D smoothing filter and appearance families (training/cuda/image_terms_cuda.hpp):
// the per-element functions of training/kernels/filter3d.hpp and appearance.hpp, as the CPU
// launchers call them.
#include <cuda_runtime.h>

#include <cub/device/device_reduce.cuh>

#include "training/cuda/cuda_check.hpp"
#include "training/cuda/image_terms_cuda.hpp"
#include "training/kernels/appearance.hpp"
#include "training/kernels/filter3d.hpp"

namespace splatscape::cuda {
namespace {

constexpr int kThreads = 256;

unsigned blocks(size_t n) {
    const size_t b = (n + kThreads - 1) / kThreads;
    return unsigned(b < 65536 * 8 ? (b > 0 ? b : 1) : 65536 * 8);
}

#define SPLATSCAPE_GRID_LOOP(i, n)                                                                                     \
    for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)

__global__ void sampling_rates_kernel(size_t n, const float* means, int mean_cols,
                                      const kern::RasterCamera<float>* cameras, int camera_count, float near,
                                      float* rates) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        float best = 0.0f;
        for (int c = 0; c < camera_count; ++c)
            best = fmaxf(best, kern::sampling_rate(means + i * mean_cols, cameras[c], near));
        rates[i] = best;
    }
}

__global__ void positive_or_inf_kernel(size_t n, const float* rates, float* out) {
    SPLATSCAPE_GRID_LOOP(i, n) out[i] = rates[i] > 0.0f ? rates[i] : __int_as_float(0x7f800000);
}

__global__ void filter_variance_kernel(size_t n, float* rates, float unseen, float size) {
    SPLATSCAPE_GRID_LOOP(i, n) rates[i] = kern::filter_3d_variance(rates[i] > 0.0f ? rates[i] : unseen, size);
}

__global__ void affine_forward_kernel(size_t pixels, const float* rgb, const float* params, float* out) {
    SPLATSCAPE_GRID_LOOP(i, pixels) kern::affine_color(params, rgb + 3 * i, out + 3 * i);
}

// One block of kThreads pixels per iteration of its grid-stride loop; per-thread sums, then a
// fixed shared-memory tree per parameter.
__global__ void affine_backward_kernel(size_t pixels, const float* rgb, const float* d_out, const float* params,
                                       float* d_rgb, float* partial) {
    float acc[kern::kAppearanceParams] = {};
    SPLATSCAPE_GRID_LOOP(i, pixels) kern::affine_color_backward(params, rgb + 3 * i, d_out + 3 * i, d_rgb + 3 * i, acc);
    __shared__ float s[kern::kAppearanceParams][kThreads];
    for (int k = 0; k < kern::kAppearanceParams; ++k) s[k][threadIdx.x] = acc[k];
    __syncthreads();
    for (int half = kThreads / 2; half > 0; half /= 2) {
        if (int(threadIdx.x) < half)
            for (int k = 0; k < kern::kAppearanceParams; ++k) s[k][threadIdx.x] += s[k][threadIdx.x + half];
        __syncthreads();
    }
    if (threadIdx.x < kern::kAppearanceParams)
        partial[size_t(blockIdx.x) * kern::kAppearanceParams + threadIdx.x] = s[threadIdx.x][0];
}

__global__ void affine_reduce_kernel(const float* partial, unsigned block_count, float* d_params) {
    const int k = int(threadIdx.x);
    if (k >= kern::kAppearanceParams) return;
    double sum = 0.0;
    for (unsigned b = 0; b < block_count; ++b) sum += partial[size_t(b) * kern::kAppearanceParams + k];
    d_params[k] += float(sum);
}

__global__ void apply_mask_kernel(size_t n, int cols, float* image, const float* mask) {
    SPLATSCAPE_GRID_LOOP(e, n) image[e] *= mask[e / size_t(cols)];
}

} // namespace

void launch_sampling_rates(size_t n, const float* means, int mean_cols, const kern::RasterCamera<float>* cameras,
                           int camera_count, float near, float* rates) {
    if (!n) return;
    sampling_rates_kernel<<<blocks(n), kThreads>>>(n, means, mean_cols, cameras, camera_count, near, rates);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

size_t lowest_positive_temp_bytes(size_t n) {
    size_t bytes = 0;
    SPLATSCAPE_CUDA_CHECK(cub::DeviceReduce::Min(nullptr, bytes, static_cast<const float*>(nullptr),
                                                 static_cast<float*>(nullptr), int64_t(n)));
    return bytes;
}

float lowest_positive(const float* rates, size_t n, void* temp, size_t temp_bytes, float* scratch) {
    if (!n) return __builtin_huge_valf();
    positive_or_inf_kernel<<<blocks(n), kThreads>>>(n, rates, scratch);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
    SPLATSCAPE_CUDA_CHECK(cub::DeviceReduce::Min(temp, temp_bytes, scratch, scratch + n, int64_t(n), cudaStreamLegacy));
    float host = 0.0f;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(&host, scratch + n, sizeof(float), cudaMemcpyDeviceToHost, cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
    return host;
}

void launch_filter_variance(size_t n, float* rates, float unseen, float size) {
    if (!n) return;
    filter_variance_kernel<<<blocks(n), kThreads>>>(n, rates, unseen, size);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_affine_forward(size_t pixels, const float* rgb, const float* params, float* out) {
    if (!pixels) return;
    affine_forward_kernel<<<blocks(pixels), kThreads>>>(pixels, rgb, params, out);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

unsigned affine_backward_blocks(size_t pixels) {
    // Enough blocks to fill a GPU; each covers several pixels, so the partial sums stay few.
    const size_t b = (pixels + kThreads * 8 - 1) / (kThreads * 8);
    return unsigned(b < 1 ? 1 : (b > 1024 ? 1024 : b));
}

unsigned launch_affine_backward(size_t pixels, const float* rgb, const float* d_out, const float* params, float* d_rgb,
                                float* partial) {
    const unsigned b = affine_backward_blocks(pixels);
    affine_backward_kernel<<<b, kThreads>>>(pixels, rgb, d_out, params, d_rgb, partial);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
    return b;
}

void launch_affine_reduce(const float* partial, unsigned block_count, float* d_params) {
    affine_reduce_kernel<<<1, 32>>>(partial, block_count, d_params);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

void launch_apply_mask(size_t pixels, int cols, float* image, const float* mask) {
    const size_t n = pixels * size_t(cols);
    if (!n) return;
    apply_mask_kernel<<<blocks(n), kThreads>>>(n, cols, image, mask);
    SPLATSCAPE_CUDA_CHECK(cudaGetLastError());
}

} // namespace splatscape::cuda
