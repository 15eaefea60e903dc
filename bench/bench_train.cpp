// Training throughput and quality on any backend: the trainer's iteration (training/trainer.cpp,
// Run::step: view order, SH schedule, loss, densification, Adam) on a dataset, with the held-out
// evaluation of the 3DGS protocol at chosen iterations. Prints one JSON line per figure; never fails
// on speed.
//
//   bench_train [--data DIR] [--format F] [--downscale N] [--max-width W] [--test-every N]
//               [--no-undistort] [--device auto|cpu|cuda[:N]] [--threads N] [--iters 7000,30000]
//               [--config FILE.json] [--seed S] [--profile-every K] [--max-seconds S] [--out DIR]
//               [--label NAME]
//
// Without --data it trains on the built-in scene (generated into a cache folder beside the
// executable). --iters lists the iterations to evaluate at; training runs to the last one with the
// schedule of the config (default: the 3DGS paper's 30k schedule), so `--iters 7000,30000` reports
// both figures from one run, as gsplat's trainer does. --max-seconds stops training at the first
// evaluation point after which the next one would, at the pace so far, take longer than that.
// Every --profile-every iterations the backend is synchronised after each phase to split the time
// into forward (rasterizer), loss,
// backward, densification and optimizer; the totals come from all iterations, unsynchronised.
// --out writes the first held-out view's render and ground truth at each evaluation as PNG.
// --label names the run in every line ("config": NAME), to tell runs with different settings apart.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/datasets/dataset.hpp"
#include "core/image.hpp"
#include "core/json_util.hpp"
#include "core/metrics.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "training/backend.hpp"
#include "training/densification.hpp"
#include "training/evaluation.hpp"
#include "training/models/gs3d.hpp"
#include "training/render.hpp"
#if defined(SPLATSCAPE_HAVE_CUDA)
#include "training/cuda/cuda_backend.hpp"
#endif

using namespace splatscape;
namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

double seconds_since(Clock::time_point t) {
    return std::chrono::duration<double>(Clock::now() - t).count();
}

struct Context {
    std::string device;
    std::string data;
    std::string image;
    std::string label;
};

void figure(const Context& c, const char* name, double value, const char* unit, int iteration, size_t gaussians) {
    std::printf("{\"bench\": \"train\", \"figure\": \"%s\", \"value\": %.6g, \"unit\": \"%s\", \"iteration\": %d, "
                "\"gaussians\": %zu, \"device\": \"%s\", \"data\": \"%s\", \"image\": \"%s\", \"config\": \"%s\"}\n",
                name, value, unit, iteration, gaussians, c.device.c_str(), c.data.c_str(), c.image.c_str(),
                c.label.c_str());
    std::fflush(stdout);
}

void synchronize(Backend& b) {
#if defined(SPLATSCAPE_HAVE_CUDA)
    if (auto* cuda = dynamic_cast<CudaBackend*>(&b)) cuda->synchronize();
#else
    (void)b;
#endif
}

std::vector<int> parse_list(const std::string& s) {
    std::vector<int> out;
    std::stringstream in(s);
    std::string item;
    while (std::getline(in, item, ',')) out.push_back(std::stoi(item));
    return out;
}

} // namespace

int main(int argc, char** argv) {
    std::string data, config_file, out_dir, label = "default", device = "auto";
    DatasetOptions dopt;
    int threads = 0, profile_every = 50;
    uint64_t seed = 0;
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
            dopt.format = value();
        else if (a == "--downscale")
            dopt.downscale = std::stoi(value());
        else if (a == "--max-width")
            dopt.max_width = std::stoi(value());
        else if (a == "--test-every")
            dopt.test_every = std::stoi(value());
        else if (a == "--no-undistort")
            dopt.undistort = false;
        else if (a == "--device")
            device = value();
        else if (a == "--threads")
            threads = std::stoi(value());
        else if (a == "--iters")
            eval_at = parse_list(value());
        else if (a == "--config")
            config_file = value();
        else if (a == "--seed")
            seed = std::stoull(value());
        else if (a == "--profile-every")
            profile_every = std::stoi(value());
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
        const auto load_start = Clock::now();
        const Dataset ds = load_dataset(data, dopt);
        std::unique_ptr<Backend> backend = create_backend(device, threads);
        Backend& be = *backend;

        Gs3dConfig config;
        if (!config_file.empty()) update_from_json(config, load_json(config_file), config_file);
        config.iterations = eval_at.back();
        Gs3dModel model(be, config, ds.camera_extent());
        const AdcConfig& adc_config = config.densify;
        // The trainer's background: the colour RGBA images were composited on, else black.
        const glm::vec3 bg = ds.has_alpha ? ds.background : glm::vec3(0.0f);
        const float background[3] = {bg.x, bg.y, bg.z};
        AdaptiveDensityControl densifier(be, adc_config, ds.camera_extent(), seed, bg == glm::vec3(1.0f));
        model.initialize(ds.points, ds.bounds, seed);
        densifier.reset(model.size());

        // Training images on the device once, as the trainer keeps them.
        std::vector<Tensor> images;
        std::vector<ViewInfo> views;
        for (const Frame& f : ds.train) {
            const Image img = ds.load_image(f);
            images.push_back(be.zeros(img.pixel_count(), 3));
            be.upload(images.back(), img.data.data());
            ViewInfo v;
            v.camera = raster_camera(ds.render_camera(f));
            views.push_back(v);
        }
        const auto& held_out = evaluation_frames(ds);
        Context ctx{be.description(), fs::path(data).filename().string(),
                    cat(views[0].camera.width, "x", views[0].camera.height), label};
        std::fprintf(
            stderr,
            "bench_train: %zu training and %zu held-out views of %s, %zu initial Gaussians, on %s (%.1f s to load)\n",
            views.size(), held_out.size(), ctx.image.c_str(), model.size(), ctx.device.c_str(),
            seconds_since(load_start));
        figure(ctx, "initial_gaussians", double(model.size()), "count", 0, model.size());
        figure(ctx, "load_seconds", seconds_since(load_start), "s", 0, model.size());
#if defined(SPLATSCAPE_HAVE_CUDA)
        if (auto* cuda = dynamic_cast<CudaBackend*>(&be)) cuda->reset_peak_memory();
#endif

        std::mt19937_64 rng(seed);
        std::vector<int> order;
        size_t order_pos = 0;
        auto raster_ctx = be.create_raster_context();
        Tensor render, d_render;
        int adam_step = 0;
        double train_seconds = 0.0;
        // Phase times of the profiled iterations: forward, loss, backward, densification, optimizer.
        double phase[5] = {0, 0, 0, 0, 0};
        int profiled = 0;

        int iteration = 0;
        for (int target : eval_at) {
            const auto t0 = Clock::now();
            for (; iteration < target; ++iteration) {
                const int it = iteration + 1;
                const bool profile = profile_every > 0 && it % profile_every == 0;
                Clock::time_point tp = Clock::now();
                auto lap = [&](int k) {
                    if (!profile) return;
                    synchronize(be);
                    phase[k] += seconds_since(tp);
                    tp = Clock::now();
                };
                if (profile) {
                    synchronize(be);
                    tp = Clock::now();
                }
                model.set_iteration(it);
                if (order_pos >= order.size()) {
                    order.resize(views.size());
                    for (size_t i = 0; i < views.size(); ++i) order[i] = int(i);
                    std::shuffle(order.begin(), order.end(), rng);
                    order_pos = 0;
                }
                const size_t v = size_t(order[order_pos++]);
                FrameSpec frame;
                frame.camera = views[v].camera;
                frame.settings.eps2d = config.eps2d;
                frame.settings.antialiased = config.antialiased ? 1 : 0;
                for (int c = 0; c < 3; ++c) frame.background[c] = background[c];
                const size_t pixels = size_t(frame.camera.width) * frame.camera.height;
                if (render.rows() != pixels) {
                    render = be.zeros(pixels, 3);
                    d_render = be.zeros(pixels, 3);
                }
                RasterTensors in = model.raster_inputs(views[v]);
                RenderTensors out{&render, nullptr, nullptr};
                be.rasterize_forward(in, frame, *raster_ctx, out);
                lap(0);
                be.image_loss(render, images[v], frame.camera.width, frame.camera.height, config.ssim_weight,
                              &d_render);
                lap(1);
                RasterGradTensors grads = model.raster_grads();
                RenderTensors d_out{&d_render, nullptr, nullptr};
                be.rasterize_backward(in, frame, *raster_ctx, d_out, grads);
                model.backward(views[v]);
                lap(2);
                densifier.after_backward(model, *raster_ctx, it);
                const DensifyReport report = densifier.update(model, it);
                lap(3);
                ++adam_step;
                const std::vector<ParamLr> lrs = model.learning_rates(it);
                auto& params = model.params().all();
                for (size_t i = 0; i < params.size(); ++i) {
                    Parameter& p = params[i];
                    if (report.replaced_all || (report.replaced_opacity && &p == &model.opacity())) continue;
                    be.adam_step(p.value, p.grad, p.exp_avg, p.exp_avg_sq, kern::adam_step_for(lrs[i].lr_a, adam_step),
                                 lrs[i].split_col, kern::adam_step_for(lrs[i].lr_b, adam_step));
                }
                lap(4);
                if (profile) ++profiled;
            }
            synchronize(be);
            train_seconds += seconds_since(t0);
            const size_t n = model.size();
            figure(ctx, "train_seconds", train_seconds, "s", iteration, n);
            figure(ctx, "ms_per_iteration", 1000.0 * train_seconds / iteration, "ms", iteration, n);
            if (profiled) {
                const char* names[5] = {"ms_forward", "ms_loss", "ms_backward", "ms_densification", "ms_optimizer"};
                for (int k = 0; k < 5; ++k) figure(ctx, names[k], 1000.0 * phase[k] / profiled, "ms", iteration, n);
            }
#if defined(SPLATSCAPE_HAVE_CUDA)
            if (auto* cuda = dynamic_cast<CudaBackend*>(&be)) {
                const auto m = cuda->memory_use();
                figure(ctx, "peak_gpu_memory_used", double(m.used_high) / double(1 << 20), "MiB", iteration, n);
                figure(ctx, "peak_gpu_memory_reserved", double(m.reserved_high) / double(1 << 20), "MiB", iteration, n);
                size_t image_bytes = 0;
                for (const Tensor& t : images) image_bytes += t.bytes();
                figure(ctx, "training_images_on_gpu", double(image_bytes) / double(1 << 20), "MiB", iteration, n);
            }
#endif
            if (!held_out.empty()) {
                const auto e0 = Clock::now();
                CloudRenderer renderer(be, model.to_cloud());
                RenderOptions ro;
                ro.background = bg;
                ro.antialiased = config.antialiased;
                ro.eps2d = config.eps2d;
                ro.sh_degree = model.active_sh_degree();
                const EvalResult r =
                    evaluate_views(ds, held_out, [&](const Camera& c) { return renderer.render(c, ro); });
                figure(ctx, "heldout_psnr", r.psnr, "dB", iteration, n);
                figure(ctx, "heldout_ssim", r.ssim, "", iteration, n);
                figure(ctx, "eval_seconds", seconds_since(e0), "s", iteration, n);
                if (!out_dir.empty()) {
                    fs::create_directories(out_dir);
                    const Frame& f = held_out.front();
                    save_image(fs::path(out_dir) / cat("render_", iteration, ".png"),
                               renderer.render(ds.render_camera(f), ro));
                    if (target == eval_at.front()) save_image(fs::path(out_dir) / "ground_truth.png", ds.load_image(f));
                }
            }
            // The next stretch is predicted from this one's pace, with headroom for the growth of the
            // model that densification may still bring.
            const auto next = std::upper_bound(eval_at.begin(), eval_at.end(), target);
            if (max_seconds > 0 && next != eval_at.end() &&
                1.3 * train_seconds * double(*next) / double(iteration) > max_seconds) {
                std::fprintf(stderr,
                             "bench_train: stopping at iteration %d: %d iterations would take longer than "
                             "--max-seconds %.0f\n",
                             iteration, *next, max_seconds);
                break;
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_train: %s\n", e.what());
        return 1;
    }
    return 0;
}
