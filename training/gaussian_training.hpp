#pragma once
// One step of the Gaussian families (gs3d, gs4d; sags decodes its Gaussians in raster_inputs): the
// trainer's Trainable for any GaussianModel (training/models/model.hpp). A step renders one view (or
// recipe.batch_size views, gs4d's timestamps) in a random order per epoch, as the reference's
// viewpoint stack, takes the image loss, back-propagates through the rasterizer and the model,
// densifies with the model's strategy, and runs Adam on every parameter. Around that, when the
// settings ask for them: Mip-Splatting's 3D smoothing filter (per-Gaussian variances from the
// training cameras, passed to the rasterizer and baked into every saved or shown cloud), a per-image
// affine colour transform between the render and the loss (never applied to held-out views), and
// per-image loss masks.
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "training/densification.hpp"
#include "training/models/model.hpp"
#include "training/ops/appearance_ops.hpp"
#include "training/ops/filter3d_ops.hpp"
#include "training/ops/image_loss_ops.hpp"
#include "training/ops/optimizer_ops.hpp"
#include "training/ops/raster_ops.hpp"
#include "training/trainable.hpp"

namespace splatscape {

class GaussianTraining final : public Trainable {
public:
    // Uploads the training images; the model's time range is set from the dataset's frames.
    GaussianTraining(const TrainableSetup& setup, ModelBundle bundle);
    ~GaussianTraining() override;

    std::string type() const override { return m_model->type(); }
    int iterations() const override { return m_recipe.iterations; }
    Json config_json() const override { return m_model->config_json(); }
    size_t size() const override { return m_model->size(); }
    glm::vec3 background() const override { return {m_background[0], m_background[1], m_background[2]}; }

    std::string initialize() override;
    StepResult step(int iteration, bool final_step, StepProfiler* profiler) override;
    bool reshapes_at(int iteration) const override { return m_densifier->reshapes_at(iteration); }
    void save_state(CheckpointData& data) override;
    void restore_state(const CheckpointData& data, const std::string& where) override;
    std::unique_ptr<ViewRenderer> renderer(bool probe) override;
    std::vector<std::filesystem::path> save(const std::filesystem::path& run_dir, int iteration,
                                            bool versioned) override;
    std::shared_ptr<const GaussianCloud> snapshot() override;
    std::shared_ptr<const SagsDecodeCache> sags_snapshot() override;
    void publish_live(LiveModelSink& sink, int iteration) override;

    GaussianModel& model() { return *m_model; }
    // The 3D smoothing filter's variances [N, 1] (null when the settings have no filter).
    const Tensor* filter_3d() const { return m_filter_ops ? &m_filter : nullptr; }
    // The per-image colour transforms [training views, 12] (null without appearance compensation).
    const Tensor* appearance() const { return m_appearance_ops ? &m_appearance.get("appearance").value : nullptr; }
    // The model as saved and shown: the 3D filter baked into scales and opacities, and the render
    // settings (antialiased, eps2d) with it.
    GaussianCloud baked_cloud() const;

private:
    struct View;
    int next_view();
    void step_view(int iteration, StepProfiler* profiler, StepResult& result);
    void update_filter();
    bool filter_due(int iteration) const;

    Backend& m_backend;
    RasterOps& m_raster;
    ImageLossOps& m_loss;
    OptimizerOps& m_optimizer;
    const Dataset& m_dataset;
    uint64_t m_seed;
    std::unique_ptr<GaussianModel> m_model;
    TrainingRecipe m_recipe;
    std::unique_ptr<DensificationStrategy> m_densifier;
    std::vector<View> m_views;
    std::unique_ptr<RasterContext> m_ctx;
    Tensor m_render, m_d_render, m_target;
    float m_background[3] = {0, 0, 0};
    float m_min_temporal_weight = 0.05f; // dynamic models: the slice's cut-off when rendering
    int m_adam_step = 0;
    Filter3dOps* m_filter_ops = nullptr;              // set when the 3D filter is on
    Tensor m_filter;                                  // [N, 1] variances
    std::vector<kern::RasterCamera<float>> m_cameras; // the training views', for the filter
    AppearanceOps* m_appearance_ops = nullptr;        // set for masks or appearance compensation
    bool m_affine = false;                            // appearance "affine"
    ParameterSet m_appearance;                        // "appearance" [views, 12]
    Tensor m_adjusted, m_d_adjusted;                  // the transformed render and its gradient
    std::mt19937_64 m_rng;
    std::vector<int> m_view_order;
    size_t m_view_pos = 0;
};

} // namespace splatscape
