#pragma once
// The Gaussian densification family: the per-row decisions and draws of 3DGS's adaptive density
// control (training/kernels/densify.hpp). The schedule and the row surgery that use them are in
// training/densification.*.
#include <cstddef>
#include <cstdint>

#include "training/kernels/densify.hpp"
#include "training/ops/op_family.hpp"
#include "training/ops/raster_ops.hpp"
#include "training/tensor.hpp"

namespace splatscape {

struct AdcCounts {
    size_t clone = 0;
    size_t split = 0;
};

class DensifyOps : public OpFamily {
public:
    static constexpr const char* kName = "Gaussian densification";

    // Statistics of one frame: where the Gaussian was visible in the last forward on ctx
    // (radius > 0), grad_accum += view_grad_norm, denom += 1, max_radii = max(max_radii, radius).
    virtual void accumulate_view_stats(const Tensor& view_grad_norm, const RasterContext& ctx, Tensor& grad_accum,
                                       Tensor& denom, Tensor& max_radii) = 0;
    // Rows to clone and to split ([M, 1] int32 each, ascending), by kern::adc_grow_action on the first
    // three columns of log_scales.
    virtual AdcCounts grow(const Tensor& grad_accum, const Tensor& denom, const Tensor& log_scales,
                           const kern::AdcThresholds& t, Tensor& clone_rows, Tensor& split_rows) = 0;
    // Rows to keep ([M, 1] int32, ascending): those that kern::adc_prune keeps and `drop` (sorted
    // int32 rows, may be empty) does not list.
    virtual Tensor keep(const Tensor& opacity_logits, const Tensor& max_radii, const Tensor& log_scales,
                        const kern::AdcThresholds& t, const Tensor& drop) = 0;
    // For every row r in `rows` and child c in {0, 1}: output row c * M + i holds a child position
    // and log-scale drawn by kern::split_child with draw number (rows[i] * 2 + c).
    virtual void split_children(const Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                const Tensor& rows, float divisor, uint64_t seed, uint64_t stream, Tensor& child_means,
                                Tensor& child_log_scales) = 0;
    // opacity = min(opacity, max_opacity) in probability space, on logits.
    virtual void clamp_opacity(Tensor& opacity_logits, float max_opacity) = 0;
};

} // namespace splatscape
