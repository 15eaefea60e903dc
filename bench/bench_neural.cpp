// Throughput of the neural building blocks (docs/neural.md) on one backend: one JSON line per figure.
// Not a test: it never fails on speed.
//
//   bench_neural [--device cpu|cuda] [--threads N] [--samples N] [--points N] [--reps N] [--only a,b,...]
//
// Figures (each the median of --reps timed calls after one warm-up call):
//   hash_forward, hash_backward, hash_backward_positions
//       instant-ngp's NeRF grid (16 levels, 2 features, 2^19 entries, 16..2048) on --samples
//       positions (default 2^18) uniform in the unit cube
//   mlp_forward, mlp_backward
//       32 inputs, 2 hidden layers of 64 (ReLU), 16 outputs, on --samples rows
//   sh_forward     SH encoding of degree 3 (16 values) on --samples directions
//   knn            k = 10 and 16 on --points points (default 2^20) on a sphere's surface (the shape
//                  of SfM points), and k = 10 on the same number filling a cube
//   curvature, aggregate_max, aggregate_max_backward
//       on the sphere's points, their 10 neighbours, 32 channels
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <ctime>
#include <functional>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/ops/encoding_ops.hpp"
#include "training/ops/mlp_ops.hpp"
#include "training/ops/neighbour_ops.hpp"
#if defined(SPLATSCAPE_HAVE_CUDA)
#include "training/cuda/cuda_backend.hpp"
#endif

using namespace splatscape;
using Clock = std::chrono::steady_clock;

namespace {

struct Bench {
    Backend& backend;
    std::string device;
    int reps = 5;

    void sync() {
#if defined(SPLATSCAPE_HAVE_CUDA)
        if (auto* cuda = dynamic_cast<CudaBackend*>(&backend)) cuda->synchronize();
#endif
    }

    double cpu_ms = 0.0; // process CPU time of the last time_ms, per call (median call)

    // Median milliseconds of fn over `reps` calls, after one warm-up call. On a machine shared with
    // other jobs the wall time grows with the load; the CPU time (all threads) much less so.
    double time_ms(const std::function<void()>& fn) {
        fn();
        sync();
        std::vector<std::pair<double, double>> ms;
        for (int r = 0; r < reps; ++r) {
            const auto t = Clock::now();
            const double c = process_cpu_ms();
            fn();
            sync();
            ms.push_back({std::chrono::duration<double, std::milli>(Clock::now() - t).count(), process_cpu_ms() - c});
        }
        std::sort(ms.begin(), ms.end());
        cpu_ms = ms[ms.size() / 2].second;
        return ms[ms.size() / 2].first;
    }

    static double process_cpu_ms() {
        timespec ts{};
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
        return double(ts.tv_sec) * 1e3 + double(ts.tv_nsec) * 1e-6;
    }

    void figure(const char* name, double ms, size_t items, const char* per, const std::string& config,
                double flops = 0.0) {
        std::printf("{\"bench\": \"neural\", \"device\": \"%s\", \"figure\": \"%s\", \"ms\": %.4g, \"items\": %zu, "
                    "\"value\": %.4g, \"unit\": \"M%s/s\"",
                    device.c_str(), name, ms, items, double(items) / ms * 1e-3, per);
        if (flops > 0) std::printf(", \"gflops\": %.4g", flops / ms * 1e-6);
        std::printf(", \"cpu_ms\": %.4g, \"config\": \"%s\", \"reps\": %d}\n", cpu_ms, config.c_str(), reps);
        std::fflush(stdout);
    }

    Tensor upload(const std::vector<float>& v, size_t rows, int cols) {
        Tensor t = backend.zeros(rows, cols);
        backend.upload(t, v.data());
        return t;
    }
};

std::vector<float> uniform(size_t n, float lo, float hi, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

std::vector<float> sphere_points(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> p;
    p.reserve(3 * n);
    for (size_t i = 0; i < n; ++i) {
        const float a = u(rng) * 3.14159265f, z = u(rng), r = std::sqrt(1 - z * z);
        p.insert(p.end(), {r * std::cos(a), r * std::sin(a), z});
    }
    return p;
}

} // namespace

int main(int argc, char** argv) {
    std::string device = "cpu", only;
    int threads = 0, reps = 0;
    size_t samples = size_t(1) << 18, points = size_t(1) << 20;
    for (int i = 1; i + 1 < argc; i += 2) {
        const std::string a = argv[i];
        if (a == "--device")
            device = argv[i + 1];
        else if (a == "--threads")
            threads = std::atoi(argv[i + 1]);
        else if (a == "--samples")
            samples = size_t(std::atoll(argv[i + 1]));
        else if (a == "--points")
            points = size_t(std::atoll(argv[i + 1]));
        else if (a == "--reps")
            reps = std::atoi(argv[i + 1]);
        else if (a == "--only")
            only = argv[i + 1];
        else {
            std::fprintf(stderr, "unknown option %s\n", a.c_str());
            return 2;
        }
    }
    std::set<std::string> selected;
    std::stringstream ss(only);
    for (std::string item; std::getline(ss, item, ',');) selected.insert(item);
    auto wanted = [&](const char* name) { return selected.empty() || selected.count(name); };
    try {
        auto backend = create_backend(device, threads);
        std::fprintf(stderr, "bench_neural on %s\n", backend->description().c_str());
        Bench b{*backend, device, reps > 0 ? reps : (backend->device() == Device::Cpu ? 3 : 20)};

        if (wanted("hash")) {
            auto& enc = backend->ops<EncodingOps>("bench_neural");
            HashGridConfig config; // 16 levels, 2 features, 2^19, 16..2048
            HashGrid grid = HashGrid::create(*backend, config, 1);
            const std::string cfg = "L16 F2 T2^19 16..2048";
            Tensor pos = b.upload(uniform(samples * 3, 0, 1, 2), samples, 3);
            Tensor out = backend->zeros(samples, grid.layout.width());
            Tensor d_out = b.upload(uniform(samples * 32, -1, 1, 3), samples, 32);
            Tensor d_table = backend->zeros(grid.layout.rows(), 2), d_pos = backend->zeros(samples, 3);
            b.figure("hash_forward",
                     b.time_ms([&] { enc.hash_encode(grid.layout, grid.table, pos, RowSelection::all(), out, 0); }),
                     samples, "samples", cfg);
            b.figure("hash_backward", b.time_ms([&] {
                enc.hash_encode_backward(grid.layout, grid.table, pos, RowSelection::all(), d_out, 0, d_table, nullptr);
            }),
                     samples, "samples", cfg);
            b.figure("hash_backward_positions", b.time_ms([&] {
                enc.hash_encode_backward(grid.layout, grid.table, pos, RowSelection::all(), d_out, 0, d_table, &d_pos);
            }),
                     samples, "samples", cfg);
        }
        if (wanted("sh")) {
            auto& enc = backend->ops<EncodingOps>("bench_neural");
            Tensor dirs = b.upload(uniform(samples * 3, -1, 1, 4), samples, 3);
            Tensor out = backend->zeros(samples, 16);
            b.figure("sh_forward", b.time_ms([&] { enc.sh_encode(3, dirs, RowSelection::all(), out, 0); }), samples,
                     "samples", "degree 3");
        }
        if (wanted("mlp")) {
            auto& mlp = backend->ops<MlpOps>("bench_neural");
            const MlpConfig config{32, 64, 2, 16};
            Mlp net = Mlp::create(*backend, config, 5);
            const std::string cfg = "32-64x2-16 relu";
            const double macs = double(32 * 64 + 64 * 64 + 64 * 16);
            Tensor x = b.upload(uniform(samples * 32, -1, 1, 6), samples, 32);
            Tensor y = backend->zeros(samples, 16);
            Tensor dy = b.upload(uniform(samples * 16, -1, 1, 7), samples, 16);
            Tensor dp = backend->zeros(net.layout.params, 1), dx = backend->zeros(samples, 32);
            b.figure("mlp_forward",
                     b.time_ms([&] { mlp.forward(net.layout, net.params, x, 0, RowSelection::all(), y, 0); }), samples,
                     "rows", cfg, 2 * macs * double(samples));
            // The backward recomputes the forward, then two products per layer.
            b.figure("mlp_backward", b.time_ms([&] {
                mlp.backward(net.layout, net.params, x, 0, RowSelection::all(), dy, 0, dp, &dx, 0);
            }),
                     samples, "rows", cfg, 6 * macs * double(samples));
        }
        if (wanted("knn") || wanted("curvature") || wanted("aggregate")) {
            auto& nb = backend->ops<NeighbourOps>("bench_neural");
            Tensor sphere = b.upload(sphere_points(points, 8), points, 3);
            if (wanted("knn")) {
                for (int k : {10, 16})
                    b.figure(k == 10 ? "knn_k10_surface" : "knn_k16_surface", b.time_ms([&] { nb.knn(sphere, k); }),
                             points, "points", "sphere surface");
                Tensor cube = b.upload(uniform(points * 3, -1, 1, 9), points, 3);
                b.figure("knn_k10_volume", b.time_ms([&] { nb.knn(cube, 10); }), points, "points", "filled cube");
            }
            if (wanted("curvature") || wanted("aggregate")) {
                KnnResult knn = nb.knn(sphere, 10);
                if (wanted("curvature"))
                    b.figure("curvature", b.time_ms([&] { nb.pca_curvature(sphere, knn.indices); }), points, "points",
                             "k 10");
                if (wanted("aggregate")) {
                    const int C = 32;
                    Tensor w = nb.inverse_distance_weights(knn.indices, knn.d2, 1e-6f, true);
                    Tensor x = b.upload(uniform(points * C, -1, 1, 10), points, C);
                    Tensor out = backend->zeros(points, C), am = backend->zeros(points, C, DType::I32);
                    Tensor d_out = b.upload(uniform(points * C, -1, 1, 11), points, C);
                    Tensor dx = backend->zeros(points, C);
                    const auto M = kern::NeighbourMessage::Difference;
                    const auto R = kern::NeighbourReduce::Max;
                    b.figure("aggregate_max", b.time_ms([&] { nb.aggregate(M, R, x, knn.indices, &w, out, 0, &am); }),
                             points, "points", "difference, k 10, 32 channels");
                    b.figure("aggregate_max_backward", b.time_ms([&] {
                        nb.aggregate_backward(M, R, x, knn.indices, &w, &am, d_out, 0, &dx, nullptr);
                    }),
                             points, "points", "difference, k 10, 32 channels");
                }
            }
        }
    } catch (const std::exception& e) {
        std::fprintf(stderr, "bench_neural: %s\n", e.what());
        return 1;
    }
    return 0;
}
