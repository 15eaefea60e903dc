#pragma once
// What `splatscape train` uses of `process`: a folder of plain photos or a video is processed
// (once) into a COLMAP dataset beside it before training.
#include <filesystem>

namespace splatscape::cli {

// The dataset to train on for `input`: `input` itself when it is already a dataset; otherwise
// (photos without a sparse model, or a video) <input>_processed/ beside it, made by `process` with
// default settings unless a complete one from the same input is already there.
std::filesystem::path dataset_for_training(const std::filesystem::path& input);

} // namespace splatscape::cli
