// Training throughput and quality on any backend, measured on the trainer that `splatscape train`
// runs (training/trainer.hpp): the same steps, schedule, densification and evaluation, with held-out
// evaluations (3DGS protocol) at chosen iterations. Prints one JSON line per figure; never fails on
// speed.
//
//   bench_train [--data DIR] [--format F] [--downscale N] [--max-width W] [--test-every N]
//               [--no-undistort] [--model gs3d|gs4d|sags|sags-lite] [--device auto|cpu|cuda[:N]]
//               [--threads N]
//               [--iters 7000,30000] [--config FILE.json] [--seed S] [--profile-every K]
//               [--max-seconds S] [--out DIR] [--label NAME]
//
// Without --data it trains on the built-in scene (generated into a cache folder beside the
// executable). --iters lists the iterations to evaluate at; training runs to the last one with the
// schedule of the config (default: the 3DGS paper's 30k schedule), so `--iters 7000,30000` reports
// both figures from one run, as gsplat's trainer does. --max-seconds stops training at the first
// evaluation point after which the next one would, at the pace so far, take longer than that.
// Every --profile-every iterations the trainer synchronises the backend after each phase of the step
// to split its time into forward (rasterizer), loss, backward, densification and optimizer; the
// totals come from all iterations, unsynchronised. --out receives the first held-out view's final
// render and its ground truth as PNG. --label names the run in every line ("config": NAME).
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "core/json_util.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "training/trainer.hpp"

using namespace splatscape;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

struct Context {
    std::string device;
    std::string data;
    std::string label;
};

void figure(const Context& c, const std::string& name, double value, const char* unit, int iteration,
            size_t gaussians) {
    std::printf("{\"bench\": \"train\", \"figure\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", \"iteration\": %d, "
                "\"gaussians\": %zu, \"device\": \"%s\", \"data\": \"%s\", \"config\": \"%s\"}\n",
                name.c_str(), value, unit, iteration, gaussians, c.device.c_str(), c.data.c_str(), c.label.c_str());
    std::fflush(stdout);
}

std::vector<int> parse_list(const std::string& s) {
    std::vector<int> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
    return out;
}

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

} // namespace

int main(int argc, char** argv) {
    std::string data, config_file, out_dir, label = "default";
    TrainSetup s;
    s.options.device = "auto";
    s.options.profile_every = 50;
    double max_seconds = 0.0;
    std::vector<int> eval_at = {7000, 30000};
    for (int i = 1; i < argc; ++i) {
        const std::string a = argv[i];
        auto value = [&]() -> std::string {
            if (i + 1 >= argc) {
                std::fprintf(stderr, "bench_train: %s needs a value\n", a.c_str());
                std::exit(2);
            }
            return argv[++i];
        };
        if (a == "--data")
            data = value();
        else if (a == "--format")
            s.dataset.format = value();
        else if (a == "--downscale")
            s.dataset.downscale = std::stoi(value());
        else if (a == "--max-width")
            s.dataset.max_width = std::stoi(value());
        else if (a == "--test-every")
            s.dataset.test_every = std::stoi(value());
        else if (a == "--no-undistort")
            s.dataset.undistort = false;
        else if (a == "--model")
            s.options.model = value();
        else if (a == "--device")
            s.options.device = value();
        else if (a == "--threads")
            s.options.threads = std::stoi(value());
        else if (a == "--iters")
            eval_at = parse_list(value());
        else if (a == "--config")
            config_file = value();
        else if (a == "--seed")
            s.options.seed = std::stoull(value());
        else if (a == "--profile-every")
            s.options.profile_every = std::stoi(value());
        else if (a == "--max-seconds")
            max_seconds = std::stod(value());
        else if (a == "--out")
            out_dir = value();
        else if (a == "--label")
            label = value();
        else {
            std::fprintf(stderr, "bench_train: unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (eval_at.empty()) return 2;
    std::sort(eval_at.begin(), eval_at.end());
    int code = 0;
    const fs::path run_dir =
        fs::temp_directory_path() / cat("splatscape_bench_train_", std::chrono::steady_clock::now().time_since_epoch().count());
    try {
        if (data.empty()) {
            data = (fs::path(argv[0]).parent_path() / "cache" / "builtin_200").string();
            if (!fs::exists(fs::path(data) / "transforms_train.json")) {
                SyntheticSceneOptions o;
                o.width = o.height = 200;
                std::fprintf(stderr, "generating the built-in scene in %s\n", data.c_str());
                generate_synthetic_scene(o, data);
            }
        }
        s.data = data;
        s.run_dir = run_dir;
        if (!config_file.empty()) s.model_config = load_json(config_file);
        s.options.iterations = eval_at.back();
        s.options.eval_iterations.assign(eval_at.begin(), eval_at.end() - 1);
        s.options.checkpoint_every = 0;
        s.options.probe_every = 0;
        s.options.save_eval_images = !out_dir.empty();
        s.options.progress_interval_ms = 3600 * 1000;

        TrainerMessageQueue messages;
        TrainerCommandQueue commands;
        const auto load_start = Clock::now();
        std::thread worker([&] { Trainer(s, messages, commands).run(); });
        Context ctx{"", fs::path(data).filename().string(), label};
        for (bool done = false; !done;) {
            auto m = messages.pop_for(std::chrono::milliseconds(500));
            if (!m) continue;
            if (auto* st = std::get_if<msg::Started>(&*m)) {
                ctx.device = st->backend;
                std::fprintf(stderr, "bench_train: %zu initial Gaussians on %s (%.1f s to load)\n", st->gaussians,
                             st->backend.c_str(), seconds_since(load_start));
                figure(ctx, "initial_gaussians", double(st->gaussians), "count", 0, st->gaussians);
                figure(ctx, "load_seconds", seconds_since(load_start), "s", 0, st->gaussians);
            } else if (auto* e = std::get_if<msg::Evaluated>(&*m)) {
                const size_t n = e->model_size;
                figure(ctx, "train_seconds", e->train_seconds, "s", e->iteration, n);
                figure(ctx, "ms_per_iteration", 1000.0 * e->train_seconds / e->iteration, "ms", e->iteration, n);
                for (const auto& [phase, ms] : e->phase_ms) figure(ctx, "ms_" + phase, ms, "ms", e->iteration, n);
                if (e->peak_device_memory) {
                    figure(ctx, "peak_gpu_memory_used", double(e->peak_device_memory) / double(1 << 20), "MiB",
                           e->iteration, n);
                    figure(ctx, "peak_gpu_memory_reserved", double(e->peak_device_reserved) / double(1 << 20), "MiB",
                           e->iteration, n);
                }
                figure(ctx, "heldout_psnr", e->psnr, "dB", e->iteration, n);
                figure(ctx, "heldout_ssim", e->ssim, "", e->iteration, n);
                figure(ctx, "eval_seconds", e->eval_seconds, "s", e->iteration, n);
                // The next stretch is predicted from this one's pace, with headroom for the growth of
                // the model that densification may still bring.
                const auto next = std::upper_bound(eval_at.begin(), eval_at.end(), e->iteration);
                if (max_seconds > 0 && next != eval_at.end() &&
                    1.3 * e->train_seconds * double(*next) / double(e->iteration) > max_seconds) {
                    std::fprintf(stderr,
                                 "bench_train: stopping at iteration %d: %d iterations would take longer than "
                                 "--max-seconds %.0f\n",
                                 e->iteration, *next, max_seconds);
                    commands.push(TrainerCommand::Stop);
                }
            } else if (std::get_if<msg::Finished>(&*m)) {
                done = true;
            } else if (auto* f = std::get_if<msg::Failed>(&*m)) {
                std::fprintf(stderr, "bench_train: %s\n", f->message.c_str());
                code = 1;
                done = true;
            }
        }
        worker.join();
        // What the run wrote, in bytes (the model family's own file beside the PLY, where it has one).
        for (const char* file : {"point_cloud.ply", "model.sags"})
            if (fs::exists(run_dir / file))
                figure(ctx, cat("file_bytes_", file), double(fs::file_size(run_dir / file)), "B", eval_at.back(), 0);
        if (!out_dir.empty() && fs::exists(run_dir / "eval" / "renders")) {
            // The first held-out view, render and ground truth.
            std::vector<fs::path> renders;
            for (const auto& e : fs::directory_iterator(run_dir / "eval" / "renders")) renders.push_back(e.path());
            std::sort(renders.begin(), renders.end());
            if (!renders.empty()) {
                fs::create_directories(out_dir);
                fs::copy_file(renders.front(), fs::path(out_dir) / cat("render_", eval_at.back(), ".png"),
                              fs::copy_options::overwrite_existing);
                fs::copy_file(run_dir / "eval" / "gt" / renders.front().filename(),
                              fs::path(out_dir) / "ground_truth.png", fs::copy_options::overwrite_existing);
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_train: %s\n", e.what());
        code = 1;
    }
    std::error_code ec;
    fs::remove_all(run_dir, ec);
    return code;
}
