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
    // --spz-frame: the output's frame when it is SPZ, else the input's; --input-spz-frame: the input's.
    std::string spz_frame, input_spz_frame;
    std::string dataset; // html: the dataset whose cameras and up direction the page opens with
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

// Returns the exit code; throws Error / UsageError for the CLI's handler.
int convert_scene(const SceneOutputArgs& args);

// The options export and convert share (--format is added by each, with its own wording):
// --spz-version, --spz-frame, --input-spz-frame, --dataset, --sh-degree, --glb-spz.
void add_scene_output_options(CLI::App& cmd, SceneOutputArgs& args);

// A user-facing line on which readers show an SPZ written with `options` upright.
std::string spz_frame_note(const SpzOptions& options);

} // namespace splatscape::cli
