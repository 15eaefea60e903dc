#pragma once
// The format-specific loaders behind load_dataset(). Each fills a Dataset whose frames have
// cameras at the resolution images will be loaded at (downscale and max_width applied), with the
// split set, and throws Error(file, field, expected) on bad input.
#include "core/datasets/dataset.hpp"

namespace splatscape::loaders {

Dataset load_blender(const std::filesystem::path& root, const DatasetOptions& options);   // also D-NeRF
Dataset load_ngp(const std::filesystem::path& root, const DatasetOptions& options);       // instant-ngp / nerfstudio
Dataset load_colmap(const std::filesystem::path& root, const DatasetOptions& options);
Dataset load_llff(const std::filesystem::path& root, const DatasetOptions& options);
Dataset load_dynerf(const std::filesystem::path& root, const DatasetOptions& options); // multi-view video (cam*.mp4)

// Shared by the loaders: the resolution a frame is loaded at, given its file's size, the
// downscale factor (or an images_N folder already at that scale) and the max-width cap.
struct LoadSize {
    int width = 0, height = 0;
};
LoadSize load_size(int source_width, int source_height, const DatasetOptions& options, bool already_downscaled);
// Sorts frames by name and moves every `test_every`-th (0, 8, 16, ...) into the test split.
void split_every_nth(Dataset& dataset, std::vector<Frame> frames, int test_every);
// Bounds from the points when there are any (1% outliers dropped), else from the camera centres.
void compute_bounds(Dataset& dataset);

}  // namespace splatscape::loaders
