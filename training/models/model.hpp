#pragma once
// The interface every Gaussian model family implements so that one trainer, one optimizer and one
// densification strategy serve them all. A model owns its parameters (on the backend's device),
// turns them into 3D Gaussians for a view (gs3d: the parameters themselves; gs4d: a slice at the
// view's time; sags: decoded from a graph), and maps the rasterizer's gradients back.
#include <cstdint>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "core/json_util.hpp"
#include "core/point_cloud.hpp"
#include "training/backend.hpp"
#include "training/config.hpp"
#include "training/ops/raster_ops.hpp"
#include "training/parameters.hpp"

namespace splatscape {

class DensificationStrategy;

// A training or evaluation view as the model sees it.
struct ViewInfo {
    kern::RasterCamera<float> camera;
    float time = 0.0f;     // dynamic scenes: normalised time
    bool training = false; // a training step's view (not an evaluation or a render)
};

// Learning rates of one parameter at one iteration: columns [0, split_col) take lr_a, the rest lr_b.
struct ParamLr {
    float lr_a = 0.0f;
    float lr_b = 0.0f;
    int split_col = 0;
};

class GaussianModel {
public:
    virtual ~GaussianModel() = default;

    virtual std::string type() const = 0; // "gs3d", ...
    virtual ParameterSet& params() = 0;
    virtual const ParameterSet& params() const = 0;
    size_t size() const { return params().rows(); }

    // Schedules that depend on the iteration (1-based), such as the active SH degree.
    virtual void set_iteration(int iteration) = 0;
    virtual int active_sh_degree() const = 0;
    // One entry per parameter, in params().all() order.
    virtual std::vector<ParamLr> learning_rates(int iteration) const = 0;

    // Rasterizer inputs for a view; valid until the next call or until the parameters change.
    virtual RasterTensors raster_inputs(const ViewInfo& view) = 0;
    // Where the rasterizer's backward writes (gs3d: straight into the parameter gradients).
    virtual RasterGradTensors raster_grads() = 0;
    // Chains the rasterizer's gradients to the parameter gradients (after rasterize_backward).
    virtual void backward(const ViewInfo& view) = 0;

    // What densification needs: spatial log-scales ([N, >= 3]; the first three columns are x y z),
    // the opacity-logit parameter [N, 1], and the rows of children of a split (one tensor per parameter, in
    // params().all() order; 2 * M rows: all first children, then all second children).
    virtual const Tensor& log_scales() const = 0;
    virtual Parameter& opacity() = 0;
    virtual std::vector<Tensor> split_children(const Tensor& rows, float divisor, uint64_t seed, uint64_t stream) = 0;

    // Initial Gaussians from the dataset's points, or random ones in `bounds` when there are none.
    virtual void initialize(const PointCloud& points, const Bounds& bounds, uint64_t seed) = 0;

    // Host copies as a 3D Gaussian cloud (PLY export, snapshots for a viewer).
    virtual GaussianCloud to_cloud() const = 0;
    virtual void from_cloud(const GaussianCloud& cloud) = 0;

    // The model's hyper-parameters (written to the run folder).
    virtual Json config_json() const = 0;

    // Dynamic models (gs4d): views are rendered at their times, and the model is saved, evaluated
    // and exported as 4D Gaussians (to_cloud() is then one time's slice).
    virtual bool dynamic() const { return false; }
    // The dataset's time range, given before initialize() or a restore; static models ignore it.
    virtual void set_time_range(float time_min, float time_max) { (void)time_min, (void)time_max; }
    virtual GaussianCloud4d to_cloud_4d() const { throw Error(cat("the ", type(), " model is not dynamic")); }
    // Families whose Gaussians depend on the view (sags decodes them per view): probes and the
    // evaluation render each view from raster_inputs() instead of from to_cloud().
    virtual bool view_dependent() const { return false; }
    // Families with files of their own (sags: its .sags artifact) write them into the run folder
    // and return them, the main file first; empty: the trainer writes to_cloud() as a PLY.
    virtual std::vector<std::filesystem::path> save_files(const std::filesystem::path& run_dir, int iteration,
                                                          bool versioned) {
        (void)run_dir, (void)iteration, (void)versioned;
        return {};
    }
    // A densification strategy of the model's own, or null for the shared ones
    // (AdaptiveDensityControl, McmcDensification, by config.strategy).
    virtual std::unique_ptr<DensificationStrategy> make_densifier(const AdcConfig& config, float extent, uint64_t seed,
                                                                  bool white_background);
    // MCMC's exploration noise (McmcDensification): adds to each mean scale * gate(opacity) * its
    // covariance * a standard normal draw (training/kernels/mcmc.hpp) with draws numbered by
    // (seed, stream, row). Throws for models without positions to move (the default).
    virtual void add_position_noise(float scale, uint64_t seed, uint64_t stream) {
        (void)scale, (void)seed, (void)stream;
        throw Error(cat("the ", type(), " model does not support MCMC densification"));
    }
    // The current learning rate of the positions (MCMC's noise scales with it).
    virtual float position_lr(int iteration) const { return learning_rates(iteration).front().lr_a; }
};

// What the trainer takes from a model's configuration.
struct TrainingRecipe {
    int iterations = 30000;
    float ssim_weight = 0.2f;
    std::vector<float> background; // empty: the dataset's
    bool random_background = false;
    bool antialiased = false;
    float eps2d = 0.3f;
    AdcConfig densify;
    int batch_size = 1; // views per optimizer step; gradients are averaged over them
    bool filter_3d = false;
    float filter_3d_size = 0.2f;
    std::string appearance = "none";
    float appearance_lr_init = 0.01f;
    float appearance_lr_final = 0.001f;
    std::string masks = "auto";
};

struct ModelBundle {
    std::unique_ptr<GaussianModel> model;
    TrainingRecipe recipe;
};

// The recipe from the settings every Gaussian model's config has (Gs3dConfig, Gs4dConfig).
template <class ModelConfig>
TrainingRecipe recipe_from(const ModelConfig& c, int batch_size = 1) {
    TrainingRecipe r;
    r.iterations = c.iterations;
    r.ssim_weight = c.ssim_weight;
    r.background = c.background;
    r.random_background = c.random_background;
    r.antialiased = c.antialiased;
    r.eps2d = c.eps2d;
    r.densify = c.densify;
    r.batch_size = batch_size;
    r.filter_3d = c.filter_3d;
    r.filter_3d_size = c.filter_3d_size;
    r.appearance = c.appearance;
    r.appearance_lr_init = c.appearance_lr_init;
    r.appearance_lr_final = c.appearance_lr_final;
    r.masks = c.masks;
    return r;
}

// The Gaussian model families ("gs3d", "gs4d", "sags", "sags-lite"); `config` holds the model's settings as JSON
// (absent keys take the defaults); `extent` is the scene extent. Throws UsageError for unknown types and Error(where,
// field, ...) for bad settings. The trainer makes them through create_trainable() (training/trainable.hpp).
ModelBundle create_model(const std::string& type, Backend& backend, const Json& config, float extent,
                         const std::string& where);

} // namespace splatscape
