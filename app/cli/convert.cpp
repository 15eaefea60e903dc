// splatscape convert IN OUT: reads any scene file and writes it in the format of OUT's extension.
#include <memory>

#include "app/cli/command.hpp"
#include "app/cli/scene_output.hpp"
#include "core/io/scene_io.hpp"

namespace splatscape::cli {

void add_convert(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("convert", "Convert a scene file to another format (chosen by extension)");
    auto args = std::make_shared<SceneOutputArgs>();
    cmd->add_option("input", args->input, "Scene file, run folder or tiled scene")->required();
    cmd->add_option("output", args->output, "Output file; its extension picks the format")->required();
    cmd->add_option("--format", args->format,
                    "Override the output format (ply, splat, spz, glb, gltf, sog, html, s4d, tiles; a folder: tiles)");
    add_scene_output_options(*cmd, *args);
    cmd->footer("Formats:\n" + scene_formats_help() +
                "tiles: a folder (OUT ending in / or an existing folder, or .../tileset.json) holding a streamable\n"
                "level-of-detail scene (docs/tiles.md); a tiled scene as IN is read as its leaves.");
    cmd->callback([&registry, args] { registry.action = [args] { return convert_scene(*args); }; });
}

} // namespace splatscape::cli
