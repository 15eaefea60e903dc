#pragma once
// Datasets the training tests build themselves: a few Gaussians rendered by the CPU rasterizer into
// a Blender-layout folder, and helpers to run the trainer synchronously.
#include <filesystem>
#include <string>
#include <vector>

#include "core/gaussian_cloud.hpp"
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

struct TrainOutcome {
    msg::Finished finished;
    std::vector<msg::Probe> probes;
    std::string failure;
};

// Runs the trainer on this thread. `stop_after`: send Stop once this iteration has been reported
// (0: never).
TrainOutcome train_now(const TrainSetup& setup, int stop_after = 0);

} // namespace splatscape::test
