// splatscape distill RUN -o RUN2: turns a NeRF run (hmohe) into a Gaussian run. The NeRF renders its
// training cameras and extra cameras between them into a dataset (RUN2/teacher, training/distill.hpp)
// whose test split is the original held-out images and whose points are seeded from the NeRF's depth
// and density; gs3d then trains on it with the ordinary trainer into RUN2, an ordinary run folder
// (export, eval, view, render, tiles, train --resume). Prints the student's held-out PSNR / SSIM
// beside the teacher's, and writes RUN2/distill.json.
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <memory>

#include "app/cli/command.hpp"
#include "app/cli/model_settings.hpp"
#include "app/session/console_watch.hpp"
#include "core/error.hpp"
#include "core/io/nerf_file.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"
#include "core/metrics.hpp"
#include "core/progress.hpp"
#include "training/backend.hpp"
#include "training/distill.hpp"
#include "training/evaluation.hpp"
#include "training/models/hmohe.hpp"
#include "training/trainer.hpp"

namespace splatscape::cli {
namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

struct DistillArgs {
    std::string run;
    std::string output;
    std::string data; // the NeRF run's dataset, when it has moved
    std::string model = "gs3d";
    ModelSettingsArgs settings;
    int iterations = 0;
    int extra_views = -1; // -1: half the training views
    size_t seed_points = DistillSeedOptions{}.max_points;
    std::string device = "auto";
    int threads = 0;
    uint64_t seed = 0;
    bool force = false;
    int checkpoint_every = 1000;
    int probe_every = 250;
};

// The NeRF run's setup, checked: a finished hmohe run.
TrainSetup teacher_run(const DistillArgs& a) {
    const fs::path run = a.run;
    TrainSetup s = read_run_config(run); // "not a run folder" otherwise
    if (s.options.model != "hmohe")
        throw Error(run.string(), "model",
                    cat("a ", s.options.model,
                        " run: distill takes a NeRF run (--model hmohe); a Gaussian run exports directly "
                        "(`splatscape export ",
                        a.run, " -o scene.spz`)"));
    if (!fs::exists(run / "model.hmohe"))
        throw Error((run / "model.hmohe").string(), "",
                    cat("not found: the NeRF run has not finished (continue it with `splatscape train --resume -o ",
                        a.run, "`)"));
    if (!a.data.empty()) s.data = a.data;
    return s;
}

// The student's held-out renders against the teacher's (both 8-bit, file by file): how closely the
// student reproduces the teacher, apart from how well the teacher matches the photos.
double student_vs_teacher_psnr(const fs::path& run2, const Json& eval) {
    double sum = 0.0;
    size_t n = 0;
    for (const Json& v : eval.value("views", Json::array())) {
        const std::string file = safe_file_name(v.value("name", "")) + ".png";
        const fs::path student = run2 / "eval" / "renders" / file, teacher = run2 / "teacher_eval" / "renders" / file;
        if (!fs::exists(student) || !fs::exists(teacher)) continue;
        sum += psnr(load_image(student, 3), load_image(teacher, 3));
        ++n;
    }
    return n ? sum / double(n) : 0.0;
}

int run_distill(const DistillArgs& a) {
    const fs::path run2 = a.output;
    if (fs::exists(run2) && fs::exists(a.run) && fs::equivalent(run2, a.run))
        throw UsageError("-o must be a new folder, not the NeRF run itself");
    if ((fs::exists(run2 / "checkpoint.bin") || fs::exists(run2 / "teacher")) && !a.force)
        throw UsageError(cat(a.output,
                             " already holds a distilled run; pass --force to distill again, or continue "
                             "its training with `splatscape train --resume -o ",
                             a.output, "`"));
    const TrainSetup teacher_setup = teacher_run(a);
    const fs::path model = fs::path(a.run) / "model.hmohe";
    const Dataset dataset = load_dataset(teacher_setup.data, teacher_setup.dataset);
    if (evaluation_frames(dataset).empty())
        log::warn(teacher_setup.data.string(), " has no held-out views: the student is trained but not evaluated");
    // Settings first: a bad --config fails before minutes of rendering.
    Json settings = model_settings(a.model, a.settings, a.iterations);
    const NerfScene scene = read_nerf_scene(model);
    const Json teacher_background = {scene.background.x, scene.background.y, scene.background.z};
    if (settings.contains("background") && !settings["background"].is_null() &&
        settings["background"] != teacher_background)
        throw UsageError(cat("background: the student trains and is evaluated on the teacher's background ",
                             teacher_background.dump(), "; leave \"background\" out of --config"));
    settings["background"] = teacher_background;

    if (a.force && fs::exists(run2)) {
        remove_run_results(run2);
        fs::remove_all(run2 / "teacher");
        fs::remove_all(run2 / "teacher_eval");
        fs::remove_all(run2 / "eval");
    }
    const auto t0 = Clock::now();
    DistillOptions options;
    options.cameras.extra = a.extra_views >= 0 ? a.extra_views : int(dataset.train.size() / 2);
    options.cameras.seed = a.seed;
    options.seeding.max_points = a.seed_points;
    TeacherDataset teacher;
    {
        auto backend = create_backend(a.device, a.threads); // a device this build cannot use: exit 2
        HmoheNetwork network(*backend, scene, model.string());
        log::info("rendering the NeRF (", scene.parameter_count(), " parameters, ", backend->description(), ") from ",
                  dataset.train.size(), " training cameras, ", options.cameras.extra, " extra cameras and ",
                  evaluation_frames(dataset).size(), " held-out cameras");
        ProgressBar bar(
            "teacher", dataset.train.size() + size_t(options.cameras.extra) + evaluation_frames(dataset).size(), "img");
        teacher = write_teacher_dataset(*backend, network, scene, dataset, run2 / "teacher", options,
                                        run2 / "teacher_eval", [&](size_t done, size_t) { bar.update(done); });
        bar.finish();
    }
    log::info("teacher dataset: ", teacher.training_views, " training and ", teacher.extra_views, " extra views, ",
              teacher.points, " seed points in ", std::to_string(teacher.seconds).substr(0, 5), " s");

    // The student: an ordinary run of the Gaussian family on the teacher dataset.
    TrainSetup s;
    s.data = fs::absolute(run2 / "teacher");
    s.run_dir = run2;
    s.dataset.downscale = 1;
    s.dataset.max_width = 0; // the renders are at the training resolution already
    s.dataset.background = scene.background;
    s.options.model = a.model;
    s.options.device = a.device;
    s.options.threads = a.threads;
    s.options.seed = a.seed;
    s.options.iterations = a.iterations;
    s.options.checkpoint_every = a.checkpoint_every;
    s.options.probe_every = a.probe_every;
    s.model_config = settings;
    WatchResult r;
    {
        TrainingSession session(s);
        r = watch_in_console(session, "distill");
    }
    const double total = std::chrono::duration<double>(Clock::now() - t0).count();

    Json report = Json::object();
    report["teacher_run"] = fs::absolute(a.run).lexically_normal().string();
    report["teacher_model"] = fs::absolute(model).lexically_normal().string();
    report["dataset"] = fs::absolute(teacher_setup.data).lexically_normal().string();
    report["teacher"] = {
        {"psnr", teacher.teacher.psnr}, {"ssim", teacher.teacher.ssim}, {"parameters", scene.parameter_count()}};
    report["teacher_dataset"] = teacher.to_json();
    report["student"] = {
        {"model", a.model}, {"iterations", r.finished.iteration}, {"train_seconds", r.finished.train_seconds}};
    report["seconds"] = total;
    double vs_teacher = 0.0;
    size_t gaussians = 0;
    if (r.finished.evaluated) {
        const Json eval = load_json(run2 / "eval.json");
        gaussians = eval.value("gaussians", size_t(0));
        vs_teacher = student_vs_teacher_psnr(run2, eval);
        report["student"]["psnr"] = r.finished.psnr;
        report["student"]["ssim"] = r.finished.ssim;
        report["student"]["gaussians"] = gaussians;
        report["student"]["psnr_vs_teacher"] = vs_teacher;
        report["psnr_gap"] = teacher.teacher.psnr - r.finished.psnr;
    }
    save_json(run2 / "distill.json", report);

    std::printf("teacher      %s (hmohe, %zu parameters)\n", a.run.c_str(), scene.parameter_count());
    std::printf("views        %zu training + %zu extra cameras rendered, %zu held-out images kept for evaluation "
                "(%s/teacher)\n",
                teacher.training_views, teacher.extra_views, teacher.held_out, a.output.c_str());
    std::printf("points       %zu seeded from the NeRF's depth and density\n", teacher.points);
    std::printf("student      %s: %d iterations in %.1f s (%.1f s in all)\n", a.model.c_str(), r.finished.iteration,
                r.finished.train_seconds, total);
    if (r.finished.evaluated) {
        std::printf("held-out     student PSNR %.2f dB, SSIM %.4f, %zu Gaussians\n", r.finished.psnr, r.finished.ssim,
                    gaussians);
        std::printf("             teacher PSNR %.2f dB, SSIM %.4f (student %+.2f dB; student against the teacher's "
                    "renders %.2f dB)\n",
                    teacher.teacher.psnr, teacher.teacher.ssim, r.finished.psnr - teacher.teacher.psnr, vs_teacher);
    }
    std::printf("run          %s (export, eval, view as any gs3d run)\n", a.output.c_str());
    std::printf("written      %s/distill.json\n", a.output.c_str());
    return 0;
}

} // namespace

void add_distill(CLI::App& app, Registry& registry) {
    auto* cmd = app.add_subcommand("distill", "Distill a NeRF run (hmohe) into Gaussians: a gs3d run for export");
    cmd->footer("The NeRF renders every training camera of its dataset and --extra-views cameras between them (each\n"
                "between a training camera and one of its nearest, looking at the scene's centre, kept clear of the\n"
                "held-out cameras). RUN2/teacher is those renders as a dataset, with the original held-out images as\n"
                "its test split (never trained on) and points seeded from the NeRF's expected depth and density; gs3d\n"
                "trains on it as `train` does (--config, --iters; the gs3d presets). RUN2 is then an ordinary run:\n"
                "`export`, `eval`, `view`, `render`, `train --resume -o RUN2`. RUN2/eval.json scores the student on\n"
                "the original held-out images; RUN2/distill.json holds the teacher's score beside it. See\n"
                "docs/training.md (\"distill\").");
    auto a = std::make_shared<DistillArgs>();
    cmd->add_option("run", a->run, "The NeRF run folder (`splatscape train --model hmohe`)")->required();
    cmd->add_option("-o,--output", a->output, "Run folder of the Gaussian model (RUN2)")->required();
    cmd->add_option("--model", a->model, "The student's model family")
        ->check(CLI::IsMember({"gs3d"}))
        ->capture_default_str();
    add_model_settings_options(*cmd, a->settings);
    cmd->add_option("--iters", a->iterations, "Student iterations (default: the config's, 30000)")
        ->check(CLI::Range(1, 10000000));
    cmd->add_option("--extra-views", a->extra_views,
                    "Cameras rendered between the training cameras (default: half the training views)")
        ->check(CLI::Range(0, 100000));
    cmd->add_option("--seed-points", a->seed_points, "At most this many seed points (voxels merged to fit)")
        ->capture_default_str()
        ->check(CLI::Range(1, 100000000));
    cmd->add_option("--data", a->data, "The NeRF run's dataset (default: the one it trained on)");
    cmd->add_option("--device", a->device, "cpu, cuda[:N] or auto (a CUDA device when there is one)")
        ->capture_default_str();
    cmd->add_option("--threads", a->threads, "CPU threads (0: all cores)")->check(CLI::Range(0, 4096));
    cmd->add_option("--seed", a->seed, "Seed of the extra cameras and of training")->capture_default_str();
    cmd->add_flag("--force", a->force, "Distill again into a folder that holds a distilled run");
    cmd->add_option("--checkpoint-every", a->checkpoint_every, "Checkpoint interval (0: only at the end)")
        ->capture_default_str();
    cmd->add_option("--probe-every", a->probe_every, "Held-out PSNR probe interval (0: never)")->capture_default_str();
    cmd->callback([&registry, a] { registry.action = [a] { return run_distill(*a); }; });
}

} // namespace splatscape::cli
