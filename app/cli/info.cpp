// splatscape info FILE|DATA: what a scene file or a dataset holds.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <map>

#include "app/cli/command.hpp"
#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/s4d.hpp"
#include "core/io/sags.hpp"
#include "core/io/scene_io.hpp"

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
    std::printf("encoder     %d features, %d neighbours, %s edges; hash grid %d levels x %d, 2^%d entries\n",
                s.feature_dim, s.neighbours, s.learned_edges ? "learned" : "weight-free", s.hash_levels,
                s.hash_features, s.hash_log2_table);
    std::printf("decoders    %d x %d hidden (opacity, colour, covariance), offset %d x %d\n", s.opacity.hidden_layers,
                s.opacity.hidden, s.offset.hidden_layers, s.offset.hidden);
    std::printf("cameras     %zu training views\n", s.camera_count());
}

void print_scene(const std::filesystem::path& path) {
    if (is_sags_file(path)) return print_sags(path);
    if (is_4d_scene_file(path)) return print_scene_4d(path);
    GaussianCloud c = read_scene(path);
    Bounds b = c.bounds();
    Bounds core = c.bounds(0.01f);
    std::printf("file        %s\n", path.string().c_str());
    std::printf("format      %s\n", scene_format_for(path).c_str());
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
    auto* cmd = app.add_subcommand("info", "Print what a scene file (.ply, .splat, ...) or a dataset folder holds");
    auto path = std::make_shared<std::string>();
    auto options = std::make_shared<DatasetOptions>();
    cmd->add_option("path", *path, "Scene file or dataset folder")->required();
    cmd->add_option("--format", options->format, "Dataset format (auto, blender, ngp, dnerf, colmap, llff)");
    cmd->add_option("--downscale", options->downscale, "Image downscale factor")->check(CLI::Range(1, 64));
    cmd->callback([&registry, path, options] {
        registry.action = [path, options] {
            std::filesystem::path p = *path;
            if (!std::filesystem::exists(p)) throw Error(p.string(), "", "no such file or folder");
            if (std::filesystem::is_directory(p))
                print_dataset(p, *options);
            else
                print_scene(p);
            return 0;
        };
    });
}

} // namespace splatscape::cli
