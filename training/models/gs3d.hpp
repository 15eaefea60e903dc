#pragma once
// 3D Gaussian splatting (Kerbl et al. 2023): means, log-scales, rotation quaternions (w x y z),
// opacity logits and SH coefficients up to degree 3, trained directly.
#include "core/point_cloud.hpp"
#include "training/config.hpp"
#include "training/models/model.hpp"
#include "training/ops/densify_ops.hpp"

namespace splatscape {

class Gs3dModel final : public GaussianModel {
public:
    // `extent` scales the position learning rate (3DGS's cameras_extent).
    Gs3dModel(Backend& backend, const Gs3dConfig& config, float extent);

    // 3DGS initialisation from points: SH DC from the colour, isotropic scale from the mean squared
    // distance to the 3 nearest neighbours, identity rotation, opacity init_opacity.
    void init_from_points(const PointCloud& points);
    // `count` points uniform in [lo, hi] with near-grey random colours (the reference's random init).
    void init_random(const float lo[3], const float hi[3], int count, uint64_t seed);

    void initialize(const PointCloud& points, const Bounds& bounds, uint64_t seed) override;
    std::string type() const override { return "gs3d"; }
    ParameterSet& params() override { return m_params; }
    const ParameterSet& params() const override { return m_params; }
    void set_iteration(int iteration) override;
    int active_sh_degree() const override { return m_active_sh; }
    void set_active_sh_degree(int degree) { m_active_sh = degree; }
    std::vector<ParamLr> learning_rates(int iteration) const override;
    RasterTensors raster_inputs(const ViewInfo& view) override;
    RasterGradTensors raster_grads() override;
    void backward(const ViewInfo&) override {}
    const Tensor& log_scales() const override { return m_params.get("log_scales").value; }
    Parameter& opacity() override { return m_params.get("opacities"); }
    std::vector<Tensor> split_children(const Tensor& rows, float divisor, uint64_t seed, uint64_t stream) override;
    void add_position_noise(float scale, uint64_t seed, uint64_t stream) override;
    GaussianCloud to_cloud() const override;
    void from_cloud(const GaussianCloud& cloud) override;
    Json config_json() const override { return to_json(m_config); }

    const Gs3dConfig& config() const { return m_config; }
    float extent() const { return m_extent; }

    static constexpr int kShCoeffs = 16; // stored for degree 3 from the start; the active degree grows

private:
    void allocate(size_t n);

    Backend& m_backend;
    DensifyOps& m_densify;
    Gs3dConfig m_config;
    float m_extent;
    int m_active_sh = 0;
    ParameterSet m_params;   // means [N,3], sh [N,48], opacities [N,1], log_scales [N,3], rotations [N,4]
    Tensor m_view_grad_norm; // [N, 1]
};

// Mean squared distance of every point to its k nearest other points (3DGS's distCUDA2 with k = 3),
// clamped below at 1e-7. Exact, on a uniform grid.
std::vector<float> mean_knn_squared_distance(const std::vector<float>& positions, int k = 3);

} // namespace splatscape
