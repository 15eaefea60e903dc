// Backward kernels of the tile rasterizer (docs/rasterizer.md, "Backward, per pixel" and "per
// Gaussian"). Per tile, one 16x16 block walks the tile's entries back to front in batches staged
// in shared memory; each pixel steps with kern::composite_backward_step, each warp sums its
// pixels' gradients with shuffles, and the eight warp sums of an entry are added in warp order and
// written once to the entry's slot: no atomics, so results do not depend on scheduling. A second
// kernel sums each Gaussian's slots in order (the CPU backend's order) and chains back to the
// parameters with kern::preprocess_gaussian_backward.
#include <cuda_runtime.h>

#include <cmath>

#include "training/cuda/cuda_check.hpp"
#include "training/cuda/gaussian_inputs_cuda.cuh"
#include "training/kernels/binning.hpp"
#include "training/kernels/composite.hpp"

namespace splatscape::cuda {
namespace {

constexpr int kBatch = 64; // entries staged per pass; the per-warp partial sums take 20 KiB
constexpr int kWarps = kTileThreads / 32;
constexpr unsigned kFullMask = 0xffffffffu;

__device__ __forceinline__ float warp_sum(float v) {
    for (int offset = 16; offset > 0; offset /= 2) v += __shfl_xor_sync(kFullMask, v, offset);
    return v;
}

// Slot of (Gaussian g, tile tx ty) in g's own run of entries (the order emit_keys wrote them in).
__device__ __forceinline__ uint32_t entry_slot(const SplatBuffers& s, uint32_t g, int tx, int ty) {
    const int4 r = reinterpret_cast<const int4*>(s.rects)[g];
    return uint32_t(s.offsets[g] - s.tiles[g]) + uint32_t(kern::rect_slot(tx, ty, r.x, r.y, r.z));
}

__global__ void __launch_bounds__(kTileThreads)
    rasterize_backward_kernel(TileGrid grid, const uint32_t* ids, SplatBuffers s, float3 bg, const float* d_rgb,
                              const float* d_alpha, const float* d_depth, float* entry_grads) {
    __shared__ uint32_t s_slot[kBatch];
    __shared__ float2 s_mean[kBatch];
    __shared__ float4 s_conic[kBatch];
    __shared__ float4 s_color[kBatch];
    __shared__ float s_part[kBatch][kWarps][kEntryGradFloats];
    __shared__ uint32_t s_max_visited;

    const int tx = blockIdx.x, ty = blockIdx.y;
    const int tile = ty * grid.tiles_x + tx;
    const uint32_t start = s.tile_ranges[2 * tile], end = s.tile_ranges[2 * tile + 1];
    if (start == end) return; // block-uniform
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int px = tx * kern::kTileSize + tid % kern::kTileSize;
    const int py = ty * kern::kTileSize + tid / kern::kTileSize;
    const bool inside = px < grid.width && py < grid.height;
    const float cx = float(px) + 0.5f, cy = float(py) + 0.5f;

    kern::PixelBackward<float> st;
    uint32_t visited = 0;
    {
        const float zero3[3] = {0.0f, 0.0f, 0.0f};
        if (inside) {
            const size_t pix = size_t(py) * grid.width + px;
            const float background[3] = {bg.x, bg.y, bg.z};
            const float dC[3] = {d_rgb[3 * pix], d_rgb[3 * pix + 1], d_rgb[3 * pix + 2]};
            visited = s.n_contrib[pix];
            kern::pixel_backward_init(st, s.final_T[pix], background, dC, d_alpha ? d_alpha[pix] : 0.0f,
                                      d_depth ? d_depth[pix] : 0.0f);
        } else {
            kern::pixel_backward_init(st, 1.0f, zero3, zero3, 0.0f, 0.0f);
        }
    }
    if (tid == 0) s_max_visited = 0;
    __syncthreads();
    const uint32_t warp_max = __reduce_max_sync(kFullMask, visited);
    if (lane == 0) atomicMax(&s_max_visited, warp_max);
    __syncthreads();
    const uint32_t count = s_max_visited;

    // Entries past every pixel's last composited one receive nothing.
    for (uint32_t k = count + uint32_t(tid); k < end - start; k += kTileThreads) {
        float* out = entry_grads + size_t(entry_slot(s, ids[start + k], tx, ty)) * kEntryGradFloats;
        for (int v = 0; v < kEntryGradFloats; ++v) out[v] = 0.0f;
    }

    const float2* mean2d = reinterpret_cast<const float2*>(s.mean2d);
    const float4* conic_opacity = reinterpret_cast<const float4*>(s.conic_opacity);
    const float4* rgb_depth = reinterpret_cast<const float4*>(s.rgb_depth);
    for (int batch_end = int(count); batch_end > 0; batch_end -= kBatch) {
        const int batch_start = max(0, batch_end - kBatch);
        const int nb = batch_end - batch_start;
        __syncthreads(); // the previous batch's partial sums have been written out
        if (tid < nb) {
            const uint32_t g = ids[start + uint32_t(batch_start + tid)];
            s_slot[tid] = entry_slot(s, g, tx, ty);
            s_mean[tid] = mean2d[g];
            s_conic[tid] = conic_opacity[g];
            s_color[tid] = rgb_depth[g];
        }
        __syncthreads();
        for (int j = nb - 1; j >= 0; --j) {
            const uint32_t k = uint32_t(batch_start + j);
            kern::SplatGrad<float> g = {};
            bool valid = false;
            if (k < visited) {
                const float2 m = s_mean[j];
                const float4 co = s_conic[j];
                const kern::Vec3<float> conic = {co.x, co.y, co.z};
                const float dx = m.x - cx, dy = m.y - cy;
                valid = kern::splat_alpha(co.w, conic, dx, dy) > 0.0f;
                if (valid) {
                    const float4 col = s_color[j];
                    const float rgb[3] = {col.x, col.y, col.z};
                    kern::composite_backward_step(st, co.w, conic, dx, dy, k, visited, rgb, col.w, g);
                }
            }
            float* part = s_part[j][warp];
            if (__any_sync(kFullMask, valid)) {
                float v[kEntryGradFloats] = {g.mean2d[0],  g.mean2d[1], g.conic[0], g.conic[1], g.conic[2],
                                             g.alpha_base, g.rgb[0],    g.rgb[1],   g.rgb[2],   g.depth};
#pragma unroll
                for (int q = 0; q < kEntryGradFloats; ++q) v[q] = warp_sum(v[q]);
                if (lane == 0)
#pragma unroll
                    for (int q = 0; q < kEntryGradFloats; ++q) part[q] = v[q];
            } else if (lane == 0) {
#pragma unroll
                for (int q = 0; q < kEntryGradFloats; ++q) part[q] = 0.0f;
            }
        }
        __syncthreads();
        for (int o = tid; o < nb * kEntryGradFloats; o += kTileThreads) {
            const int j = o / kEntryGradFloats, q = o % kEntryGradFloats;
            float sum = 0.0f;
#pragma unroll
            for (int w = 0; w < kWarps; ++w) sum += s_part[j][w][q];
            entry_grads[size_t(s_slot[j]) * kEntryGradFloats + q] = sum;
        }
    }
}

__global__ void gaussian_backward_kernel(GaussianInputs in, kern::RasterCamera<float> cam,
                                         kern::RasterSettings settings, SplatBuffers s, const float* entry_grads,
                                         GaussianGrads out) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= in.count) return;
    const int K = in.sh_stride;
    if (s.radii[i] == 0) {
        auto zero = [](float* p, int n) {
            if (p)
                for (int k = 0; k < n; ++k) p[k] = 0.0f;
        };
        zero(out.means ? out.means + 3 * i : nullptr, 3);
        zero(out.log_scales ? out.log_scales + 3 * i : nullptr, 3);
        zero(out.rotations ? out.rotations + 4 * i : nullptr, 4);
        zero(out.covariances ? out.covariances + 6 * i : nullptr, 6);
        zero(out.opacities ? out.opacities + i : nullptr, 1);
        zero(out.sh ? out.sh + i * size_t(K) * 3 : nullptr, K * 3);
        zero(out.colors ? out.colors + 3 * i : nullptr, 3);
        if (out.view_grad_norm) out.view_grad_norm[i] = 0.0f;
        return;
    }
    kern::SplatGrad<float> sum = {};
    const uint64_t end = s.offsets[i];
    for (uint64_t k = end - s.tiles[i]; k < end; ++k) {
        const float* e = entry_grads + k * kEntryGradFloats;
        sum.mean2d[0] += e[0];
        sum.mean2d[1] += e[1];
        sum.conic[0] += e[2];
        sum.conic[1] += e[3];
        sum.conic[2] += e[4];
        sum.alpha_base += e[5];
        sum.rgb[0] += e[6];
        sum.rgb[1] += e[7];
        sum.rgb[2] += e[8];
        sum.depth += e[9];
    }
    const kern::GaussianRef<float> g = gaussian_ref(in, i);
    // The forward's per-Gaussian values (clamped channels, compensation), recomputed: same inputs,
    // same function, same result.
    kern::Preprocessed<float> fwd;
    kern::preprocess_gaussian(g, cam, settings, fwd);
    // Every output the inputs call for is in global memory (the launcher substitutes scratch rows
    // for those the caller did not ask for); the others stay null and are not written.
    kern::GaussianGradRef<float> ref;
    ref.mean = out.means + 3 * i;
    ref.opacity = out.opacities + i;
    ref.log_scale = in.covariances ? nullptr : out.log_scales + 3 * i;
    ref.rotation = in.covariances ? nullptr : out.rotations + 4 * i;
    ref.cov3d = in.covariances ? out.covariances + 6 * i : nullptr;
    ref.sh = in.colors ? nullptr : out.sh + i * size_t(K) * 3;
    ref.rgb = in.colors ? out.colors + 3 * i : nullptr;
    if (!in.colors)
        for (int k = 0; k < K * 3; ++k) ref.sh[k] = 0.0f;
    kern::preprocess_gaussian_backward(g, cam, settings, fwd, sum, ref);
    if (out.view_grad_norm) {
        const double gx = double(sum.mean2d[0]) * cam.width * 0.5, gy = double(sum.mean2d[1]) * cam.height * 0.5;
        out.view_grad_norm[i] = float(sqrt(gx * gx + gy * gy));
    }
}

} // namespace

void launch_rasterize_backward(const TileGrid& grid, const uint32_t* sorted_ids, const SplatBuffers& s,
                               const float background[3], const float* d_rgb, const float* d_alpha,
                               const float* d_depth, float* entry_grads) {
    if (grid.tiles() == 0) return;
    const dim3 blocks(unsigned(grid.tiles_x), unsigned(grid.tiles_y));
    rasterize_backward_kernel<<<blocks, kTileThreads>>>(grid, sorted_ids, s,
                                                        make_float3(background[0], background[1], background[2]), d_rgb,
                                                        d_alpha, d_depth, entry_grads);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("rasterize_backward_kernel");
}

void launch_gaussian_backward(const GaussianInputs& in, const kern::RasterCamera<float>& camera,
                              const kern::RasterSettings& settings, const SplatBuffers& s, const float* entry_grads,
                              GaussianGrads& out) {
    if (in.count == 0) return;
    gaussian_backward_kernel<<<blocks_for(in.count, 128), 128>>>(in, camera, settings, s, entry_grads, out);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gaussian_backward_kernel");
}

} // namespace splatscape::cuda
