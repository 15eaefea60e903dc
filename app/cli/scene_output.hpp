#pragma once
// Shared by `export` and `convert`: read a scene (or run folder), write it in another format.
#include <optional>
#include <string>

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
    // sags models (a .sags file, or a run folder holding model.sags): decoded for the training
    // camera `sags_view` (its colours and opacities as that camera sees them), or, when it is -1,
    // view-independently with SH fitted over up to `sags_fit_views` training cameras.
    int sags_view = -1;
    int sags_fit_views = 64;
};

// Returns the exit code; throws Error / UsageError for the CLI's handler.
int convert_scene(const SceneOutputArgs& args);

} // namespace splatscape::cli
