#pragma once
// The ray-marching family of the NeRF models (hmohe): training rays drawn across all images, camera
// rays for renders, marching through the occupancy grid in rounds, compositing with early
// termination, the fused composite + loss + backward of a training batch, the occupancy grid's
// update (instant-ngp's rule) and per-image appearance embeddings. The per-element math is
// training/kernels/nerf_march.hpp. CPU: training/cpu/ray_march_ops_cpu.*; CUDA:
// training/cuda/ray_march_ops_cuda.*.
#include <cstddef>
#include <cstdint>

#include "training/kernels/nerf_march.hpp"
#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

// Columns of a camera row: width, height, fx, fy, cx, cy, camera-to-world rotation (9, row-major,
// OpenCV axes), centre (3), then padding. Pinhole: datasets are undistorted when loaded.
constexpr int kNerfCameraCols = 20;

// Training images on the device.
struct NerfImages {
    Tensor pixels;  // [P, 1] int32: premultiplied RGBA, 8 bits each (r in the low byte)
    Tensor offsets; // [I + 1, 1] int32: first pixel of each image, then P
    Tensor cameras; // [I, kNerfCameraCols]
    size_t images() const { return cameras.rows(); }
};

// One row per ray.
struct NerfRays {
    Tensor origin;     // [R, 3] unit-cube coordinates
    Tensor direction;  // [R, 3] unit length
    Tensor range;      // [R, 2] where the next sample is looked for, and where the ray leaves the grid
    Tensor target;     // [R, 3] training: the pixel composited over `background`
    Tensor background; // [R, 3]
    Tensor image;      // [R, 1] int32: the image (appearance embedding) of the ray
    size_t size() const { return origin.rows(); }
};

// Samples of a march, grouped by ray in the order of the active list, each ray's in order along it.
struct NerfSamples {
    Tensor position;  // [S, 3] network coordinates ([0, 1]^3)
    Tensor direction; // [S, 3] the ray's direction
    Tensor step;      // [S, 2] t and dt (unit-cube units)
    Tensor ray;       // [S, 1] int32: the ray (row of NerfRays)
    size_t size() const { return position.rows(); }
};

// State of rays being rendered: [R, kNerfStateCols] optical depth (transmittance exp(-it); rays
// start at zeros), r, g, b (accumulated), t-weighted depth (unit-cube units), samples taken so far.
constexpr int kNerfStateCols = 6;

struct NerfLossSums {
    double loss = 0.0; // sum over rays and channels
    double abs_error = 0.0;
    size_t rays = 0;
};

class RayMarchOps : public OpFamily {
public:
    static constexpr const char* kName = "ray march";

    // Rays through uniformly drawn pixels of all training images (counter-based: a function of
    // seed and step). With random_background, each ray's background is a random colour; otherwise
    // `background`. range starts at a random fraction of the smallest step past the grid's entry.
    // `rays` holds R rows of every tensor (made by the caller).
    virtual void training_rays(const kern::NerfSpace& space, const NerfImages& images, uint64_t seed, uint64_t step,
                               bool random_background, const float background[3], NerfRays& rays) = 0;
    // Rays through the centres of pixels [first, first + R) of a camera row (kNerfCameraCols host
    // floats), in row-major pixel order; image = `image` for every ray.
    virtual void camera_rays(const kern::NerfSpace& space, const float* camera, size_t first, int image,
                             NerfRays& rays) = 0;

    // Marches the rays listed in `active` ([A, 1] int32) at most max_per_ray samples each from their
    // range, and advances range. Allocates `samples` and ray_offsets ([A + 1, 1] int32: where each
    // active ray's samples begin); returns the sample count.
    virtual size_t march(const kern::NerfSpace& space, const Tensor& bits, NerfRays& rays, const Tensor& active,
                         int max_per_ray, NerfSamples& samples, Tensor& ray_offsets) = 0;

    // Composites one round of samples (from march) onto the rays' state: density from raw[:, raw_col]
    // (kern::nerf_density), colours from rgb ([S, 3], may be null: transmittance only), and, when
    // `expert` ([S, 1] int32) is given, each sample's weight onto expert_weights[ray, expert]
    // ([R, E]). used [S, 1] int32 (allocated). Writes the rays still to march (transmittance above stop_T, not at the
    // grid's end, under max_samples) into next_active ([A, 1], allocated) and returns how many there are. `used` then
    // names a ray's row for each sample before its transmittance fell below stop_T, -1 for the
    // others (the keys ExpertOps::group compacts training samples by).
    virtual size_t accumulate(const kern::NerfSpace& space, const NerfRays& rays, const Tensor& active,
                              const NerfSamples& samples, const Tensor& ray_offsets, const Tensor& raw, int raw_col,
                              const Tensor* rgb, const Tensor* expert, float stop_T, Tensor& state,
                              Tensor* expert_weights, Tensor& used, Tensor& next_active) = 0;

    // Training: samples grouped by ray (ray_offsets [R + 1, 1] int32 over the rays' rows), density
    // from raw[:, raw_col] and colours rgb [S, 3]. Composites every ray over its background, takes
    // the loss against its target, and writes grad_scale * d(loss sum) into d_raw[:, raw_col]
    // (through the density's activation) and d_rgb [S, 3].
    virtual NerfLossSums composite_loss(const NerfSamples& samples, const Tensor& ray_offsets, const NerfRays& rays,
                                        const Tensor& raw, int raw_col, const Tensor& rgb, kern::NerfLoss loss,
                                        float delta, float grad_scale, Tensor& d_raw, Tensor& d_rgb) = 0;

    // Occupancy grid: values [cells, 1] (optical thickness; < 0: a cell no training camera sees) and
    // bits [ceil(cells / 32), 1] int32.
    // Cells no training camera sees (no corner inside an image) become -1.
    virtual void occupancy_mark_unseen(const kern::NerfSpace& space, const NerfImages& images, Tensor& values) = 0;
    // Positions to evaluate: `uniform` cells drawn uniformly, then `occupied` cells drawn among those
    // above `threshold` (a few tries each), each at a random point of the cell. positions [M, 3]
    // (network coordinates) and cells [M, 1] int32, M = uniform + occupied, allocated here. With
    // every_cell, every cell once (M = cells) instead.
    virtual void occupancy_samples(const kern::NerfSpace& space, const Tensor& values, uint64_t seed, uint64_t step,
                                   bool every_cell, size_t uniform, size_t occupied, float threshold, Tensor& positions,
                                   Tensor& cells) = 0;
    // values = max(values * decay, thickness of the densest sample in the cell) where not negative;
    // then bits = values > min(threshold, mean of the non-negative values). Returns the fraction of
    // occupied cells.
    virtual double occupancy_update(const kern::NerfSpace& space, const Tensor& cells, const Tensor& raw, int raw_col,
                                    float decay, float threshold, Tensor& values, Tensor& bits) = 0;

    // Appearance embeddings: dst[s, col + j] = table[image of samples.ray[s], j] (zero for rays of
    // image -1), and the backward adds d_src[s, col + j] into d_table.
    virtual void embedding_forward(const Tensor& table, const NerfRays& rays, const NerfSamples& samples, Tensor& dst,
                                   int col) = 0;
    virtual void embedding_backward(const NerfRays& rays, const NerfSamples& samples, const Tensor& d_src, int col,
                                    Tensor& d_table) = 0;
};

} // namespace splatscape
