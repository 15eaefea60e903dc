// Tiled scenes for `export` and `convert`: writing a scene as a tiled level-of-detail scene (OGC 3D
// Tiles with glTF tile contents, core/tiles/tileset.hpp), reading one back, and the folder that
// serves one to the web viewer.
#include <cstdio>
#include <filesystem>

#include <glm/geometric.hpp>

#include "app/cli/scene_output.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/web_assets.hpp"
#include "core/log.hpp"
#include "core/tiles/tileset.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

void print_summary(const fs::path& dir, const TiledSceneSummary& s, bool spz) {
    std::printf("wrote       %s (tiled scene: %zu tiles in %d levels, %.2f MB of %s tiles, %.1f s)\n",
                dir.string().c_str(), s.tiles, s.levels, double(s.bytes) / 1e6, spz ? "SPZ-compressed" : "glTF",
                s.seconds);
    for (int l = 0; l < s.levels; ++l)
        std::printf("  level %-3d %6llu tiles %12llu splats %10.2f MB\n", l,
                    (unsigned long long)s.tiles_per_level[size_t(l)], (unsigned long long)s.splats_per_level[size_t(l)],
                    double(s.bytes_per_level[size_t(l)]) / 1e6);
}

} // namespace

glm::vec3 up_option(const std::vector<float>& up) {
    if (up.empty()) return {0.0f, -1.0f, 0.0f};
    if (up.size() != 3) throw UsageError("--up expects three comma-separated numbers");
    const glm::vec3 v(up[0], up[1], up[2]);
    if (!(glm::length(v) > 1e-6f)) throw UsageError("--up must not be zero");
    return glm::normalize(v);
}

void add_tiled_output_options(CLI::App& cmd, TiledOutputArgs& a) {
    const std::string group = "Tiled scenes (--format tiles)";
    cmd.add_option("--leaf-splats", a.leaf_splats, "Most Gaussians in one tile (leaves and merged inner tiles)")
        ->check(CLI::Range(16, 1 << 24))
        ->capture_default_str()
        ->group(group);
    cmd.add_flag("--spz", a.spz,
                 "SPZ-compressed tiles (KHR_gaussian_splatting_compression_spz_2, as CesiumJS reads them): about 8x "
                 "smaller, quantised as SPZ is")
        ->group(group);
    cmd.add_option("--tile-spz-version", a.spz_version, "SPZ version inside compressed tiles: 2 (default) or 3")
        ->check(CLI::Range(2, 3))
        ->group(group);
    cmd.add_option("--up", a.up,
                   "The scene's up x,y,z in its own frame (default 0,-1,0 as COLMAP scenes; 0,0,1 for the built-in "
                   "scenes): 3D Tiles viewers show it upright")
        ->delimiter(',')
        ->group(group);
    cmd.add_option("--subtree-levels", a.subtree_levels,
                   "Levels per external tileset file below tileset.json (0: the whole tree in tileset.json)")
        ->check(CLI::Range(0, 64))
        ->capture_default_str()
        ->group(group);
    cmd.add_option("--tiles", a.tiles, "With a tiled scene as input: write only these tiles (ids, comma-separated)")
        ->delimiter(',')
        ->group(group);
}

bool is_tiled_output(const SceneOutputArgs& args) {
    if (args.format == "tiles") return true;
    // A folder output without --format is a tiled scene, unless it is a 4D scene's frames.
    if (!args.format.empty() || args.frames > 0) return false;
    const std::string out = args.output;
    std::error_code ec;
    return (!out.empty() && (out.back() == '/' || fs::is_directory(out, ec))) ||
           fs::path(out).filename() == kTilesetFile;
}

GaussianCloud read_tiled_input(const SceneOutputArgs& args) {
    if (args.tiled.tiles.empty()) return read_tiled_scene_leaves(args.input);
    const TileTree tree = read_tiled_scene(args.input);
    for (const std::string& p : tree.problems) log::warn(p);
    for (int t : args.tiled.tiles)
        if (t < 0 || size_t(t) >= tree.nodes.size())
            throw UsageError(cat("--tiles: tile ", t, " does not exist (", tree.nodes.size(), " tiles)"));
    return read_tiles(tree, args.tiled.tiles);
}

int write_tiled_output(const SceneOutputArgs& args, const GaussianCloud& cloud) {
    fs::path dir = args.output;
    if (dir.filename() == kTilesetFile) dir = dir.parent_path();
    if (dir.empty()) dir = ".";
    TiledSceneOptions o;
    o.lod.leaf_splats = args.tiled.leaf_splats;
    o.encoding.spz = args.tiled.spz || args.options.glb_spz; // tiles are glTF: --glb-spz compresses them too
    o.encoding.spz_version = args.tiled.spz_version;
    o.subtree_levels = args.tiled.subtree_levels;
    o.up = up_option(args.tiled.up);
    if (is_tiled_scene(args.input) && args.tiled.up.empty()) o.up = read_tiled_scene(args.input).up;
    print_summary(dir, write_tiled_scene(cloud, dir, o), o.encoding.spz);
    return 0;
}

int write_tiled_web_folder(const SceneOutputArgs& args) {
    const fs::path in = args.input, out = args.output;
    const TileTree tree = read_tiled_scene(in); // checks it is readable before anything is written
    const fs::path src = fs::is_directory(in) ? in : in.parent_path();
    std::error_code ec;
    fs::create_directories(out, ec);
    if (!fs::is_directory(out))
        throw Error(out.string(), "", "cannot create the folder (a tiled scene's page is a folder)");
    if (!fs::equivalent(src, out, ec)) {
        for (const char* name : {kTilesetFile, kHierarchyFile})
            if (fs::exists(src / name)) fs::copy_file(src / name, out / name, fs::copy_options::overwrite_existing);
        for (const char* folder : {"tiles", "subtrees"})
            if (fs::is_directory(src / folder))
                fs::copy(src / folder, out / folder,
                         fs::copy_options::recursive | fs::copy_options::overwrite_existing);
    }
    // The viewer's files as they are (the page is served over HTTP, so modules load), with the page
    // pointed at the tileset.
    for (const WebAsset& a : web_assets()) {
        std::string content(a.content);
        if (a.name == "index.html") {
            const std::string tag = "<body>";
            const size_t at = content.find(tag);
            if (at == std::string::npos) throw Error("web/index.html", "", "no <body> tag");
            content.replace(at, tag.size(), "<body data-tileset=\"tileset.json\">");
        }
        write_file_atomic(out / std::string(a.name), content);
    }
    std::printf("wrote       %s (index.html, the web viewer and the tiled scene: %zu tiles)\n", out.string().c_str(),
                tree.nodes.size());
    std::printf("serve it    python3 -m http.server -d %s 8000, then open http://localhost:8000/\n",
                out.string().c_str());
    return 0;
}

} // namespace splatscape::cli
