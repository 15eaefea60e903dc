// CPU training throughput on the built-in scene at a fixed size: prints one JSON line per figure
// (iterations per second, milliseconds per phase, peak memory). Not a test: it never fails on speed.
//
//   bench_train_cpu [--scene DIR] [--gaussians N] [--ply FILE] [--iters N] [--threads N] [--size PX]
//
// Without --scene it generates the built-in scene (PX x PX, N surface points) into a cache folder
// under the build tree. The model is initialised from those points (3DGS initialisation: opacity
// 0.1 everywhere, the slowest case for the rasterizer, nothing terminates early), or loaded from
// --ply (a trained model, e.g. splatscape-demo/run/point_cloud.ply). Iterations run without
// densification, so the Gaussian count stays fixed.
#include <sys/resource.h>

#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <string>

#include "core/datasets/dataset.hpp"
#include "core/io/ply.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "training/backend.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/models/gs3d.hpp"
#include "training/ops/image_loss_ops.hpp"
#include "training/ops/optimizer_ops.hpp"
#include "training/render.hpp"

using namespace splatscape;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

const char* g_model = "init";

void figure(const char* name, double value, const char* unit, int gaussians, int size, int threads) {
    std::printf("{\"bench\": \"train_cpu\", \"figure\": \"%s\", \"value\": %.4g, \"unit\": \"%s\", \"gaussians\": %d, "
                "\"model\": \"%s\", \"image\": \"%dx%d\", \"threads\": %d}\n",
                name, value, unit, gaussians, g_model, size, size, threads);
    std::fflush(stdout);
}

} // namespace

int main(int argc, char** argv) {
    std::string scene_dir, ply;
    int gaussians = 50000, iters = 100, threads = 0, size = 200;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--scene")
            scene_dir = argv[i + 1];
        else if (a == "--gaussians")
            gaussians = std::atoi(argv[i + 1]);
        else if (a == "--ply")
            ply = argv[i + 1];
        else if (a == "--iters")
            iters = std::atoi(argv[i + 1]);
        else if (a == "--threads")
            threads = std::atoi(argv[i + 1]);
        else if (a == "--size")
            size = std::atoi(argv[i + 1]);
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    try {
        if (scene_dir.empty()) {
            scene_dir = (fs::path(argv[0]).parent_path() / "cache" /
                         ("shapes_" + std::to_string(size) + "_" + std::to_string(gaussians)))
                            .string();
            if (!fs::exists(fs::path(scene_dir) / "transforms_train.json")) {
                SyntheticSceneOptions o;
                o.width = o.height = size;
                o.points = gaussians;
                std::fprintf(stderr, "generating the built-in scene in %s\n", scene_dir.c_str());
                generate_synthetic_scene(o, scene_dir);
            }
        }
        const Dataset ds = load_dataset(scene_dir);
        if (!ply.empty()) g_model = "trained";
        CpuBackend backend(threads);
        threads = backend.threads();
        Gs3dConfig config;
        Gs3dModel model(backend, config, ds.camera_extent());
        if (ply.empty())
            model.initialize(ds.points, ds.bounds, 0);
        else
            model.from_cloud(read_gaussian_ply(ply));
        model.set_active_sh_degree(3);
        const int n = int(model.size());

        std::vector<Tensor> images;
        std::vector<kern::RasterCamera<float>> cams;
        for (const Frame& f : ds.train) {
            const Image img = ds.load_image(f);
            images.push_back(backend.zeros(img.pixel_count(), 3));
            backend.upload(images.back(), img.data.data());
            cams.push_back(raster_camera(ds.render_camera(f)));
        }
        const int w = cams[0].width, h = cams[0].height;
        Tensor render = backend.zeros(size_t(w) * h, 3), d_render = backend.zeros(size_t(w) * h, 3);
        auto ctx = backend.ops<RasterOps>().create_context();
        double t_fwd = 0, t_loss = 0, t_bwd = 0, t_adam = 0;
        const auto lrs = model.learning_rates(1);
        const int warmup = 5;
        Clock::time_point start;
        for (int it = 0; it < warmup + iters; ++it) {
            if (it == warmup) start = Clock::now();
            const size_t v = size_t(it) % images.size();
            FrameSpec frame;
            frame.camera = cams[v];
            for (float& b : frame.background) b = 1.0f;
            auto t = Clock::now();
            RasterTensors in = model.raster_inputs({});
            RenderTensors out{&render, nullptr, nullptr};
            backend.ops<RasterOps>().forward(in, frame, *ctx, out);
            const double a = seconds_since(t);
            t = Clock::now();
            backend.ops<ImageLossOps>().image_loss(render, images[v], w, h, 0.2f, &d_render);
            const double b = seconds_since(t);
            t = Clock::now();
            RasterGradTensors g = model.raster_grads();
            RenderTensors d{&d_render, nullptr, nullptr};
            backend.ops<RasterOps>().backward(in, frame, *ctx, d, g);
            const double c = seconds_since(t);
            t = Clock::now();
            auto& params = model.params().all();
            for (size_t i = 0; i < params.size(); ++i)
                backend.ops<OptimizerOps>().adam_step(params[i].value, params[i].grad, params[i].exp_avg, params[i].exp_avg_sq,
                                  kern::adam_step_for(lrs[i].lr_a, it + 1), lrs[i].split_col,
                                  kern::adam_step_for(lrs[i].lr_b, it + 1));
            const double e = seconds_since(t);
            if (it >= warmup) {
                t_fwd += a;
                t_loss += b;
                t_bwd += c;
                t_adam += e;
            }
        }
        const double total = seconds_since(start);
        rusage ru{};
        getrusage(RUSAGE_SELF, &ru);
        figure("iterations_per_second", iters / total, "it/s", n, w, threads);
        figure("ms_forward", 1000 * t_fwd / iters, "ms", n, w, threads);
        figure("ms_loss", 1000 * t_loss / iters, "ms", n, w, threads);
        figure("ms_backward", 1000 * t_bwd / iters, "ms", n, w, threads);
        figure("ms_adam", 1000 * t_adam / iters, "ms", n, w, threads);
        figure("peak_rss", double(ru.ru_maxrss) / 1024.0, "MiB", n, w, threads);
        figure("cpu_seconds_per_iteration",
               (ru.ru_utime.tv_sec + ru.ru_utime.tv_usec * 1e-6 + ru.ru_stime.tv_sec + ru.ru_stime.tv_usec * 1e-6) /
                   (warmup + iters),
               "s", n, w, threads);
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_train_cpu: %s\n", e.what());
        return 1;
    }
    return 0;
}
