#pragma once
// Rendering and slicing 4D Gaussian clouds on a training backend: evaluation and probes of gs4d
// runs, `splatscape render --time`, and the per-time 3DGS export.
#include <memory>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "core/image.hpp"
#include "training/backend.hpp"
#include "training/ops/slice4d_ops.hpp"
#include "training/render.hpp"

namespace splatscape {

// A 4D cloud uploaded once to a backend and rendered from many cameras at many times.
class Cloud4dRenderer {
public:
    // `min_weight`: Gaussians whose marginal in t is below it are left out (gs4d's min_temporal_weight).
    Cloud4dRenderer(Backend& backend, const GaussianCloud4d& cloud, float min_weight = 0.05f);
    // options.sh_degree < 0: the cloud's spatial degree; the temporal degree is always the cloud's.
    Image render(const Camera& camera, float time, const RenderOptions& options, Image* alpha = nullptr,
                 Image* depth = nullptr);
    size_t size() const { return m_count; }
    // Gaussians in the slice of the last render.
    size_t sliced() const { return m_slice.count(); }
    const GaussianCloud4d& info() const { return m_info; }

private:
    Backend& m_backend;
    size_t m_count;
    float m_min_weight;
    GaussianCloud4d m_info; // degrees and time range only (no per-Gaussian arrays)
    Tensor m_means, m_log_scales, m_rot_l, m_rot_r, m_opacities, m_sh;
    Slice4dTensors m_slice;
    std::unique_ptr<RasterContext> m_ctx;
};

// The 3D Gaussians of `cloud` at `time` (those whose marginal reaches `min_weight`), as a 3DGS
// cloud of the same spatial SH degree: the slice's covariance factored into log-scales and a
// rotation, its opacity times the marginal, its colour the 4D SH collapsed at that time. Exact up
// to float rounding: a renderer shows this cloud as it shows the 4D cloud at that time.
GaussianCloud slice_cloud(Backend& backend, const GaussianCloud4d& cloud, float time, float min_weight = 0.05f);

// Factors a symmetric positive semi-definite covariance (xx xy xz yy yz zz) as R diag(s^2) R^T:
// log-scales (floored at log(1e-12) for zero eigenvalues) and R's unit quaternion (w x y z).
void covariance_to_scale_rotation(const float cov[6], float log_scales[3], float quaternion[4]);
// The unit quaternion (w x y z, w >= 0) of a rotation matrix (row-major).
void quaternion_from_rotation(const double R[3][3], double q[4]);
// The left and right quaternions of the 4D rotation that turns (x, y, z) by the 3D rotation
// `quaternion` (w x y z) and leaves t fixed.
void rotation_4d_from_3d(const float quaternion[4], float rot_l[4], float rot_r[4]);

} // namespace splatscape
