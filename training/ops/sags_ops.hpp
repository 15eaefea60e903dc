#pragma once
// The sags family: what structure-aware Gaussian splatting adds between the shared neural blocks
// (hash encoding, MLPs, neighbour aggregation: encoding_ops.hpp, mlp_ops.hpp, neighbour_ops.hpp)
// and the rasterizer. The per-point math is training/kernels/sags.hpp; a view's visible points are
// listed once (`visible_points`) and every op below works on that list: row m of a compact tensor
// ([M, ...]) belongs to point rows[m] of the per-point tensors ([N, ...]).
#include <cstddef>

#include "training/kernels/projection.hpp"
#include "training/kernels/sags.hpp"
#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

// The rasterizer's inputs of a view's decoded Gaussians ([M, ...] each), or their gradients.
struct SagsGaussianTensors {
    Tensor* means = nullptr;      // [M, 3]
    Tensor* log_scales = nullptr; // [M, 3]
    Tensor* rotations = nullptr;  // [M, 4] w x y z, unnormalised
    Tensor* opacities = nullptr;  // [M, 1] logits
    Tensor* colors = nullptr;     // [M, 3]
};

class SagsOps : public OpFamily {
public:
    static constexpr const char* kName = "sags";

    // int32 [M, 1]: the rows of points [N, 3] that kern::sags_in_view keeps, ascending.
    virtual Tensor visible_points(const Tensor& points, const kern::RasterCamera<float>& camera, float margin,
                                  float near_z) = 0;

    // x [M, E + 4] (E = hw + 2 fd): kern::sags_assemble_row of point rows[m] with hash [N, hw],
    // local [N, fd], global [1, fd], affine [E, 2], points [N, 3] and the camera centre.
    virtual void assemble(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                          const Tensor& points, const Tensor& rows, const kern::Vec3<float>& centre, Tensor& x) = 0;
    // Given d_x [M, >= E] (the view columns have no gradient): adds to d_hash [N, hw] and
    // d_local [N, fd] at the listed rows, and to d_global [1, fd] and d_affine [E, 2].
    virtual void assemble_backward(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                                   const Tensor& rows, const Tensor& d_x, Tensor& d_hash, Tensor& d_local,
                                   Tensor& d_global, Tensor& d_affine) = 0;

    // The Gaussians of decoded [M, kSagsDecodedCols] (kern::sags_compose) with points [N, 3],
    // log-scales [N, 6] and, when given, frame quaternions [N, 4] at the listed rows. `out` tensors
    // are [M, ...]. revive: kern::sags_compose's floor (0: none).
    virtual void compose(const Tensor& decoded, const Tensor& points, const Tensor& scales, const Tensor* frames,
                         const Tensor& rows, float cutoff, float revive, const SagsGaussianTensors& out) = 0;
    // Writes d_decoded [M, kSagsDecodedCols] and adds to d_scales [N, 6] at the listed rows.
    virtual void compose_backward(const Tensor& decoded, const Tensor& scales, const Tensor* frames, const Tensor& rows,
                                  float cutoff, float revive, const SagsGaussianTensors& grads, Tensor& d_decoded,
                                  Tensor& d_scales) = 0;

    // Densification statistics of one view, for listed rows below grad_accum's row count K (SAGS-Lite's
    // mid-points lie past its key points): grad_accum [K, 1] += view_grad_norm [M, 1], views [K, 1] += 1,
    // opacity_accum [K, 1] += max(alpha, 0), last_means [K, 3] = means [M, 3] (the decoded mean).
    virtual void accumulate_stats(const Tensor& rows, const Tensor& view_grad_norm, const Tensor& decoded,
                                  const Tensor& means, Tensor& grad_accum, Tensor& views, Tensor& opacity_accum,
                                  Tensor& last_means) = 0;

    // local [N, fd] = kern::sags_residual(features [N, fd], local): the aggregated local feature
    // becomes the point's own feature plus the weighted aggregate.
    virtual void add_residual(const Tensor& features, Tensor& local) = 0;
    // Its backward, in place: d_features [N, fd] += d_local; d_local *= kSagsResidualWeight (the
    // gradient of the aggregate).
    virtual void add_residual_backward(Tensor& d_local, Tensor& d_features) = 0;

    // SAGS-Lite: out [N + P, C] = values [N, C], then the mid-point of rows pairs[p] (int32 [P, 2]).
    virtual void expand_midpoints(const Tensor& values, const Tensor& pairs, Tensor& out) = 0;
    // Adds the gradient of values given d_out [N + P, C].
    virtual void expand_midpoints_backward(const Tensor& pairs, const Tensor& d_out, Tensor& d_values) = 0;
};

} // namespace splatscape
