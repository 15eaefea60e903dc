#pragma once
// Datasets the training tests build themselves: a few Gaussians rendered by the CPU rasterizer into
// a Blender-layout folder, and helpers to run the trainer synchronously.
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "training/messages.hpp"
#include "training/trainer.hpp"

namespace splatscape::test {

// A fixed little scene: `count` coloured, anisotropic Gaussians around the origin.
GaussianCloud ground_truth_gaussians(int count, uint32_t seed);

// Renders `gt` from cameras on a sphere of radius 3 around the origin and writes a Blender-layout
// dataset (PNGs, transforms_{train,test}.json, points3d.ply near the Gaussians). Images are RGB on
// black, or RGBA with the rendered alpha when `rgba`.
void write_gaussian_dataset(const std::filesystem::path& dir, const GaussianCloud& gt, int train_views, int test_views,
                            int size, bool rgba = false);

// The built-in scene (core/scene/synthetic_scene.hpp) at 64x64 with 2x2 rays a pixel and 2,000
// surface points: the NeRF tests' scene (hmohe training, distillation).
SyntheticSceneOptions small_builtin_scene(int train_views = 32, int test_views = 4);
void write_small_builtin_scene(const std::filesystem::path& dir, int train_views = 32, int test_views = 4);

// hmohe's demo preset (assets/presets/hmohe/demo.json, the build tree's copy) at that size:
// 2^13 samples a step and a 32-iteration occupancy warm-up.
Json hmohe_small_config(int iterations);

struct TrainOutcome {
    msg::Finished finished;
    std::vector<msg::Probe> probes;
    std::string failure;
};

// Runs the trainer on this thread. `stop_after`: send Stop once this iteration has been reported
// (0: never).
TrainOutcome train_now(const TrainSetup& setup, int stop_after = 0);

// An uninterrupted run against one stopped and resumed: `total` iterations in one go into
// dir/whole; and into dir/resumed, a run to `stop` (the settings still say `total`, so every
// schedule is the same) that is then continued to `total` from its checkpoint
// (TrainOptions::resume), as `splatscape train --iters STOP` followed by `train --resume --iters
// TOTAL` does. `model_config` holds the settings; `device` the backend. A step that fails leaves
// `failure` set.
struct ResumedRuns {
    std::vector<uint8_t> whole, resumed; // the two point_cloud.ply files
    int stopped_at = 0;                  // the first run's last iteration (its checkpoint's)
    std::string failure;
};
ResumedRuns train_whole_and_resumed(const std::filesystem::path& data, const std::filesystem::path& dir,
                                    const std::string& device, const Json& model_config, int total, int stop);

} // namespace splatscape::test
