#pragma once
// The raster family on CUDA: training/cuda/rasterize_cuda.hpp's launchers (CUB-sorted tile
// rasterizer, deterministic per-Gaussian backward) with their buffers. Internal to training/cuda.
#include <memory>

#include "training/cuda/device_memory_cuda.hpp"
#include "training/cuda/rasterize_cuda.hpp"
#include "training/ops/raster_ops.hpp"

namespace splatscape {

class CudaBackend;

// The forward's buffers; the densification family reads its radii.
class CudaRasterContext final : public RasterContext {
public:
    CudaRasterContext() : host(64) {}

    size_t visible() const override;
    size_t entries() const override { return m; }

    cuda::SplatBuffers buffers() const {
        cuda::SplatBuffers s;
        s.radii = radii.as<int32_t>();
        s.mean2d = mean2d.as<float>();
        s.conic_opacity = conic_opacity.as<float>();
        s.rgb_depth = rgb_depth.as<float>();
        s.rects = rects.as<int32_t>();
        s.tiles = tiles.as<uint64_t>();
        s.offsets = offsets.as<uint64_t>();
        s.tile_ranges = tile_ranges.as<uint32_t>();
        s.final_T = final_T.as<float>();
        s.n_contrib = n_contrib.as<uint32_t>();
        return s;
    }
    const uint32_t* sorted_ids() const { return values[sorted].as<uint32_t>(); }

    cuda::TileGrid grid;
    size_t n = 0; // Gaussians of the last forward
    size_t m = 0; // entries of the last forward
    bool has_forward = false;
    cuda::DeviceBuffer radii, mean2d, conic_opacity, rgb_depth, rects, tiles, offsets;
    cuda::DeviceBuffer keys[2], values[2];
    int sorted = 0;
    cuda::DeviceBuffer scan_temp, sort_temp;
    cuda::DeviceBuffer tile_ranges, final_T, n_contrib, entry_grads, grad_scratch;
    cuda::PinnedBuffer host;
    mutable cuda::DeviceBuffer count;
};

class RasterOpsCuda final : public RasterOps {
public:
    explicit RasterOpsCuda(CudaBackend& backend) : m_backend(backend) {}

    std::unique_ptr<RasterContext> create_context() override;
    void forward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx, RenderTensors& out) override;
    void backward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx, const RenderTensors& d_out,
                  RasterGradTensors& grads) override;
    void radii(const RasterContext& ctx, Tensor& radii) override;

private:
    CudaBackend& m_backend;
};

} // namespace splatscape
