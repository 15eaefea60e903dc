// Forward kernels of the tile rasterizer (docs/rasterizer.md): preprocess per Gaussian, keys per
// touched tile, tile ranges in the sorted keys, and front-to-back compositing with one 16x16 thread
// block per tile that stages batches of 256 splats in shared memory.
#include <cuda_runtime.h>

#include "training/cuda/cuda_check.hpp"
#include "training/cuda/gaussian_inputs_cuda.cuh"
#include "training/kernels/binning.hpp"
#include "training/kernels/composite.hpp"

namespace splatscape::cuda {
namespace {

__global__ void preprocess_kernel(GaussianInputs in, kern::RasterCamera<float> cam, kern::RasterSettings settings,
                                  SplatBuffers out) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= in.count) return;
    kern::Preprocessed<float> p;
    if (!kern::preprocess_gaussian(gaussian_ref(in, i), cam, settings, p)) {
        out.radii[i] = 0;
        out.tiles[i] = 0;
        return;
    }
    out.radii[i] = p.proj.radius;
    reinterpret_cast<float2*>(out.mean2d)[i] = make_float2(p.proj.mean2d.x, p.proj.mean2d.y);
    reinterpret_cast<float4*>(out.conic_opacity)[i] =
        make_float4(p.proj.conic.x, p.proj.conic.y, p.proj.conic.z, p.alpha_base);
    reinterpret_cast<float4*>(out.rgb_depth)[i] = make_float4(p.rgb.x, p.rgb.y, p.rgb.z, p.proj.depth);
    reinterpret_cast<int4*>(out.rects)[i] = make_int4(p.proj.x0, p.proj.y0, p.proj.x1, p.proj.y1);
    out.tiles[i] = uint64_t(p.proj.x1 - p.proj.x0) * uint64_t(p.proj.y1 - p.proj.y0);
}

__global__ void emit_keys_kernel(size_t n, TileGrid grid, SplatBuffers s, uint64_t* keys, uint32_t* values) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n || s.radii[i] == 0) return;
    const int4 r = reinterpret_cast<const int4*>(s.rects)[i];
    const float depth = reinterpret_cast<const float4*>(s.rgb_depth)[i].w;
    uint64_t slot = s.offsets[i] - s.tiles[i];
    for (int ty = r.y; ty < r.w; ++ty)
        for (int tx = r.x; tx < r.z; ++tx, ++slot) {
            keys[slot] = kern::tile_depth_key(uint32_t(ty * grid.tiles_x + tx), depth);
            values[slot] = uint32_t(i);
        }
}

__global__ void tile_ranges_kernel(size_t m, const uint64_t* keys, uint32_t* ranges) {
    const size_t e = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (e >= m) return;
    const uint32_t tile = kern::key_tile(keys[e]);
    if (e == 0 || kern::key_tile(keys[e - 1]) != tile) ranges[2 * tile] = uint32_t(e);
    if (e + 1 == m || kern::key_tile(keys[e + 1]) != tile) ranges[2 * tile + 1] = uint32_t(e + 1);
}

__global__ void __launch_bounds__(kTileThreads)
    rasterize_forward_kernel(TileGrid grid, const uint32_t* ids, SplatBuffers s, float3 bg, float* rgb, float* alpha,
                             float* depth) {
    __shared__ float2 s_mean[kTileThreads];
    __shared__ float4 s_conic[kTileThreads];
    __shared__ float4 s_color[kTileThreads];
    const int tile = blockIdx.y * grid.tiles_x + blockIdx.x;
    const int tid = threadIdx.x;
    const int px = blockIdx.x * kern::kTileSize + tid % kern::kTileSize;
    const int py = blockIdx.y * kern::kTileSize + tid / kern::kTileSize;
    const bool inside = px < grid.width && py < grid.height;
    const float cx = float(px) + 0.5f, cy = float(py) + 0.5f;
    const uint32_t start = s.tile_ranges[2 * tile], end = s.tile_ranges[2 * tile + 1];
    const float2* mean2d = reinterpret_cast<const float2*>(s.mean2d);
    const float4* conic_opacity = reinterpret_cast<const float4*>(s.conic_opacity);
    const float4* rgb_depth = reinterpret_cast<const float4*>(s.rgb_depth);

    float T = 1.0f, c0 = 0.0f, c1 = 0.0f, c2 = 0.0f, d = 0.0f;
    uint32_t last = 0;
    bool done = !inside;
    for (uint32_t base = start; base < end; base += kTileThreads) {
        // Also the barrier after which the previous batch may be overwritten.
        if (__syncthreads_count(done) == kTileThreads) break;
        if (base + tid < end) {
            const uint32_t g = ids[base + tid];
            s_mean[tid] = mean2d[g];
            s_conic[tid] = conic_opacity[g];
            s_color[tid] = rgb_depth[g];
        }
        __syncthreads();
        const int count = int(min(uint32_t(kTileThreads), end - base));
        for (int j = 0; !done && j < count; ++j) {
            const float2 m = s_mean[j];
            const float4 co = s_conic[j];
            const float a = kern::splat_alpha(co.w, kern::Vec3<float>{co.x, co.y, co.z}, m.x - cx, m.y - cy);
            if (a == 0.0f) continue; // skipped: power > 0 or alpha < 1/255
            const float next = T * (1.0f - a);
            if (next < kern::kTransmittanceMin) {
                done = true;
                break;
            }
            const float4 col = s_color[j];
            const float w = a * T;
            c0 += col.x * w;
            c1 += col.y * w;
            c2 += col.z * w;
            d += col.w * w;
            T = next;
            last = base - start + uint32_t(j) + 1;
        }
    }
    if (!inside) return;
    const size_t pix = size_t(py) * grid.width + px;
    s.final_T[pix] = T;
    s.n_contrib[pix] = last;
    rgb[3 * pix] = c0 + T * bg.x;
    rgb[3 * pix + 1] = c1 + T * bg.y;
    rgb[3 * pix + 2] = c2 + T * bg.z;
    if (alpha) alpha[pix] = 1.0f - T;
    if (depth) depth[pix] = d;
}

__global__ void radii_to_float_kernel(size_t n, const int32_t* radii, float* out) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) out[i] = float(radii[i]);
}

__global__ void count_visible_kernel(size_t n, const int32_t* radii, unsigned long long* count) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    const bool visible = i < n && radii[i] > 0;
    const unsigned ballot = __ballot_sync(0xffffffffu, visible);
    if ((threadIdx.x & 31) == 0 && ballot) atomicAdd(count, (unsigned long long)__popc(ballot));
}

} // namespace

void launch_preprocess(const GaussianInputs& in, const kern::RasterCamera<float>& camera,
                       const kern::RasterSettings& settings, SplatBuffers& out) {
    if (in.count == 0) return;
    preprocess_kernel<<<blocks_for(in.count, 256), 256>>>(in, camera, settings, out);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("preprocess_kernel");
}

void launch_emit_keys(size_t n, const TileGrid& grid, const SplatBuffers& s, uint64_t* keys, uint32_t* values) {
    if (n == 0) return;
    emit_keys_kernel<<<blocks_for(n, 256), 256>>>(n, grid, s, keys, values);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("emit_keys_kernel");
}

void launch_tile_ranges(size_t m, const uint64_t* sorted_keys, uint32_t* tile_ranges) {
    if (m == 0) return;
    tile_ranges_kernel<<<blocks_for(m, 256), 256>>>(m, sorted_keys, tile_ranges);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("tile_ranges_kernel");
}

void launch_rasterize_forward(const TileGrid& grid, const uint32_t* sorted_ids, const SplatBuffers& s,
                              const float background[3], float* rgb, float* alpha, float* depth) {
    if (grid.tiles() == 0) return;
    const dim3 blocks(unsigned(grid.tiles_x), unsigned(grid.tiles_y));
    rasterize_forward_kernel<<<blocks, kTileThreads>>>(
        grid, sorted_ids, s, make_float3(background[0], background[1], background[2]), rgb, alpha, depth);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("rasterize_forward_kernel");
}

void launch_radii_to_float(size_t n, const int32_t* radii, float* out) {
    if (n == 0) return;
    radii_to_float_kernel<<<blocks_for(n, 256), 256>>>(n, radii, out);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("radii_to_float_kernel");
}

void launch_count_visible(size_t n, const int32_t* radii, unsigned long long* count) {
    if (n == 0) return;
    count_visible_kernel<<<blocks_for(n, 256), 256>>>(n, radii, count);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("count_visible_kernel");
}

} // namespace splatscape::cuda
