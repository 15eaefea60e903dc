#pragma once
// Partition plans: how one large scene is split into cells that train independently and are
// joined again (`splatscape partition`, `train --plan PLAN --cell i`, `splatscape merge`), in the
// manner of VastGaussian and CityGaussian.
//
// Cells are columns over a ground plane: the plan's frame maps world points to plan coordinates
// (x, y on the ground, z up), and each cell is a rectangle in (x, y) of unbounded height. The
// outermost sides of the outer cells are open, so every point in space belongs to exactly one
// cell. Each cell has
//   bounds    its own rectangle: at the end of training only Gaussians inside it are kept;
//   expanded  the rectangle grown by `expand` times its size on each side: the cell trains the
//             sparse points inside it (the margin lets Gaussians near the border see both sides);
//   frames    the cameras that see enough of it: those standing inside the expanded rectangle,
//             and those for which the cell's sparse points cover at least `min_share` of a coarse
//             grid over the image (each grid block shows its nearest point, so occluded points
//             do not count), per split (train, val, test).
//
// A plan folder holds
//   PLAN/plan.json              this plan (the dataset, the frame, the cells and their frames)
//   PLAN/plan.md                a table of the cells, for people
//   PLAN/cells/NNN/subset.json  each cell as a dataset (core/datasets: the "subset" format)
//   PLAN/jobs.json              a `splatscape batch` jobs file with one job per cell
//   PLAN/runs/cell_NNN/         the cells' run folders (default of `train --plan`)
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include <glm/mat3x3.hpp>
#include <glm/vec2.hpp>
#include <glm/vec3.hpp>

#include "core/datasets/dataset.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/json_util.hpp"

namespace splatscape {

// A rectangle in plan (x, y); infinite sides are open.
struct CellRect {
    glm::vec2 min{-std::numeric_limits<float>::infinity()};
    glm::vec2 max{std::numeric_limits<float>::infinity()};
    bool contains(glm::vec2 p) const { return p.x >= min.x && p.x < max.x && p.y >= min.y && p.y < max.y; }
};

struct PlanFrame {
    glm::vec3 origin{0.0f};
    glm::mat3 axes{1.0f}; // rows: plan x, plan y (ground), plan z (up), unit world vectors
    glm::vec3 to_plan(glm::vec3 world) const;
    glm::vec2 ground(glm::vec3 world) const {
        const glm::vec3 p = to_plan(world);
        return {p.x, p.y};
    }
};

struct PlanCell {
    int index = 0;
    CellRect bounds;
    CellRect expanded;
    std::vector<std::string> train, val, test; // frame names per split
    size_t points = 0;                         // sparse points inside `expanded`
    size_t cameras_inside = 0;                 // training cameras standing inside `expanded`
};

struct PartitionOptions {
    int cells = 0;                   // > 0: this many cells of balanced counts (recursive median splits) ...
    std::string balance = "cameras"; // ... of training cameras (captures that cover the scene evenly, aerial or
                                     // street) or of sparse points (captures circling the content)
    float cell_size = 0.0f;          // > 0: a regular grid of this size (scene units) instead
    float expand = 0.2f;             // margin on each side, as a fraction of the cell's size
    float min_share = 0.15f;         // share of a camera's view a cell must cover for the camera to train it
    int min_cameras = 8;             // a cell keeps at least this many training cameras (the best by share)
    int grid = 32;                   // visibility grid blocks along an image's longer side
    std::string up = "auto";         // auto (mean of the cameras' up vectors), x, y, z, -x, -y, -z
    void validate() const;           // throws UsageError
};

struct PartitionPlan {
    std::filesystem::path data; // the whole scene's dataset (absolute)
    DatasetOptions dataset;     // the options it is loaded with
    PlanFrame frame;
    CellRect scene; // ground rectangle holding the cameras and the points (finite)
    float expand = 0.2f;
    float min_share = 0.15f;
    std::vector<PlanCell> cells;

    // The cell whose own bounds hold a world point (-1 for none, which only non-finite points hit).
    int cell_of(glm::vec3 world) const;
    Json to_json() const;
    static PartitionPlan from_json(const Json& json, const std::string& where);
};

// The plan for a loaded dataset (its `root` and `options` are recorded). Throws UsageError on bad
// options and Error when the dataset cannot be partitioned (no training cameras).
PartitionPlan make_partition_plan(const Dataset& dataset, const PartitionOptions& options);

// Share of the view of `camera` that the points of each cell cover (see the header comment); one
// value per cell. `cell_of_point[i]` is point i's cell (or -1 to ignore it).
std::vector<float> view_shares(const Camera& camera, const PointCloud& points, const std::vector<int>& cell_of_point,
                               size_t cell_count, int grid);

// A plan folder: writes plan.json, plan.md, cells/NNN/subset.json and jobs.json (plan.json last).
void write_partition_plan(const std::filesystem::path& dir, const PartitionPlan& plan);
// Reads PLAN/plan.json (or a plan.json given directly); checks it names cells consistently.
PartitionPlan read_partition_plan(const std::filesystem::path& path);
// The folder of a plan given as a folder or as its plan.json.
std::filesystem::path plan_folder(const std::filesystem::path& path);
// "cell_007"-style names and the cell dataset folder.
std::string cell_name(int index);
std::filesystem::path cell_dataset_folder(const std::filesystem::path& plan_dir, int index);

// The Gaussians of `cloud` inside the cell's own bounds (or its expanded bounds).
GaussianCloud crop_to_cell(const GaussianCloud& cloud, const PartitionPlan& plan, int cell, bool expanded = false);

} // namespace splatscape
