#pragma once
// The tile rasterizer of docs/rasterizer.md on the CPU: threaded loops over the per-element
// functions of training/kernels/. Forward and backward are deterministic and independent of the
// thread count: every gradient is reduced in a fixed order (per tile, then per Gaussian over its
// tiles in row-major tile order). Instantiated for float (training) and double (gradient tests).
#include <cstddef>
#include <cstdint>
#include <vector>

#include "training/kernels/composite.hpp"
#include "training/kernels/preprocess.hpp"

namespace splatscape::cpu {

template <class T>
struct RasterInputs {
    size_t count = 0;
    const T* means = nullptr;       // [N, 3] world
    const T* log_scales = nullptr;  // [N, 3]
    const T* rotations = nullptr;   // [N, 4] w x y z, unnormalised
    const T* covariances = nullptr; // [N, 6] xx xy xz yy yz zz; replaces log_scales and rotations
    const T* opacities = nullptr;   // [N] logits
    const T* sh = nullptr;          // [N, sh_stride, 3]
    int sh_stride = 1;              // coefficients stored per Gaussian, >= (sh_degree + 1)^2
    int sh_degree = 0;              // active degree
    const T* colors = nullptr;      // [N, 3]; replaces sh
    const T* filter_3d = nullptr;   // [N] variance of the 3D smoothing filter (docs/rasterizer.md), or null
};

// Gradients with the shapes of RasterInputs; null pointers are not written. Every row is written
// (zero for Gaussians that were culled); SH coefficients beyond the active degree are zeroed.
template <class T>
struct RasterGrads {
    T* means = nullptr;
    T* log_scales = nullptr;
    T* rotations = nullptr;
    T* covariances = nullptr;
    T* opacities = nullptr;
    T* sh = nullptr;
    T* colors = nullptr;
    // [N] || dL/dmean2d in normalised device units || for this frame (the densification statistic).
    float* view_grad_norm = nullptr;
};

template <class T>
struct RasterImages {
    T* rgb = nullptr;   // [H, W, 3]
    T* alpha = nullptr; // [H, W] or null
    T* depth = nullptr; // [H, W] or null; alpha-weighted depth
};

// Everything the forward leaves for the backward, reused across frames so that buffers are not
// reallocated every iteration.
template <class T>
struct RasterWorkspace {
    struct Splat { // one sorted (tile, Gaussian) entry, gathered for cache-friendly tile loops
        T mean2d[2];
        T conic[3];
        T alpha_base;
        T rgb[3];
        T depth;
        T half_extent[2]; // pixels: half-size of the box outside which alpha < 1/255
        uint32_t gaussian;
        uint32_t slot; // index of this entry in the Gaussian's own run (offsets[g] + rect slot)
    };
    int width = 0, height = 0, tiles_x = 0, tiles_y = 0;
    std::vector<kern::Preprocessed<T>> pre;      // [N]
    std::vector<uint8_t> visible;                // [N]
    std::vector<T> half_extent;                  // [N, 2]
    std::vector<uint64_t> offsets;               // [N + 1] prefix sum of tiles touched
    std::vector<uint64_t> tile_ranges;           // [tiles + 1]
    std::vector<uint64_t> order;                 // [M] per tile: (depth bits << 32) | gaussian
    std::vector<Splat> splats;                   // [M] in sorted order
    std::vector<T> final_T;                      // [H * W]
    std::vector<uint32_t> n_contrib;             // [H * W] entries visited (past the last composited)
    std::vector<kern::SplatGrad<T>> entry_grads; // [M] indexed by slot
    T background[3] = {T(0), T(0), T(0)};

    size_t entries() const { return splats.size(); }
    int visible_count() const;
};

template <class T>
void rasterize_forward(const RasterInputs<T>& in, const kern::RasterCamera<T>& camera,
                       const kern::RasterSettings& settings, const T background[3], RasterWorkspace<T>& ws,
                       RasterImages<T>& out);

// d_rgb [H, W, 3]; d_alpha, d_depth [H, W] or null.
template <class T>
void rasterize_backward(const RasterInputs<T>& in, const kern::RasterCamera<T>& camera,
                        const kern::RasterSettings& settings, RasterWorkspace<T>& ws, const T* d_rgb, const T* d_alpha,
                        const T* d_depth, RasterGrads<T>& grads);

// Radius in pixels of every Gaussian in the last forward (0 when culled). [N]
template <class T>
void raster_radii(const RasterWorkspace<T>& ws, float* radii);

} // namespace splatscape::cpu
