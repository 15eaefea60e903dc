// gs4d training on a dynamic dataset (default: ../shared/datasets/dnerf_lego_tiny) with the paper's
// settings and its 30k-iteration schedule scaled to --iters: prints one JSON line per probe and one
// with the final held-out PSNR, SSIM, training time and Gaussian count. Not a test: it never fails.
//
//   bench_train_4d [--data DIR] [--iters N] [--device cpu|cuda[:N]|auto] [--threads N] [--random-points N]
//                  [--out DIR] [--seed S]
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <thread>

#include "bench/bench_data.hpp"
#include "core/json_util.hpp"
#include "training/models/gs4d_config.hpp"
#include "training/trainer.hpp"

using namespace splatscape;
namespace fs = std::filesystem;

int main(int argc, char** argv) {
    fs::path data = bench::shared_datasets_dir() / "dnerf_lego_tiny" / "dnerf_format"; // bench/bench_data.hpp
    fs::path out = fs::temp_directory_path() / "splatscape_bench_train_4d";
    std::string device = "cpu";
    int iters = 6000, threads = 0, random_points = -1;
    uint64_t seed = 0;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--data")
            data = argv[i + 1];
        else if (a == "--iters")
            iters = std::atoi(argv[i + 1]);
        else if (a == "--device")
            device = argv[i + 1];
        else if (a == "--threads")
            threads = std::atoi(argv[i + 1]);
        else if (a == "--random-points")
            random_points = std::atoi(argv[i + 1]);
        else if (a == "--out")
            out = argv[i + 1];
        else if (a == "--seed")
            seed = std::strtoull(argv[i + 1], nullptr, 10);
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    if (!fs::exists(data)) {
        std::fprintf(stderr, "dataset %s not found (pass --data or set SPLATSCAPE_DATASETS)\n", data.string().c_str());
        return 1;
    }
    Gs4dConfig config;
    config.scale_schedule(iters);
    if (random_points > 0) config.random_points = random_points;
    TrainSetup s;
    s.data = data;
    s.run_dir = out;
    s.options.model = "gs4d";
    s.options.device = device;
    s.options.threads = threads;
    s.options.seed = seed;
    s.options.probe_every = std::max(1, iters / 10);
    s.options.checkpoint_every = 0;
    s.options.progress_interval_ms = 60000;
    s.model_config = to_json(config);
    fs::remove_all(out);

    TrainerMessageQueue messages;
    TrainerCommandQueue commands;
    std::thread worker([&] { Trainer(s, messages, commands).run(); });
    size_t gaussians = 0;
    int code = 0;
    auto started = std::chrono::steady_clock::now();
    for (;;) {
        auto m = messages.pop_for(std::chrono::milliseconds(500));
        if (!m) continue;
        if (std::get_if<msg::Started>(&*m)) started = std::chrono::steady_clock::now();
        if (auto* p = std::get_if<msg::Progress>(&*m)) gaussians = p->gaussians;
        if (auto* d = std::get_if<msg::Densified>(&*m)) gaussians = d->gaussians;
        if (auto* p = std::get_if<msg::Probe>(&*m)) {
            // seconds: wall time since training started, probes included.
            const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
            std::printf("{\"bench\": \"train_4d\", \"figure\": \"probe_psnr\", \"iteration\": %d, \"value\": %.3f, "
                        "\"unit\": \"dB\", \"view\": \"%s\", \"gaussians\": %zu, \"seconds\": %.1f}\n",
                        p->iteration, p->psnr, p->view.c_str(), gaussians, seconds);
            std::fflush(stdout);
        } else if (auto* f = std::get_if<msg::Finished>(&*m)) {
            const Json eval = fs::exists(out / "eval.json") ? load_json(out / "eval.json") : Json::object();
            std::printf("{\"bench\": \"train_4d\", \"figure\": \"test_psnr\", \"value\": %.3f, \"unit\": \"dB\", "
                        "\"ssim\": %.4f, \"iterations\": %d, \"train_seconds\": %.1f, \"gaussians\": %zu, "
                        "\"views\": %zu, \"device\": \"%s\", \"data\": \"%s\"}\n",
                        f->psnr, f->ssim, f->iteration, f->train_seconds,
                        size_t(eval.value("gaussians", Json(0)).get<size_t>()),
                        eval.contains("views") ? eval["views"].size() : size_t(0), device.c_str(),
                        data.string().c_str());
            break;
        } else if (auto* e = std::get_if<msg::Failed>(&*m)) {
            std::fprintf(stderr, "training failed: %s\n", e->message.c_str());
            code = 1;
            break;
        }
    }
    worker.join();
    return code;
}
