#include "app/gui/scene_source.hpp"

#include <algorithm>
#include <cmath>
#include <limits>

#include <glm/geometric.hpp>

#include "core/error.hpp"
#include "core/io/nerf_file.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/s4d.hpp"
#include "core/io/sags.hpp"
#include "core/io/scene_io.hpp"
#include "core/log.hpp"
#include "core/tiles/tileset.hpp"
#include "training/backend.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/models/sags.hpp"
#include "training/models/sags_decode.hpp"
#include "training/trainer.hpp"

namespace splatscape::gui {
namespace {

namespace fs = std::filesystem;

std::string fixed(double v, int digits) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

std::string vec_text(glm::vec3 v) {
    return cat(fixed(v.x, 3), ", ", fixed(v.y, 3), ", ", fixed(v.z, 3));
}

// Median distance from a sample of points to their nearest neighbour (brute force over all points:
// at most 256 x N distances).
float median_spacing(const PointCloud& points) {
    const size_t n = points.size();
    if (n < 2) return 0.0f;
    const size_t samples = std::min<size_t>(n, 256);
    std::vector<float> nearest;
    nearest.reserve(samples);
    for (size_t s = 0; s < samples; ++s) {
        const size_t i = s * n / samples;
        const glm::vec3 p{points.positions[3 * i], points.positions[3 * i + 1], points.positions[3 * i + 2]};
        float best = std::numeric_limits<float>::max();
        for (size_t j = 0; j < n; ++j) {
            if (j == i) continue;
            const glm::vec3 q{points.positions[3 * j], points.positions[3 * j + 1], points.positions[3 * j + 2]};
            const glm::vec3 d = q - p;
            const float d2 = glm::dot(d, d);
            if (d2 > 0.0f) best = std::min(best, d2);
        }
        if (best < std::numeric_limits<float>::max()) nearest.push_back(std::sqrt(best));
    }
    if (nearest.empty()) return 0.0f;
    std::nth_element(nearest.begin(), nearest.begin() + nearest.size() / 2, nearest.end());
    return nearest[nearest.size() / 2];
}

void add_cloud_info(LoadedScene& s) {
    if (!s.cloud) return;
    const GaussianCloud& c = *s.cloud;
    s.info.emplace_back(s.cloud_from_points ? "points" : s.nerf ? "occupied cells shown" : "Gaussians", cat(c.size()));
    if (!s.cloud_from_points && !s.nerf) s.info.emplace_back("SH degree", cat(c.sh_degree));
    if (c.size() > 0) {
        const Bounds b = c.bounds();
        s.info.emplace_back("bounds min", vec_text(b.min));
        s.info.emplace_back("bounds max", vec_text(b.max));
    }
}

void add_dataset_info(LoadedScene& s) {
    if (!s.dataset) return;
    const Dataset& d = *s.dataset;
    s.info.emplace_back("dataset", cat(d.format, " (", d.root.string(), ")"));
    s.info.emplace_back("views", cat(d.train.size(), " train, ", d.test.size(), " test"));
    if (!d.train.empty())
        s.info.emplace_back("image size", cat(d.train.front().camera.width, "x", d.train.front().camera.height));
    if (d.points.size() > 0) s.info.emplace_back("sparse points", cat(d.points.size()));
    if (d.dynamic) s.info.emplace_back("dynamic", "yes (shown at time 0)");
}

// The run folder a scene file belongs to: RUN/point_cloud.ply or RUN/point_cloud/iteration_N/point_cloud.ply.
std::optional<fs::path> enclosing_run(const fs::path& file) {
    std::error_code ec;
    const fs::path abs = fs::absolute(file, ec);
    for (const fs::path& dir : {abs.parent_path(), abs.parent_path().parent_path().parent_path()})
        if (!dir.empty() && fs::is_regular_file(dir / "config.json", ec) && fs::is_directory(dir / "point_cloud", ec))
            return dir;
    if (fs::is_regular_file(abs.parent_path() / "config.json", ec) && abs.filename() == "point_cloud.ply")
        return abs.parent_path();
    // An hmohe run's RUN/model.hmohe or RUN/model/iteration_N/model.hmohe.
    if (abs.filename() == "model.hmohe")
        for (const fs::path& dir : {abs.parent_path(), abs.parent_path().parent_path().parent_path()})
            if (!dir.empty() && fs::is_regular_file(dir / "config.json", ec)) return dir;
    return std::nullopt;
}

// Reads a run's configuration and dataset; a dataset that moved away only costs the cameras.
void attach_run(LoadedScene& s, const fs::path& run_dir) {
    const TrainSetup setup = read_run_config(run_dir);
    try {
        s.dataset = std::make_shared<const Dataset>(load_dataset(setup.data, setup.dataset));
    } catch (const Error& e) {
        s.warnings.push_back(cat("the run's dataset cannot be read (", e.what(), "): no dataset cameras"));
    }
    s.background = run_background(setup.model_config, s.dataset.get());
    if (auto it = setup.model_config.find("antialiased"); it != setup.model_config.end() && it->is_boolean())
        s.antialiased = it->get<bool>();
    s.info.emplace_back("run", run_dir.string());
    s.info.emplace_back("model", setup.options.model);
}

} // namespace

std::string to_string(SourceKind kind) {
    switch (kind) {
    case SourceKind::SceneFile:
        return "scene file";
    case SourceKind::RunFolder:
        return "run folder";
    case SourceKind::Dataset:
        return "dataset";
    }
    return "?";
}

glm::vec3 run_background(const Json& model_config, const Dataset* dataset) {
    if (auto it = model_config.find("background"); it != model_config.end() && it->is_array() && it->size() == 3) {
        glm::vec3 bg;
        for (int c = 0; c < 3; ++c) {
            if (!(*it)[c].is_number()) return dataset && dataset->has_alpha ? dataset->background : glm::vec3(0.0f);
            bg[c] = (*it)[c].get<float>();
        }
        return bg;
    }
    if (dataset && dataset->has_alpha) return dataset->background;
    return glm::vec3(0.0f);
}

GaussianCloud cloud_from_points(const PointCloud& points) {
    GaussianCloud c;
    const size_t n = points.size();
    c.resize(n, 0);
    float spacing = median_spacing(points);
    if (!(spacing > 0.0f)) spacing = 0.01f;
    const float log_scale = std::log(0.5f * spacing);
    const float opacity = logit(0.95f);
    const bool colored = points.colors.size() == points.positions.size();
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = points.positions[3 * i + a];
            c.log_scales[3 * i + a] = log_scale;
            c.sh[3 * i + a] = sh_dc_from_rgb(colored ? points.colors[3 * i + a] : 0.8f);
        }
        c.rotations[4 * i] = 1.0f;
        c.rotations[4 * i + 1] = c.rotations[4 * i + 2] = c.rotations[4 * i + 3] = 0.0f;
        c.opacities[i] = opacity;
    }
    return c;
}

std::vector<DatasetView> dataset_views(const Dataset& d) {
    std::vector<DatasetView> out;
    for (size_t i = 0; i < d.train.size(); ++i) out.push_back({cat("train ", i, ": ", d.train[i].name), d.train[i]});
    for (size_t i = 0; i < d.test.size(); ++i) out.push_back({cat("test ", i, ": ", d.test[i].name), d.test[i]});
    return out;
}

std::shared_ptr<const SagsDecodeCache> load_sags_cache(const fs::path& file) {
    const SagsScene scene = read_sags(file);
    auto backend = create_backend("cpu");
    auto model = sags_model_from_scene(*backend, scene, file.string());
    return std::make_shared<const SagsDecodeCache>(sags_decode_cache(*model));
}

GaussianCloud sags_skeleton_cloud(const SagsDecodeCache& cache) {
    PointCloud p;
    p.positions = cache.points;
    const size_t n = cache.size();
    glm::vec3 lo(0.0f), hi(0.0f);
    for (size_t i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a) {
            lo[a] = i ? std::min(lo[a], cache.points[3 * i + a]) : cache.points[3 * i + a];
            hi[a] = i ? std::max(hi[a], cache.points[3 * i + a]) : cache.points[3 * i + a];
        }
    for (size_t i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a)
            p.colors.push_back(0.25f + 0.7f * (cache.points[3 * i + a] - lo[a]) / std::max(hi[a] - lo[a], 1e-6f));
    return cloud_from_points(p);
}

GaussianCloud nerf_occupancy_cloud(const NerfScene& scene) {
    const int n = scene.resolution;
    const size_t per = size_t(n) * size_t(n) * size_t(n);
    // Cells a finer cascade covers are left out: the middle half of each axis of cascades k > 0.
    auto shown = [&](int k, int x, int y, int z) {
        const int lo = n / 4, hi = n - n / 4;
        return k == 0 || !(x >= lo && x < hi && y >= lo && y < hi && z >= lo && z < hi);
    };
    auto occupied = [&](size_t bit) {
        return bit / 32 < scene.occupancy.size() && (scene.occupancy[bit / 32] >> (bit % 32)) & 1u;
    };
    size_t count = 0;
    for (int k = 0; k < scene.cascades; ++k)
        for (int z = 0; z < n; ++z)
            for (int y = 0; y < n; ++y)
                for (int x = 0; x < n; ++x)
                    count += shown(k, x, y, z) && occupied(size_t(k) * per + size_t(x + n * (y + n * z)));
    const size_t stride = std::max<size_t>(1, (count + 199999) / 200000);
    PointCloud p;
    std::vector<float> log_scales;
    size_t index = 0;
    for (int k = 0; k < scene.cascades; ++k) {
        const float size = scene.scale * float(1 << k) / float(n); // world units
        for (int z = 0; z < n; ++z)
            for (int y = 0; y < n; ++y)
                for (int x = 0; x < n; ++x) {
                    if (!shown(k, x, y, z) || !occupied(size_t(k) * per + size_t(x + n * (y + n * z)))) continue;
                    if (index++ % stride != 0) continue;
                    const glm::vec3 cell = (glm::vec3(float(x), float(y), float(z)) + 0.5f) / float(n) - 0.5f;
                    const glm::vec3 world = scene.center + cell * float(1 << k) * scene.scale;
                    for (int a = 0; a < 3; ++a) p.positions.push_back(world[a]);
                    for (int a = 0; a < 3; ++a) p.colors.push_back(0.25f + 0.7f * (cell[a] + 0.5f));
                    log_scales.push_back(std::log(0.5f * size));
                }
    }
    GaussianCloud c;
    const size_t m = p.size();
    c.resize(m, 0);
    for (size_t i = 0; i < m; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = p.positions[3 * i + a];
            c.log_scales[3 * i + a] = log_scales[i];
            c.sh[3 * i + a] = sh_dc_from_rgb(p.colors[3 * i + a]);
        }
        c.rotations[4 * i] = 1.0f;
        c.rotations[4 * i + 1] = c.rotations[4 * i + 2] = c.rotations[4 * i + 3] = 0.0f;
        c.opacities[i] = logit(0.95f);
    }
    return c;
}

LoadedScene load_training_scene(const TrainSetup& setup) {
    LoadedScene s;
    s.path = setup.data;
    s.kind = SourceKind::Dataset;
    s.dataset = std::make_shared<const Dataset>(load_dataset(setup.data, setup.dataset));
    s.views = dataset_views(*s.dataset);
    s.background = run_background(setup.model_config, s.dataset.get());
    if (auto it = setup.model_config.find("antialiased"); it != setup.model_config.end() && it->is_boolean())
        s.antialiased = it->get<bool>();
    s.info.emplace_back("run", setup.run_dir.string());
    s.info.emplace_back("model", setup.options.model);
    add_dataset_info(s);
    return s;
}

namespace {

// A scene file's Gaussians; a 4D PLY also fills s.cloud_4d (with the run's slicing cut-off when
// `run` is given) and gives its slice at the start of its time range.
std::shared_ptr<const GaussianCloud> read_cloud(LoadedScene& s, const fs::path& file,
                                                const std::optional<fs::path>& run = std::nullopt) {
    if (is_nerf_file(file)) {
        s.nerf = std::make_shared<const NerfScene>(read_nerf_scene(file));
        const NerfScene& n = *s.nerf;
        s.info.emplace_back("NeRF", cat(n.model, ": ", n.experts(), " hash-grid experts, ", n.parameter_count(),
                                        " parameters, ray-marched on the GPU"));
        s.info.emplace_back("occupancy",
                            cat(n.cascades, " x ", n.resolution, "^3 cells, ", n.occupied_cells(), " occupied"));
        s.background = n.background;
        return std::make_shared<const GaussianCloud>(nerf_occupancy_cloud(n));
    }
    if (is_sags_file(file)) {
        s.sags = load_sags_cache(file);
        s.info.emplace_back("sags", cat(s.sags->size(), " points decoded for each view on the GPU"));
        return std::make_shared<const GaussianCloud>(sags_skeleton_cloud(*s.sags));
    }
    if (!is_4d_scene_file(file)) return std::make_shared<const GaussianCloud>(read_scene(file));
    auto cloud = std::make_shared<const GaussianCloud4d>(read_4d_scene(file));
    if (run && fs::exists(*run / "config.json")) {
        const Json j = load_json(*run / "config.json");
        if (auto m = j.find("model_config"); m != j.end() && m->is_object())
            if (auto w = m->find("min_temporal_weight"); w != m->end() && w->is_number())
                s.min_temporal_weight = w->get<float>();
    }
    s.cloud_4d = cloud;
    s.info.emplace_back(
        "4D", cat("time ", cloud->time_min, " .. ", cloud->time_max, ", temporal SH degree ", cloud->sh_degree_t));
    auto backend = create_backend("cpu");
    return std::make_shared<const GaussianCloud>(slice_cloud(*backend, *cloud, cloud->time_min, s.min_temporal_weight));
}

} // namespace

LoadedScene load_scene_source(const fs::path& path) {
    if (is_tiled_scene(path)) {
        // A tiled scene: the viewer streams it; the root tile frames the view.
        auto tiles = std::make_shared<const TileTree>(read_tiled_scene(path));
        const TileTree& tree = *tiles;
        LoadedScene s;
        s.path = path;
        s.tileset = path;
        s.tiles = tiles;
        s.warnings = tree.problems;
        for (size_t id = 0; id < tree.nodes.size() && !s.cloud; ++id)
            if (!tree.nodes[id].uri.empty()) {
                try {
                    s.cloud = std::make_shared<const GaussianCloud>(load_tile(tree, int(id)));
                } catch (const Error& e) {
                    s.warnings.push_back(e.what());
                }
            }
        const TiledSceneSummary sum = summarize(tree);
        s.info.emplace_back("tiled scene", cat(sum.tiles, " tiles in ", sum.levels, " levels"));
        s.info.emplace_back("Gaussians", cat(tree.total_splats(), " in all tiles"));
        s.info.emplace_back("SH degree", cat(tree.sh_degree));
        return s;
    }
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(path.string(), "", "no such file or folder");
    LoadedScene s;
    s.path = path;
    if (fs::is_directory(path, ec)) {
        if (fs::is_regular_file(path / "config.json", ec)) {
            s.kind = SourceKind::RunFolder;
            const fs::path file =
                fs::is_regular_file(path / "model.sags", ec) ? path / "model.sags" : resolve_scene_path(path);
            s.cloud = read_cloud(s, file, path);
            s.info.emplace_back("file", file.string());
            attach_run(s, path);
            if (s.nerf) s.background = s.nerf->background; // what the run evaluated over
        } else if (!detect_dataset_format(path).empty()) {
            s.kind = SourceKind::Dataset;
            s.dataset = std::make_shared<const Dataset>(load_dataset(path));
            if (s.dataset->points.size() > 0) {
                s.cloud = std::make_shared<const GaussianCloud>(cloud_from_points(s.dataset->points));
                s.cloud_from_points = true;
            }
            s.background = s.dataset->has_alpha ? s.dataset->background : glm::vec3(0.0f);
        } else {
            // A folder in the reference 3DGS layout (point_cloud/iteration_N/) without our config.
            s.kind = SourceKind::SceneFile;
            fs::path file;
            try {
                file = resolve_scene_path(path);
            } catch (const Error&) {
                throw Error(path.string(), "",
                            "not a run folder (no config.json or point_cloud/iteration_N/point_cloud.ply), nor a "
                            "dataset (Blender, instant-ngp, COLMAP or LLFF)");
            }
            s.cloud = read_cloud(s, file);
            s.info.emplace_back("file", file.string());
        }
    } else {
        s.kind = SourceKind::SceneFile;
        s.cloud = read_cloud(s, path, enclosing_run(path));
        s.info.emplace_back("file", path.string());
        if (auto run = enclosing_run(path)) {
            try {
                attach_run(s, *run);
                if (s.nerf) s.background = s.nerf->background;
            } catch (const Error& e) {
                log::debug("not using ", run->string(), " for cameras: ", e.what());
            }
        }
    }
    if (s.dataset) s.views = dataset_views(*s.dataset);
    add_cloud_info(s);
    add_dataset_info(s);
    s.info.emplace_back("opened as", to_string(s.kind));
    return s;
}

} // namespace splatscape::gui
