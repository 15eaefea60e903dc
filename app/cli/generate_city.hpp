#pragma once
// The `city` scene of `splatscape generate` (app/cli/generate_city.cpp).
#include <filesystem>
#include <string>

#include <CLI/CLI.hpp>

#include "core/scene/city.hpp"
#include "core/scene/synthetic_scene.hpp"

namespace splatscape::cli {

struct CityArgs {
    CityDatasetOptions dataset;
    std::string gaussians; // "" for the dataset; else a count ("50M") of Gaussians written as tiles
    size_t leaf_splats = 65536;
    bool spz = false;
};

void add_city_options(CLI::App& command, CityArgs& args);
// `common` carries the options `generate` shares between scenes (seed, size, views), used when set.
int run_generate_city(CityArgs args, const std::filesystem::path& dir, const SyntheticSceneOptions& common,
                      bool width_set, bool height_set, bool train_set, bool test_set, bool points_set);

} // namespace splatscape::cli
