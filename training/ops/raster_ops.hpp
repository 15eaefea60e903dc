#pragma once
// The raster family: the tile rasterizer of docs/rasterizer.md, forward and backward. The Gaussian
// families (gs3d, gs4d, sags) render through it; the CPU launchers are training/cpu/rasterizer_cpu.*,
// the CUDA ones training/cuda/rasterize_*_cuda.cu.
#include <cstddef>
#include <memory>

#include "training/kernels/projection.hpp"
#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

// What the rasterizer reads (docs/rasterizer.md, "Inputs"). Rows are Gaussians. Either log_scales
// and rotations or covariances; either sh or colors. Non-owning.
struct RasterTensors {
    const Tensor* means = nullptr;       // [N, 3]
    const Tensor* log_scales = nullptr;  // [N, 3]
    const Tensor* rotations = nullptr;   // [N, 4] w x y z
    const Tensor* covariances = nullptr; // [N, 6] xx xy xz yy yz zz
    const Tensor* opacities = nullptr;   // [N, 1] logits
    const Tensor* sh = nullptr;          // [N, K * 3], coefficient-major
    int sh_degree = 0;                   // active degree, (sh_degree + 1)^2 <= K
    const Tensor* colors = nullptr;      // [N, 3]
    const Tensor* filter_3d = nullptr;   // [N, 1] variance of the 3D smoothing filter, or null (none)
    size_t count() const { return means ? means->rows() : 0; }
};

// Where the rasterizer's backward writes, with the shapes of RasterTensors (null: not needed).
struct RasterGradTensors {
    Tensor* means = nullptr;
    Tensor* log_scales = nullptr;
    Tensor* rotations = nullptr;
    Tensor* covariances = nullptr;
    Tensor* opacities = nullptr;
    Tensor* sh = nullptr;
    Tensor* colors = nullptr;
    Tensor* view_grad_norm = nullptr; // [N, 1] densification statistic of this frame
};

// One frame to render: camera, settings and background colour.
struct FrameSpec {
    kern::RasterCamera<float> camera;
    kern::RasterSettings settings;
    float background[3] = {0.0f, 0.0f, 0.0f};
};

// Rendered images (or their gradients): rgb [H * W, 3]; alpha and depth [H * W, 1] or null.
struct RenderTensors {
    Tensor* rgb = nullptr;
    Tensor* alpha = nullptr;
    Tensor* depth = nullptr;
};

// The forward's saved state, kept for the backward. Opaque outside the backend that made it.
class RasterContext {
public:
    virtual ~RasterContext() = default;
    virtual size_t visible() const = 0; // Gaussians that were not culled in the last forward
    virtual size_t entries() const = 0; // (tile, Gaussian) pairs in the last forward
};

class RasterOps : public OpFamily {
public:
    static constexpr const char* kName = "raster";

    virtual std::unique_ptr<RasterContext> create_context() = 0;
    virtual void forward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx, RenderTensors& out) = 0;
    // d_out: gradients of the loss with respect to the images of the last forward on ctx.
    virtual void backward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx,
                          const RenderTensors& d_out, RasterGradTensors& grads) = 0;
    // [N, 1] pixel radius of each Gaussian in the last forward on ctx (0: culled).
    virtual void radii(const RasterContext& ctx, Tensor& radii) = 0;
};

} // namespace splatscape
