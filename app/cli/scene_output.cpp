#include "app/cli/scene_output.hpp"

#include <cstdio>
#include <filesystem>

#include "core/error.hpp"
#include "core/log.hpp"

namespace splatscape::cli {

int convert_scene(const SceneOutputArgs& args) {
    const std::filesystem::path in = args.input, out = args.output;
    std::string format = args.format;
    if (format.empty()) {
        format = scene_format_for(out);
        if (format.empty())
            throw UsageError(cat(out.string(), ": cannot tell the format from the extension '",
                                 out.extension().string(), "'; pass --format (ply, splat, spz, glb, gltf, html)"));
    } else if (const std::string by_ext = scene_format_for(out); !by_ext.empty() && by_ext != format) {
        log::warn(out.string(), ": writing format '", format, "' to a file named like '", by_ext, "'");
    }
    bool known = false;
    for (const auto& f : scene_formats()) known |= f.name == format && f.can_write;
    if (!known)
        throw UsageError(cat("cannot write format '", format, "' (writable: ply, splat, spz, glb, gltf, html)"));
    if (args.options.spz_version != 3 && format != "spz")
        log::warn("--spz-version only applies to spz output; ignored for ", format);

    const std::filesystem::path source = resolve_scene_path(in);
    GaussianCloud cloud = read_scene(source);
    write_scene(out, cloud, format, args.options);
    std::error_code ec;
    const auto bytes = std::filesystem::file_size(out, ec);
    std::printf("read        %s (%s, %zu gaussians, SH degree %d)\n", source.string().c_str(),
                scene_format_for(source).c_str(), cloud.size(), cloud.sh_degree);
    std::printf("wrote       %s (%s%s, %.2f MB)\n", out.string().c_str(), format.c_str(),
                format == "spz" ? cat(" v", args.options.spz_version).c_str() : "", ec ? 0.0 : double(bytes) / 1e6);
    return 0;
}

} // namespace splatscape::cli
