// splatscape partition DATA -o PLAN: splits a large scene into cells that train independently
// (core/partition/partition_plan.hpp), for `train --plan PLAN --cell i` and `merge PLAN`.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/cli/command.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/partition/partition_plan.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

struct PartitionArgs {
    std::string data;
    std::string output;
    bool force = false;
    PartitionOptions options;
    DatasetOptions dataset;
};

int run_partition(const PartitionArgs& a) {
    a.options.validate();
    const fs::path out = a.output;
    if (fs::exists(out / "plan.json") && !a.force)
        throw UsageError(cat(a.output, " holds a plan already; pass --force to replace it (cell runs in ", a.output,
                             "/runs are kept)"));
    const Dataset d = load_dataset(a.data, a.dataset);
    log::info("partitioning ", d.train.size(), " training views and ", d.points.size(), " points of ", a.data);
    const PartitionPlan plan = make_partition_plan(d, a.options);
    if (fs::exists(out / "cells")) fs::remove_all(out / "cells"); // a replaced plan may have fewer cells
    write_partition_plan(out, plan);
    std::printf("%-9s %-44s %10s %6s %6s %8s\n", "cell", "bounds (plan x, y; z up)", "train (in)", "val", "test",
                "points");
    for (const PlanCell& c : plan.cells) {
        auto side = [](float v) {
            return std::isfinite(v) ? cat(std::round(v * 100) / 100) : std::string(v < 0 ? "-inf" : "+inf");
        };
        const std::string b = cat("x [", side(c.bounds.min.x), ", ", side(c.bounds.max.x), ") y [",
                                  side(c.bounds.min.y), ", ", side(c.bounds.max.y), ")");
        std::printf("%-9s %-44s %5zu (%2zu) %6zu %6zu %8zu\n", cell_name(c.index).c_str(), b.c_str(), c.train.size(),
                    c.cameras_inside, c.val.size(), c.test.size(), c.points);
    }
    std::printf("plan         %s (%zu cells; plan.md describes them)\n", (out / "plan.json").string().c_str(),
                plan.cells.size());
    std::printf("train        splatscape batch %s   (or: splatscape train --plan %s --cell i)\n",
                (out / "jobs.json").string().c_str(), a.output.c_str());
    std::printf("merge        splatscape merge %s -o scene.ply\n", a.output.c_str());
    return 0;
}

} // namespace

void add_partition(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("partition", "Split a large scene into cells that train independently");
    cmd->footer(
        "Cells are columns over the ground plane, cut by the training cameras' positions (--cells N: balanced\n"
        "camera counts by recursive median splits, or point counts with --balance points; --cell-size M: a\n"
        "regular grid). Each cell trains the sparse\n"
        "points inside its bounds grown by --expand of its size, on every camera that stands in them or whose\n"
        "view the cell's points cover by at least --min-share (a coarse grid over the image; occluded points do\n"
        "not count), and keeps the Gaussians inside its own bounds. Writes PLAN/plan.json, PLAN/plan.md, one\n"
        "dataset per cell (PLAN/cells/NNN) and PLAN/jobs.json for `splatscape batch`; docs/batch.md.");
    auto a = std::make_shared<PartitionArgs>();
    cmd->add_option("data", a->data, "Dataset folder")->required();
    cmd->add_option("-o,--output", a->output, "Plan folder")->required();
    cmd->add_option("--cells", a->options.cells, "Number of cells")->check(CLI::Range(1, 4096));
    cmd->add_option("--balance", a->options.balance,
                    "With --cells: balance the cells' training cameras, or their sparse points (for captures "
                    "that circle the content)")
        ->capture_default_str();
    cmd->add_option("--cell-size", a->options.cell_size, "Cell size in scene units (a grid instead of --cells)");
    cmd->add_option("--expand", a->options.expand, "Margin trained around each cell, as a fraction of its size")
        ->capture_default_str();
    cmd->add_option("--min-share", a->options.min_share,
                    "Share of a camera's view a cell must cover for the camera to train it")
        ->capture_default_str();
    cmd->add_option("--min-cameras", a->options.min_cameras, "Training cameras a cell keeps at least")
        ->capture_default_str();
    cmd->add_option("--grid", a->options.grid, "Visibility grid blocks along an image's longer side")
        ->capture_default_str();
    cmd->add_option("--up", a->options.up, "Up axis: auto (from the cameras), x, y, z, -x, -y, -z")
        ->capture_default_str();
    cmd->add_option("--format", a->dataset.format, "Dataset format")->capture_default_str();
    cmd->add_option("--downscale", a->dataset.downscale, "Image downscale factor the cells train at")
        ->check(CLI::Range(1, 64));
    cmd->add_option("--max-width", a->dataset.max_width, "Scale larger images down to this width (0: never)")
        ->capture_default_str();
    cmd->add_option("--test-every", a->dataset.test_every,
                    "Hold out every Nth image when the dataset has no test split")
        ->capture_default_str();
    cmd->add_flag("--force", a->force, "Replace a plan in the output folder");
    cmd->callback([&registry, a] { registry.action = [a] { return run_partition(*a); }; });
}

} // namespace splatscape::cli
