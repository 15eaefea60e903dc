// splatscape merge PLAN -o SCENE: joins the trained cells of a partition plan into one scene,
// each cell contributing the Gaussians inside its own bounds; --eval renders the whole scene's
// held-out views.
#include <cmath>
#include <cstdio>
#include <filesystem>
#include <memory>

#include <glm/geometric.hpp>
#include <glm/gtc/matrix_access.hpp>

#include "app/cli/command.hpp"
#include "app/cli/frame_renderer.hpp"
#include "core/error.hpp"
#include "core/io/ply.hpp"
#include "core/io/scene_io.hpp"
#include "core/log.hpp"
#include "core/partition/partition_plan.hpp"
#include "core/progress.hpp"
#include "core/tiles/tileset.hpp"
#include "training/evaluation.hpp"
#include "training/trainer.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

struct MergeArgs {
    std::string plan;
    std::string output;
    std::string runs;
    std::string report;
    std::string tiles;   // also write the merged scene as a tiled scene here
    size_t leaf_splats = 65536;
    bool spz = false;
    bool evaluate = false;
    bool allow_missing = false;
    int threads = 0;
};

// The tiled, streamable form of the merged scene (OGC 3D Tiles with KHR_gaussian_splatting
// contents, docs/tiles.md), with the plan's up (its z axis) as the scene's up, so that 3D Tiles
// viewers show it upright.
void write_tiled_merge(const GaussianCloud& scene, const PartitionPlan& plan, const MergeArgs& a) {
    TiledSceneOptions o;
    o.lod.leaf_splats = a.leaf_splats;
    o.encoding.spz = a.spz;
    o.up = glm::normalize(glm::row(plan.frame.axes, 2));
    const TiledSceneSummary s = write_tiled_scene(scene, a.tiles, o);
    std::printf("tiles        %s (%zu tiles in %d levels, %.2f MB%s, %.1f s)\n", a.tiles.c_str(), s.tiles, s.levels,
                double(s.bytes) / 1e6, a.spz ? " SPZ-compressed" : "", s.seconds);
}

int run_merge(const MergeArgs& a) {
    const PartitionPlan plan = read_partition_plan(a.plan);
    const fs::path plan_dir = fs::absolute(plan_folder(a.plan)).lexically_normal();
    const fs::path runs = a.runs.empty() ? plan_dir / "runs" : fs::path(a.runs);

    std::vector<GaussianCloud> kept(plan.cells.size());
    std::vector<size_t> totals(plan.cells.size(), 0);
    std::vector<std::string> missing;
    int degree = 0;
    fs::path first_run;
    for (const PlanCell& c : plan.cells) {
        const fs::path run = runs / cell_name(c.index);
        const fs::path ply = run / "point_cloud.ply";
        if (!fs::exists(ply)) {
            missing.push_back(cell_name(c.index));
            continue;
        }
        if (fs::exists(run / "cell.json")) {
            // A run folder of another plan or cell must not slip in.
            const Json j = load_json(run / "cell.json");
            const std::string where = (run / "cell.json").string();
            const int cell = json_int(json_member(j, "cell", "", where), "cell", where, 0, 4095);
            const fs::path p = json_string(json_member(j, "plan", "", where), "plan", where);
            // A plan folder that was moved since is fine; another plan that exists is not.
            std::error_code ec;
            const bool other_plan = fs::exists(p, ec) && !fs::equivalent(p, plan_dir, ec);
            if (cell != c.index || other_plan)
                throw Error(where, "",
                            cat("this run trained cell ", cell, " of ", p.string(), ", not ", cell_name(c.index),
                                " of ", plan_dir.string()));
        }
        if (first_run.empty()) first_run = run;
        const GaussianCloud all = read_gaussian_ply(ply);
        totals[size_t(c.index)] = all.size();
        kept[size_t(c.index)] = crop_to_cell(all, plan, c.index);
        degree = std::max(degree, all.sh_degree);
    }
    if (!missing.empty()) {
        std::string list;
        for (const auto& m : missing) list += " " + m;
        if (!a.allow_missing || missing.size() == plan.cells.size())
            throw Error(runs.string(), "",
                        cat(missing.size(), " of ", plan.cells.size(), " cells have no trained model (",
                            "point_cloud.ply):", list, "; train them (`splatscape batch ",
                            (plan_dir / "jobs.json").string(), " --resume`)",
                            a.allow_missing ? "" : " or pass --allow-missing"));
        log::warn("merging without", list);
    }
    GaussianCloud scene;
    scene.sh_degree = degree;
    for (GaussianCloud& k : kept) {
        if (k.size() == 0) continue;
        if (k.sh_degree != degree) k.set_sh_degree(degree);
        for (size_t i = 0; i < k.size(); ++i) scene.push_back_from(k, i);
    }
    std::printf("%-9s %12s %12s\n", "cell", "trained", "kept");
    for (const PlanCell& c : plan.cells)
        std::printf("%-9s %12zu %12zu\n", cell_name(c.index).c_str(), totals[size_t(c.index)],
                    kept[size_t(c.index)].size());
    std::printf("merged       %zu Gaussians, SH degree %d\n", scene.size(), degree);
    Json report = {
        {"plan", plan_dir.string()}, {"gaussians", scene.size()}, {"sh_degree", degree}, {"cells", Json::array()}};
    for (const PlanCell& c : plan.cells)
        report["cells"].push_back(
            {{"cell", c.index}, {"trained", totals[size_t(c.index)]}, {"kept", kept[size_t(c.index)].size()}});

    if (!a.output.empty()) {
        write_scene(a.output, scene);
        std::printf("written      %s\n", a.output.c_str());
        report["scene"] = fs::absolute(a.output).string();
    }
    if (!a.tiles.empty()) {
        write_tiled_merge(scene, plan, a);
        report["tiles"] = fs::absolute(a.tiles).string();
    }

    if (a.evaluate) {
        // The whole scene's held-out views, with the background the cells trained with.
        const Dataset dataset = load_dataset(plan.data, plan.dataset);
        const auto& frames = evaluation_frames(dataset);
        if (frames.empty()) throw Error(plan.data.string(), "", "the dataset has no held-out views to evaluate on");
        glm::vec3 bg = dataset.has_alpha ? dataset.background : glm::vec3(0.0f);
        if (!first_run.empty()) {
            const TrainSetup s = read_run_config(first_run);
            if (auto it = s.model_config.find("background");
                it != s.model_config.end() && it->is_array() && it->size() == 3)
                bg = {(*it)[0].get<float>(), (*it)[1].get<float>(), (*it)[2].get<float>()};
        }
        Dataset eval_ds = dataset;
        eval_ds.background = bg;
        auto renderer = create_frame_renderer("cpu", scene, a.threads);
        ProgressBar bar("eval", frames.size(), "img");
        const EvalResult r = evaluate_frames(
            eval_ds, frames, [&](const Frame&, const Camera& c) { return renderer->render(c, bg); }, {},
            [&](size_t done, size_t) { bar.update(done); });
        bar.finish();
        std::printf("held-out     PSNR %.2f dB, SSIM %.4f over %zu views of the whole scene\n", r.psnr, r.ssim,
                    r.views.size());
        report["eval"] = r.to_json();
    }
    const fs::path report_path = !a.report.empty()   ? fs::path(a.report)
                                 : !a.output.empty() ? fs::path(a.output).replace_extension(".merge.json")
                                                     : plan_dir / "merge.json";
    save_json(report_path, report);
    std::printf("report       %s\n", report_path.string().c_str());
    return 0;
}

} // namespace

void add_merge(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("merge", "Join the trained cells of a partition plan into one scene");
    cmd->footer("Each cell's run (PLAN/runs/cell_NNN, or --runs DIR/cell_NNN) contributes the Gaussians inside the\n"
                "cell's own bounds; the cells' bounds tile the ground plane, so every part of the scene comes from\n"
                "exactly one cell. SCENE's extension picks the format (.ply, .spz, .splat, .glb). --eval renders the\n"
                "whole dataset's held-out views (3DGS protocol) with the CPU rasterizer. A report (cells, counts,\n"
                "PSNR) goes to SCENE with the extension .merge.json. --tiles DIR also writes the merged scene as a\n"
                "streamable tiled scene (3D Tiles, the plan's up as its up; docs/tiles.md).");
    auto a = std::make_shared<MergeArgs>();
    cmd->add_option("plan", a->plan, "Plan folder written by `splatscape partition`")->required();
    cmd->add_option("-o,--output", a->output, "Scene file to write")->required();
    cmd->add_option("--runs", a->runs, "Folder holding the cells' runs as cell_NNN (default: PLAN/runs)");
    cmd->add_flag("--eval", a->evaluate, "Evaluate the merged scene on the whole dataset's held-out views");
    cmd->add_option("--report", a->report, "Where the merge report goes (default: beside SCENE, .merge.json)");
    cmd->add_flag("--allow-missing", a->allow_missing, "Merge the cells that have trained and leave the others out");
    cmd->add_option("--threads", a->threads, "CPU threads for --eval (0: all cores)")->check(CLI::Range(0, 4096));
    cmd->add_option("--tiles", a->tiles,
                    "Also write the merged scene as a tiled level-of-detail scene (3D Tiles 1.1, docs/tiles.md) into "
                    "this folder, for `splatscape view DIR` and web viewers");
    cmd->add_option("--leaf-splats", a->leaf_splats, "--tiles: most Gaussians in one tile")
        ->check(CLI::Range(16, 1 << 24))
        ->capture_default_str();
    cmd->add_flag("--spz", a->spz, "--tiles: SPZ-compressed tiles (KHR_gaussian_splatting_compression_spz_2)");
    cmd->callback([&registry, a] { registry.action = [a] { return run_merge(*a); }; });
}

} // namespace splatscape::cli
