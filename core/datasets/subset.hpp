#pragma once
// A dataset made of part of another: named frames of each split and the sparse points inside a
// region of the ground plane. Partitioned training writes one per cell (core/partition); any
// command that takes a dataset folder reads it, and a run trained on it resumes like any other.
//
//   DIR/subset.json
//   {
//     "format": "splatscape-dataset-subset", "version": 1,
//     "source": "/data/city",               the whole dataset (absolute, or relative to DIR)
//     "source_options": {...},              the DatasetOptions it is loaded with (dataset_options_json)
//     "train": ["name", ...], "val": [...], "test": [...],   frame names kept, per split
//     "points_region": {                    optional: keep only sparse points inside it
//       "origin": [x, y, z], "axes": [[3], [3], [3]],   rows: ground x, ground y, up
//       "min": [x | null, y | null], "max": [x | null, y | null]   null: open side
//     }
//   }
#include <filesystem>
#include <string>

#include "core/datasets/dataset.hpp"
#include "core/json_util.hpp"

namespace splatscape {

inline constexpr const char* kSubsetFile = "subset.json";
inline constexpr const char* kSubsetFormat = "splatscape-dataset-subset";

// DatasetOptions as JSON (the keys of a run's config.json "dataset" object) and back; unknown keys
// and wrong types are errors naming `where` and the field.
Json dataset_options_json(const DatasetOptions& options);
DatasetOptions dataset_options_from_json(const Json& json, const std::string& where);
// Sets the options the object names, keeping the others; errors name `object`.key.
void update_dataset_options(DatasetOptions& options, const Json& json, const std::string& where,
                            const std::string& object = "dataset options");

namespace loaders {
// Loads DIR/subset.json's source with its own options and keeps the named frames and the points in
// the region. The caller's options are not used: a subset is loaded the way it was described.
Dataset load_subset(const std::filesystem::path& dir);
} // namespace loaders

} // namespace splatscape
