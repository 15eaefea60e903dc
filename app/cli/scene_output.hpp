#pragma once
// Shared by `export` and `convert`: read a scene (or run folder), write it in another format.
#include <optional>
#include <string>

#include <CLI/CLI.hpp>

#include "core/io/scene_io.hpp"

namespace splatscape::cli {

struct SceneOutputArgs {
    std::string input;
    std::string output;
    std::string format; // "" = from the output's extension
    SceneWriteOptions options;
    // 4D scenes (gs4d runs): the 3D slice at one time, or `frames` slices spread evenly over the
    // scene's time range into the output folder (frame_NNNNN.<ext> and times.json). Without either
    // a 4D scene is written as the 4D PLY (or a standalone HTML viewer that plays it).
    std::optional<float> time;
    int frames = 0;
    // --sh-degree: keep the spherical harmonics up to this degree (spatial degree of 4D scenes),
    // dropping the higher ones (smaller files, e.g. for the web; less view-dependent colour). -1,
    // or a degree at or above the scene's, keeps them all.
    int sh_degree = -1;
};

// The option shared by `convert` and `export`.
void add_sh_degree_option(CLI::App& cmd, SceneOutputArgs& args);

// Returns the exit code; throws Error / UsageError for the CLI's handler.
int convert_scene(const SceneOutputArgs& args);

} // namespace splatscape::cli
