// Fused SSIM + L1 loss kernels (training/cuda/loss_cuda.hpp). The window weights, the per-pixel SSIM
// and its derivatives come from training/kernels/ssim.hpp, as on the CPU.
#include <cuda_runtime.h>

#include "training/cuda/cuda_check.hpp"
#include "training/cuda/loss_cuda.hpp"
#include "training/kernels/ssim.hpp"

namespace splatscape::cuda {
namespace {

constexpr int kTile = 16;
constexpr int kRadius = kern::kSsimRadius;
constexpr int kSpan = kTile + 2 * kRadius; // 26: the tile and its halo
constexpr int kThreads = kTile * kTile;

struct Window {
    float w[kern::kSsimWindow];
};

// Block-wide sum of one double per thread, in a fixed order; valid in thread 0.
__device__ double block_sum(double v, double* scratch) {
    for (int o = 16; o > 0; o /= 2) v += __shfl_down_sync(0xffffffffu, v, o);
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    __syncthreads();
    if (lane == 0) scratch[warp] = v;
    __syncthreads();
    double total = 0.0;
    if (threadIdx.x == 0)
        for (int w = 0; w < kThreads / 32; ++w) total += scratch[w];
    return total;
}

// Loads plane(x, y) for the tile's region with zero padding, as `count` planes read through `load`.
template <int kPlanes, class Load>
__device__ void load_region(int x0, int y0, int width, int height, float (*region)[kSpan * kSpan], Load load) {
    for (int idx = threadIdx.x; idx < kSpan * kSpan; idx += kThreads) {
        const int gx = x0 - kRadius + idx % kSpan, gy = y0 - kRadius + idx / kSpan;
        const bool in = gx >= 0 && gy >= 0 && gx < width && gy < height;
        const size_t pix = in ? size_t(gy) * width + gx : 0;
#pragma unroll
        for (int p = 0; p < kPlanes; ++p) region[p][idx] = in ? load(p, pix) : 0.0f;
    }
}

// Separable filtering of `kPlanes` planes of the region (horizontal into `rows`, then vertical);
// returns the filtered values at this thread's pixel.
template <int kPlanes>
__device__ void filter_region(const Window& win, const float (*region)[kSpan * kSpan], float (*rows)[kSpan * kTile],
                              float* out) {
    for (int idx = threadIdx.x; idx < kSpan * kTile; idx += kThreads) {
        const int r = idx / kTile, c = idx % kTile;
#pragma unroll
        for (int p = 0; p < kPlanes; ++p) {
            float s = 0.0f;
#pragma unroll
            for (int k = 0; k < kern::kSsimWindow; ++k) s += win.w[k] * region[p][r * kSpan + c + k];
            rows[p][idx] = s;
        }
    }
    __syncthreads();
    const int tx = threadIdx.x % kTile, ty = threadIdx.x / kTile;
#pragma unroll
    for (int p = 0; p < kPlanes; ++p) {
        float s = 0.0f;
#pragma unroll
        for (int k = 0; k < kern::kSsimWindow; ++k) s += win.w[k] * rows[p][(ty + k) * kTile + tx];
        out[p] = s;
    }
}

__global__ void __launch_bounds__(kThreads)
    ssim_l1_forward_kernel(Window win, const float* x, const float* y, int width, int height, bool with_grad,
                           float* derivatives, double* partials) {
    __shared__ float region[5][kSpan * kSpan];
    __shared__ float rows[5][kSpan * kTile];
    __shared__ double scratch[kThreads / 32];
    const int x0 = blockIdx.x * kTile, y0 = blockIdx.y * kTile;
    const int px = x0 + threadIdx.x % kTile, py = y0 + threadIdx.x / kTile;
    const bool inside = px < width && py < height;
    const size_t plane = size_t(width) * height;
    const size_t pix = inside ? size_t(py) * width + px : 0;
    double ssim_sum = 0.0, l1_sum = 0.0;
    for (int c = 0; c < 3; ++c) {
        load_region<5>(x0, y0, width, height, region, [&](int p, size_t i) {
            const float a = x[3 * i + c], b = y[3 * i + c];
            switch (p) {
            case 0:
                return a;
            case 1:
                return b;
            case 2:
                return a * a;
            case 3:
                return b * b;
            default:
                return a * b;
            }
        });
        __syncthreads();
        float m[5];
        filter_region<5>(win, region, rows, m);
        if (inside) {
            float d_mx = 0.0f, d_exx = 0.0f, d_exy = 0.0f;
            const float s = kern::ssim_pixel(m[0], m[1], m[2], m[3], m[4], &d_mx, &d_exx, &d_exy);
            ssim_sum += double(s);
            l1_sum += double(fabsf(x[3 * pix + c] - y[3 * pix + c]));
            if (with_grad) {
                float* d = derivatives + size_t(c) * 3 * plane;
                d[pix] = d_mx;
                d[plane + pix] = d_exx;
                d[2 * plane + pix] = d_exy;
            }
        }
        __syncthreads(); // the region is reloaded for the next channel
    }
    const size_t blocks = size_t(gridDim.x) * gridDim.y, b = size_t(blockIdx.y) * gridDim.x + blockIdx.x;
    const double s = block_sum(ssim_sum, scratch);
    if (threadIdx.x == 0) partials[b] = s;
    const double l = block_sum(l1_sum, scratch);
    if (threadIdx.x == 0) partials[blocks + b] = l;
}

__global__ void reduce_partials_kernel(const double* partials, size_t blocks, double* sums) {
    __shared__ double scratch[kThreads / 32];
    for (int which = 0; which < 2; ++which) {
        double v = 0.0;
        for (size_t b = threadIdx.x; b < blocks; b += kThreads) v += partials[which * blocks + b];
        const double total = block_sum(v, scratch);
        if (threadIdx.x == 0) sums[which] = total;
    }
}

__global__ void __launch_bounds__(kThreads)
    ssim_l1_backward_kernel(Window win, const float* x, const float* y, int width, int height, float lambda,
                            float inv_n, float l1_scale, const float* derivatives, float* d_out) {
    __shared__ float region[3][kSpan * kSpan];
    __shared__ float rows[3][kSpan * kTile];
    const int x0 = blockIdx.x * kTile, y0 = blockIdx.y * kTile;
    const int px = x0 + threadIdx.x % kTile, py = y0 + threadIdx.x / kTile;
    const bool inside = px < width && py < height;
    const size_t plane = size_t(width) * height;
    const size_t pix = inside ? size_t(py) * width + px : 0;
    for (int c = 0; c < 3; ++c) {
        const float* d = derivatives + size_t(c) * 3 * plane;
        load_region<3>(x0, y0, width, height, region, [&](int p, size_t i) { return d[size_t(p) * plane + i]; });
        __syncthreads();
        float f[3];
        filter_region<3>(win, region, rows, f);
        if (inside) {
            const float a = x[3 * pix + c], b = y[3 * pix + c];
            const float d_ssim = inv_n * (f[0] + 2.0f * a * f[1] + b * f[2]);
            const float diff = a - b;
            const float sign = diff > 0.0f ? l1_scale : (diff < 0.0f ? -l1_scale : 0.0f);
            d_out[3 * pix + c] = -lambda * d_ssim + sign;
        }
        __syncthreads();
    }
}

Window make_window() {
    Window w;
    kern::ssim_window(w.w);
    return w;
}

dim3 loss_grid(int width, int height) {
    return dim3(unsigned((width + kTile - 1) / kTile), unsigned((height + kTile - 1) / kTile));
}

} // namespace

size_t loss_blocks(int width, int height) {
    const dim3 g = loss_grid(width, height);
    return size_t(g.x) * g.y;
}

void launch_ssim_l1_forward(const float* rendered, const float* target, int width, int height, bool with_grad,
                            float* derivatives, double* partials, double* sums) {
    const dim3 grid = loss_grid(width, height);
    ssim_l1_forward_kernel<<<grid, kThreads>>>(make_window(), rendered, target, width, height, with_grad, derivatives,
                                               partials);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("ssim_l1_forward_kernel");
    reduce_partials_kernel<<<1, kThreads>>>(partials, loss_blocks(width, height), sums);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("reduce_partials_kernel");
}

void launch_ssim_l1_backward(const float* rendered, const float* target, int width, int height, float ssim_weight,
                             const float* derivatives, float* d_rendered) {
    const double count = double(width) * height * 3;
    const float inv_n = float(1.0 / count);
    const float l1_scale = float((1.0 - double(ssim_weight)) / count);
    ssim_l1_backward_kernel<<<loss_grid(width, height), kThreads>>>(
        make_window(), rendered, target, width, height, ssim_weight, inv_n, l1_scale, derivatives, d_rendered);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("ssim_l1_backward_kernel");
}

} // namespace splatscape::cuda
