#pragma once
// What `train` and `distill` share when they start a run: the model settings built from --config
// (a JSON file or a preset), --densify, --max-gaussians and --scale-schedule, and the results of a
// previous run removed from a folder started over with --force.
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "core/json_util.hpp"

namespace splatscape::cli {

struct ModelSettingsArgs {
    std::string config;     // --config: a JSON file or a preset name ("" : the defaults)
    std::string densify;    // "" keeps the config's strategy
    int max_gaussians = -1; // -1 keeps the config's
    bool scale_schedule = false;
};

// Adds --config, --densify, --max-gaussians and --scale-schedule to `cmd`.
void add_model_settings_options(CLI::App& cmd, ModelSettingsArgs& args);

// The settings of `model` the options give (an empty object: the model's defaults). `iterations` is
// --iters (0: not given; --scale-schedule needs it).
Json model_settings(const std::string& model, const ModelSettingsArgs& args, int iterations);

// Removes what a previous run left in `run_dir` (checkpoint, model files, evaluation, metrics), so
// that stale results are not mistaken for those of the run that starts over there.
void remove_run_results(const std::filesystem::path& run_dir);

} // namespace splatscape::cli
