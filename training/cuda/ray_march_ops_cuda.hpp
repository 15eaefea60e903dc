#pragma once
// The ray-marching family (training/ops/ray_march_ops.hpp) on the GPU: one thread per ray for ray
// generation, marching, accumulation and the composite + loss, one per cell or sample for the
// occupancy grid and the appearance embeddings, all over training/kernels/nerf_march.hpp. Marching
// and accumulation write each ray's samples into k slots, then pack them with a prefix sum; they
// wait for the device to size their outputs. Loss sums and the occupancy grid's mean are added on
// the host in the CPU op's order. The embedding backward adds with atomics (its last bits vary from
// run to run). No CUDA types in this header.
#include "training/ops/ray_march_ops.hpp"

namespace splatscape {

class Backend;

class RayMarchOpsCuda final : public RayMarchOps {
public:
    explicit RayMarchOpsCuda(Backend& backend);

    void training_rays(const kern::NerfSpace& space, const NerfImages& images, uint64_t seed, uint64_t step,
                       bool random_background, const float background[3], NerfRays& rays) override;
    void camera_rays(const kern::NerfSpace& space, const float* camera, size_t first, int image,
                     NerfRays& rays) override;
    size_t march(const kern::NerfSpace& space, const Tensor& bits, NerfRays& rays, const Tensor& active,
                 int max_per_ray, NerfSamples& samples, Tensor& ray_offsets) override;
    size_t accumulate(const kern::NerfSpace& space, const NerfRays& rays, const Tensor& active,
                      const NerfSamples& samples, const Tensor& ray_offsets, const Tensor& raw, int raw_col,
                      const Tensor* rgb, const Tensor* expert, float stop_T, Tensor& state, Tensor* expert_weights,
                      Tensor& used, Tensor& next_active) override;
    NerfLossSums composite_loss(const NerfSamples& samples, const Tensor& ray_offsets, const NerfRays& rays,
                                const Tensor& raw, int raw_col, const Tensor& rgb, kern::NerfLoss loss, float delta,
                                float grad_scale, Tensor& d_raw, Tensor& d_rgb) override;
    void occupancy_mark_unseen(const kern::NerfSpace& space, const NerfImages& images, Tensor& values) override;
    void occupancy_samples(const kern::NerfSpace& space, const Tensor& values, uint64_t seed, uint64_t step,
                           bool every_cell, size_t uniform, size_t occupied, float threshold, Tensor& positions,
                           Tensor& cells) override;
    double occupancy_update(const kern::NerfSpace& space, const Tensor& cells, const Tensor& raw, int raw_col,
                            float decay, float threshold, Tensor& values, Tensor& bits) override;
    void embedding_forward(const Tensor& table, const NerfRays& rays, const NerfSamples& samples, Tensor& dst,
                           int col) override;
    void embedding_backward(const NerfRays& rays, const NerfSamples& samples, const Tensor& d_src, int col,
                            Tensor& d_table) override;

private:
    Backend& m_backend;
    int m_device = 0; // the CUDA device of the backend
};

} // namespace splatscape
