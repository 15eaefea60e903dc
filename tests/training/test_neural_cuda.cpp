// The neural building blocks on the GPU against the CPU backend (label gpu): hash encoding, SH
// encoding, MLP, kNN, weights, curvature, aggregation, edge gathering, row maximum. Skipped when
// the machine has no CUDA device (scripts/device-check.sh runs them on one).
//
// Tolerances: the device build uses --use_fast_math and FMA contraction, and the table and scatter
// gradients use atomic adds in any order, so values agree to float rounding: a relative 1e-4 of the
// tensor's largest magnitude, elementwise. kNN is exact (squared distances are computed without
// contraction on both sides, ties broken by index), and so are the argmax slots of the maximum
// (its messages are one product, rounded the same way on both).
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/training/cpu_cuda_pair.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/device_cuda.hpp"
#include "training/ops/encoding_ops.hpp"
#include "training/ops/mlp_ops.hpp"
#include "training/ops/neighbour_ops.hpp"

namespace splatscape::test {
namespace {

// The same data on both backends.
using Both = CpuCudaPair;

// |gpu - cpu| <= rtol * max|cpu| + atol elementwise; reports the first few misses.
void expect_close(Both& b, const Both::Pair& p, double rtol, double atol, const std::string& what) {
    const auto c = host<float>(b.cpu, p.c), g = host<float>(*b.gpu, p.g);
    ASSERT_EQ(c.size(), g.size()) << what;
    double scale = 0;
    for (float x : c) scale = std::max(scale, double(std::abs(x)));
    const double tol = rtol * scale + atol;
    int misses = 0;
    double worst = 0;
    for (size_t i = 0; i < c.size(); ++i) {
        const double d = std::abs(double(c[i]) - double(g[i]));
        worst = std::max(worst, d);
        if (!(d <= tol) && misses++ < 10)
            ADD_FAILURE() << what << "[" << i << "]: cpu " << c[i] << " gpu " << g[i] << " (tolerance " << tol << ")";
    }
    std::printf("%s: largest difference %.3g of scale %.3g\n", what.c_str(), worst, scale);
}

void expect_equal_i32(Both& b, const Both::Pair& p, const std::string& what) {
    const auto c = host<int32_t>(b.cpu, p.c), g = host<int32_t>(*b.gpu, p.g);
    ASSERT_EQ(c.size(), g.size()) << what;
    int misses = 0;
    for (size_t i = 0; i < c.size(); ++i)
        if (c[i] != g[i] && misses++ < 10) ADD_FAILURE() << what << "[" << i << "]: cpu " << c[i] << " gpu " << g[i];
}

TEST(NeuralCuda, HashEncodingMatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    Both b;
    HashGridConfig config;
    config.log2_table_size = 14;
    config.per_level_scale = HashGridConfig::scale_for(16, 1024, 16);
    const auto grid = hash_grid_layout(config);
    std::mt19937 rng(1);
    const size_t n = 20000;
    auto table = b.f32(uniform(rng, size_t(grid.rows()) * 2, -1, 1), grid.rows(), 2);
    auto pos_host = uniform(rng, n * 3, -0.05f, 1.05f); // some outside the cube
    auto pos = b.f32(pos_host, n, 3);
    const int width = grid.width(), cols = width + 4, col = 3;
    auto enc = b.zeros(n, cols);
    std::vector<int32_t> list;
    for (int32_t r = 0; r < int32_t(n); r += 3) list.push_back(r);
    auto rows = b.i32(list, list.size(), 1);
    for (int pass = 0; pass < 2; ++pass) {
        const RowSelection sc = pass ? RowSelection::listed(rows.c) : RowSelection::range(100, n - 50);
        const RowSelection sg = pass ? RowSelection::listed(rows.g) : RowSelection::range(100, n - 50);
        b.cpu.ops<EncodingOps>().hash_encode(grid, table.c, pos.c, sc, enc.c, col);
        b.gpu->ops<EncodingOps>().hash_encode(grid, table.g, pos.g, sg, enc.g, col);
        expect_close(b, enc, 1e-5, 0, "hash encoding");
        auto d_enc = b.f32(uniform(rng, n * cols, -1, 1), n, cols);
        auto d_table = b.zeros(grid.rows(), 2), d_pos = b.zeros(n, 3);
        b.cpu.ops<EncodingOps>().hash_encode_backward(grid, table.c, pos.c, sc, d_enc.c, col, d_table.c, &d_pos.c);
        b.gpu->ops<EncodingOps>().hash_encode_backward(grid, table.g, pos.g, sg, d_enc.g, col, d_table.g, &d_pos.g);
        expect_close(b, d_table, 1e-4, 0, "hash table gradient");
        expect_close(b, d_pos, 1e-4, 0, "hash position gradient");
    }
}

TEST(NeuralCuda, ShEncodingMatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    Both b;
    std::mt19937 rng(2);
    const size_t n = 5000;
    auto dirs = b.f32(uniform(rng, n * 3, -1, 1), n, 3);
    for (int degree = 0; degree <= 3; ++degree) {
        const int w = (degree + 1) * (degree + 1);
        auto enc = b.zeros(n, w + 2);
        b.cpu.ops<EncodingOps>().sh_encode(degree, dirs.c, RowSelection::all(), enc.c, 1);
        b.gpu->ops<EncodingOps>().sh_encode(degree, dirs.g, RowSelection::all(), enc.g, 1);
        expect_close(b, enc, 1e-5, 0, cat("sh encoding degree ", degree));
        auto d_enc = b.f32(uniform(rng, n * (w + 2), -1, 1), n, w + 2);
        auto d_dirs = b.zeros(n, 3);
        b.cpu.ops<EncodingOps>().sh_encode_backward(degree, dirs.c, RowSelection::all(), d_enc.c, 1, d_dirs.c);
        b.gpu->ops<EncodingOps>().sh_encode_backward(degree, dirs.g, RowSelection::all(), d_enc.g, 1, d_dirs.g);
        expect_close(b, d_dirs, 1e-4, 0, cat("sh direction gradient degree ", degree));
    }
}

void check_mlp(Both& b, const MlpConfig& config, size_t n, uint32_t seed) {
    const auto net = mlp_layout(config);
    std::mt19937 rng(seed);
    const auto init = mlp_initial_params(net, seed);
    auto params = b.f32(init, net.params, 1);
    const int in_cols = config.inputs + 2, out_cols = config.outputs + 1;
    auto x = b.f32(uniform(rng, n * in_cols, -1, 1), n, in_cols);
    auto y = b.zeros(n, out_cols);
    std::vector<int32_t> list;
    for (int32_t r = int32_t(n) - 1; r >= 0; r -= 2) list.push_back(r); // every other row, backwards
    auto rows = b.i32(list, list.size(), 1);
    const std::string what = cat("mlp ", config.inputs, "-", config.hidden, "x", config.hidden_layers, "-",
                                 config.outputs, " ", to_string(config.output_activation));
    for (int pass = 0; pass < 2; ++pass) {
        const RowSelection sc = pass ? RowSelection::listed(rows.c) : RowSelection::all();
        const RowSelection sg = pass ? RowSelection::listed(rows.g) : RowSelection::all();
        b.cpu.ops<MlpOps>().forward(net, params.c, x.c, 2, sc, y.c, 1);
        b.gpu->ops<MlpOps>().forward(net, params.g, x.g, 2, sg, y.g, 1);
        expect_close(b, y, 1e-4, 1e-6, what + " output");
        auto dy = b.f32(uniform(rng, n * out_cols, -1, 1), n, out_cols);
        auto dp = b.zeros(net.params, 1), dx = b.zeros(n, in_cols);
        b.cpu.ops<MlpOps>().backward(net, params.c, x.c, 2, sc, dy.c, 1, dp.c, &dx.c, 2);
        b.gpu->ops<MlpOps>().backward(net, params.g, x.g, 2, sg, dy.g, 1, dp.g, &dx.g, 2);
        expect_close(b, dp, 1e-4, 0, what + " parameter gradient");
        expect_close(b, dx, 1e-4, 0, what + " input gradient");
        // The GPU's backward is repeatable bit for bit (no atomics).
        auto dp2 = b.zeros(net.params, 1);
        b.gpu->ops<MlpOps>().backward(net, params.g, x.g, 2, sg, dy.g, 1, dp2.g, nullptr, 0);
        EXPECT_EQ(host<float>(*b.gpu, dp.g), host<float>(*b.gpu, dp2.g)) << what;
    }
}

TEST(NeuralCuda, MlpMatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    Both b;
    using A = kern::Activation;
    check_mlp(b, MlpConfig{32, 64, 2, 16, A::Relu, A::None}, 20000, 1);    // hmohe's density network
    check_mlp(b, MlpConfig{31, 64, 2, 3, A::Relu, A::Sigmoid}, 7000, 2);   // its colour head
    check_mlp(b, MlpConfig{96, 32, 2, 1, A::Relu, A::Tanh}, 3000, 3);      // sags' opacity decoder
    check_mlp(b, MlpConfig{8, 16, 1, 1, A::Tanh, A::TruncExp}, 1001, 4);   // odd row count
    check_mlp(b, MlpConfig{27, 128, 4, 128, A::Relu, A::None}, 2000, 5);   // widest
    check_mlp(b, MlpConfig{1024, 128, 8, 7, A::Sigmoid, A::None}, 600, 6); // weights in global memory
}

TEST(NeuralCuda, KnnMatchesTheCpuExactly) {
    SKIP_WITHOUT_GPU();
    Both b;
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> p;
    for (int i = 0; i < 150000; ++i) { // a sphere's surface and a filled box
        const float a = u(rng) * 3.14159f, z = u(rng), r = std::sqrt(1 - z * z);
        p.insert(p.end(), {r * std::cos(a), r * std::sin(a), z});
    }
    for (int i = 0; i < 50000; ++i) p.insert(p.end(), {3 + u(rng), u(rng), u(rng)});
    for (int i = 0; i < 20; ++i) p.insert(p.end(), {0.5f, 0.5f, 0.5f}); // duplicates
    const size_t n = p.size() / 3;
    auto pts = b.f32(p, n, 3);
    for (int k : {1, 10, 16}) {
        KnnResult c = b.cpu.ops<NeighbourOps>().knn(pts.c, k);
        KnnResult g = b.gpu->ops<NeighbourOps>().knn(pts.g, k);
        Both::Pair ids{std::move(c.indices), std::move(g.indices)};
        Both::Pair d2{std::move(c.d2), std::move(g.d2)};
        expect_equal_i32(b, ids, cat("knn indices k=", k));
        EXPECT_EQ(host<float>(b.cpu, d2.c), host<float>(*b.gpu, d2.g)) << "knn squared distances k=" << k;
    }
    auto queries = b.f32(uniform(rng, 3000 * 3, -4, 4), 3000, 3);
    KnnResult c = b.cpu.ops<NeighbourOps>().knn(pts.c, 8, &queries.c);
    KnnResult g = b.gpu->ops<NeighbourOps>().knn(pts.g, 8, &queries.g);
    EXPECT_EQ(host<int32_t>(b.cpu, c.indices), host<int32_t>(*b.gpu, g.indices));
    EXPECT_EQ(host<float>(b.cpu, c.d2), host<float>(*b.gpu, g.d2));
    // Edge cases: one point, k > N - 1, no points.
    auto one = b.f32({1, 2, 3}, 1, 3);
    EXPECT_EQ(host<int32_t>(*b.gpu, b.gpu->ops<NeighbourOps>().knn(one.g, 4).indices), std::vector<int32_t>(4, -1));
    auto none = b.zeros(0, 3);
    EXPECT_EQ(host<int32_t>(*b.gpu, b.gpu->ops<NeighbourOps>().knn(none.g, 2, &one.g).indices),
              std::vector<int32_t>(2, -1));
    auto bad = b.f32({0, 0, 0, NAN, 0, 0}, 2, 3);
    EXPECT_THROW(b.gpu->ops<NeighbourOps>().knn(bad.g, 1), Error);
}

TEST(NeuralCuda, WeightsAndCurvatureMatchTheCpu) {
    SKIP_WITHOUT_GPU();
    Both b;
    std::mt19937 rng(4);
    const size_t n = 30000;
    auto pts = b.f32(uniform(rng, n * 3, 0, 1), n, 3);
    KnnResult c = b.cpu.ops<NeighbourOps>().knn(pts.c, 10);
    KnnResult g = b.gpu->ops<NeighbourOps>().knn(pts.g, 10);
    Both::Pair w{b.cpu.ops<NeighbourOps>().inverse_distance_weights(c.indices, c.d2, 1e-3f, true),
                 b.gpu->ops<NeighbourOps>().inverse_distance_weights(g.indices, g.d2, 1e-3f, true)};
    expect_close(b, w, 1e-5, 0, "inverse distance weights");
    Both::Pair curv{b.cpu.ops<NeighbourOps>().pca_curvature(pts.c, c.indices),
                    b.gpu->ops<NeighbourOps>().pca_curvature(pts.g, g.indices)};
    expect_close(b, curv, 1e-4, 0, "curvature");
    Both::Pair frames{b.cpu.ops<NeighbourOps>().pca_frames(pts.c, c.indices),
                      b.gpu->ops<NeighbourOps>().pca_frames(pts.g, g.indices)};
    expect_close(b, frames, 1e-4, 0, "point frames");
}

TEST(NeuralCuda, AggregationMatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    Both b;
    using M = kern::NeighbourMessage;
    using R = kern::NeighbourReduce;
    std::mt19937 rng(5);
    const size_t n = 20000;
    const int k = 10, C = 32;
    auto pts = b.f32(uniform(rng, n * 3, 0, 1), n, 3);
    KnnResult knn = b.cpu.ops<NeighbourOps>().knn(pts.c, k);
    auto ids_host = host<int32_t>(b.cpu, knn.indices);
    for (size_t e = 7; e < ids_host.size(); e += 13) ids_host[e] = -1; // missing slots
    auto ids = b.i32(ids_host, n, k);
    auto w = b.f32(uniform(rng, n * k, 0.1f, 1.0f), n, k);
    for (M m : {M::Neighbour, M::Difference, M::Edge})
        for (R r : {R::Max, R::Mean}) {
            const size_t rows = m == M::Edge ? n * k : n;
            auto x = b.f32(uniform(rng, rows * C, -1, 1), rows, C);
            auto out = b.zeros(n, C + 3), am = b.zeros(n, C, DType::I32); // a window at column 2
            b.cpu.ops<NeighbourOps>().aggregate(m, r, x.c, ids.c, &w.c, out.c, 2, &am.c);
            b.gpu->ops<NeighbourOps>().aggregate(m, r, x.g, ids.g, &w.g, out.g, 2, &am.g);
            const std::string what = cat("aggregate message ", int(m), " reduce ", int(r));
            expect_close(b, out, 1e-5, 0, what);
            if (r == R::Max) expect_equal_i32(b, am, what + " argmax");
            auto d_out = b.f32(uniform(rng, n * (C + 3), -1, 1), n, C + 3);
            auto dx = b.zeros(rows, C), dw = b.zeros(n, k);
            b.cpu.ops<NeighbourOps>().aggregate_backward(m, r, x.c, ids.c, &w.c, &am.c, d_out.c, 2, &dx.c, &dw.c);
            b.gpu->ops<NeighbourOps>().aggregate_backward(m, r, x.g, ids.g, &w.g, &am.g, d_out.g, 2, &dx.g, &dw.g);
            expect_close(b, dx, 1e-4, 0, what + " value gradient");
            expect_close(b, dw, 1e-4, 0, what + " weight gradient");
        }
    for (M m : {M::Centre, M::Neighbour, M::Difference}) {
        auto x = b.f32(uniform(rng, n * C, -1, 1), n, C);
        auto edges = b.zeros(n * k, 2 * C + 1);
        b.cpu.ops<NeighbourOps>().gather_edges(m, x.c, ids.c, edges.c, C);
        b.gpu->ops<NeighbourOps>().gather_edges(m, x.g, ids.g, edges.g, C);
        expect_close(b, edges, 0, 0, cat("gather_edges ", int(m)));
        auto d_edges = b.f32(uniform(rng, n * k * (2 * C + 1), -1, 1), n * k, 2 * C + 1);
        auto dx = b.zeros(n, C);
        b.cpu.ops<NeighbourOps>().gather_edges_backward(m, ids.c, d_edges.c, C, dx.c);
        b.gpu->ops<NeighbourOps>().gather_edges_backward(m, ids.g, d_edges.g, C, dx.g);
        expect_close(b, dx, 1e-4, 0, cat("gather_edges_backward ", int(m)));
    }
}

TEST(NeuralCuda, MaxRowsMatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    Both b;
    std::mt19937 rng(6);
    const size_t n = 100000;
    const int C = 32;
    auto v = uniform(rng, n * C, -1, 1);
    v[777 * C + 5] = v[90000 * C + 5] = 2.0f; // a tie
    auto x = b.f32(v, n, C);
    std::vector<int32_t> list;
    for (int32_t r = 3; r < int32_t(n); r += 7) list.push_back(r);
    auto rows = b.i32(list, list.size(), 1);
    for (int pass = 0; pass < 2; ++pass) {
        auto out = b.zeros(1, C), am = b.zeros(1, C, DType::I32);
        b.cpu.ops<NeighbourOps>().max_rows(x.c, pass ? RowSelection::listed(rows.c) : RowSelection::all(), out.c, am.c);
        b.gpu->ops<NeighbourOps>().max_rows(x.g, pass ? RowSelection::listed(rows.g) : RowSelection::all(), out.g,
                                            am.g);
        expect_close(b, out, 0, 0, "max_rows");
        expect_equal_i32(b, am, "max_rows argmax");
        auto d_out = b.f32(uniform(rng, C, -1, 1), 1, C);
        auto dx = b.zeros(n, C);
        b.cpu.ops<NeighbourOps>().max_rows_backward(am.c, d_out.c, dx.c);
        b.gpu->ops<NeighbourOps>().max_rows_backward(am.g, d_out.g, dx.g);
        expect_close(b, dx, 0, 0, "max_rows_backward");
    }
}

} // namespace
} // namespace splatscape::test
