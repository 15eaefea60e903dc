#pragma once
// The 4D slicing family (gs4d, training/models/gs4d.hpp): the slice of 4D Gaussians at a time
// (training/kernels/slice4d.hpp, sh4d.hpp) with its backward, and 4D adaptive density control
// (training/kernels/densify4d.hpp). CPU: training/cpu/slice4d_cpu.*; CUDA: training/cuda/slice4d_cuda.cu.
#include <cstddef>
#include <cstdint>

#include "training/kernels/densify.hpp"
#include "training/ops/densify_ops.hpp"
#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

// 4D Gaussians as the slice op reads them. Rows are Gaussians. Non-owning.
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

class Slice4dOps : public OpFamily {
public:
    static constexpr const char* kName = "4D slicing";

    // The slice at s.time: (re)allocates `out` to the M Gaussians whose marginal weight reaches
    // s.min_weight.
    virtual void forward(const Gaussian4dTensors& in, const Slice4dSettings& s, Slice4dTensors& out) = 0;
    // Adds `scale` times the parameter gradients of the slice `fwd` (made from `in` with `s`) to
    // `grads`; writes |dL/dmu_t| per slice row to d.time_grad when it is given.
    virtual void backward(const Gaussian4dTensors& in, const Slice4dSettings& s, const Slice4dTensors& fwd,
                          const Slice4dGradTensors& d, float scale, Gaussian4dGradTensors& grads) = 0;
    // Densification statistics of one view of a slice ([M, 1] each, rows the slice's): where the
    // row's radius > 0, grad_accum[r] += view_grad_norm, time_grad_accum[r] += time_grad,
    // denom[r] += 1, max_radii[r] = max(max_radii[r], radius) ([N, 1] each).
    virtual void view_stats(const Tensor& rows, const Tensor& radii, const Tensor& view_grad_norm,
                            const Tensor& time_grad, Tensor& grad_accum, Tensor& time_grad_accum, Tensor& denom,
                            Tensor& max_radii) = 0;
    // Rows to clone and to split (kern::gs4d_grow_action): mean spatial or temporal gradient at
    // its threshold; split when the largest spatial scale exceeds the dense scale.
    virtual AdcCounts grow(const Tensor& grad_accum, const Tensor& time_grad_accum, const Tensor& denom,
                           const Tensor& log_scales, const Gs4dDensifyThresholds& t, Tensor& clone_rows,
                           Tensor& split_rows) = 0;
    // Rows to keep ([M, 1] int32, ascending): not pruned by kern::adc_prune, reaching t.min_weight
    // somewhere in [t.time_min, t.time_max], and not listed in `drop`.
    virtual Tensor keep(const Gaussian4dTensors& in, const Tensor& max_radii, const Gs4dDensifyThresholds& t,
                        const Tensor& drop) = 0;
    // Split children in space-time (kern::split_child_4d): output row c * M + i is child c of
    // rows[i], mean [2M, 4] and log-scales [2M, 4], draw number rows[i] * 2 + c.
    virtual void split_children(const Gaussian4dTensors& in, const Tensor& rows, float divisor, uint64_t seed,
                                uint64_t stream, Tensor& child_means, Tensor& child_log_scales) = 0;
};

} // namespace splatscape
