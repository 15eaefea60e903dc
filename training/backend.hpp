#pragma once
// The backend interface: everything training does to device memory. A backend owns the memory of
// the Tensors it creates and implements each op with the per-element functions of
// training/kernels/ ("one math, two launchers"). Models, the optimizer and densification are
// written once against this interface; the CPU backend (training/cpu/) is the reference and the
// CUDA backend implements the same calls with all state on the GPU. The host sees only what it asks
// for: loss values, counts, and downloads of tensors (snapshots, checkpoints).
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "training/kernels/adam.hpp"
#include "training/kernels/densify.hpp"
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

struct LossValue {
    double loss = 0.0;
    double l1 = 0.0;
    double ssim = 0.0;
};

struct AdcCounts {
    size_t clone = 0;
    size_t split = 0;
};

// 4D Gaussians (the gs4d model, training/models/gs4d.hpp) as the slice op reads them. Rows are
// Gaussians. Non-owning.
struct Gaussian4dTensors {
    const Tensor* means = nullptr;      // [N, 4] x y z t
    const Tensor* log_scales = nullptr; // [N, 4] x y z t
    const Tensor* rot_l = nullptr;      // [N, 4] left quaternion w x y z
    const Tensor* rot_r = nullptr;      // [N, 4] right quaternion w x y z
    const Tensor* opacities = nullptr;  // [N, 1] logits
    const Tensor* sh = nullptr;         // [N, J * 3], J = K * (temporal degree + 1) (training/kernels/sh4d.hpp)
    int sh_coeffs = 1;                  // K, spatial coefficients stored per temporal frequency
    size_t count() const { return means ? means->rows() : 0; }
};

// One slice of 4D Gaussians (training/kernels/slice4d.hpp).
struct Slice4dSettings {
    float time = 0.0f;
    float time_period = 1.0f; // T of the colour's cosine series
    int sh_degree = 0;        // active spatial degree: (sh_degree + 1)^2 coefficients are written
    int sh_degree_t = 0;      // active temporal degree
    float min_weight = 0.05f; // Gaussians whose marginal weight in t is below this are left out
};

// A slice: 3D Gaussians with precomputed covariances and SH, one row per 4D Gaussian kept.
struct Slice4dTensors {
    Tensor rows;        // [M, 1] int32: the 4D Gaussian of each row, ascending
    Tensor means;       // [M, 3]
    Tensor covariances; // [M, 6] xx xy xz yy yz zz
    Tensor opacities;   // [M, 1] logit(sigmoid(o) * weight)
    Tensor sh;          // [M, (sh_degree + 1)^2 * 3], coefficient-major
    size_t count() const { return rows.rows(); }
};

// Gradients of the loss with respect to a slice's outputs (shapes of Slice4dTensors), and where
// the backward writes |dL/dmu_t| per row ([M, 1], may be null; unscaled).
struct Slice4dGradTensors {
    const Tensor* means = nullptr;
    const Tensor* covariances = nullptr;
    const Tensor* opacities = nullptr;
    const Tensor* sh = nullptr;
    Tensor* time_grad = nullptr;
};

// Parameter gradients of 4D Gaussians, shapes of Gaussian4dTensors (null: not needed).
struct Gaussian4dGradTensors {
    Tensor* means = nullptr;
    Tensor* log_scales = nullptr;
    Tensor* rot_l = nullptr;
    Tensor* rot_r = nullptr;
    Tensor* opacities = nullptr;
    Tensor* sh = nullptr;
};

// Densification thresholds of gs4d: 3DGS's, a temporal-gradient threshold and the time range over
// which a Gaussian must reach min_weight to be kept.
struct Gs4dDensifyThresholds {
    kern::AdcThresholds adc;
    float time_grad_threshold = 0.0f;
    float time_min = 0.0f, time_max = 1.0f;
    float min_weight = 0.05f;
};

class Backend {
public:
    virtual ~Backend() = default;
    virtual Device device() const = 0;
    virtual std::string description() const = 0;

    // The op family F (training/ops/op_family.hpp) of this backend. Throws Error naming the family,
    // the backend and `user` (the model that needs it) when the backend does not implement it.
    template <class F>
    F& ops(const std::string& user = "") {
        if (F* f = find_ops<F>()) return *f;
        throw Error(cat("the ", description(), " backend does not implement the ", F::kName, " ops",
                        user.empty() ? std::string() : cat(" that ", user, " needs"),
                        device() == Device::Cpu ? std::string() : std::string("; use --device cpu")));
    }
    template <class F>
    F* find_ops() {
        auto it = m_families.find(F::kName);
        return it == m_families.end() ? nullptr : static_cast<F*>(it->second.get());
    }

    // Memory. Transfers are whole tensors; `host` must hold numel() elements of the tensor's dtype.
    virtual Tensor zeros(size_t rows, int cols, DType dtype = DType::F32) = 0;
    virtual void upload(Tensor& dst, const void* host) = 0;
    virtual void download(const Tensor& src, void* host) = 0;
    std::vector<float> download_f32(const Tensor& src) {
        std::vector<float> host(src.numel());
        download(src, host.data());
        return host;
    }
    virtual void fill(Tensor& t, float value) = 0;
    virtual Tensor clone(const Tensor& src) = 0;

    // Rasterizer (docs/rasterizer.md).
    virtual std::unique_ptr<RasterContext> create_raster_context() = 0;
    virtual void rasterize_forward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx,
                                   RenderTensors& out) = 0;
    // d_out: gradients of the loss with respect to the images of the last forward on ctx.
    virtual void rasterize_backward(const RasterTensors& in, const FrameSpec& frame, RasterContext& ctx,
                                    const RenderTensors& d_out, RasterGradTensors& grads) = 0;
    // [N, 1] pixel radius of each Gaussian in the last forward on ctx (0: culled).
    virtual void raster_radii(const RasterContext& ctx, Tensor& radii) = 0;

    // (1 - ssim_weight) L1 + ssim_weight (1 - SSIM) of rendered against target ([H * W, 3] each);
    // writes dLoss/drendered when d_rendered is not null.
    virtual LossValue image_loss(const Tensor& rendered, const Tensor& target, int width, int height, float ssim_weight,
                                 Tensor* d_rendered) = 0;
    // target = rgb + (1 - alpha) * background from premultiplied RGBA [H * W, 4].
    virtual void compose_over(const Tensor& premultiplied_rgba, const float background[3], Tensor& target) = 0;

    // Adam on every element of `param`; columns [0, split_col) take step `a`, the rest step `b`
    // (one tensor can hold two parameter groups, as the SH DC and rest coefficients do).
    virtual void adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a,
                           int split_col, const kern::AdamStep& b) = 0;

    // Densification statistics of one frame: where the Gaussian was visible (radius > 0),
    // grad_accum += view_grad_norm, denom += 1, max_radii = max(max_radii, radius).
    virtual void accumulate_view_stats(const Tensor& view_grad_norm, const RasterContext& ctx, Tensor& grad_accum,
                                       Tensor& denom, Tensor& max_radii) = 0;
    // Rows to clone and to split ([M, 1] int32 each, ascending), by kern::adc_grow_action on the first
    // three columns of log_scales.
    virtual AdcCounts adc_grow(const Tensor& grad_accum, const Tensor& denom, const Tensor& log_scales,
                               const kern::AdcThresholds& t, Tensor& clone_rows, Tensor& split_rows) = 0;
    // Rows to keep ([M, 1] int32, ascending): those that kern::adc_prune keeps and `drop` (sorted
    // int32 rows, may be empty) does not list.
    virtual Tensor adc_keep(const Tensor& opacity_logits, const Tensor& max_radii, const Tensor& log_scales,
                            const kern::AdcThresholds& t, const Tensor& drop) = 0;
    // For every row r in `rows` and child c in {0, 1}: output row c * M + i holds a child position
    // and log-scale drawn by kern::split_child with draw number (rows[i] * 2 + c).
    virtual void split_children(const Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                const Tensor& rows, float divisor, uint64_t seed, uint64_t stream, Tensor& child_means,
                                Tensor& child_log_scales) = 0;
    // opacity = min(opacity, max_opacity) in probability space, on logits.
    virtual void clamp_opacity(Tensor& opacity_logits, float max_opacity) = 0;

    // Row surgery shared by every per-Gaussian tensor.
    virtual Tensor gather_rows(const Tensor& src, const Tensor& rows) = 0;
    virtual Tensor concat_rows(const Tensor& a, const Tensor& b) = 0;

    // 4D Gaussians (gs4d). Backends that do not implement these throw Error naming the op.
    // The slice at s.time (training/kernels/slice4d.hpp, sh4d.hpp): (re)allocates `out` to the M
    // Gaussians whose marginal weight reaches s.min_weight.
    virtual void slice4d_forward(const Gaussian4dTensors& in, const Slice4dSettings& s, Slice4dTensors& out) {
        (void)in, (void)s, (void)out;
        unsupported("slice4d_forward");
    }
    // Adds `scale` times the parameter gradients of the slice `fwd` (made from `in` with `s`) to
    // `grads`; writes |dL/dmu_t| per slice row to d.time_grad when it is given.
    virtual void slice4d_backward(const Gaussian4dTensors& in, const Slice4dSettings& s, const Slice4dTensors& fwd,
                                  const Slice4dGradTensors& d, float scale, Gaussian4dGradTensors& grads) {
        (void)in, (void)s, (void)fwd, (void)d, (void)scale, (void)grads;
        unsupported("slice4d_backward");
    }
    // Densification statistics of one view of a slice ([M, 1] each, rows the slice's): where the
    // row's radius > 0, grad_accum[r] += view_grad_norm, time_grad_accum[r] += time_grad,
    // denom[r] += 1, max_radii[r] = max(max_radii[r], radius) ([N, 1] each).
    virtual void gs4d_view_stats(const Tensor& rows, const Tensor& radii, const Tensor& view_grad_norm,
                                 const Tensor& time_grad, Tensor& grad_accum, Tensor& time_grad_accum, Tensor& denom,
                                 Tensor& max_radii) {
        (void)rows, (void)radii, (void)view_grad_norm, (void)time_grad, (void)grad_accum, (void)time_grad_accum,
            (void)denom, (void)max_radii;
        unsupported("gs4d_view_stats");
    }
    // Rows to clone and to split (kern::gs4d_grow_action): mean spatial or temporal gradient at
    // its threshold; split when the largest spatial scale exceeds the dense scale.
    virtual AdcCounts gs4d_grow(const Tensor& grad_accum, const Tensor& time_grad_accum, const Tensor& denom,
                                const Tensor& log_scales, const Gs4dDensifyThresholds& t, Tensor& clone_rows,
                                Tensor& split_rows) {
        (void)grad_accum, (void)time_grad_accum, (void)denom, (void)log_scales, (void)t, (void)clone_rows,
            (void)split_rows;
        unsupported("gs4d_grow");
    }
    // Rows to keep ([M, 1] int32, ascending): not pruned by kern::adc_prune, reaching t.min_weight
    // somewhere in [t.time_min, t.time_max], and not listed in `drop`.
    virtual Tensor gs4d_keep(const Gaussian4dTensors& in, const Tensor& max_radii, const Gs4dDensifyThresholds& t,
                             const Tensor& drop) {
        (void)in, (void)max_radii, (void)t, (void)drop;
        unsupported("gs4d_keep");
    }
    // Split children in space-time (kern::split_child_4d): output row c * M + i is child c of
    // rows[i], mean [2M, 4] and log-scales [2M, 4], draw number rows[i] * 2 + c.
    virtual void split_children_4d(const Gaussian4dTensors& in, const Tensor& rows, float divisor, uint64_t seed,
                                   uint64_t stream, Tensor& child_means, Tensor& child_log_scales) {
        (void)in, (void)rows, (void)divisor, (void)seed, (void)stream, (void)child_means, (void)child_log_scales;
        unsupported("split_children_4d");
    }

protected:
    // Called by a backend's constructor for every family it implements.
    template <class F>
    void provide(std::unique_ptr<F> family) {
        m_families[F::kName] = std::move(family);
    }

    [[noreturn]] void unsupported(const char* op) const {
        throw Error(cat("the ", description(), " backend does not implement ", op,
                        " (4D Gaussians); train gs4d with --device cpu"));
    }

private:
    std::map<std::string, std::unique_ptr<OpFamily>> m_families; // by F::kName
};

// "cpu", "auto" (CUDA device 0 when there is one, logged; else the CPU), "cuda[:N]". Throws UsageError for
// devices this build cannot use. `threads` 0: all cores.
std::unique_ptr<Backend> create_backend(const std::string& device, int threads = 0);

} // namespace splatscape
