// splatscape generate NAME -o DIR: writes a built-in synthetic scene as a Blender / D-NeRF dataset.
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/cli/command.hpp"
#include "app/cli/generate_city.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/scene/synthetic_scene.hpp"

namespace splatscape::cli {
namespace {

struct GenerateArgs {
    std::string name = "shapes";
    std::string output;
    bool force = false;
    SyntheticSceneOptions options;
    CityArgs city;
    CLI::App* command = nullptr;
};

int run_generate(const GenerateArgs& args) {
    if (args.name == "city") {
        const std::filesystem::path dir = args.output;
        if (std::filesystem::exists(dir) && !std::filesystem::is_empty(dir) && !args.force)
            throw UsageError(cat(dir.string(), ": the folder is not empty; choose another or pass --force"));
        auto set = [&](const char* o) { return args.command->count(o) > 0; };
        return run_generate_city(args.city, dir, args.options, set("--width"), set("--height"), set("--train"),
                                 set("--test"), set("--points"));
    }
    SyntheticSceneOptions options = args.options;
    options.kind = parse_synthetic_scene_kind(args.name);
    options.validate();
    const std::filesystem::path dir = args.output;
    if (std::filesystem::exists(dir)) {
        if (!std::filesystem::is_directory(dir)) throw UsageError(cat(dir.string(), ": exists and is not a folder"));
        if (!args.force && !std::filesystem::is_empty(dir))
            throw UsageError(cat(dir.string(), ": the folder is not empty; choose another or pass --force to write "
                                               "into it (files of the same names are replaced)"));
    }
    log::info("generating '", to_string(options.kind), "': ", options.train_views, " train, ", options.val_views,
              " val, ", options.test_views, " test views at ", options.width, "x", options.height, ", seed ",
              options.seed);
    SyntheticSceneStats stats = generate_synthetic_scene(options, dir);
    std::printf("scene        %s (%s)\n", to_string(options.kind).c_str(), dir.string().c_str());
    std::printf("images       %zu at %dx%d, %d rays per pixel\n", stats.images, options.width, options.height,
                options.samples_per_axis * options.samples_per_axis);
    std::printf("coverage     %.1f%% of pixels (mean alpha), %.1f%% fully transparent\n", 100.0 * stats.coverage,
                100.0 * stats.transparent_fraction);
    std::printf("mean colour  %.3f %.3f %.3f (covered area)\n", stats.mean_color.x, stats.mean_color.y,
                stats.mean_color.z);
    std::printf("points       %zu\n", stats.points);
    std::printf("time         %.2f s\n", stats.seconds);
    return 0;
}

} // namespace

void add_generate(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("generate", "Write a built-in synthetic scene as a Blender / D-NeRF dataset");
    cmd->footer("Scenes:\n"
                "  shapes   (alias static) six textured objects on a ground disc, four coloured marker spheres;\n"
                "           Blender / NeRF-synthetic layout. The scene `splatscape demo` trains on.\n"
                "  dynamic  the same objects moving over time t in [0, 1]; D-NeRF layout (a \"time\" per frame,\n"
                "           each frame a different camera and time).\n"
                "  city     a procedural city several hundred metres across (blocks, buildings, trees) with a camera\n"
                "           flight (flight.json); Blender layout (320x240, 96 train and 12 test views along the\n"
                "           flight by default), or with --gaussians N the city as N Gaussians written directly as\n"
                "           a tiled scene (3D Tiles) for streaming tests: `generate city --gaussians 50M -o city`.\n"
                "Writes transforms_{train,val,test}.json, {train,val,test}/r_N.png (RGBA, transparent where rays\n"
                "miss), points3d.ply (surface points, colour = albedo) and scene.json. World +z is up;\n"
                "transform_matrix is the OpenGL camera-to-world matrix, as Blender writes it. The same seed gives\n"
                "byte-identical files.");
    auto args = std::make_shared<GenerateArgs>();
    SyntheticSceneOptions& o = args->options;
    cmd->add_option("name", args->name, "Scene: shapes (static), dynamic or city")->capture_default_str();
    args->command = cmd;
    add_city_options(*cmd, args->city);
    cmd->add_option("-o,--output", args->output, "Output folder")->required();
    cmd->add_option("--width", o.width, "Image width in pixels")->capture_default_str();
    cmd->add_option("--height", o.height, "Image height in pixels")->capture_default_str();
    cmd->add_option("--train", o.train_views, "Number of training views")->capture_default_str();
    cmd->add_option("--test", o.test_views, "Number of test views")->capture_default_str();
    cmd->add_option("--val", o.val_views, "Number of extra validation views (0: val lists the test views)")
        ->capture_default_str();
    cmd->add_option("--seed", o.seed, "Seed for camera placement and point sampling")->capture_default_str();
    cmd->add_option("--samples", o.samples_per_axis, "Anti-aliasing rays per pixel along each axis (S*S per pixel)")
        ->capture_default_str();
    cmd->add_option("--points", o.points, "Points in points3d.ply (0: no file)")->capture_default_str();
    cmd->add_option("--fov", o.camera_angle_x, "Horizontal field of view in radians (camera_angle_x)")
        ->capture_default_str();
    cmd->add_option("--detail", o.detail,
                    "Contrast (0..1) of fine noise added to every object's albedo, so that structure-from-motion "
                    "finds features (0: the standard scene)")
        ->capture_default_str();
    cmd->add_flag("--force", args->force, "Write into a folder that is not empty");
    cmd->callback([&registry, args] { registry.action = [args] { return run_generate(*args); }; });
}

} // namespace splatscape::cli
