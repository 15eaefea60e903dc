// splatscape train DATA --model gs3d -o RUN: trains a model and writes a run folder
// (training/trainer.hpp lists what it holds).
#include <cstdio>
#include <filesystem>
#include <memory>
#include <sstream>

#include "app/cli/command.hpp"
#include "app/cli/model_settings.hpp"
#include "app/cli/process.hpp"
#include "app/gui/gui.hpp"
#include "app/session/console_watch.hpp"
#include "app/session/progress_file.hpp"
#include "core/error.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"
#include "core/partition/partition_plan.hpp"
#include "training/backend.hpp"
#include "training/trainer.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;

struct TrainArgs {
    std::string data;
    std::string output;
    std::string model = "gs3d";
    ModelSettingsArgs settings; // --config, --densify, --max-gaussians, --scale-schedule
    std::string device = "auto";
    int iterations = 0;
    int threads = 0;
    uint64_t seed = 0;
    bool resume = false;
    bool model_given = false; // --model was on the command line
    bool force = false;
    bool no_eval = false;
    int checkpoint_every = 1000;
    int probe_every = 250;
    std::vector<int> save_at;
    DatasetOptions dataset;
    bool gui = false;
    gui::WindowOptions window;
    std::string plan;             // partitioned training: the plan folder ...
    int cell = -1;                // ... and the cell to train
    bool dataset_options = false; // any of --format --downscale --max-width --test-every given
    std::string progress_json;    // RUN/progress.json-style status file (app/session/progress_file.hpp)
};

// `--plan PLAN --cell i`: the cell's dataset (its cameras, and the points in its expanded bounds)
// and, without -o, the plan's run folder for the cell.
void resolve_cell(TrainArgs& a) {
    if (a.plan.empty()) {
        if (a.cell >= 0) throw UsageError("--cell needs --plan");
        if (a.output.empty()) throw UsageError("train: -o RUN is required");
        return;
    }
    if (a.cell < 0) throw UsageError("--plan needs --cell i (the cell to train)");
    if (a.model == "hmohe")
        throw UsageError(
            "--plan trains the Gaussian families (merge joins their cells); hmohe runs are not partitioned");
    const PartitionPlan plan = read_partition_plan(a.plan);
    if (size_t(a.cell) >= plan.cells.size())
        throw UsageError(cat("--cell ", a.cell, ": the plan has cells 0..", plan.cells.size() - 1));
    if (!a.data.empty()) throw UsageError("give DATA or --plan, not both (a cell trains on the plan's dataset)");
    if (a.dataset_options)
        throw UsageError("dataset options (--format, --downscale, ...) belong to `splatscape partition`; the cells "
                         "train with the plan's");
    const fs::path dir = plan_folder(a.plan);
    if (!a.resume) a.data = cell_dataset_folder(dir, a.cell).string();
    if (a.output.empty()) a.output = (dir / "runs" / cell_name(a.cell)).string();
}

// After a cell has trained: its Gaussians inside the cell's own bounds, which `merge` joins.
void write_cell_result(const TrainArgs& a) {
    const PartitionPlan plan = read_partition_plan(a.plan);
    const fs::path run = a.output;
    const GaussianCloud all = read_gaussian_ply(run / "point_cloud.ply");
    const GaussianCloud kept = crop_to_cell(all, plan, a.cell);
    write_gaussian_ply(run / "cell.ply", kept);
    save_json(run / "cell.json", {{"plan", fs::absolute(plan_folder(a.plan)).lexically_normal().string()},
                                  {"cell", a.cell},
                                  {"gaussians", all.size()},
                                  {"kept", kept.size()}});
    std::printf("cell         %s: kept %zu of %zu Gaussians inside its bounds (%s/cell.ply)\n",
                cell_name(a.cell).c_str(), kept.size(), all.size(), a.output.c_str());
}

int run_train(TrainArgs a) {
    resolve_cell(a);
    std::unique_ptr<ProgressFile> progress;
    if (!a.progress_json.empty()) {
        if (a.gui) throw UsageError("--progress-json is for headless runs (without --gui)");
        progress = std::make_unique<ProgressFile>(a.progress_json);
    }
    try {
        TrainSetup s;
        s.run_dir = a.output;
        s.data = a.data;
        s.dataset = a.dataset;
        s.options.model = a.model;
        s.options.device = a.device;
        s.options.threads = a.threads;
        s.options.seed = a.seed;
        s.options.iterations = a.iterations;
        s.options.resume = a.resume;
        s.options.evaluate = !a.no_eval;
        s.options.checkpoint_every = a.checkpoint_every;
        s.options.probe_every = a.probe_every;
        s.options.save_iterations = a.save_at;
        if (a.resume) {
            if (!a.settings.config.empty())
                throw UsageError("--config cannot change a run that is resumed (its settings are in its checkpoint)");
            if (!a.settings.densify.empty() || a.settings.max_gaussians >= 0)
                throw UsageError("--densify and --max-gaussians cannot change a run that is resumed");
            // A model family given with --resume must be the run's own.
            if (a.model_given && fs::exists(s.run_dir / "config.json")) {
                const std::string saved = read_run_config(s.run_dir).options.model;
                if (saved != a.model)
                    throw UsageError(cat("--model ", a.model, " cannot resume ", a.output, ", a ", saved,
                                         " run (leave --model out, or start a new run)"));
            }
        } else {
            if (a.data.empty()) throw UsageError("train: the DATA folder is required (unless --resume)");
            if (fs::exists(s.run_dir / "checkpoint.bin") && !a.force)
                throw UsageError(
                    cat(a.output, " already holds a run; pass --resume to continue it or --force to start over"));
            s.model_config = model_settings(a.model, a.settings, a.iterations);
            if (a.force && fs::exists(s.run_dir)) remove_run_results(s.run_dir);
            s.data = dataset_for_training(a.data); // plain photos or a video: processed with COLMAP first
        }
        if (a.gui) return gui::run_training_window(s, a.window);
        create_backend(a.device, a.threads); // a device this build cannot use is a usage error (exit 2)
        TrainingSession session(s);
        std::function<void(const TrainerMessage&)> observer;
        if (progress) observer = [&](const TrainerMessage& m) { progress->on_message(m); };
        const WatchResult r = watch_in_console(session, "train", observer);
        std::printf("run          %s\n", a.output.c_str());
        std::printf("iterations   %d in %.1f s\n", r.finished.iteration, r.finished.train_seconds);
        if (a.model == "hmohe" || fs::exists(fs::path(a.output) / "model.hmohe"))
            std::printf("model        %s/model.hmohe\n", a.output.c_str());
        else if (fs::exists(fs::path(a.output) / "model.sags"))
            std::printf("model        %s/model.sags (decoded: point_cloud.ply)\n", a.output.c_str());
        else
            std::printf("gaussians    see %s/point_cloud.ply\n", a.output.c_str());
        if (r.finished.evaluated)
            std::printf("held-out     PSNR %.2f dB, SSIM %.4f (%s/eval.json)\n", r.finished.psnr, r.finished.ssim,
                        a.output.c_str());
        if (!a.plan.empty()) write_cell_result(a);
    } catch (const std::exception& e) {
        if (progress) progress->fail(e.what());
        throw;
    }
    return 0;
}

} // namespace

void add_train(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("train", "Train a model on a dataset and write a run folder");
    cmd->footer(
        "The run folder holds config.json, checkpoint.bin (every --checkpoint-every iterations, at the end,\n"
        "and on Ctrl-C or SIGTERM), point_cloud.ply (reference 3DGS layout), metrics.jsonl and, after a\n"
        "completed run, eval.json with eval/renders; sags runs also hold model.sags (point_cloud.ply is then\n"
        "its view-independent decode). Continue a stopped run with `splatscape train --resume -o RUN`.\n"
        "--plan PLAN --cell i trains one cell of a partitioned scene (docs/batch.md): the cell's cameras,\n"
        "the points in its expanded bounds, and at the end RUN/cell.ply with the Gaussians inside its bounds.\n"
        "--config takes a JSON object of model settings (see docs/training.md), or the name of a preset\n"
        "(assets/presets/<model>/NAME.json: default, demo, or your own); absent keys keep the paper's\n"
        "defaults.");
    auto a = std::make_shared<TrainArgs>();
    cmd->add_option("data", a->data,
                    "Dataset folder (Blender, instant-ngp, COLMAP, LLFF), or photos / a video to `process` first");
    cmd->add_option("-o,--output", a->output, "Run folder (with --plan: PLAN/runs/cell_NNN by default)");
    cmd->add_option("--model", a->model,
                    "Model family: gs3d, gs4d for dynamic scenes (D-NeRF, multi-view video), sags or sags-lite "
                    "(structure-aware: points, a graph encoder and decoder MLPs; writes model.sags), or hmohe (a "
                    "NeRF: mixture of hash-grid experts, docs/training.md)")
        ->capture_default_str();
    add_model_settings_options(*cmd, a->settings);
    cmd->add_option("--iters", a->iterations, "Iterations (default: the config's, 30000)")
        ->check(CLI::Range(1, 10000000));
    cmd->add_option("--device", a->device, "cpu, cuda[:N] or auto (a CUDA device when there is one)")
        ->capture_default_str();
    cmd->add_option("--threads", a->threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 4096));
    cmd->add_option("--seed", a->seed, "Random seed")->capture_default_str();
    cmd->add_flag("--resume", a->resume, "Continue the run in the output folder from its checkpoint");
    cmd->add_flag("--force", a->force, "Start over in an output folder that holds a run");
    cmd->add_option("--checkpoint-every", a->checkpoint_every, "Checkpoint interval (0: only at the end)")
        ->capture_default_str();
    cmd->add_option("--probe-every", a->probe_every, "Held-out PSNR probe interval (0: never)")->capture_default_str();
    cmd->add_option("--save-at", a->save_at, "Also write point_cloud/iteration_N/ at these iterations")->delimiter(',');
    cmd->add_flag("--no-eval", a->no_eval, "Skip the final held-out evaluation");
    cmd->add_option("--format", a->dataset.format, "Dataset format (auto, blender, dnerf, dynerf, ngp, colmap, llff)")
        ->capture_default_str();
    cmd->add_option("--downscale", a->dataset.downscale, "Image downscale factor")->check(CLI::Range(1, 64));
    cmd->add_option("--max-width", a->dataset.max_width, "Scale larger images down to this width (0: never)")
        ->capture_default_str();
    cmd->add_option("--test-every", a->dataset.test_every,
                    "Hold out every Nth image when the dataset has no test split")
        ->capture_default_str();
    cmd->add_flag("--gui", a->gui, "Watch training in a window: live model, loss and PSNR curves, pause/stop/save");
    gui::add_window_options(*cmd, a->window, true);
    cmd->add_option("--plan", a->plan,
                    "Partitioned training: the plan folder written by `splatscape partition` (train one --cell)");
    cmd->add_option("--cell", a->cell, "With --plan: the cell to train (0-based)")->check(CLI::Range(0, 4095));
    cmd->add_option("--progress-json", a->progress_json,
                    "Keep a machine-readable status in this file (state, iteration, PSNR, ETA; see docs/batch.md)");
    cmd->callback([&registry, a, cmd] {
        for (const char* o : {"--format", "--downscale", "--max-width", "--test-every"})
            if (cmd->count(o) > 0) a->dataset_options = true;
        a->model_given = cmd->count("--model") > 0;
        registry.action = [a] { return run_train(*a); };
    });
}

} // namespace splatscape::cli
