#pragma once
// What the trainer drives. The trainer (training/trainer.hpp) owns everything around a step: the
// schedule, commands, progress and probes, checkpoints, the live view and the final evaluation. A
// Trainable owns what one step is for its model family: the Gaussian families (gs3d, gs4d, sags)
// render one or a few training views, take the image loss and densify (GaussianTraining,
// training/gaussian_training.hpp); a NeRF family marches a batch of rays drawn across all images.
// A new family implements this interface and one entry in create_trainable(); it does not fork the loop.
#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

#include "core/camera.hpp"
#include "core/datasets/dataset.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/image.hpp"
#include "core/json_util.hpp"
#include "core/sags_scene.hpp"
#include "training/backend.hpp"
#include "training/checkpoint.hpp"
#include "training/live_view.hpp"
#include "training/messages.hpp"
#include "training/ops/image_loss_ops.hpp"

namespace splatscape {

// Times the phases of profiled steps (bench_train): lap() waits for the backend and charges the time
// since the previous lap to the named phase.
class StepProfiler {
public:
    explicit StepProfiler(Backend& backend);
    void start();
    void lap(const char* phase);
    // Phase names in first-lap order and their mean milliseconds over the profiled steps.
    std::vector<std::pair<std::string, double>> mean_ms(int steps) const;

private:
    Backend& m_backend;
    std::chrono::steady_clock::time_point m_last;
    std::vector<std::pair<std::string, double>> m_seconds;
};

struct StepResult {
    LossValue loss_sum;       // summed over the step's samples (views, or ray batches)
    int samples = 0;          // how many were summed
    bool densified = false;   // the model's shape changed or its state was reset: `densify` says how
    msg::Densified densify;
};

// Renders held-out and probe views of the current model (valid until the next step).
class ViewRenderer {
public:
    virtual ~ViewRenderer() = default;
    virtual Image render(const Frame& frame, const Camera& camera) = 0;
};

// What a Trainable gets when it is made.
struct TrainableSetup {
    Backend& backend;
    const Dataset& dataset;
    Json config;       // the model's settings (absent keys take the defaults)
    uint64_t seed = 0;
    std::string where; // names the settings in errors
};

class Trainable {
public:
    virtual ~Trainable() = default;

    virtual std::string type() const = 0;
    virtual int iterations() const = 0;       // the run's length from the settings
    virtual Json config_json() const = 0;     // every setting, defaults filled in (written to the run)
    virtual size_t size() const = 0;          // Gaussians (or parameters) for progress reports
    virtual std::string size_unit() const { return "Gaussians"; }
    // The colour evaluation and probes composite the dataset's images on.
    virtual glm::vec3 background() const = 0;

    // A new run: initial state from the dataset. Returns a line for the log.
    virtual std::string initialize() = 0;
    // Optimizer step `iteration` (1-based). `final_step`: the run ends with it and the model is saved
    // and evaluated next, so steps that lower quality for later gains (densification, opacity
    // resets) do not run. `profiler` (may be null) times the phases.
    virtual StepResult step(int iteration, bool final_step, StepProfiler* profiler) = 0;
    // Whether step(iteration, false, ...) changes the model's shape or resets state: then the trainer
    // checkpoints before a final step, so a resumed, longer run continues as an uninterrupted one.
    virtual bool reshapes_at(int iteration) const = 0;

    // Checkpoints: tensors and metadata of the model, its optimizer and its sampling state.
    virtual void save_state(CheckpointData& data) = 0;
    virtual void restore_state(const CheckpointData& data, const std::string& where) = 0;

    // A renderer of the current model: `probe` renders with the schedule's current settings (the
    // active SH degree), otherwise as the model is saved.
    virtual std::unique_ptr<ViewRenderer> renderer(bool probe) = 0;
    // Writes the model into the run folder (and its iteration_N copy when `versioned`); returns what
    // was written, the main file first.
    virtual std::vector<std::filesystem::path> save(const std::filesystem::path& run_dir, int iteration,
                                                    bool versioned) = 0;
    // Host copy as 3D Gaussians for a viewer; null for families that are not Gaussians, or whose
    // Gaussians depend on the view.
    virtual std::shared_ptr<const GaussianCloud> snapshot() = 0;
    // sags: what a viewer decodes for each of its frames (when snapshot() is null).
    virtual std::shared_ptr<const SagsDecodeCache> sags_snapshot() { return nullptr; }
    // Host copy of a NeRF family's model for a viewer; null for the others.
    virtual std::shared_ptr<const NerfScene> nerf_snapshot() { return nullptr; }
    // Hands the model to a live view between iterations (no-op where the family has none).
    virtual void publish_live(LiveModelSink& sink, int iteration) = 0;
};

// The model families this build trains.
std::vector<std::string> model_types();
// Throws UsageError for unknown types and Error(where, field, ...) for bad settings or an op family
// the backend lacks.
std::unique_ptr<Trainable> create_trainable(const std::string& type, const TrainableSetup& setup);

} // namespace splatscape
