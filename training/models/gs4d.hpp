#pragma once
// 4D Gaussian splatting (Yang et al., "Real-time Photorealistic Dynamic Scene Representation and
// Rendering with 4D Gaussian Splatting", ICLR 2024). Each Gaussian has a space-time mean, four
// log-scales, a 4D rotation from a left and a right quaternion, an opacity logit and 4D
// spherindrical-harmonic colour (training/kernels/slice4d.hpp, sh4d.hpp). For a view at time t the
// model slices every Gaussian (the backend's slice4d op: conditional mean and covariance, opacity
// times the marginal in t, colour collapsed to 3D SH) and hands the Gaussians whose marginal
// reaches min_temporal_weight to the rasterizer; the rasterizer's gradients go back through the
// slice's backward, averaged over the views of a batch. Densification (Gs4dDensityControl) is
// 3DGS's, driven by the spatial and the temporal gradient, with children drawn in space-time and
// pruning of Gaussians whose temporal support misses the time range.
#include <memory>

#include "core/datasets/dataset.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "core/point_cloud.hpp"
#include "training/densification.hpp"
#include "training/models/gs4d_config.hpp"
#include "training/models/model.hpp"
#include "training/ops/slice4d_ops.hpp"

namespace splatscape {

class Gs4dModel final : public GaussianModel {
public:
    // `extent` scales the position learning rates (3DGS's cameras_extent).
    Gs4dModel(Backend& backend, const Gs4dConfig& config, float extent);

    std::string type() const override { return "gs4d"; }
    bool dynamic() const override { return true; }
    ParameterSet& params() override { return m_params; }
    const ParameterSet& params() const override { return m_params; }
    void set_iteration(int iteration) override;
    int active_sh_degree() const override { return m_active_sh; }
    int active_sh_degree_t() const { return m_active_sh_t; }
    void set_active_sh_degrees(int degree, int degree_t);
    std::vector<ParamLr> learning_rates(int iteration) const override;

    RasterTensors raster_inputs(const ViewInfo& view) override;
    RasterGradTensors raster_grads() override;
    void backward(const ViewInfo& view) override;

    const Tensor& log_scales() const override { return m_params.get("log_scales").value; }
    Parameter& opacity() override { return m_params.get("opacities"); }
    std::vector<Tensor> split_children(const Tensor& rows, float divisor, uint64_t seed, uint64_t stream) override;
    // MCMC: the space-time mean moves with the 4D covariance (kern::mcmc_position_noise_4d).
    void add_position_noise(float scale, uint64_t seed, uint64_t stream) override;

    // From points: spatial scales from the 3 nearest neighbours (3DGS), times uniform over the time
    // range widened by init_time_margin, temporal scale init_time_scale of the range, identity
    // rotations. Without points: random_points uniform in `bounds`, near-grey.
    void initialize(const PointCloud& points, const Bounds& bounds, uint64_t seed) override;
    void set_time_range(float time_min, float time_max) override;

    // The slice at the start of the time range (snapshots for a 3D viewer).
    GaussianCloud to_cloud() const override;
    // A 4D model that does not change over time: every Gaussian at the middle of the time range
    // with a temporal scale far beyond it.
    void from_cloud(const GaussianCloud& cloud) override;
    GaussianCloud4d to_cloud_4d() const override;
    void from_cloud_4d(const GaussianCloud4d& cloud);
    Json config_json() const override { return to_json(m_config); }

    std::unique_ptr<DensificationStrategy> make_densifier(const AdcConfig& config, float extent, uint64_t seed,
                                                          bool white_background) override;

    // What the densifier reads: the parameters as the slice op sees them, the last slice, and that
    // slice's per-row |dL/dmu_t| and view-space gradient norms ([M, 1]).
    Gaussian4dTensors tensors() const;
    const Slice4dTensors& slice() const { return m_slice; }
    const Tensor& time_grad() const { return m_time_grad; }
    const Tensor& view_grad_norm() const { return m_view_grad_norm; }
    Slice4dSettings slice_settings(float time) const;

    const Gs4dConfig& config() const { return m_config; }
    float time_min() const { return m_time_min; }
    float time_max() const { return m_time_max; }
    float time_period() const;

private:
    void allocate(size_t n);

    Backend& m_backend;
    Slice4dOps& m_slice_ops;
    Gs4dConfig m_config;
    float m_extent;
    float m_time_min = 0.0f, m_time_max = 1.0f;
    int m_active_sh = 0, m_active_sh_t = 0;
    // means [N,4], sh [N,J*3], opacities [N,1], log_scales [N,4], rot_l [N,4], rot_r [N,4]
    ParameterSet m_params;
    // The slice of the last raster_inputs() and its gradients ([M, ...]).
    Slice4dTensors m_slice;
    Slice4dSettings m_settings;
    Tensor m_d_means, m_d_covariances, m_d_opacities, m_d_sh, m_view_grad_norm, m_time_grad;
};

// Adaptive density control for gs4d (see the header comment), with 3DGS's schedule.
class Gs4dDensityControl final : public DensificationStrategy {
public:
    Gs4dDensityControl(Backend& backend, Gs4dModel& model, const AdcConfig& config, float extent, uint64_t seed,
                       bool white_background);

    std::string name() const override { return "gs4d-adc"; }
    void after_backward(GaussianModel& model, const RasterContext& ctx, int iteration) override;
    DensifyReport update(GaussianModel& model, int iteration, bool final_step) override;
    bool reshapes_at(int iteration) const override;
    std::vector<std::pair<std::string, Tensor*>> state() override;
    void reset(size_t rows) override;

private:
    Backend& m_backend;
    Slice4dOps& m_slice_ops;
    RasterOps& m_raster;
    DensifyOps& m_densify;
    Gs4dModel& m_model;
    AdcConfig m_config;
    float m_extent;
    uint64_t m_seed;
    bool m_white_background;
    Tensor m_grad_accum;      // [N, 1] sum of per-view view-space gradient norms
    Tensor m_time_grad_accum; // [N, 1] sum of per-view |dL/dmu_t|
    Tensor m_denom;           // [N, 1] views in which the Gaussian was sliced and visible
    Tensor m_max_radii;       // [N, 1]
    Tensor m_radii;           // [M, 1] scratch
};

// Where random initial Gaussians go when a dataset has no points: a cube around the point nearest
// to every training camera's optical axis (least squares), with half-size the cameras' mean
// distance to it times the tangent of their half field of view (what they all see there). For
// NeRF-synthetic and D-NeRF scenes (cameras 4.03 from the origin, 0.69 rad wide) that is about the
// [-1.3, 1.3]^3 cube their reference code samples. Falls back to dataset.bounds when the axes do not
// meet in front of the cameras.
Bounds camera_focus_bounds(const Dataset& dataset);

// The gs4d entry of create_model().
ModelBundle create_gs4d_model(Backend& backend, const Json& config, float extent, const std::string& where);

} // namespace splatscape
