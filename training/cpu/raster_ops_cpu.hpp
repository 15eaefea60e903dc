#pragma once
// The raster family on the CPU: training/cpu/rasterizer_cpu.hpp's launchers on host tensors.
#include "training/cpu/rasterizer_cpu.hpp"
#include "training/ops/raster_ops.hpp"

namespace splatscape {

class CpuBackend;

// The forward's workspace; the densification family reads its radii and visibility.
class CpuRasterContext final : public RasterContext {
public:
    size_t visible() const override { return size_t(ws.visible_count()); }
    size_t entries() const override { return ws.entries(); }
    cpu::RasterWorkspace<float> ws;
};

class RasterOpsCpu final : public RasterOps {
public:
    std::unique_ptr<RasterContext> create_context() override;
    void forward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx, RenderTensors& out) override;
    void backward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx, const RenderTensors& d_out,
                  RasterGradTensors& grads) override;
    void radii(const RasterContext& ctx, Tensor& radii) override;
};

} // namespace splatscape
