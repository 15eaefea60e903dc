#pragma once
// One step of hmohe (training/models/hmohe.hpp), the trainer's Trainable for the NeRF family: a batch
// of rays drawn uniformly across all training pixels, marched through the occupancy grid in rounds
// that evaluate densities only (so samples hidden behind a surface cost no colour evaluation), the
// samples in front of each ray's early stop gathered by ray, evaluated in full, composited over the
// ray's background (random colours for RGBA datasets), the Huber (or L2) loss plus the gate's
// load-balancing loss back-propagated, and Adam with instant-ngp's settings. Every
// occupancy_update_every steps the occupancy grid is updated first (instant-ngp's rule), and the
// ray count adapts so that each step trains about target_samples samples.
#include <memory>
#include <string>
#include <vector>

#include "training/models/hmohe.hpp"
#include "training/models/hmohe_config.hpp"
#include "training/ops/optimizer_ops.hpp"
#include "training/trainable.hpp"

namespace splatscape {

class HmoheTraining final : public Trainable {
public:
    explicit HmoheTraining(const TrainableSetup& setup);
    ~HmoheTraining() override;

    std::string type() const override { return "hmohe"; }
    int iterations() const override { return m_config.iterations; }
    Json config_json() const override { return to_json(m_config); }
    size_t size() const override { return m_network->parameter_count(); }
    std::string size_unit() const override { return "parameters"; }
    glm::vec3 background() const override { return m_background; }

    std::string initialize() override;
    StepResult step(int iteration, bool final_step, StepProfiler* profiler) override;
    bool reshapes_at(int) const override { return false; }
    void save_state(CheckpointData& data) override;
    void restore_state(const CheckpointData& data, const std::string& where) override;
    std::unique_ptr<ViewRenderer> renderer(bool probe) override;
    std::vector<std::filesystem::path> save(const std::filesystem::path& run_dir, int iteration,
                                            bool versioned) override;
    std::shared_ptr<const GaussianCloud> snapshot() override { return nullptr; }
    std::shared_ptr<const NerfScene> nerf_snapshot() override { return std::make_shared<const NerfScene>(scene()); }
    void publish_live(LiveModelSink& sink, int iteration) override;

    HmoheNetwork& network() { return *m_network; }
    const HmoheConfig& config() const { return m_config; }
    int rays_per_batch() const { return m_rays_per_batch; }
    // Samples the last step trained on, and the fraction of occupied cells after the last update.
    size_t last_samples() const { return m_last_samples; }
    double occupied_fraction() const { return m_occupied; }
    // Host copy of the model (the live view and `save`).
    NerfScene scene() const { return m_network->to_scene(m_background); }

private:
    void update_occupancy(int iteration);

    Backend& m_backend;
    RayMarchOps& m_march;
    ExpertOps& m_dispatch;
    OptimizerOps& m_optimizer;
    const Dataset& m_dataset;
    uint64_t m_seed;
    HmoheConfig m_config;
    std::unique_ptr<HmoheNetwork> m_network;
    NerfImages m_images;
    glm::vec3 m_background{0.0f};
    bool m_random_background = false;
    int m_rays_per_batch = 0;
    int m_adam_step = 0;
    size_t m_last_samples = 0;
    double m_occupied = 1.0;
};

} // namespace splatscape
