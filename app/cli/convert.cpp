// splatscape convert IN OUT: reads any scene file and writes it in the format of OUT's extension.
#include <memory>

#include "app/cli/command.hpp"
#include "app/cli/scene_output.hpp"
#include "core/io/scene_io.hpp"

namespace splatscape::cli {

void add_convert(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("convert", "Convert a scene file to another format (chosen by extension)");
    auto args = std::make_shared<SceneOutputArgs>();
    cmd->add_option("input", args->input, "Scene file or run folder")->required();
    cmd->add_option("output", args->output, "Output file; its extension picks the format")->required();
    cmd->add_option("--format", args->format, "Override the output format (ply, splat, spz, glb, gltf, html, s4d, tiles)");
    add_tiled_output_options(*cmd, args->tiled);
    cmd->add_option("--spz-version", args->options.spz_version,
                    "SPZ version to write: 2, 3 (gzip, default) or 4 (zstd)")
        ->check(CLI::Range(2, 4));
    cmd->footer("Formats:\n" + scene_formats_help());
    cmd->callback([&registry, args] { registry.action = [args] { return convert_scene(*args); }; });
}

} // namespace splatscape::cli
