// The building blocks of the neural families on the CPU (label unit): every backward against
// central finite differences of the same launcher run in double precision, kNN against brute
// force, curvature against known spectra, and the edge cases (empty inputs, one point, points
// outside the unit cube, duplicates, k > N - 1, bad shapes and configs).
//
// Tolerances of the gradient checks: the launchers are run in double; the encodings and the
// aggregations are linear in their parameters, so their differences are exact up to rounding
// (~1e-10 with h = 1e-6); the networks and the position gradients are smooth between kinks (ReLU,
// cell boundaries of the grid, the winning slot of a maximum), which the inputs keep clear of. A
// wrong term of any size fails a relative 1e-6 check.
#include <algorithm>
#include <cmath>
#include <limits>
#include <numeric>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/training/fd_util.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cpu/encoding_ops_cpu.hpp"
#include "training/cpu/mlp_ops_cpu.hpp"
#include "training/cpu/neighbour_ops_cpu.hpp"
#include "training/kernels/curvature.hpp"
#include "training/kernels/sh_encoding.hpp"
#include "training/models/gs3d.hpp"
#include "training/ops/encoding_ops.hpp"
#include "training/ops/mlp_ops.hpp"
#include "training/ops/neighbour_ops.hpp"

namespace splatscape::test {
namespace {

constexpr double kH = 1e-6;
constexpr double kRtol = 1e-6;

std::vector<double> uniform(std::mt19937& rng, size_t n, double lo, double hi) {
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<double> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

std::vector<float> uniform_f(std::mt19937& rng, size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) s += a[i] * b[i];
    return s;
}

kern::RowSpan all_rows(size_t n) {
    kern::RowSpan s;
    s.count = n;
    return s;
}

Tensor make(Backend& b, const std::vector<float>& v, size_t rows, int cols) {
    Tensor t = b.zeros(rows, cols);
    if (!v.empty()) b.upload(t, v.data());
    return t;
}

Tensor make_i32(Backend& b, const std::vector<int32_t>& v, size_t rows, int cols) {
    Tensor t = b.zeros(rows, cols, DType::I32);
    if (!v.empty()) b.upload(t, v.data());
    return t;
}

template <class T>
std::vector<T> host(Backend& b, const Tensor& t) {
    std::vector<T> v(t.numel());
    b.download(t, v.data());
    return v;
}

// A small grid with dense and hashed levels: resolutions 2, 3, 6, 11, 20 with T = 64 entries.
HashGridConfig small_grid() {
    HashGridConfig c;
    c.levels = 5;
    c.features = 2;
    c.log2_table_size = 6;
    c.base_resolution = 2.0f;
    c.per_level_scale = 1.8f;
    return c;
}

// Distance of u from the nearest cell face at any level of g (position gradients jump there).
double cell_margin(const kern::HashGridLayout& g, const double u[3]) {
    double m = 1.0;
    for (int l = 0; l < g.levels; ++l) {
        const auto c = kern::hash_grid_cell(g, l, u);
        for (int a = 0; a < 3; ++a)
            if (u[a] > 0 && u[a] < 1) m = std::min({m, c.frac[a] / c.scale, (1 - c.frac[a]) / c.scale});
    }
    return m;
}

// ---- hash encoding -------------------------------------------------------------------------

TEST(HashGrid, LayoutHasDenseCoarseLevelsAndHashedFineOnes) {
    const auto g = hash_grid_layout(small_grid());
    ASSERT_EQ(g.levels, 5);
    const uint32_t res[5] = {2, 3, 6, 11, 20}; // floor(2 * 1.8^l)
    const uint32_t size[5] = {27, 64, 64, 64, 64};
    for (int l = 0; l < 5; ++l) {
        EXPECT_EQ(g.resolution[l], res[l]) << l;
        EXPECT_EQ(g.offset[l + 1] - g.offset[l], size[l]) << l;
        EXPECT_EQ(bool(g.hashed & (1u << l)), l >= 2) << l; // 4^3 = 64 fits exactly: dense
    }
    EXPECT_EQ(g.rows(), 27u + 4 * 64u);
    // The paper's NeRF grid: 16 levels, 16..2048, 2^19 entries.
    HashGridConfig ngp;
    ngp.per_level_scale = HashGridConfig::scale_for(16, 2048, 16);
    const auto n = hash_grid_layout(ngp);
    EXPECT_EQ(n.resolution[0], 16u);
    EXPECT_NEAR(double(n.resolution[15]), 2048.0, 1.0);
    EXPECT_EQ(n.hashed & 1u, 0u);         // 17^3 = 4913 entries, dense
    EXPECT_NE(n.hashed & (1u << 15), 0u); // hashed
    EXPECT_EQ(n.offset[16] - n.offset[15], 1u << 19);
}

TEST(HashGrid, BadConfigsNameTheField) {
    auto expect_field = [](HashGridConfig c, const char* field) {
        try {
            hash_grid_layout(c);
            ADD_FAILURE() << "accepted a bad " << field;
        } catch (const Error& e) {
            EXPECT_EQ(e.field(), field) << e.what();
        }
    };
    HashGridConfig c = small_grid();
    c.levels = 0;
    expect_field(c, "levels");
    c = small_grid();
    c.features = 3;
    expect_field(c, "features");
    c = small_grid();
    c.log2_table_size = 30;
    expect_field(c, "log2_table_size");
    c = small_grid();
    c.base_resolution = 0.5f;
    expect_field(c, "base_resolution");
    c = small_grid();
    c.per_level_scale = 4.0f;
    c.levels = 32;
    expect_field(c, "per_level_scale");
}

TEST(HashGrid, InterpolatesTheTableAtVertices) {
    // At a vertex of a dense level the feature is that vertex's entry.
    const auto g = hash_grid_layout(small_grid());
    std::mt19937 rng(3);
    const auto table = uniform(rng, size_t(g.rows()) * 2, -1, 1);
    const double u[3] = {0.5, 1.0, 0.0}; // vertex (1, 2, 0) of level 0 (N = 2)
    double out[2];
    kern::hash_encode_level(g, 0, u, table.data(), out);
    const size_t row = 1 + 3 * (2 + 3 * 0);
    EXPECT_DOUBLE_EQ(out[0], table[row * 2]);
    EXPECT_DOUBLE_EQ(out[1], table[row * 2 + 1]);
}

TEST(HashGrid, PositionsOutsideTheCubeAreClamped) {
    CpuBackend b(1);
    auto& enc = b.ops<EncodingOps>("test");
    HashGrid grid = HashGrid::create(b, small_grid(), 7);
    const float nan = std::numeric_limits<float>::quiet_NaN();
    // Outside points and their clamped twins.
    const std::vector<float> pos = {1.5f, 0.3f, -2.0f, 1.0f, 0.3f, 0.0f, nan, 0.7f, 0.2f, 0.0f, 0.7f, 0.2f};
    Tensor p = make(b, pos, 4, 3);
    Tensor out = b.zeros(4, grid.layout.width());
    enc.hash_encode(grid.layout, grid.table, p, RowSelection::all(), out, 0);
    const auto o = host<float>(b, out);
    const int w = grid.layout.width();
    for (int j = 0; j < w; ++j) {
        EXPECT_EQ(o[j], o[w + j]) << j;
        EXPECT_EQ(o[2 * w + j], o[3 * w + j]) << j;
    }
    // The gradient along a clamped axis is zero.
    Tensor d_out = make(b, std::vector<float>(4 * w, 1.0f), 4, w);
    Tensor d_table = b.zeros(grid.layout.rows(), 2);
    Tensor d_pos = b.zeros(4, 3);
    enc.hash_encode_backward(grid.layout, grid.table, p, RowSelection::all(), d_out, 0, d_table, &d_pos);
    const auto dp = host<float>(b, d_pos);
    EXPECT_EQ(dp[0], 0.0f);
    EXPECT_EQ(dp[2], 0.0f);
    EXPECT_NE(dp[1], 0.0f);
    EXPECT_EQ(dp[6], 0.0f);
}

void check_hash_gradients(const kern::HashGridLayout& g, size_t n, const kern::RowSpan& rows, uint32_t seed) {
    std::mt19937 rng(seed);
    const int w = g.width(), stride = w + 3, col = 2; // a window inside a wider tensor
    auto table = uniform(rng, size_t(g.rows()) * g.features, -1, 1);
    auto pos = uniform(rng, n * 3, 0.02, 0.98);
    pos[0] = -0.3; // outside the cube along x
    pos[4] = 1.2;  // and along y
    // Keep positions clear of cell faces, where the position gradient jumps.
    for (size_t r = 0; r < n; ++r) {
        double* u = &pos[3 * r];
        for (int tries = 0; tries < 100 && cell_margin(g, u) < 1e-4; ++tries)
            for (int a = 0; a < 3; ++a)
                if (u[a] > 0 && u[a] < 1) u[a] = std::uniform_real_distribution<double>(0.02, 0.98)(rng);
        ASSERT_GE(cell_margin(g, u), 1e-4);
    }
    const auto weights = uniform(rng, n * stride, -1, 1);
    auto loss = [&](const std::vector<double>& t, const std::vector<double>& p) {
        std::vector<double> enc(n * stride, 0.0);
        cpu::hash_encode(g, t.data(), p.data(), rows, enc.data(), stride, col);
        return dot(enc, weights);
    };
    std::vector<double> d_table(table.size(), 0.0), d_pos(pos.size(), 0.0);
    cpu::hash_encode_backward(g, table.data(), pos.data(), rows, weights.data(), stride, col, d_table.data(),
                              d_pos.data());
    expect_gradients_near(d_table, numeric_gradient([&](const auto& t) { return loss(t, pos); }, table, kH), kRtol,
                          1e-9, "hash table");
    expect_gradients_near(d_pos, numeric_gradient([&](const auto& p) { return loss(table, p); }, pos, kH), kRtol, 1e-7,
                          "hash positions");
}

TEST(HashGrid, GradientsMatchFiniteDifferences) {
    const auto g = hash_grid_layout(small_grid());
    check_hash_gradients(g, 9, all_rows(9), 11);
    // One feature per level, eight features per level.
    HashGridConfig c = small_grid();
    c.features = 1;
    check_hash_gradients(hash_grid_layout(c), 5, all_rows(5), 12);
    c.features = 8;
    c.levels = 3;
    check_hash_gradients(hash_grid_layout(c), 5, all_rows(5), 13);
}

TEST(HashGrid, RowSubsetsTouchOnlyTheirRows) {
    const auto g = hash_grid_layout(small_grid());
    // A range and a list: the other rows of the output stay as they were, and their gradients zero.
    kern::RowSpan range;
    range.begin = 2;
    range.count = 4;
    check_hash_gradients(g, 9, range, 21);
    const std::vector<int32_t> list = {7, 1, 4};
    kern::RowSpan listed;
    listed.count = list.size();
    listed.list = list.data();
    check_hash_gradients(g, 9, listed, 22);

    CpuBackend b(2);
    auto& enc = b.ops<EncodingOps>("test");
    HashGrid grid = HashGrid::create(b, small_grid(), 1);
    std::mt19937 rng(5);
    Tensor p = make(b, uniform_f(rng, 30, 0, 1), 10, 3);
    Tensor out = make(b, std::vector<float>(10 * 12, -7.0f), 10, 12);
    enc.hash_encode(grid.layout, grid.table, p, RowSelection::range(3, 6), out, 1);
    const auto o = host<float>(b, out);
    for (size_t r = 0; r < 10; ++r)
        for (int c = 0; c < 12; ++c) {
            const bool written = r >= 3 && r < 6 && c >= 1 && c < 11;
            if (written) {
                EXPECT_NE(o[r * 12 + c], -7.0f) << r << "," << c;
            } else {
                EXPECT_EQ(o[r * 12 + c], -7.0f) << r << "," << c;
            }
        }
}

TEST(HashGrid, BackwardIsIndependentOfTheThreadCount) {
    std::vector<float> results[2];
    for (int t = 0; t < 2; ++t) {
        CpuBackend b(t + 1);
        auto& enc = b.ops<EncodingOps>("test");
        HashGridConfig c;
        c.log2_table_size = 12;
        HashGrid grid = HashGrid::create(b, c, 1);
        std::mt19937 rng(9);
        const size_t n = 20000;
        Tensor p = make(b, uniform_f(rng, n * 3, 0, 1), n, 3);
        Tensor d_out = make(b, uniform_f(rng, n * 32, -1, 1), n, 32);
        Tensor d_table = b.zeros(grid.layout.rows(), 2);
        Tensor d_pos = b.zeros(n, 3);
        enc.hash_encode_backward(grid.layout, grid.table, p, RowSelection::all(), d_out, 0, d_table, &d_pos);
        results[t] = host<float>(b, d_table);
        const auto dp = host<float>(b, d_pos);
        results[t].insert(results[t].end(), dp.begin(), dp.end());
    }
    EXPECT_TRUE(results[0] == results[1]);
}

TEST(HashGrid, EmptyInputsAndBadArguments) {
    CpuBackend b(1);
    auto& enc = b.ops<EncodingOps>("test");
    HashGrid grid = HashGrid::create(b, small_grid(), 1);
    Tensor p = b.zeros(0, 3), out = b.zeros(0, grid.layout.width());
    enc.hash_encode(grid.layout, grid.table, p, RowSelection::all(), out, 0);
    Tensor d_table = b.zeros(grid.layout.rows(), 2);
    enc.hash_encode_backward(grid.layout, grid.table, p, RowSelection::all(), out, 0, d_table, nullptr);
    EXPECT_EQ(host<float>(b, d_table), std::vector<float>(grid.layout.rows() * 2, 0.0f));

    Tensor p3 = b.zeros(3, 3), out3 = b.zeros(3, grid.layout.width());
    EXPECT_THROW(enc.hash_encode(grid.layout, grid.table, p3, RowSelection::range(1, 4), out3, 0), Error);
    EXPECT_THROW(enc.hash_encode(grid.layout, grid.table, p3, RowSelection::all(), out3, 1), Error); // window
    Tensor bad_list = make_i32(b, {0, 3}, 2, 1);
    EXPECT_THROW(enc.hash_encode(grid.layout, grid.table, p3, RowSelection::listed(bad_list), out3, 0), Error);
    Tensor twice = make_i32(b, {1, 1}, 2, 1);
    Tensor d_pos = b.zeros(3, 3);
    enc.hash_encode(grid.layout, grid.table, p3, RowSelection::listed(twice), out3, 0); // fine: writes only
    EXPECT_THROW(
        enc.hash_encode_backward(grid.layout, grid.table, p3, RowSelection::listed(twice), out3, 0, d_table, &d_pos),
        Error);
    Tensor wrong_table = b.zeros(5, 2);
    EXPECT_THROW(enc.hash_encode(grid.layout, wrong_table, p3, RowSelection::all(), out3, 0), Error);
}

// ---- spherical harmonics encoding ------------------------------------------------------------

TEST(ShEncoding, GradientsMatchFiniteDifferences) {
    std::mt19937 rng(31);
    for (int degree = 0; degree <= 3; ++degree) {
        const size_t n = 6;
        const int w = kern::sh_encoding_width(degree), stride = w + 1;
        const auto dirs = uniform(rng, n * 3, -2, 2);
        const auto weights = uniform(rng, n * stride, -1, 1);
        auto loss = [&](const std::vector<double>& d) {
            std::vector<double> enc(n * stride, 0.0);
            cpu::sh_encode(degree, d.data(), all_rows(n), enc.data(), stride, 1);
            return dot(enc, weights);
        };
        std::vector<double> grad(dirs.size(), 0.0);
        cpu::sh_encode_backward(degree, dirs.data(), all_rows(n), weights.data(), stride, 1, grad.data());
        expect_gradients_near(grad, numeric_gradient(loss, dirs, kH), kRtol, 1e-9, "sh directions");
    }
}

TEST(ShEncoding, IsTheColourBasisAtUnitDirections) {
    // 16 values at degree 3: the basis the Gaussian families' colours use, orthonormal on the sphere.
    const kern::Vec3<double> d = {0.3, -0.5, 0.8};
    double a[16], b[16];
    kern::sh_encode(3, kern::Vec3<double>{3 * d.x, 3 * d.y, 3 * d.z}, a);
    const double len = std::sqrt(0.09 + 0.25 + 0.64);
    kern::sh_basis(3, kern::Vec3<double>{d.x / len, d.y / len, d.z / len}, b);
    for (int k = 0; k < 16; ++k) EXPECT_NEAR(a[k], b[k], 1e-15) << k;
    // Monte Carlo orthonormality over the sphere.
    std::mt19937 rng(2);
    std::normal_distribution<double> nd;
    double gram[16][16] = {};
    const int samples = 200000;
    for (int s = 0; s < samples; ++s) {
        double v[16];
        kern::sh_encode(3, kern::Vec3<double>{nd(rng), nd(rng), nd(rng)}, v);
        for (int i = 0; i < 16; ++i)
            for (int j = 0; j < 16; ++j) gram[i][j] += v[i] * v[j];
    }
    for (int i = 0; i < 16; ++i)
        for (int j = 0; j < 16; ++j)
            EXPECT_NEAR(gram[i][j] * 4 * M_PI / samples, i == j ? 1.0 : 0.0, 0.03) << i << "," << j;
}

// ---- MLP -----------------------------------------------------------------------------------

void check_mlp_gradients(const MlpConfig& config, size_t n, uint32_t seed) {
    const auto net = mlp_layout(config);
    std::mt19937 rng(seed);
    std::vector<double> params(net.params);
    const auto init = mlp_initial_params(net, seed);
    for (size_t i = 0; i < params.size(); ++i) params[i] = 1.5 * init[i]; // larger than PyTorch's: nonlinear
    const int in_stride = config.inputs + 2, in_col = 1, out_stride = config.outputs + 3, out_col = 2;
    const auto input = uniform(rng, n * in_stride, -1, 1);
    const auto weights = uniform(rng, n * out_stride, -1, 1);
    auto loss = [&](const std::vector<double>& p, const std::vector<double>& x) {
        std::vector<double> out(n * out_stride, 0.0);
        cpu::mlp_forward(net, p.data(), x.data(), in_stride, in_col, all_rows(n), out.data(), out_stride, out_col);
        return dot(out, weights);
    };
    std::vector<double> d_params(params.size(), 0.0), d_input(input.size(), 0.0);
    cpu::mlp_backward(net, params.data(), input.data(), in_stride, in_col, all_rows(n), weights.data(), out_stride,
                      out_col, d_params.data(), d_input.data(), in_stride, in_col);
    const std::string what =
        cat("mlp ", config.inputs, "-", config.hidden, "x", config.hidden_layers, "-", config.outputs, " ",
            to_string(config.hidden_activation), "/", to_string(config.output_activation));
    expect_gradients_near(d_params, numeric_gradient([&](const auto& p) { return loss(p, input); }, params, kH), kRtol,
                          1e-8, what + " params");
    expect_gradients_near(d_input, numeric_gradient([&](const auto& x) { return loss(params, x); }, input, kH), kRtol,
                          1e-8, what + " input");
}

TEST(Mlp, GradientsMatchFiniteDifferences) {
    using A = kern::Activation;
    // Every output activation, every hidden one, widths, depths 0..4; 37 rows span two blocks.
    uint32_t seed = 40;
    for (A out : {A::None, A::Relu, A::Sigmoid, A::Tanh, A::TruncExp})
        check_mlp_gradients(MlpConfig{5, 16, 2, 3, A::Relu, out}, 37, seed++);
    for (A hidden : {A::None, A::Sigmoid, A::Tanh, A::TruncExp})
        check_mlp_gradients(MlpConfig{4, 8, 2, 2, hidden, A::None}, 11, seed++);
    for (int layers = 0; layers <= 4; ++layers) check_mlp_gradients(MlpConfig{6, 12, layers, 4}, 9, seed++);
    check_mlp_gradients(MlpConfig{3, 33, 1, 7}, 5, seed++); // odd widths
}

TEST(Mlp, TruncatedExpClampsItsGradient) {
    using A = kern::Activation;
    EXPECT_DOUBLE_EQ(kern::activate(A::TruncExp, 2.0), std::exp(2.0));
    EXPECT_DOUBLE_EQ(kern::activation_derivative(A::TruncExp, std::exp(2.0)), std::exp(2.0));
    EXPECT_DOUBLE_EQ(kern::activation_derivative(A::TruncExp, std::exp(20.0)), std::exp(15.0));
    EXPECT_DOUBLE_EQ(kern::activation_derivative(A::TruncExp, std::exp(-30.0)), std::exp(-15.0));
    EXPECT_EQ(kern::activate(A::Tanh, 1000.0f), 1.0f); // no overflow
    EXPECT_EQ(kern::activate(A::Tanh, -1000.0f), -1.0f);
}

TEST(Mlp, LayoutAndBadConfigs) {
    const auto net = mlp_layout(MlpConfig{32, 64, 2, 16});
    EXPECT_EQ(net.layers, 3);
    EXPECT_EQ(net.params, uint32_t(32 * 64 + 64 + 64 * 64 + 64 + 64 * 16 + 16));
    EXPECT_EQ(net.bias[0], uint32_t(32 * 64));
    EXPECT_EQ(net.weight[1], uint32_t(32 * 64 + 64));
    auto expect_field = [](MlpConfig c, const char* field) {
        try {
            mlp_layout(c);
            ADD_FAILURE() << "accepted a bad " << field;
        } catch (const Error& e) {
            EXPECT_EQ(e.field(), field) << e.what();
        }
    };
    expect_field(MlpConfig{0, 64, 2, 16}, "inputs");
    expect_field(MlpConfig{8, 200, 2, 16}, "hidden");
    expect_field(MlpConfig{8, 64, 9, 16}, "hidden_layers");
    expect_field(MlpConfig{8, 64, 2, 0}, "outputs");
    EXPECT_EQ(parse_activation("trunc_exp"), kern::Activation::TruncExp);
    EXPECT_THROW(parse_activation("gelu"), Error);
}

TEST(Mlp, ResultsAreIndependentOfTheThreadCount) {
    const MlpConfig config{24, 64, 2, 16};
    const size_t n = 5000; // several chunks of rows
    std::vector<float> results[2];
    std::vector<float> outputs[2];
    for (int t = 0; t < 2; ++t) {
        CpuBackend b(t + 1);
        auto& mlp = b.ops<MlpOps>("test");
        Mlp net = Mlp::create(b, config, 3);
        std::mt19937 rng(4);
        Tensor x = make(b, uniform_f(rng, n * 24, -1, 1), n, 24);
        Tensor y = b.zeros(n, 16);
        mlp.forward(net.layout, net.params, x, 0, RowSelection::all(), y, 0);
        Tensor dy = make(b, uniform_f(rng, n * 16, -1, 1), n, 16);
        Tensor dp = b.zeros(net.layout.params, 1), dx = b.zeros(n, 24);
        mlp.backward(net.layout, net.params, x, 0, RowSelection::all(), dy, 0, dp, &dx, 0);
        results[t] = host<float>(b, dp);
        const auto dxh = host<float>(b, dx);
        results[t].insert(results[t].end(), dxh.begin(), dxh.end());
        outputs[t] = host<float>(b, y);
    }
    EXPECT_TRUE(results[0] == results[1]);
    EXPECT_TRUE(outputs[0] == outputs[1]);
}

TEST(Mlp, RowListsAndRangesMatchTheWholeBatch) {
    CpuBackend b(2);
    auto& mlp = b.ops<MlpOps>("test");
    Mlp net = Mlp::create(b, MlpConfig{7, 16, 1, 5, kern::Activation::Relu, kern::Activation::Sigmoid}, 9);
    std::mt19937 rng(8);
    const size_t n = 50;
    Tensor x = make(b, uniform_f(rng, n * 7, -1, 1), n, 7);
    Tensor all = b.zeros(n, 5);
    mlp.forward(net.layout, net.params, x, 0, RowSelection::all(), all, 0);
    // Two experts' worth of rows, one by range and one by list, into one output.
    std::vector<int32_t> odd;
    for (int32_t r = 1; r < int32_t(n); r += 2) odd.push_back(r);
    Tensor list = make_i32(b, odd, odd.size(), 1);
    Tensor parts = b.zeros(n, 5);
    mlp.forward(net.layout, net.params, x, 0, RowSelection::listed(list), parts, 0);
    const auto a = host<float>(b, all), p = host<float>(b, parts);
    for (size_t r = 0; r < n; ++r)
        for (int c = 0; c < 5; ++c) EXPECT_EQ(p[r * 5 + c], r % 2 ? a[r * 5 + c] : 0.0f) << r;
    // Gradients of a subset add up with those of the rest to the whole batch's.
    Tensor dy = make(b, uniform_f(rng, n * 5, -1, 1), n, 5);
    Tensor dp_all = b.zeros(net.layout.params, 1), dp_parts = b.zeros(net.layout.params, 1);
    mlp.backward(net.layout, net.params, x, 0, RowSelection::all(), dy, 0, dp_all, nullptr, 0);
    mlp.backward(net.layout, net.params, x, 0, RowSelection::range(0, 20), dy, 0, dp_parts, nullptr, 0);
    mlp.backward(net.layout, net.params, x, 0, RowSelection::range(20, n), dy, 0, dp_parts, nullptr, 0);
    const auto ga = host<float>(b, dp_all), gp = host<float>(b, dp_parts);
    for (size_t i = 0; i < ga.size(); ++i) EXPECT_NEAR(ga[i], gp[i], 1e-5f * (1 + std::abs(ga[i]))) << i;
    // Empty selections do nothing.
    mlp.backward(net.layout, net.params, x, 0, RowSelection::range(7, 7), dy, 0, dp_parts, nullptr, 0);
    EXPECT_EQ(host<float>(b, dp_parts), gp);
}

// ---- kNN -----------------------------------------------------------------------------------

struct Brute {
    std::vector<int32_t> ids;
    std::vector<float> d2;
};

Brute brute_knn(const std::vector<float>& p, const std::vector<float>* queries, int k) {
    const size_t n = p.size() / 3;
    const bool self = !queries;
    const std::vector<float>& q = self ? p : *queries;
    const size_t m = q.size() / 3;
    Brute b{std::vector<int32_t>(m * k, -1), std::vector<float>(m * k, std::numeric_limits<float>::infinity())};
    for (size_t i = 0; i < m; ++i) {
        std::vector<std::pair<float, int32_t>> all;
        for (size_t j = 0; j < n; ++j) {
            if (self && j == i) continue;
            const float dx = p[3 * j] - q[3 * i], dy = p[3 * j + 1] - q[3 * i + 1], dz = p[3 * j + 2] - q[3 * i + 2];
            all.push_back({dx * dx + dy * dy + dz * dz, int32_t(j)});
        }
        const size_t keep = std::min(all.size(), size_t(k));
        std::partial_sort(all.begin(), all.begin() + keep, all.end());
        for (int s = 0; s < int(keep); ++s) {
            b.ids[i * k + s] = all[s].second;
            b.d2[i * k + s] = all[s].first;
        }
    }
    return b;
}

// The grid kNN against brute force for k = 1 .. kmax (one brute-force pass, its prefixes).
void expect_knn_exact(const std::vector<float>& p, const std::vector<float>* queries, std::vector<int> ks,
                      const char* what) {
    const size_t m = (queries ? queries->size() : p.size()) / 3;
    const int kmax = *std::max_element(ks.begin(), ks.end());
    const Brute b = brute_knn(p, queries, kmax);
    for (int k : ks) {
        std::vector<int32_t> ids(m * k);
        std::vector<float> d2(m * k);
        cpu::knn(p.data(), p.size() / 3, queries ? queries->data() : nullptr, m, k, ids.data(), d2.data());
        int failures = 0;
        for (size_t i = 0; i < m; ++i)
            for (int s = 0; s < k; ++s) {
                const size_t e = i * k + s, f = i * kmax + s;
                if ((ids[e] != b.ids[f] || d2[e] != b.d2[f]) && failures++ < 10)
                    ADD_FAILURE() << what << " k=" << k << ": query " << i << " slot " << s << ": got " << ids[e]
                                  << " at " << d2[e] << ", expected " << b.ids[f] << " at " << b.d2[f];
            }
    }
}

TEST(Knn, MatchesBruteForceExactly) {
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> volume, surface, clustered;
    for (int i = 0; i < 1500; ++i) volume.insert(volume.end(), {u(rng), u(rng), u(rng)});
    for (int i = 0; i < 2000; ++i) {
        const float a = u(rng) * 3.14159f, z = u(rng);
        const float r = std::sqrt(1 - z * z); // a sphere: surface samples, as SfM points are
        surface.insert(surface.end(), {r * std::cos(a), r * std::sin(a), z});
    }
    for (int i = 0; i < 1200; ++i) {
        const float cx = float(i % 4) * 10.0f; // four tight clusters far apart, plus far outliers
        clustered.insert(clustered.end(), {cx + 0.01f * u(rng), 0.01f * u(rng), 1000.0f + 0.01f * u(rng)});
    }
    clustered.insert(clustered.end(), {-500.0f, 3.0f, 1000.0f, 800.0f, -40.0f, 1001.0f});
    expect_knn_exact(volume, nullptr, {1, 3, 10, 16}, "volume");
    expect_knn_exact(surface, nullptr, {1, 3, 10, 16}, "surface");
    expect_knn_exact(clustered, nullptr, {1, 3, 10, 16}, "clusters");
    // Separate queries, some far outside the points' bounds.
    std::vector<float> queries;
    for (int i = 0; i < 300; ++i) queries.insert(queries.end(), {3 * u(rng), 3 * u(rng), 3 * u(rng)});
    expect_knn_exact(surface, &queries, {8}, "queries");
}

TEST(Knn, DuplicatesOnePointAndTooFewPoints) {
    // Duplicates: each copy's nearest neighbours are the other copies, at distance 0, by index.
    std::vector<float> p;
    for (int i = 0; i < 5; ++i) p.insert(p.end(), {0.5f, 0.5f, 0.5f});
    p.insert(p.end(), {0.7f, 0.5f, 0.5f});
    expect_knn_exact(p, nullptr, {4}, "duplicates");
    std::vector<int32_t> ids(6 * 4);
    std::vector<float> d2(6 * 4);
    cpu::knn(p.data(), 6, nullptr, 6, 4, ids.data(), d2.data());
    EXPECT_EQ((std::vector<int32_t>(ids.begin(), ids.begin() + 4)), (std::vector<int32_t>{1, 2, 3, 4}));
    EXPECT_EQ(d2[3], 0.0f);
    // All points in one place.
    std::vector<float> same(3 * 50, 2.0f);
    expect_knn_exact(same, nullptr, {16}, "coincident");
    // k > N - 1: the rest is -1 / +inf.
    expect_knn_exact(p, nullptr, {16}, "k > N - 1");
    cpu::knn(p.data(), 1, nullptr, 1, 3, ids.data(), d2.data());
    EXPECT_EQ(ids[0], -1);
    EXPECT_TRUE(std::isinf(d2[0]));
    // No points at all, and queries against no points.
    cpu::knn(p.data(), 0, nullptr, 0, 3, ids.data(), d2.data());
    cpu::knn(p.data(), 0, p.data(), 2, 3, ids.data(), d2.data());
    EXPECT_EQ(ids[5], -1);
}

TEST(Knn, OpChecksItsInputs) {
    CpuBackend b(1);
    auto& nb = b.ops<NeighbourOps>("test");
    Tensor p = make(b, {0, 0, 0, 1, 0, 0, std::numeric_limits<float>::quiet_NaN(), 0, 0}, 3, 3);
    EXPECT_THROW(nb.knn(p, 2), Error);
    Tensor ok = make(b, {0, 0, 0, 1, 0, 0}, 2, 3);
    EXPECT_THROW(nb.knn(ok, 0), Error);
    EXPECT_THROW(nb.knn(ok, 17), Error);
    Tensor empty = b.zeros(0, 3);
    KnnResult r = nb.knn(empty, 4);
    EXPECT_EQ(r.indices.rows(), 0u);
    EXPECT_EQ(r.indices.cols(), 4);
    r = nb.knn(ok, 3);
    EXPECT_EQ(host<int32_t>(b, r.indices), (std::vector<int32_t>{1, -1, -1, 0, -1, -1}));
}

TEST(Knn, Gs3dInitUsesTheGridKnn) {
    // mean_knn_squared_distance is the mean of the 3 nearest squared distances, summed ascending.
    std::mt19937 rng(6);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> p;
    for (int i = 0; i < 800; ++i) p.insert(p.end(), {u(rng), u(rng), 0.1f * u(rng)});
    const auto mean = mean_knn_squared_distance(p, 3);
    const Brute b = brute_knn(p, nullptr, 3);
    for (size_t i = 0; i < 800; ++i) {
        const float expected = std::max((b.d2[3 * i] + b.d2[3 * i + 1] + b.d2[3 * i + 2]) / 3.0f, 1e-7f);
        EXPECT_EQ(mean[i], expected) << i;
    }
}

// ---- curvature -----------------------------------------------------------------------------

// R diag(e) R^T for a random rotation R, as a full matrix m and as the Sym3 of its upper triangle.
kern::Sym3<double> rotated_diagonal(std::mt19937& rng, const std::vector<double>& e, double m[3][3]) {
    const auto q = uniform(rng, 4, -1, 1);
    const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
    const auto R = kern::rotation_matrix(kern::Quat<double>{q[0] / n, q[1] / n, q[2] / n, q[3] / n});
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) {
            m[i][j] = 0;
            for (int a = 0; a < 3; ++a) m[i][j] += R.m[i][a] * e[size_t(a)] * R.m[j][a];
        }
    return {m[0][0], m[0][1], m[0][2], m[1][1], m[1][2], m[2][2]};
}

TEST(Curvature, EigenvaluesOfRotatedDiagonals) {
    std::mt19937 rng(12);
    for (int trial = 0; trial < 200; ++trial) {
        auto e = uniform(rng, 3, 0, 2);
        if (trial % 3 == 0) e[0] = 0;    // planar
        if (trial % 5 == 0) e[1] = e[2]; // repeated
        double m[3][3];
        const auto got = kern::symmetric_eigenvalues(rotated_diagonal(rng, e, m));
        std::sort(e.begin(), e.end());
        EXPECT_NEAR(got.x, e[0], 1e-12) << trial;
        EXPECT_NEAR(got.y, e[1], 1e-12) << trial;
        EXPECT_NEAR(got.z, e[2], 1e-12) << trial;
    }
}

TEST(Curvature, EigenvectorsOfRotatedDiagonals) {
    std::mt19937 rng(14);
    for (int trial = 0; trial < 200; ++trial) {
        auto e = uniform(rng, 3, 0, 2);
        if (trial % 3 == 0) e[0] = 0;    // planar
        if (trial % 7 == 0) e[1] = 1e-3; // nearly a line
        double m[3][3];
        double values[3];
        kern::Mat3<double> V;
        kern::symmetric_eigen(rotated_diagonal(rng, e, m), values, V);
        std::sort(e.begin(), e.end());
        for (int c = 0; c < 3; ++c) {
            EXPECT_NEAR(values[c], e[c], 1e-12) << trial;
            // A v = lambda v, |v| = 1, columns orthogonal.
            for (int r = 0; r < 3; ++r) {
                double av = 0;
                for (int k = 0; k < 3; ++k) av += m[r][k] * V.m[k][c];
                EXPECT_NEAR(av, values[c] * V.m[r][c], 1e-10) << trial << " column " << c;
            }
            for (int c2 = 0; c2 < 3; ++c2) {
                double dot = 0;
                for (int r = 0; r < 3; ++r) dot += V.m[r][c] * V.m[r][c2];
                EXPECT_NEAR(dot, c == c2 ? 1.0 : 0.0, 1e-12) << trial;
            }
        }
        const auto& v = V.m;
        const double det = v[0][0] * (v[1][1] * v[2][2] - v[1][2] * v[2][1]) -
                           v[0][1] * (v[1][0] * v[2][2] - v[1][2] * v[2][0]) +
                           v[0][2] * (v[1][0] * v[2][1] - v[1][1] * v[2][0]);
        EXPECT_NEAR(det, 1.0, 1e-12) << trial;
    }
}

TEST(Curvature, FramesLieInTheSurface) {
    // Points on a tilted plane: each frame's z axis is the plane's normal (up to sign: the largest
    // component is positive), x along the longer spread, and the frame is a unit quaternion with w >= 0.
    CpuBackend b(2);
    auto& nb = b.ops<NeighbourOps>("test");
    std::mt19937 rng(15);
    std::uniform_real_distribution<float> u(-1, 1);
    const kern::Vec3<double> normal = {0.2, -0.3, 0.9327379053088815};             // unit
    const kern::Vec3<double> e1 = {0.9777750027710649, 0.0, -0.20965696734438366}; // unit, in the plane
    const kern::Vec3<double> e2 = {normal.y * e1.z - normal.z * e1.y, normal.z * e1.x - normal.x * e1.z,
                                   normal.x * e1.y - normal.y * e1.x};
    std::vector<float> pts;
    for (int i = 0; i < 600; ++i) {
        const double a = 3.0 * u(rng), c = 0.5 * u(rng); // longer along e1
        pts.insert(pts.end(),
                   {float(a * e1.x + c * e2.x + 5), float(a * e1.y + c * e2.y - 2), float(a * e1.z + c * e2.z + 1)});
    }
    const size_t n = pts.size() / 3;
    Tensor p = make(b, pts, n, 3);
    KnnResult knn = nb.knn(p, 10);
    const auto q = host<float>(b, nb.pca_frames(p, knn.indices));
    int along_e1 = 0;
    for (size_t i = 0; i < n; ++i) {
        const kern::Quat<double> f{q[4 * i], q[4 * i + 1], q[4 * i + 2], q[4 * i + 3]};
        EXPECT_NEAR(f.w * f.w + f.x * f.x + f.y * f.y + f.z * f.z, 1.0, 1e-6) << i;
        EXPECT_GE(f.w, 0.0) << i;
        const auto R = kern::rotation_matrix(f);
        const double nz = R.m[0][2] * normal.x + R.m[1][2] * normal.y + R.m[2][2] * normal.z;
        EXPECT_NEAR(nz, 1.0, 1e-4) << "z is the normal, largest component positive " << i;
        const double x1 = std::abs(R.m[0][0] * e1.x + R.m[1][0] * e1.y + R.m[2][0] * e1.z);
        if (x1 > 0.7) ++along_e1;
    }
    // Ten neighbours see a small patch: most, not all, find the longer direction.
    EXPECT_GT(along_e1, int(n) / 2);
    // A single point (no neighbours) and no points at all.
    const auto single = host<float>(b, nb.pca_frames(make(b, {1.0f, 2.0f, 3.0f}, 1, 3), make_i32(b, {-1}, 1, 1)));
    EXPECT_EQ(single, (std::vector<float>{1, 0, 0, 0}));
    EXPECT_EQ(nb.pca_frames(b.zeros(0, 3), b.zeros(0, 1, DType::I32)).rows(), 0u);
    // No spread: the identity.
    const float one[3] = {1, 2, 3};
    const int32_t none[2] = {-1, -1};
    const kern::Quat<double> id = kern::pca_frame<double>(one, 0, none, 2);
    EXPECT_EQ(id.w, 1.0);
    EXPECT_EQ(id.x, 0.0);
}

TEST(Curvature, QuaternionOfARotationMatrixRoundTrips) {
    std::mt19937 rng(16);
    for (int trial = 0; trial < 500; ++trial) {
        auto q = uniform(rng, 4, -1, 1);
        if (trial % 4 == 1) q[0] = 0; // 180-degree turns: the non-trace branches
        if (trial % 4 == 2) q[0] = 1e-9, q[1] = 0;
        const double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        const double s = q[0] < 0 ? -1.0 : 1.0;
        const kern::Quat<double> u{s * q[0] / n, s * q[1] / n, s * q[2] / n, s * q[3] / n};
        const kern::Quat<double> back = kern::quat_from_rotation(kern::rotation_matrix(u));
        const double sign = (back.w * u.w + back.x * u.x + back.y * u.y + back.z * u.z) < 0 ? -1.0 : 1.0;
        EXPECT_NEAR(sign * back.w, u.w, 1e-9) << trial;
        EXPECT_NEAR(sign * back.x, u.x, 1e-9) << trial;
        EXPECT_NEAR(sign * back.y, u.y, 1e-9) << trial;
        EXPECT_NEAR(sign * back.z, u.z, 1e-9) << trial;
        // Hamilton product: R(a b) = R(a) R(b).
        const kern::Quat<double> ab = kern::quat_mul(u, back);
        const auto Rab = kern::rotation_matrix(ab), Ra = kern::rotation_matrix(u), Rb = kern::rotation_matrix(back);
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) {
                double e = 0;
                for (int k = 0; k < 3; ++k) e += Ra.m[r][k] * Rb.m[k][c];
                EXPECT_NEAR(Rab.m[r][c], e, 1e-12) << trial;
            }
    }
}

TEST(Curvature, PlanesLinesAndBlobs) {
    CpuBackend b(2);
    auto& nb = b.ops<NeighbourOps>("test");
    std::mt19937 rng(13);
    std::uniform_real_distribution<float> u(-1, 1);
    std::normal_distribution<float> nd;
    std::vector<float> pts;
    const int per = 400;
    for (int i = 0; i < per; ++i) pts.insert(pts.end(), {u(rng), u(rng), 0.0f});                         // plane z = 0
    for (int i = 0; i < per; ++i) pts.insert(pts.end(), {10 + 3 * u(rng), 0.0f, 0.0f});                  // line
    for (int i = 0; i < per; ++i) pts.insert(pts.end(), {-10 + nd(rng), nd(rng), nd(rng)});              // blob
    for (int i = 0; i < per; ++i) pts.insert(pts.end(), {1000 + u(rng), -500 + u(rng), 1e-6f * u(rng)}); // far plane
    const size_t n = pts.size() / 3;
    Tensor p = make(b, pts, n, 3);
    KnnResult knn = nb.knn(p, 10);
    const auto c = host<float>(b, nb.pca_curvature(p, knn.indices));
    double blob = 0;
    for (int i = 0; i < per; ++i) {
        EXPECT_LT(c[i], 1e-6f) << "plane " << i;
        EXPECT_LT(c[per + i], 1e-6f) << "line " << i;
        EXPECT_GT(c[2 * per + i], 0.005f) << "blob " << i;
        EXPECT_LE(c[2 * per + i], 1.0f / 3.0f + 1e-6f) << "blob " << i;
        EXPECT_LT(c[3 * per + i], 1e-4f) << "far plane " << i;
        blob += c[2 * per + i];
    }
    // Ten neighbours of an isotropic Gaussian: lambda_min / trace averages well above a plane's 0.
    EXPECT_GT(blob / per, 0.1);
    // A point with no neighbours, and one with a single one.
    Tensor two = make(b, {0, 0, 0, 1, 1, 1}, 2, 3);
    Tensor ids = make_i32(b, {-1, -1, 0, -1}, 2, 2);
    EXPECT_EQ(host<float>(b, nb.pca_curvature(two, ids)), (std::vector<float>{0.0f, 0.0f}));
    Tensor bad = make_i32(b, {5, -1, 0, -1}, 2, 2);
    EXPECT_THROW(nb.pca_curvature(two, bad), Error);
}

// ---- aggregation ---------------------------------------------------------------------------

// A neighbour list with missing slots and repeated neighbours.
std::vector<int32_t> random_neighbours(std::mt19937& rng, size_t n, int k) {
    std::vector<int32_t> ids(n * k);
    std::uniform_int_distribution<int32_t> pick(0, int32_t(n) - 1);
    for (size_t i = 0; i < n; ++i)
        for (int s = 0; s < k; ++s) ids[i * k + s] = (i + s) % 7 == 3 ? -1 : pick(rng);
    for (int s = 0; s < k; ++s) ids[2 * k + s] = -1; // a point with no neighbour at all
    return ids;
}

TEST(Aggregate, GradientsMatchFiniteDifferences) {
    using M = kern::NeighbourMessage;
    using R = kern::NeighbourReduce;
    std::mt19937 rng(51);
    const size_t n = 9;
    const int k = 4, C = 3;
    const auto ids = random_neighbours(rng, n, k);
    for (M m : {M::Neighbour, M::Difference, M::Edge})
        for (R r : {R::Max, R::Mean}) {
            const size_t rows = m == M::Edge ? n * k : n;
            const auto x = uniform(rng, rows * C, -1, 1);
            const auto w = uniform(rng, n * k, 0.2, 1.5);
            const int stride = C + 2, col = 1; // the output is a window of a wider tensor
            const auto d_out = uniform(rng, n * stride, -1, 1);
            std::vector<int32_t> argmax(n * C);
            auto loss = [&](const std::vector<double>& xv, const std::vector<double>& wv) {
                std::vector<double> out(n * stride, 0.0);
                std::vector<int32_t> am(n * C);
                cpu::aggregate(m, r, xv.data(), C, ids.data(), n, k, wv.data(), out.data(), stride, col, am.data());
                return dot(out, d_out);
            };
            std::vector<double> out(n * stride);
            cpu::aggregate(m, r, x.data(), C, ids.data(), n, k, w.data(), out.data(), stride, col, argmax.data());
            for (int c = 0; c < C; ++c) EXPECT_EQ(argmax[2 * C + c], r == R::Max ? -1 : argmax[2 * C + c]);
            // The launcher's slot-major loop takes the per-channel kernel's steps: the same bits.
            for (size_t i = 0; i < n; ++i)
                for (int c = 0; c < C; ++c) {
                    const auto red = kern::neighbour_reduce(m, r, x.data(), C, int64_t(i), ids.data() + i * k,
                                                            w.data() + i * k, k, c);
                    EXPECT_EQ(out[i * stride + col + c], red.value);
                    if (r == R::Max) EXPECT_EQ(argmax[i * C + c], red.argmax);
                }
            std::vector<double> dx(x.size(), 0.0), dw(w.size(), 0.0);
            cpu::aggregate_backward(m, r, x.data(), C, ids.data(), n, k, w.data(), argmax.data(), d_out.data(), stride,
                                    col, dx.data(), dw.data());
            const std::string what = cat("aggregate message ", int(m), " reduce ", int(r));
            expect_gradients_near(dx, numeric_gradient([&](const auto& v) { return loss(v, w); }, x, kH), kRtol, 1e-9,
                                  what + " values");
            expect_gradients_near(dw, numeric_gradient([&](const auto& v) { return loss(x, v); }, w, kH), kRtol, 1e-9,
                                  what + " weights");
        }
}

TEST(Aggregate, MaxOfWeightedDifferencesIsTheLocalEncoder) {
    // out_ic = max_s w_is (x_jc - x_ic) with the winning slot recorded; 0 and -1 without neighbours.
    CpuBackend b(1);
    auto& nb = b.ops<NeighbourOps>("test");
    Tensor x = make(b, {0, 10, 1, 20, 5, 0}, 3, 2);
    Tensor ids = make_i32(b, {1, 2, 0, -1, -1, -1}, 3, 2);
    Tensor w = make(b, {0.5f, 2.0f, 1.0f, 0.0f, 0.0f, 0.0f}, 3, 2);
    Tensor out = b.zeros(3, 2), argmax = b.zeros(3, 2, DType::I32);
    nb.aggregate(kern::NeighbourMessage::Difference, kern::NeighbourReduce::Max, x, ids, &w, out, 0, &argmax);
    // Point 0: slot 0 gives 0.5 * (1 - 0, 20 - 10) = (0.5, 5); slot 1 gives 2 * (5, -10) = (10, -20).
    EXPECT_EQ(host<float>(b, out), (std::vector<float>{10, 5, -1, -10, 0, 0}));
    EXPECT_EQ(host<int32_t>(b, argmax), (std::vector<int32_t>{1, 0, 0, 0, -1, -1}));
    Tensor d_out = make(b, {1, 1, 1, 1, 1, 1}, 3, 2);
    Tensor dx = b.zeros(3, 2);
    nb.aggregate_backward(kern::NeighbourMessage::Difference, kern::NeighbourReduce::Max, x, ids, &w, &argmax, d_out, 0,
                          &dx, nullptr);
    // d x_2 = (2, 0); d x_1 = (0, 0.5) + (-1, -1) from its own message; d x_0 = (-2, -0.5) + (1, 1).
    EXPECT_EQ(host<float>(b, dx), (std::vector<float>{-1, 0.5f, -1, -0.5f, 2, 0}));
    // The backward of a maximum needs the forward's argmax.
    EXPECT_THROW(nb.aggregate_backward(kern::NeighbourMessage::Difference, kern::NeighbourReduce::Max, x, ids, &w,
                                       nullptr, d_out, 0, &dx, nullptr),
                 Error);
}

TEST(Aggregate, EdgeGatheringMatchesFiniteDifferences) {
    using M = kern::NeighbourMessage;
    std::mt19937 rng(61);
    const size_t n = 8;
    const int k = 3, C = 2, stride = 2 * C + 1;
    const auto ids = random_neighbours(rng, n, k);
    for (M m : {M::Centre, M::Neighbour, M::Difference}) {
        const auto x = uniform(rng, n * C, -1, 1);
        const auto d_edges = uniform(rng, n * k * stride, -1, 1);
        auto loss = [&](const std::vector<double>& xv) {
            std::vector<double> edges(n * k * stride, 0.0);
            cpu::gather_edges(m, xv.data(), C, ids.data(), n, k, edges.data(), stride, C);
            return dot(edges, d_edges);
        };
        std::vector<double> dx(x.size(), 0.0);
        cpu::gather_edges_backward(m, C, ids.data(), n, k, d_edges.data(), stride, C, dx.data());
        expect_gradients_near(dx, numeric_gradient(loss, x, kH), kRtol, 1e-9, cat("gather_edges ", int(m)));
    }
}

TEST(Aggregate, LearnedEdgeFunctionChainsThroughTheMlp) {
    // [x_i | x_j - x_i] -> MLP -> weighted max over slots: the learned local encoder, end to end.
    CpuBackend b(2);
    auto& nb = b.ops<NeighbourOps>("test");
    auto& mlp = b.ops<MlpOps>("test");
    std::mt19937 rng(71);
    const size_t n = 200;
    const int k = 6, C = 4;
    Tensor pts = make(b, uniform_f(rng, n * 3, 0, 1), n, 3);
    KnnResult knn = nb.knn(pts, k);
    Tensor w = nb.inverse_distance_weights(knn.indices, knn.d2, 1e-3f, true);
    Tensor x = make(b, uniform_f(rng, n * C, -1, 1), n, C);
    Tensor edges = b.zeros(n * k, 2 * C);
    nb.gather_edges(kern::NeighbourMessage::Centre, x, knn.indices, edges, 0);
    nb.gather_edges(kern::NeighbourMessage::Difference, x, knn.indices, edges, C);
    Mlp h = Mlp::create(b, MlpConfig{2 * C, 16, 1, C}, 5);
    Tensor msg = b.zeros(n * k, C);
    mlp.forward(h.layout, h.params, edges, 0, RowSelection::all(), msg, 0);
    Tensor out = b.zeros(n, C), argmax = b.zeros(n, C, DType::I32);
    nb.aggregate(kern::NeighbourMessage::Edge, kern::NeighbourReduce::Max, msg, knn.indices, &w, out, 0, &argmax);
    // Weights are normalised and positive; every point has k neighbours.
    const auto wh = host<float>(b, w);
    for (size_t i = 0; i < n; ++i) {
        float s = 0;
        for (int q = 0; q < k; ++q) s += wh[i * k + q];
        EXPECT_NEAR(s, 1.0f, 1e-5f);
    }
    const auto am = host<int32_t>(b, argmax);
    EXPECT_TRUE(std::all_of(am.begin(), am.end(), [&](int32_t a) { return a >= 0 && a < k; }));
}

TEST(MaxRows, GlobalFeatureAndItsGradient) {
    CpuBackend b(2);
    auto& nb = b.ops<NeighbourOps>("test");
    std::mt19937 rng(81);
    const size_t n = 10000;
    const int C = 5;
    auto v = uniform_f(rng, n * C, -1, 1);
    v[1235 * C + 2] = 3.0f;
    v[9000 * C + 2] = 3.0f; // a tie: the first selected row wins
    v[50 * C + 4] = 5.0f;   // not selected below
    Tensor x = make(b, v, n, C);
    std::vector<int32_t> visible;
    for (int32_t r = 100; r < int32_t(n); r += 3) visible.push_back(r);
    visible.push_back(9000);
    Tensor list = make_i32(b, visible, visible.size(), 1);
    Tensor out = b.zeros(1, C), argmax = b.zeros(1, C, DType::I32);
    nb.max_rows(x, RowSelection::listed(list), out, argmax);
    const auto o = host<float>(b, out);
    const auto a = host<int32_t>(b, argmax);
    EXPECT_EQ(o[2], 3.0f);
    EXPECT_EQ(a[2], 9000); // 1235 is not in the list (1235 - 100 is not a multiple of 3)
    for (int c = 0; c < C; ++c) {
        float best = -10;
        for (int32_t r : visible) best = std::max(best, v[size_t(r) * C + c]);
        EXPECT_EQ(o[c], best) << c;
        EXPECT_EQ(v[size_t(a[c]) * C + c], best) << c;
    }
    Tensor d_out = make(b, {1, 2, 3, 4, 5}, 1, C);
    Tensor dx = b.zeros(n, C);
    nb.max_rows_backward(argmax, d_out, dx);
    const auto d = host<float>(b, dx);
    EXPECT_EQ(std::accumulate(d.begin(), d.end(), 0.0f), 15.0f);
    EXPECT_EQ(d[size_t(a[3]) * C + 3], 4.0f);
    // No rows selected: 0 and -1.
    nb.max_rows(x, RowSelection::range(5, 5), out, argmax);
    EXPECT_EQ(host<int32_t>(b, argmax), std::vector<int32_t>(C, -1));
    EXPECT_EQ(host<float>(b, out), std::vector<float>(C, 0.0f));
}

TEST(Aggregate, EmptyInputs) {
    CpuBackend b(1);
    auto& nb = b.ops<NeighbourOps>("test");
    Tensor pts = b.zeros(0, 3), x = b.zeros(0, 4), ids = b.zeros(0, 5, DType::I32), d2 = b.zeros(0, 5);
    EXPECT_EQ(nb.inverse_distance_weights(ids, d2, 1e-3f, true).rows(), 0u);
    EXPECT_EQ(nb.pca_curvature(pts, ids).rows(), 0u);
    Tensor out = b.zeros(0, 4), argmax = b.zeros(0, 4, DType::I32), dx = b.zeros(0, 4);
    for (auto m :
         {kern::NeighbourMessage::Neighbour, kern::NeighbourMessage::Difference, kern::NeighbourMessage::Edge}) {
        nb.aggregate(m, kern::NeighbourReduce::Max, x, ids, nullptr, out, 0, &argmax);
        nb.aggregate_backward(m, kern::NeighbourReduce::Max, x, ids, nullptr, &argmax, out, 0, &dx, nullptr);
    }
    Tensor edges = b.zeros(0, 8);
    nb.gather_edges(kern::NeighbourMessage::Difference, x, ids, edges, 4);
    nb.gather_edges_backward(kern::NeighbourMessage::Difference, ids, edges, 4, dx);
    // The edge kinds each op accepts.
    EXPECT_THROW(nb.gather_edges(kern::NeighbourMessage::Edge, x, ids, edges, 4), Error);
    EXPECT_THROW(
        nb.aggregate(kern::NeighbourMessage::Centre, kern::NeighbourReduce::Max, x, ids, nullptr, out, 0, &argmax),
        Error);
}

TEST(NeuralFamilies, TheCpuBackendProvidesThem) {
    CpuBackend b(1);
    EXPECT_NE(b.find_ops<EncodingOps>(), nullptr);
    EXPECT_NE(b.find_ops<MlpOps>(), nullptr);
    EXPECT_NE(b.find_ops<NeighbourOps>(), nullptr);
    EXPECT_NO_THROW(b.ops<NeighbourOps>("sags"));
}

} // namespace
} // namespace splatscape::test
