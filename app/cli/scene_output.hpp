#pragma once
// Shared by `export` and `convert`: read a scene (or run folder), write it in another format.
#include <string>

#include "core/io/scene_io.hpp"

namespace splatscape::cli {

struct SceneOutputArgs {
    std::string input;
    std::string output;
    std::string format; // "" = from the output's extension
    SceneWriteOptions options;
};

// Returns the exit code; throws Error / UsageError for the CLI's handler.
int convert_scene(const SceneOutputArgs& args);

} // namespace splatscape::cli
