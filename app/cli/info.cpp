// splatscape info FILE|DATA: what a scene file or a dataset holds.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>
#include <string_view>

#include "app/cli/command.hpp"
#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/nerf_file.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/s4d.hpp"
#include "core/io/sags.hpp"
#include "core/io/scene_io.hpp"
#include "core/io/spz.hpp"
#include "core/tiles/tile_content.hpp"
#include "core/tiles/tileset.hpp"

namespace splatscape::cli {
namespace {

// A 4D scene (a gs4d run's PLY, core/io/ply_4d.hpp, or a compact .s4d, core/io/s4d.hpp).
void print_scene_4d(const std::filesystem::path& path) {
    const GaussianCloud4d c = read_4d_scene(path);
    const Bounds b = c.bounds(), core = c.bounds(0.01f);
    std::printf("file        %s\n", path.string().c_str());
    std::printf("format      %s (4D Gaussians)\n", scene_format_for(path).c_str());
    std::printf("gaussians   %zu\n", c.size());
    std::printf("sh degree   %d spatial, %d temporal\n", c.sh_degree, c.sh_degree_t);
    std::printf("time        %.3f .. %.3f (colour period %.3f)\n", c.time_min, c.time_max, c.time_period);
    std::printf("bounds      [%.3f %.3f %.3f] .. [%.3f %.3f %.3f]\n", b.min.x, b.min.y, b.min.z, b.max.x, b.max.y,
                b.max.z);
    std::printf("bounds 98%%  [%.3f %.3f %.3f] .. [%.3f %.3f %.3f]\n", core.min.x, core.min.y, core.min.z, core.max.x,
                core.max.y, core.max.z);
}

// A sags model (core/io/sags.hpp).
void print_sags(const std::filesystem::path& path) {
    const SagsScene s = read_sags(path);
    std::printf("file        %s\n", path.string().c_str());
    std::printf("format      sags%s (structure-aware Gaussian splatting, %.2f MB)\n", s.lite ? " (Lite)" : "",
                double(std::filesystem::file_size(path)) / 1e6);
    std::printf("points      %zu%s, voxel %.4g\n", s.size(), s.lite ? " key points (mid-points made on load)" : "",
                s.voxel_size);
    std::printf("encoder     %d features, %d neighbours, %s edges%s; hash grid %d levels x %d, 2^%d entries\n",
                s.feature_dim, s.neighbours, s.learned_edges ? "learned" : "weight-free",
                s.local_residual ? " with the point's own feature" : "", s.hash_levels, s.hash_features,
                s.hash_log2_table);
    std::printf("rotations   %s\n", s.point_frames ? "decoded in each point's principal frame" : "decoded");
    std::printf("decoders    %d x %d hidden (opacity, colour, covariance), offset %d x %d\n", s.opacity.hidden_layers,
                s.opacity.hidden, s.offset.hidden_layers, s.offset.hidden);
    std::printf("cameras     %zu training views\n", s.camera_count());
}

// A NeRF model (an hmohe run's model.hmohe, core/io/nerf_file.hpp).
void print_nerf(const std::filesystem::path& path) {
    const NerfScene s = read_nerf_scene(path);
    const Bounds inner = s.inner_bounds(), outer = s.outer_bounds();
    std::printf("file        %s\n", path.string().c_str());
    std::printf("format      hmohe (NeRF: mixture of %d hash-grid experts)\n", s.experts());
    std::printf("parameters  %zu\n", s.parameter_count());
    std::printf("gate        %d levels (%u .. %u cells), table 2^%d, MLP", s.gate_grid.levels(),
                s.gate_grid.resolution.front(), s.gate_grid.resolution.back(),
                int(std::log2(double(s.gate_grid.table_size))));
    for (int w : s.gate_mlp.widths) std::printf(" %d", w);
    std::printf("\n");
    for (int e = 0; e < s.experts(); ++e) {
        const NerfHashGrid& g = s.expert_grids[size_t(e)];
        std::printf("expert %-4d %d levels (%u .. %u cells), table 2^%d, %zu parameters\n", e, g.levels(),
                    g.resolution.front(), g.resolution.back(), int(std::log2(double(g.table_size))),
                    g.table.size() + s.expert_mlps[size_t(e)].params.size());
    }
    std::printf("colour      SH degree %d, %d geometry features, %zu appearance dims, MLP", s.sh_degree,
                s.geometry_features, s.appearance.size());
    for (int w : s.colour_mlp.widths) std::printf(" %d", w);
    std::printf("\n");
    const double cells = double(s.cascades) * std::pow(double(s.resolution), 3.0);
    std::printf("occupancy   %d cascade%s of %d^3 cells, %.2f%% occupied\n", s.cascades, s.cascades == 1 ? "" : "s",
                s.resolution, 100.0 * double(s.occupied_cells()) / cells);
    std::printf("bounds      [%.3f %.3f %.3f] .. [%.3f %.3f %.3f] (inner cube)\n", inner.min.x, inner.min.y,
                inner.min.z, inner.max.x, inner.max.y, inner.max.z);
    if (s.cascades > 1)
        std::printf("outer       [%.3f %.3f %.3f] .. [%.3f %.3f %.3f]\n", outer.min.x, outer.min.y, outer.min.z,
                    outer.max.x, outer.max.y, outer.max.z);
}

void print_scene(const std::filesystem::path& path, const SceneReadOptions& options) {
    if (is_sags_file(path)) return print_sags(path);
    if (is_nerf_file(path)) return print_nerf(path);
    if (is_4d_scene_file(path)) return print_scene_4d(path);
    GaussianCloud c = read_scene(path, options);
    Bounds b = c.bounds();
    Bounds core = c.bounds(0.01f);
    std::printf("file        %s\n", path.string().c_str());
    std::printf("format      %s\n", scene_format_for(path).c_str());
    if (scene_format_for(path) == "spz") {
        const auto bytes = read_file_bytes(path);
        const SpzHeaderInfo h =
            spz_header_info(bytes.data(), bytes.size(), path.string(), SpzReadOptions{options.spz_frame});
        std::printf("spz         version %d\n", h.version);
        std::printf("spz frame   %s (%s)\n", to_string(h.frame), h.frame_source.c_str());
    }
    if (scene_format_for(path) == "glb" || scene_format_for(path) == "gltf") {
        // Which layout the splats are in: SPZ-compressed (what CesiumJS draws, and SPZ tiles) or floats.
        const auto bytes = read_file_bytes(path);
        const std::string_view text(reinterpret_cast<const char*>(bytes.data()), bytes.size());
        std::printf("gltf        KHR_gaussian_splatting%s\n",
                    text.find(kSpzCompressionExtension) != std::string_view::npos
                        ? cat(", SPZ-compressed (", kSpzCompressionExtension, ")").c_str()
                        : " (float attributes)");
    }
    std::printf("gaussians   %zu\n", c.size());
    std::printf("sh degree   %d\n", c.sh_degree);
    std::printf("bounds      [%.3f %.3f %.3f] .. [%.3f %.3f %.3f]\n", b.min.x, b.min.y, b.min.z, b.max.x, b.max.y,
                b.max.z);
    std::printf("bounds 98%%  [%.3f %.3f %.3f] .. [%.3f %.3f %.3f]\n", core.min.x, core.min.y, core.min.z, core.max.x,
                core.max.y, core.max.z);
    if (c.size()) {
        double opacity = 0, scale = 0;
        for (size_t i = 0; i < c.size(); ++i) {
            opacity += sigmoid(c.opacities[i]);
            scale += std::exp((c.log_scales[3 * i] + c.log_scales[3 * i + 1] + c.log_scales[3 * i + 2]) / 3.0);
        }
        std::printf("mean opacity %.3f, mean scale %.4g\n", opacity / c.size(), scale / c.size());
    }
}

// A tiled scene (core/tiles/tileset.hpp): levels, tiles, splats and bytes per level.
void print_tiled(const std::filesystem::path& path) {
    const TileTree tree = read_tiled_scene(path);
    const TiledSceneSummary s = summarize(tree);
    std::printf("tiled scene %s\n", path.string().c_str());
    std::printf("format      3D Tiles 1.1, glTF KHR_gaussian_splatting tiles (%s)\n",
                tree.from_hierarchy ? "hierarchy.json" : "tileset.json");
    std::printf("tiles       %zu in %d levels, SH degree %d\n", s.tiles, s.levels, tree.sh_degree);
    const Bounds b = tree.nodes[0].box;
    std::printf("bounds      [%.3f %.3f %.3f] .. [%.3f %.3f %.3f]\n", b.min.x, b.min.y, b.min.z, b.max.x, b.max.y,
                b.max.z);
    std::printf("up          %.3f %.3f %.3f\n", tree.up.x, tree.up.y, tree.up.z);
    std::printf("level  tiles       splats        MB   geometric error (max)\n");
    for (int l = 0; l < s.levels; ++l) {
        double error = 0;
        for (const TileNode& n : tree.nodes)
            if (n.level == l) error = std::max(error, n.geometric_error);
        std::printf("%5d %6llu %12llu %9.2f   %.4g\n", l, (unsigned long long)s.tiles_per_level[size_t(l)],
                    (unsigned long long)s.splats_per_level[size_t(l)], double(s.bytes_per_level[size_t(l)]) / 1e6,
                    error);
    }
    std::printf("total       %llu splats in all tiles, %.2f MB\n", (unsigned long long)tree.total_splats(),
                double(s.bytes) / 1e6);
    for (const std::string& p : tree.problems) std::printf("problem     %s\n", p.c_str());
}

void print_dataset(const std::filesystem::path& path, const DatasetOptions& options) {
    Dataset d = load_dataset(path, options);
    std::printf("dataset     %s\n", path.string().c_str());
    std::printf("format      %s\n", d.format.c_str());
    std::printf("frames      %zu (train %zu, %stest %zu)%s\n", d.frame_count(), d.train.size(),
                d.val.empty() ? "" : ("val " + std::to_string(d.val.size()) + ", ").c_str(), d.test.size(),
                d.dynamic ? ", with times" : "");
    std::map<std::string, int> resolutions, models;
    auto tally = [&](const std::vector<Frame>& frames) {
        for (auto& f : frames) {
            resolutions[std::to_string(f.camera.width) + "x" + std::to_string(f.camera.height)]++;
            models[to_string(f.camera.distortion.model)]++;
        }
    };
    tally(d.train);
    tally(d.val);
    tally(d.test);
    std::printf("resolution ");
    for (auto& [r, n] : resolutions) std::printf(" %s (%d)", r.c_str(), n);
    std::printf("\ndistortion ");
    for (auto& [m, n] : models) std::printf(" %s (%d)", m.c_str(), n);
    std::printf("\n");
    if (!d.train.empty()) {
        const Camera& c = d.train.front().camera;
        std::printf("camera 0    fx %.2f fy %.2f cx %.2f cy %.2f, fov %.1f x %.1f deg\n", c.fx, c.fy, c.cx, c.cy,
                    c.fov_x() * 57.29578f, c.fov_y() * 57.29578f);
    }
    if (d.dynamic) {
        float t0 = 1e30f, t1 = -1e30f;
        for (auto* frames : {&d.train, &d.val, &d.test})
            for (auto& f : *frames)
                if (f.time) t0 = std::min(t0, *f.time), t1 = std::max(t1, *f.time);
        std::printf("time        %.3f .. %.3f\n", t0, t1);
    }
    std::printf("points      %zu\n", d.points.size());
    std::printf("bounds      [%.3f %.3f %.3f] .. [%.3f %.3f %.3f]\n", d.bounds.min.x, d.bounds.min.y, d.bounds.min.z,
                d.bounds.max.x, d.bounds.max.y, d.bounds.max.z);
    std::printf("cam extent  %.3f\n", d.camera_extent());
}

} // namespace

void add_info(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand(
        "info", "Print what a scene file (.ply, .splat, .sags, .hmohe, ...), a tiled scene or a dataset folder holds");
    auto path = std::make_shared<std::string>();
    auto options = std::make_shared<DatasetOptions>();
    auto spz_frame = std::make_shared<std::string>();
    cmd->add_option("path", *path, "Scene file, tiled scene (folder or tileset.json) or dataset folder")->required();
    cmd->add_option("--spz-frame", *spz_frame,
                    "Read an .spz as holding this frame (rub or rdf; default: its frame record, else rub)");
    cmd->add_option("--format", options->format, "Dataset format (auto, blender, ngp, dnerf, colmap, llff)");
    cmd->add_option("--downscale", options->downscale, "Image downscale factor")->check(CLI::Range(1, 64));
    cmd->callback([&registry, path, options, spz_frame] {
        registry.action = [path, options, spz_frame] {
            SceneReadOptions read;
            if (!spz_frame->empty()) {
                read.spz_frame = parse_spz_frame(*spz_frame);
                if (!read.spz_frame || (*read.spz_frame != SpzFrame::Rub && *read.spz_frame != SpzFrame::Rdf))
                    throw UsageError("--spz-frame expects rub or rdf, got '" + *spz_frame + "'");
            }
            std::filesystem::path p = *path;
            if (!std::filesystem::exists(p)) throw Error(p.string(), "", "no such file or folder");
            if (is_tiled_scene(p))
                print_tiled(p);
            else if (std::filesystem::is_directory(p) && std::filesystem::is_regular_file(p / "model.hmohe"))
                print_nerf(p / "model.hmohe"); // an hmohe run folder
            else if (std::filesystem::is_directory(p))
                print_dataset(p, *options);
            else
                print_scene(p, read);
            return 0;
        };
    });
}

} // namespace splatscape::cli
