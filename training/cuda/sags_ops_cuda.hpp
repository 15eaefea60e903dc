#pragma once
// The sags family (training/ops/sags_ops.hpp) on the GPU, over training/kernels/sags.hpp. The sums
// over a view's rows (the global feature's and the affine's gradients) and SAGS-Lite's mid-point
// gradients use atomic adds. No CUDA types here.
#include "training/ops/sags_ops.hpp"

namespace splatscape {

class Backend;

class SagsOpsCuda final : public SagsOps {
public:
    explicit SagsOpsCuda(Backend& backend) : m_backend(backend) {}

    Tensor visible_points(const Tensor& points, const kern::RasterCamera<float>& camera, float margin,
                          float near_z) override;
    void assemble(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                  const Tensor& points, const Tensor& rows, const kern::Vec3<float>& centre, Tensor& x) override;
    void assemble_backward(const Tensor& hash, const Tensor& local, const Tensor& global, const Tensor& affine,
                           const Tensor& rows, const Tensor& d_x, Tensor& d_hash, Tensor& d_local, Tensor& d_global,
                           Tensor& d_affine) override;
    void compose(const Tensor& decoded, const Tensor& points, const Tensor& scales, const Tensor* frames,
                 const Tensor& rows, float cutoff, float revive, const SagsGaussianTensors& out) override;
    void compose_backward(const Tensor& decoded, const Tensor& scales, const Tensor* frames, const Tensor& rows,
                          float cutoff, float revive, const SagsGaussianTensors& grads, Tensor& d_decoded,
                          Tensor& d_scales) override;
    void accumulate_stats(const Tensor& rows, const Tensor& view_grad_norm, const Tensor& decoded, const Tensor& means,
                          Tensor& grad_accum, Tensor& views, Tensor& opacity_accum, Tensor& last_means) override;
    void add_residual(const Tensor& features, Tensor& local) override;
    void add_residual_backward(Tensor& d_local, Tensor& d_features) override;
    void expand_midpoints(const Tensor& values, const Tensor& pairs, Tensor& out) override;
    void expand_midpoints_backward(const Tensor& pairs, const Tensor& d_out, Tensor& d_values) override;

private:
    Backend& m_backend;
};

} // namespace splatscape
