// splatscape export RUN|FILE --format FMT -o OUT: writes a trained run (or any scene file) in a format
// for web viewers and other tools.
#include <memory>

#include "app/cli/command.hpp"
#include "app/cli/scene_output.hpp"
#include "core/io/scene_io.hpp"

namespace splatscape::cli {

void add_export(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("export", "Export a run folder or scene file for web viewers and other tools");
    auto args = std::make_shared<SceneOutputArgs>();
    cmd->add_option("input", args->input, "Run folder (point_cloud.ply inside), scene file or tiled scene")->required();
    cmd->add_option("-o,--output", args->output, "Output file")->required();
    cmd->add_option("--format", args->format,
                    "ply, splat, spz, glb, gltf, sog, html, s4d or tiles (default: from the output's extension; a "
                    "folder: tiles)");
    add_scene_output_options(*cmd, *args);
    cmd->add_option("--time", args->time, "4D scenes: write the 3D scene of this time");
    cmd->add_option("--view", args->sags_view,
                    "sags models: decode as training camera N sees them (default: view-independent, SH fitted)")
        ->check(CLI::Range(0, 1000000));
    cmd->add_option("--fit-views", args->sags_fit_views,
                    "sags models: training cameras the view-independent SH fit decodes (default 64)")
        ->check(CLI::Range(1, 100000));
    cmd->add_option("--sags-precision", args->sags_precision,
                    "--format sags: compact (8-bit features, scales and hash table; the default), half (float16) or "
                    "full (float32)")
        ->check(CLI::IsMember({"compact", "half", "full"}));
    cmd->add_option("--frames", args->frames,
                    "4D scenes: write N 3D scenes spread over the time range into the output folder "
                    "(frame_NNNNN.<ext>, times.json)")
        ->check(CLI::Range(1, 100000));
    cmd->footer(
        "Formats:\n" + scene_formats_help() +
        "A run folder holds point_cloud.ply, or point_cloud/iteration_N/point_cloud.ply as the 3DGS reference\n"
        "writes it (the highest N is taken). A gs4d run's 4D scene is written as the 4D PLY, as .s4d, as one time's\n"
        "3D scene (--time T) or as a sequence of them (--frames N; --format picks their format, default ply).\n"
        "tiles: a folder holding a streamable level-of-detail scene (3D Tiles 1.1 tileset.json, glTF tiles,\n"
        "hierarchy.json; docs/tiles.md). A tiled scene as input is written as its leaves, or --tiles ids; with\n"
        "--format html as a folder that serves it to the web viewer.\n"
        "A sags run (model.sags) or .sags file is decoded into Gaussians for every format: view-independent, each\n"
        "point's colour a degree-3 SH fit to its decoded colours over the training cameras (--fit-views), or as one\n"
        "training camera sees it (--view N); --format sags writes the model itself.");
    cmd->callback([&registry, args] { registry.action = [args] { return convert_scene(*args); }; });
}

} // namespace splatscape::cli
