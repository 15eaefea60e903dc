#pragma once
// The trainer: one loop for every model family. It runs wherever run() is called (the session puts
// it on its own thread), reports through a message queue and takes commands (pause, resume, stop,
// checkpoint, snapshot) from another, so a GUI never waits on it. What one step is belongs to the
// model family (training/trainable.hpp); the loop owns the schedule, probes, checkpoints, messages,
// the live view and the evaluation. The final step of a run does not densify or reset opacities
// (the model is saved and evaluated right after it); when it would have, the run's checkpoint is
// the state before it, so `--resume` with more iterations continues exactly as an uninterrupted run.
//
// A run folder holds:
//   config.json                     model type, data, dataset options, run options, model settings
//   checkpoint.bin                  latest checkpoint (training/checkpoint.hpp), atomic
//   point_cloud.ply                 the trained Gaussians, reference 3DGS layout
//   point_cloud/iteration_N/point_cloud.ply   at the requested iterations and at the end
//   metrics.jsonl                   one line per probe: iteration, loss, probe PSNR, Gaussians, time
//   eval.json, eval/renders, eval/gt   the final held-out evaluation
#include <filesystem>
#include <memory>
#include <string>
#include <vector>

#include "core/datasets/dataset.hpp"
#include "core/json_util.hpp"
#include "training/live_view.hpp"
#include "training/messages.hpp"

namespace splatscape {

struct TrainOptions {
    std::string model = "gs3d";
    std::string device = "cpu";
    int threads = 0; // 0: all cores
    uint64_t seed = 0;
    int iterations = 0;               // > 0: overrides the model config's iteration count
    int checkpoint_every = 1000;      // also written when the run ends or is stopped; 0: only then
    int probe_every = 250;            // 0: never
    int snapshot_every = 0;           // 0: only on request
    std::vector<int> save_iterations; // extra point_cloud/iteration_N/ exports
    std::vector<int> eval_iterations; // held-out evaluations before the end (msg::Evaluated; no files)
    bool evaluate = true;             // final evaluation on the held-out views
    bool save_eval_images = true;
    bool resume = false; // continue from run_dir/checkpoint.bin
    int progress_interval_ms = 200;
    int profile_every = 0; // > 0: time the phases of every Nth step (synchronising; for benchmarks)
};

struct TrainSetup {
    std::filesystem::path data;
    DatasetOptions dataset;
    std::filesystem::path run_dir;
    TrainOptions options;
    Json model_config = Json::object(); // the model's settings (gs3d: Gs3dConfig keys)
    // Receives the model between iterations (the GUI's zero-copy live view); not saved with the run.
    std::shared_ptr<LiveModelSink> live_view;
};

Json to_json(const TrainOptions& options);
void update_from_json(TrainOptions& options, const Json& json, const std::string& where);
Json to_json(const DatasetOptions& options);
void update_from_json(DatasetOptions& options, const Json& json, const std::string& where);

// Reads RUN/config.json back into a setup (for eval, render and resume).
TrainSetup read_run_config(const std::filesystem::path& run_dir);

class Trainer {
public:
    Trainer(TrainSetup setup, TrainerMessageQueue& messages, TrainerCommandQueue& commands);
    // Trains until the last iteration or a Stop command. Never throws: failures become msg::Failed.
    void run();

private:
    void run_impl();

    TrainSetup m_setup;
    TrainerMessageQueue& m_messages;
    TrainerCommandQueue& m_commands;
};

} // namespace splatscape
