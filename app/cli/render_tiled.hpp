#pragma once
// `splatscape render DIR` for a tiled scene (app/cli/render_tiled.cpp): streamed under budgets, into
// PNG frames or a video (app/cli/video_encoder.hpp).
#include <string>
#include <vector>

#include <CLI/CLI.hpp>
#include <glm/vec3.hpp>

#include "app/cli/camera_path.hpp"

namespace splatscape::cli {

struct StreamingArgs {
    double budget_splats = 0; // drawn at once (0: no limit)
    double budget_mb = 0;     // GPU memory for resident tiles (0: a quarter of the device's, at most 4 GiB)
    double tau = 2.0;         // pixels
    bool realtime = false;    // frames as a viewer shows them (no waiting for tiles)
    int fade_frames = -1;     // -1: 0 when settling, 8 in real time
    std::string stats;        // JSON lines of per-frame streaming figures
};

void add_streaming_options(CLI::App& command, StreamingArgs& args);

struct TiledRenderRequest {
    std::string input, output;
    std::string camera_path;
    int orbit = 0;
    int gpu = -1;
    PathDefaults defaults;
    bool size_set = false;
    float elevation = -1000, radius = 0;
    std::vector<float> up, background;
    StreamingArgs streaming;
    double fps = 30; // when `output` is a video (.mp4, .webm)
};
int render_tiled_scene(const TiledRenderRequest& request);

} // namespace splatscape::cli
