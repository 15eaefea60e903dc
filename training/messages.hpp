#pragma once
// What the trainer reports (trainer -> watchers) and what it can be asked (watchers -> trainer).
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <variant>
#include <vector>

#include "core/gaussian_cloud.hpp"
#include "core/nerf_scene.hpp"
#include "core/sags_scene.hpp"
#include "training/message_queue.hpp"

namespace splatscape {

namespace msg {

struct Started {
    int first_iteration = 0; // the iteration training continues from (0 for a fresh run)
    int iterations = 0;      // the run's total
    size_t gaussians = 0;
    std::string backend;
    std::filesystem::path run_dir;
    std::string size_unit = "Gaussians"; // what `gaussians` counts: "parameters" for the NeRF family
};
// Sent at most every few hundred milliseconds and at the end.
struct Progress {
    int iteration = 0;
    int iterations = 0;
    double loss = 0.0; // mean over the iterations since the last Progress
    double l1 = 0.0;
    double ssim = 0.0;
    size_t gaussians = 0;
    double iterations_per_second = 0.0;
    double elapsed_seconds = 0.0; // training time of this session (pauses excluded)
};
// PSNR of the probe view (a held-out view when there is one), rendered with the current model.
struct Probe {
    int iteration = 0;
    double psnr = 0.0;
    std::string view;
};
struct Densified {
    int iteration = 0;
    size_t cloned = 0, split = 0, pruned = 0;
    bool opacity_reset = false;
    size_t gaussians = 0;
    size_t relocated = 0; // MCMC: dead Gaussians moved (its new ones count as cloned)
};
// A host copy of the model for a live view: 3D Gaussians, or a NeRF (hmohe) to ray-march.
struct Snapshot {
    int iteration = 0;
    std::shared_ptr<const GaussianCloud> cloud;
    // sags models, whose Gaussians depend on the view: what a viewer decodes each frame (cloud is
    // then null).
    std::shared_ptr<const SagsDecodeCache> sags;
    std::shared_ptr<const NerfScene> nerf;
};
struct Saved {
    int iteration = 0;
    std::string what; // "checkpoint", "ply", "evaluation"
    std::filesystem::path path;
};
// A held-out evaluation (3DGS protocol): at TrainOptions::eval_iterations and at the end.
struct Evaluated {
    int iteration = 0;
    double psnr = 0.0; // means over the held-out views
    double ssim = 0.0;
    size_t views = 0;
    size_t model_size = 0;       // Gaussians (or parameters)
    double train_seconds = 0.0;  // training time so far, resumed sessions included
    double eval_seconds = 0.0;
    // With TrainOptions::profile_every: mean milliseconds per profiled step of each phase
    // ("forward", "loss", "backward", "densification", "optimizer", ...).
    std::vector<std::pair<std::string, double>> phase_ms;
    size_t peak_device_memory = 0;   // bytes; 0 where the backend does not track it (CPU)
    size_t peak_device_reserved = 0;
};
struct Paused {
    int iteration = 0;
    bool paused = false;
};
struct Log {
    std::string text;
};
struct Finished {
    int iteration = 0;
    bool completed = false; // false: stopped before the last iteration (checkpoint saved)
    double train_seconds = 0.0;
    double psnr = 0.0; // final evaluation, when there was one (mean over held-out views)
    double ssim = 0.0;
    bool evaluated = false;
};
struct Failed {
    std::string message;
};

} // namespace msg

using TrainerMessage = std::variant<msg::Started, msg::Progress, msg::Probe, msg::Densified, msg::Snapshot, msg::Saved,
                                    msg::Evaluated, msg::Paused, msg::Log, msg::Finished, msg::Failed>;

enum class TrainerCommand { Pause, Resume, Stop, SaveCheckpoint, Snapshot };

using TrainerMessageQueue = MessageQueue<TrainerMessage>;
using TrainerCommandQueue = MessageQueue<TrainerCommand>;

} // namespace splatscape
