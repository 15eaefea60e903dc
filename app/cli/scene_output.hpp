#pragma once
// Shared by `export` and `convert`: read a scene (or run folder), write it in another format.
#include <optional>
#include <string>
#include <vector>

#include <CLI/CLI.hpp>

#include <glm/vec3.hpp>

#include "core/io/scene_io.hpp"

namespace splatscape::cli {

// Options of tiled output (app/cli/tiles_output.cpp) and of reading a tiled scene as input.
struct TiledOutputArgs {
    size_t leaf_splats = 65536;
    bool spz = false;
    int spz_version = 2;
    std::vector<float> up; // the scene's up (default -y, the COLMAP convention)
    int subtree_levels = 4;
    std::vector<int> tiles; // with a tiled input: only these tiles (default: the leaves)
};

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
    TiledOutputArgs tiled; // tiled scenes (--format tiles, or a tiled scene as input)
    // sags models (a .sags file, or a run folder holding model.sags): decoded for the training
    // camera `sags_view` (its colours and opacities as that camera sees them), or, when it is -1,
    // view-independently with SH fitted over up to `sags_fit_views` training cameras.
    int sags_view = -1;
    int sags_fit_views = 64;
    // --format sags: how the per-point sections and the hash table are stored (core/io/sags.hpp).
    std::string sags_precision = "compact";
};

// Returns the exit code; throws Error / UsageError for the CLI's handler.
int convert_scene(const SceneOutputArgs& args);

// The options export and convert share (--format is added by each, with its own wording):
// --spz-version, --spz-frame, --input-spz-frame, --dataset, --sh-degree, --glb-spz, and those of
// tiled output (add_tiled_output_options).
void add_scene_output_options(CLI::App& cmd, SceneOutputArgs& args);

// A user-facing line on which readers show an SPZ written with `options` upright.
std::string spz_frame_note(const SpzOptions& options);

// Tiled scenes (app/cli/tiles_output.cpp): the options of `export` and `convert`, whether the
// output is a tiled scene (--format tiles, or a folder / tileset.json path), writing `cloud` as one
// (read by convert_scene with the shared options applied), and the folder a tiled scene's web
// viewer is (--format html with a tiled input).
void add_tiled_output_options(CLI::App& command, TiledOutputArgs& args);
bool is_tiled_output(const SceneOutputArgs& args);
int write_tiled_output(const SceneOutputArgs& args, const GaussianCloud& cloud);
int write_tiled_web_folder(const SceneOutputArgs& args);
// The scene a tiled input stands for: its leaves (full detail) or the tiles listed.
GaussianCloud read_tiled_input(const SceneOutputArgs& args);
glm::vec3 up_option(const std::vector<float>& up); // -y when empty

} // namespace splatscape::cli
