#pragma once
// Launchers of the tile rasterizer (docs/rasterizer.md) on the GPU. Framework-free: device
// pointers and sizes in, device pointers out; every launch runs on the legacy default stream.
// The host side (training/cuda/cuda_backend.cpp) validates shapes and owns the buffers.
#include <cstddef>
#include <cstdint>

#include "training/kernels/projection.hpp"

namespace splatscape::cuda {

// One frame's Gaussians as the rasterizer reads them (docs/rasterizer.md, "Inputs"). Either
// log_scales and rotations or covariances; either sh or colors.
struct GaussianInputs {
    size_t count = 0;
    const float* means = nullptr;       // [N, 3]
    const float* log_scales = nullptr;  // [N, 3]
    const float* rotations = nullptr;   // [N, 4] w x y z
    const float* covariances = nullptr; // [N, 6] xx xy xz yy yz zz
    const float* opacities = nullptr;   // [N] logits
    const float* sh = nullptr;          // [N, sh_stride, 3]
    int sh_stride = 1;
    int sh_degree = 0;
    const float* colors = nullptr; // [N, 3]
    const float* filter_3d = nullptr; // [N] variance of the 3D smoothing filter, or null
};

// What the forward keeps per Gaussian and per pixel for the backward.
struct SplatBuffers {
    int32_t* radii = nullptr;        // [N] pixels; 0: culled
    float* mean2d = nullptr;         // [N, 2] pixels
    float* conic_opacity = nullptr;  // [N, 4] conic (x, y, z), alpha_base
    float* rgb_depth = nullptr;      // [N, 4] clamped colour, camera depth
    int32_t* rects = nullptr;        // [N, 4] tile rectangle x0 y0 x1 y1 (exclusive ends)
    uint64_t* tiles = nullptr;       // [N] tiles touched
    uint64_t* offsets = nullptr;     // [N] inclusive prefix sum of tiles
    uint32_t* tile_ranges = nullptr; // [tiles, 2] [start, end) into the sorted entries
    float* final_T = nullptr;        // [H * W]
    uint32_t* n_contrib = nullptr;   // [H * W] tile-local index just past the last composited entry
};

struct TileGrid {
    int width = 0, height = 0, tiles_x = 0, tiles_y = 0;
    int tiles() const { return tiles_x * tiles_y; }
};

// Forward steps 1-10 per Gaussian; writes radii, mean2d, conic_opacity, rgb_depth, rects and tiles.
void launch_preprocess(const GaussianInputs& in, const kern::RasterCamera<float>& camera,
                       const kern::RasterSettings& settings, SplatBuffers& out);

// Inclusive prefix sum of n 64-bit values; temp_bytes(n) sizes the scratch.
size_t inclusive_scan_temp_bytes(size_t n);
void inclusive_scan(void* temp, size_t temp_bytes, const uint64_t* in /* [n] */, uint64_t* out /* [n] */, size_t n);

// One (tile << 32 | depth bits) key per touched tile of each Gaussian, at the Gaussian's slots
// [offsets[g] - tiles[g], offsets[g]) in row-major tile order; the value is the Gaussian index.
void launch_emit_keys(size_t n, const TileGrid& grid, const SplatBuffers& s, uint64_t* keys /* [M] */,
                      uint32_t* values /* [M] */);

// Stable radix sort of m pairs on key bits [0, end_bit). The pairs start in keys[0] / values[0];
// returns which of the two buffers holds the sorted result.
size_t sort_pairs_temp_bytes(size_t m, int end_bit);
int sort_pairs(void* temp, size_t temp_bytes, uint64_t* keys[2] /* [M] each */, uint32_t* values[2] /* [M] each */,
               size_t m, int end_bit);

// [start, end) of every tile in the sorted keys; tile_ranges must be zeroed first.
void launch_tile_ranges(size_t m, const uint64_t* sorted_keys /* [M] */, uint32_t* tile_ranges /* [tiles, 2] */);

// Composites every pixel front to back. rgb [H * W, 3]; alpha, depth [H * W] or null.
void launch_rasterize_forward(const TileGrid& grid, const uint32_t* sorted_ids /* [M] */, const SplatBuffers& s,
                              const float background[3], float* rgb, float* alpha, float* depth);

// Per tile, back to front: each entry's screen-space gradient (SplatGrad: mean2d 2, conic 3,
// alpha_base, rgb 3, depth) summed over the tile's pixels, written at the entry's slot of its
// Gaussian in entry_grads [M, 10]. d_rgb [H * W, 3]; d_alpha, d_depth [H * W] or null.
constexpr int kEntryGradFloats = 10;
void launch_rasterize_backward(const TileGrid& grid, const uint32_t* sorted_ids /* [M] */, const SplatBuffers& s,
                               const float background[3], const float* d_rgb, const float* d_alpha,
                               const float* d_depth, float* entry_grads);

// Gradients of the Gaussians' parameters (culled rows are zeroed, SH coefficients beyond the active
// degree are zeroed). The outputs the inputs call for must not be null: means, opacities, and
// log_scales and rotations, or covariances, and sh or colors; the others are not written.
struct GaussianGrads {
    float* means = nullptr;          // [N, 3]
    float* log_scales = nullptr;     // [N, 3]
    float* rotations = nullptr;      // [N, 4]
    float* covariances = nullptr;    // [N, 6]
    float* opacities = nullptr;      // [N]
    float* sh = nullptr;             // [N, sh_stride, 3]
    float* colors = nullptr;         // [N, 3]
    float* view_grad_norm = nullptr; // [N] densification statistic of this frame
};
void launch_gaussian_backward(const GaussianInputs& in, const kern::RasterCamera<float>& camera,
                              const kern::RasterSettings& settings, const SplatBuffers& s,
                              const float* entry_grads /* [M, 10] */, GaussianGrads& out);

// radii as floats (0: culled). [N]
void launch_radii_to_float(size_t n, const int32_t* radii, float* out);
// Number of Gaussians with a radius, into *count (device).
void launch_count_visible(size_t n, const int32_t* radii, unsigned long long* count);

} // namespace splatscape::cuda
