#pragma once
// What `splatscape view X` can open, read into one shape: a run folder (its Gaussians and its
// dataset's cameras), a scene file (.ply, .splat, .spz, .glb, ...; with the run's cameras when it
// sits inside a run folder), or a dataset folder (its cameras, and its points shown as small
// Gaussians). Loading blocks; the viewer runs it on a worker thread.
#include <filesystem>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include <glm/vec3.hpp>

#include "core/datasets/dataset.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "core/json_util.hpp"
#include "core/nerf_scene.hpp"
#include "core/point_cloud.hpp"
#include "core/sags_scene.hpp"
#include "core/tiles/tileset.hpp"

namespace splatscape {
struct TrainSetup;
}

namespace splatscape::gui {

enum class SourceKind { SceneFile, RunFolder, Dataset };

std::string to_string(SourceKind kind);

struct DatasetView {
    std::string label; // "train 3: r_3"
    Frame frame;
};

struct LoadedScene {
    std::filesystem::path path;
    SourceKind kind = SourceKind::SceneFile;
    std::shared_ptr<const GaussianCloud> cloud;            // null when there is nothing to splat
    // Dynamic scenes (a gs4d run's 4D PLY): the 4D Gaussians the viewer slices at the time shown;
    // `cloud` is then their slice at the start of the time range (for framing and statistics).
    std::shared_ptr<const GaussianCloud4d> cloud_4d;
    float min_temporal_weight = 0.05f;
    // sags models (a run's model.sags, a .sags file): what the viewer decodes on the GPU each frame;
    // `cloud` is then the point skeleton (for framing and statistics).
    std::shared_ptr<const SagsDecodeCache> sags;
    // NeRF models (a run's model.hmohe, a .hmohe file): what the viewer ray-marches each frame;
    // `cloud` is then their occupied cells (for framing and statistics).
    std::shared_ptr<const NerfScene> nerf;
    bool cloud_from_points = false;                        // the Gaussians stand for a dataset's sparse points
    std::shared_ptr<const Dataset> dataset;                // null without cameras
    std::vector<DatasetView> views;                        // train views, then test views
    glm::vec3 background{0.0f};                            // what the model was trained over, when known
    bool antialiased = false;                              // the run's rendering setting
    std::vector<std::pair<std::string, std::string>> info; // label, value
    std::vector<std::string> warnings;
    // A tiled scene (core/tiles/tileset.hpp): its path and hierarchy, read on the loading thread and
    // streamed by the viewer (app/gui/tiled_scene_vk.hpp); `cloud` then holds its root tile, for framing.
    std::filesystem::path tileset;
    std::shared_ptr<const TileTree> tiles;
};

// Throws Error naming the path when it is none of the above or cannot be read.
LoadedScene load_scene_source(const std::filesystem::path& path);

// What a training run will show before its first snapshot: its dataset's cameras and background
// (no Gaussians). Throws Error when the dataset cannot be read.
LoadedScene load_training_scene(const TrainSetup& setup);

// The background a run trains over: its configured one, else the colour its RGBA images were
// composited on, else black (the trainer's rule).
glm::vec3 run_background(const Json& model_config, const Dataset* dataset);

// Sparse points as small isotropic, nearly opaque Gaussians (about half the mean point spacing).
GaussianCloud cloud_from_points(const PointCloud& points);

// A .sags file decoded up to what the viewer needs (training/models/sags_decode.hpp).
std::shared_ptr<const SagsDecodeCache> load_sags_cache(const std::filesystem::path& file);
// The skeleton of a sags model as small Gaussians coloured by position (framing, statistics).
GaussianCloud sags_skeleton_cloud(const SagsDecodeCache& cache);

// The occupied cells of a NeRF's occupancy grid as small Gaussians coloured by position (framing,
// statistics): of each cascade the cells outside the finer ones, at most about 200,000.
GaussianCloud nerf_occupancy_cloud(const NerfScene& scene);

// The dataset's views in the order the viewer lists them.
std::vector<DatasetView> dataset_views(const Dataset& dataset);

} // namespace splatscape::gui
