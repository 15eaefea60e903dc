// sags: the per-point math against finite differences (double), the CPU ops of the sags family, and
// the model's backward (decoders, encoder with learned and weight-free edges, features, scales, hash
// table, affine; SAGS-Lite's mid-points) against finite differences of a loss on the Gaussians it
// decodes; the point skeleton (voxels, curvature upsampling, Lite pairs); growth and pruning.
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <tuple>

#include <gtest/gtest.h>

#include "core/io/sags.hpp"
#include "tests/support/test_support.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/kernels/sags.hpp"
#include "training/models/sags.hpp"
#include "training/models/sags_decode.hpp"
#include "training/models/sags_points.hpp"

namespace splatscape::test {
namespace {

using kern::kSagsDecodedCols;

kern::RasterCamera<float> look_at_origin(float distance, int size) {
    kern::RasterCamera<float> c;
    for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 3; ++k) c.R.m[r][k] = r == k ? 1.0f : 0.0f;
    c.t = {0.0f, 0.0f, distance};
    c.center = {0.0f, 0.0f, -distance};
    c.fx = c.fy = float(size);
    c.cx = c.cy = 0.5f * float(size);
    c.width = c.height = size;
    return c;
}

// A random unit quaternion (w x y z) from four normal draws.
template <class T>
void random_unit_quat(std::normal_distribution<double>& g, std::mt19937& rng, T q[4]) {
    double n2 = 0;
    for (int k = 0; k < 4; ++k) q[k] = T(g(rng)), n2 += double(q[k]) * double(q[k]);
    for (int k = 0; k < 4; ++k) q[k] = T(double(q[k]) / std::sqrt(n2));
}

// ---- per-element math ------------------------------------------------------------------------

TEST(SagsKernels, ComposeBackwardMatchesFiniteDifferences) {
    std::mt19937 rng(3);
    std::normal_distribution<double> g(0.0, 1.0);
    for (int trial = 0; trial < 40; ++trial) {
        // Odd trials compose the rotation with a point frame.
        float frame_q[4];
        random_unit_quat(g, rng, frame_q);
        const float* frame = trial % 2 ? frame_q : nullptr;
        double d[kSagsDecodedCols], s[6];
        for (double& v : d) v = g(rng);
        d[kern::kSagsOpacityCol] = 0.1 + 0.8 * std::abs(std::tanh(g(rng))); // kept, away from the clamps
        for (double& v : s) v = 0.5 * g(rng);
        const float p[3] = {0.3f, -0.2f, 1.1f};
        double w_mean[3], w_ls[3], w_rot[4], w_col[3], w_op = g(rng);
        for (double* w : {w_mean, w_ls, w_col})
            for (int a = 0; a < 3; ++a) w[a] = g(rng);
        for (double& v : w_rot) v = g(rng);
        auto loss = [&](const double* dd, const double* ss) {
            const kern::SagsGaussian<double> o = kern::sags_compose(dd, p, ss, frame, 0.0, 0.0);
            double L = w_op * o.opacity_logit;
            for (int a = 0; a < 3; ++a) L += w_mean[a] * o.mean[a] + w_ls[a] * o.log_scale[a] + w_col[a] * o.color[a];
            for (int k = 0; k < 4; ++k) L += w_rot[k] * o.rotation[k];
            return L;
        };
        double dd[kSagsDecodedCols], ds[6] = {0, 0, 0, 0, 0, 0};
        kern::sags_compose_backward(d, s, frame, 0.0, 0.0, w_mean, w_ls, w_rot, w_op, w_col, dd, ds);
        const double h = 1e-6;
        for (int k = 0; k < kSagsDecodedCols; ++k) {
            double a[kSagsDecodedCols], b[kSagsDecodedCols];
            std::copy(d, d + kSagsDecodedCols, a);
            std::copy(d, d + kSagsDecodedCols, b);
            a[k] += h;
            b[k] -= h;
            EXPECT_NEAR(dd[k], (loss(a, s) - loss(b, s)) / (2 * h), 1e-5 * (1 + std::abs(dd[k]))) << "decoded " << k;
        }
        for (int k = 0; k < 6; ++k) {
            double a[6], b[6];
            std::copy(s, s + 6, a);
            std::copy(s, s + 6, b);
            a[k] += h;
            b[k] -= h;
            EXPECT_NEAR(ds[k], (loss(d, a) - loss(d, b)) / (2 * h), 1e-5 * (1 + std::abs(ds[k]))) << "scale " << k;
        }
    }
}

TEST(SagsKernels, DroppedPointsHaveNoOpacityGradient) {
    double d[kSagsDecodedCols] = {};
    double s[6] = {};
    const float p[3] = {0, 0, 0};
    d[kern::kSagsOpacityCol] = -0.2;
    const kern::SagsGaussian<double> o = kern::sags_compose(d, p, s, nullptr, 0.0, 0.0);
    EXPECT_FALSE(o.kept);
    EXPECT_EQ(o.opacity_logit, double(kern::kSagsDroppedLogit));
    double zero3[3] = {0, 0, 0}, zero4[4] = {0, 0, 0, 0}, dd[kSagsDecodedCols], ds[6] = {};
    kern::sags_compose_backward(d, s, nullptr, 0.0, 0.0, zero3, zero3, zero4, 5.0, zero3, dd, ds);
    EXPECT_EQ(dd[kern::kSagsOpacityCol], 0.0);
    EXPECT_NEAR(kern::log_sigmoid(-800.0), -800.0, 1e-9);
    EXPECT_NEAR(kern::log_sigmoid(800.0), 0.0, 1e-12);
}

TEST(SagsKernels, RevivedPointsAreDrawnAtTheFloorWithTheirGradient) {
    double d[kSagsDecodedCols] = {};
    double s[6] = {};
    const float p[3] = {0, 0, 0};
    d[kern::kSagsOpacityCol] = -0.2;
    const kern::SagsGaussian<double> o = kern::sags_compose(d, p, s, nullptr, 0.0, 0.05);
    EXPECT_TRUE(o.kept);
    EXPECT_NEAR(o.opacity_logit, std::log(0.05 / 0.95), 1e-12);
    double zero3[3] = {0, 0, 0}, zero4[4] = {0, 0, 0, 0}, dd[kSagsDecodedCols], ds[6] = {};
    kern::sags_compose_backward(d, s, nullptr, 0.0, 0.05, zero3, zero3, zero4, 2.0, zero3, dd, ds);
    // Straight through: d logit / d alpha at the floor.
    EXPECT_NEAR(dd[kern::kSagsOpacityCol], 2.0 / (0.05 * 0.95), 1e-9);
    // Above the floor nothing changes.
    d[kern::kSagsOpacityCol] = 0.3;
    EXPECT_EQ(kern::sags_compose(d, p, s, nullptr, 0.0, 0.05).opacity_logit,
              kern::sags_compose(d, p, s, nullptr, 0.0, 0.0).opacity_logit);
}

TEST(SagsKernels, PointFrameIsTheDecodersIdentity) {
    // An identity decoded quaternion yields the frame itself; the composed rotation is the frame's
    // rotation times the decoded one.
    std::mt19937 rng(5);
    std::normal_distribution<double> g(0.0, 1.0);
    for (int trial = 0; trial < 20; ++trial) {
        float f[4];
        random_unit_quat(g, rng, f);
        double d[kSagsDecodedCols] = {};
        const double s[6] = {};
        const float p[3] = {0, 0, 0};
        d[kern::kSagsOpacityCol] = 0.5;
        d[kern::kSagsRotationCol] = 1.0;
        const kern::SagsGaussian<double> id = kern::sags_compose(d, p, s, f, 0.0, 0.0);
        for (int k = 0; k < 4; ++k) EXPECT_NEAR(id.rotation[k], double(f[k]), 1e-7);
        random_unit_quat(g, rng, d + kern::kSagsRotationCol);
        const kern::SagsGaussian<double> o = kern::sags_compose(d, p, s, f, 0.0, 0.0);
        const auto Rf = kern::rotation_matrix(kern::Quat<double>{f[0], f[1], f[2], f[3]});
        const auto Rd = kern::rotation_matrix(kern::Quat<double>{d[7], d[8], d[9], d[10]});
        const auto Ro =
            kern::rotation_matrix(kern::Quat<double>{o.rotation[0], o.rotation[1], o.rotation[2], o.rotation[3]});
        for (int r = 0; r < 3; ++r)
            for (int c = 0; c < 3; ++c) {
                double e = 0;
                for (int k = 0; k < 3; ++k) e += Rf.m[r][k] * Rd.m[k][c];
                EXPECT_NEAR(Ro.m[r][c], e, 1e-6) << trial;
            }
    }
}

TEST(SagsKernels, InViewFollowsTheProjection) {
    const auto cam = look_at_origin(4.0f, 64);
    const float centre[3] = {0, 0, 0}, behind[3] = {0, 0, -5}, side[3] = {3, 0, 0}, edge[3] = {1.9f, 0, 0};
    EXPECT_TRUE(kern::sags_in_view(cam, centre, 0.0f, 0.01f));
    EXPECT_FALSE(kern::sags_in_view(cam, behind, 0.0f, 0.01f));
    EXPECT_FALSE(kern::sags_in_view(cam, side, 0.15f, 0.01f));
    // x = 1.9 at depth 4 projects to u = 64 * 1.9 / 4 + 32 = 62.4 < 64.
    EXPECT_TRUE(kern::sags_in_view(cam, edge, 0.0f, 0.01f));
}

// ---- CPU ops ---------------------------------------------------------------------------------

TEST(SagsOpsCpu, VisibleMidpointsAndStats) {
    CpuBackend backend(2);
    SagsOps& ops = backend.ops<SagsOps>();
    std::vector<float> pts = {0, 0, 0, 5, 0, 0, 0, 0, -6, 0.5f, 0.5f, 0.5f};
    Tensor p = backend.zeros(4, 3);
    backend.upload(p, pts.data());
    const Tensor rows = ops.visible_points(p, look_at_origin(4.0f, 64), 0.1f, 0.01f);
    std::vector<int32_t> r(rows.rows());
    backend.download(rows, r.data());
    EXPECT_EQ(r, (std::vector<int32_t>{0, 3}));

    // Mid-points: values, then the means of the pairs; the backward spreads half to each end.
    const std::vector<int32_t> pairs = {0, 1, 1, 3};
    Tensor pr = backend.zeros(2, 2, DType::I32);
    backend.upload(pr, pairs.data());
    Tensor out = backend.zeros(6, 3);
    ops.expand_midpoints(p, pr, out);
    const std::vector<float> o = backend.download_f32(out);
    EXPECT_FLOAT_EQ(o[12], 2.5f);
    EXPECT_FLOAT_EQ(o[15], 2.75f);
    std::vector<float> g(18, 0.0f);
    g[12] = 2.0f; // d/d mid-point 0, x
    g[0] = 1.0f;  // d/d point 0, x
    Tensor d_out = backend.zeros(6, 3), d_v = backend.zeros(4, 3);
    backend.upload(d_out, g.data());
    ops.expand_midpoints_backward(pr, d_out, d_v);
    const std::vector<float> dv = backend.download_f32(d_v);
    EXPECT_FLOAT_EQ(dv[0], 2.0f);
    EXPECT_FLOAT_EQ(dv[3], 1.0f);
    EXPECT_FLOAT_EQ(dv[9], 0.0f);
}

// ---- the model against finite differences ------------------------------------------------------

SagsConfig tiny_config(bool learned, bool lite) {
    SagsConfig c;
    c.feature_dim = 6;
    c.neighbours = 4;
    c.learned_edges = learned;
    c.edge_hidden = 8;
    c.hash_levels = 3;
    c.hash_features = 2;
    c.hash_log2_table = 8;
    c.hash_base_resolution = 3.0f;
    c.hash_growth = 2.0f;
    c.decoder_hidden = 12;
    c.decoder_layers = 2;
    c.offset_hidden = 10;
    c.offset_layers = 1;
    c.upsample_max_pairs = 0;
    c.lite = lite;
    c.lite_neighbours = 2;
    c.lite_voxel_factor = 1.0f;
    c.init_opacity = 0.5f;
    return c;
}

PointCloud random_points(int n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f), c(0.0f, 1.0f);
    PointCloud p;
    for (int i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) p.positions.push_back(u(rng));
        for (int a = 0; a < 3; ++a) p.colors.push_back(c(rng));
    }
    return p;
}

// Random values in every trained parameter, so that no two messages tie in a maximum and the
// hash table carries signal.
void randomise(Backend& b, SagsModel& m, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    for (const char* name : {"features", "hash", "affine"}) {
        Parameter& p = m.params().get(name);
        std::vector<float> v(p.value.numel());
        // With the residual the features enter the decoders directly: at half the hash's spread,
        // so that the decoders' ReLU kinks stay as rare inside the finite-difference steps as
        // without it.
        const float spread = std::string(name) == "features" && m.config().local_residual ? 0.25f : 0.5f;
        for (float& x : v) x = std::string(name) == "affine" ? 1.0f + 0.3f * g(rng) : spread * g(rng);
        b.upload(p.value, v.data());
    }
    Parameter& s = m.params().get("scales");
    std::vector<float> v = b.download_f32(s.value);
    for (float& x : v) x += 0.2f * g(rng);
    b.upload(s.value, v.data());
}

// L = sum of w . (means, log-scales, rotations, sigmoid(opacity logits), colours), in double, over
// the Gaussians the view keeps: a dropped point (opacity at or below 0) draws nothing, whatever its
// other columns hold, so it adds nothing to L either (as to the rasterizer's loss).
bool dropped(float logit) {
    return logit <= kern::kSagsDroppedLogit;
}

struct ProbeLoss {
    std::vector<float> w[5];
    double value(Backend& b, const RasterTensors& t) const {
        const std::vector<float> v[5] = {b.download_f32(*t.means), b.download_f32(*t.log_scales),
                                         b.download_f32(*t.rotations), b.download_f32(*t.opacities),
                                         b.download_f32(*t.colors)};
        const int cols[5] = {3, 3, 4, 1, 3};
        double L = 0;
        for (int q = 0; q < 5; ++q)
            for (size_t i = 0; i < v[q].size(); ++i) {
                if (dropped(v[3][i / size_t(cols[q])])) continue;
                const double x = q == 3 ? 1.0 / (1.0 + std::exp(-double(v[q][i]))) : double(v[q][i]);
                L += double(w[q][i]) * x;
            }
        return L;
    }
};

void check_model_gradients(bool learned, bool lite, bool residual = true) {
    CpuBackend backend(2);
    SagsConfig config = tiny_config(learned, lite);
    config.local_residual = residual;
    SagsModel model(backend, config, 1.0f);
    model.initialize(random_points(lite ? 40 : 60, 11), Bounds{}, 5);
    randomise(backend, model, 13);
    ViewInfo view;
    view.camera = look_at_origin(4.0f, 48);

    RasterTensors t = model.raster_inputs(view);
    const size_t M = t.count();
    ASSERT_GT(M, 20u);
    ProbeLoss loss;
    std::mt19937 rng(17);
    std::normal_distribution<float> g(0.0f, 1.0f);
    const int cols[5] = {3, 3, 4, 1, 3};
    for (int q = 0; q < 5; ++q) {
        loss.w[q].resize(M * size_t(cols[q]));
        for (float& x : loss.w[q]) x = g(rng);
    }
    // The analytic gradient: the loss's gradient given as the rasterizer's.
    RasterGradTensors rg = model.raster_grads();
    {
        const std::vector<float> logits = backend.download_f32(*t.opacities);
        std::vector<float> d_op(M);
        for (size_t i = 0; i < M; ++i) {
            const float s = 1.0f / (1.0f + std::exp(-logits[i]));
            d_op[i] = loss.w[3][i] * s * (1.0f - s);
        }
        std::vector<float> kept_w[5];
        size_t kept = 0;
        for (int q = 0; q < 5; ++q) {
            kept_w[q] = q == 3 ? d_op : loss.w[q];
            for (size_t i = 0; i < kept_w[q].size(); ++i)
                if (dropped(logits[i / size_t(cols[q])])) kept_w[q][i] = 0.0f;
        }
        for (size_t i = 0; i < M; ++i) kept += !dropped(logits[i]);
        ASSERT_GT(kept, M / 2) << "most points are drawn";
        backend.upload(*rg.means, kept_w[0].data());
        backend.upload(*rg.log_scales, kept_w[1].data());
        backend.upload(*rg.rotations, kept_w[2].data());
        backend.upload(*rg.opacities, kept_w[3].data());
        backend.upload(*rg.colors, kept_w[4].data());
    }
    model.backward(view);
    std::vector<std::string> names = {"features",    "scales",    "hash",           "affine",
                                      "mlp.opacity", "mlp.color", "mlp.covariance", "mlp.offset"};
    if (learned) names.push_back("mlp.edge");
    std::vector<std::vector<float>> grads;
    for (const auto& n : names) grads.push_back(backend.download_f32(model.params().get(n).grad));

    // Directional derivatives along random directions, by central differences.
    for (size_t k = 0; k < names.size(); ++k) {
        Parameter& p = model.params().get(names[k]);
        const std::vector<float> base = backend.download_f32(p.value);
        double rms = 0;
        for (float x : base) rms += double(x) * x;
        rms = std::sqrt(rms / double(base.size()));
        for (int dir = 0; dir < 2; ++dir) {
            std::vector<float> v(base.size());
            for (float& x : v) x = g(rng);
            double analytic = 0;
            for (size_t i = 0; i < v.size(); ++i) analytic += double(grads[k][i]) * v[i];
            // Steps small enough that ReLU kinks and maxima rarely switch, large enough that the float
            // forward's rounding stays below the tolerance: the gradient must match one of two.
            const double h = 2.5e-4 * std::max(rms, 0.1);
            auto at = [&](double step) {
                std::vector<float> x(base.size());
                for (size_t i = 0; i < x.size(); ++i) x[i] = float(double(base[i]) + step * v[i]);
                backend.upload(p.value, x.data());
                return loss.value(backend, model.raster_inputs(view));
            };
            const double fd1 = (at(h) - at(-h)) / (2 * h), fd2 = (at(2 * h) - at(-2 * h)) / (4 * h);
            backend.upload(p.value, base.data());
            const double fd = std::abs(fd1 - analytic) < std::abs(fd2 - analytic) ? fd1 : fd2;
            if (std::getenv("SAGS_FD_DEBUG"))
                std::printf("%s %d: analytic %.6f fd %.6f %.6f\n", names[k].c_str(), dir, analytic, fd1, fd2);
            EXPECT_NEAR(analytic, fd, 2e-2 * std::max(std::abs(fd), 1.0))
                << names[k] << " direction " << dir << (learned ? " (learned edges)" : " (weight-free)")
                << (lite ? " lite" : "");
            EXPECT_NE(analytic, 0.0) << names[k];
        }
    }
}

TEST(SagsModel, BackwardMatchesFiniteDifferencesLearnedEdges) {
    check_model_gradients(true, false);
}

TEST(SagsModel, BackwardMatchesFiniteDifferencesWeightFree) {
    check_model_gradients(false, false);
}

// The local feature as the differences alone (local_residual false).
TEST(SagsModel, BackwardMatchesFiniteDifferencesWithoutResidual) {
    check_model_gradients(false, false, false);
}

TEST(SagsModel, BackwardMatchesFiniteDifferencesLite) {
    check_model_gradients(true, true);
}

// ---- the point skeleton --------------------------------------------------------------------------

TEST(SagsPoints, VoxelsMergePointsAndAverageColours) {
    PointCloud p;
    p.positions = {0.01f, 0.0f, 0.0f, -0.01f, 0.0f, 0.0f, 1.0f, 0.0f, 0.0f};
    p.colors = {1, 0, 0, 0, 0, 1, 0, 1, 0};
    const PointCloud v = voxelize_points(p, 0.1f);
    ASSERT_EQ(v.size(), 2u);
    EXPECT_FLOAT_EQ(v.positions[0], 0.0f);
    EXPECT_FLOAT_EQ(v.colors[0], 0.5f);
    EXPECT_FLOAT_EQ(v.colors[2], 0.5f);
    EXPECT_FLOAT_EQ(v.positions[3], 1.0f);
}

TEST(SagsPoints, FlatRegionsGetMidPointsCurvedOnesDoNot) {
    CpuBackend backend(2);
    NeighbourOps& ops = backend.ops<NeighbourOps>();
    // A flat grid (z = 0) beside a noisy blob: the grid's curvature is 0, the blob's high.
    PointCloud p;
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> u(-0.5f, 0.5f);
    for (int y = 0; y < 12; ++y)
        for (int x = 0; x < 12; ++x) p.positions.insert(p.positions.end(), {float(x) * 0.1f, float(y) * 0.1f, 0.0f});
    for (int i = 0; i < 144; ++i) p.positions.insert(p.positions.end(), {5 + u(rng), 5 + u(rng), 5 + u(rng)});
    const std::vector<float> z = standardised_curvature(backend, ops, p.positions, 10);
    double flat = 0, blob = 0;
    for (int i = 0; i < 144; ++i) flat += z[size_t(i)], blob += z[size_t(144 + i)];
    EXPECT_LT(flat / 144, -0.5);
    EXPECT_GT(blob / 144, 0.5);
    SagsConfig c;
    EXPECT_EQ(upsample_pairs(c, -2.0f), 3);
    EXPECT_EQ(upsample_pairs(c, 2.0f), 0);
    const PointCloud up = upsample_flat_regions(backend, ops, p, c, 0.001f);
    size_t added_flat = 0, added_blob = 0;
    for (size_t i = 0; i < up.size(); ++i) (up.positions[3 * i] < 2.0f ? added_flat : added_blob)++;
    added_flat -= 144;
    added_blob -= 144;
    std::printf("mid-points: %zu in the flat grid, %zu in the blob\n", added_flat, added_blob);
    EXPECT_GT(added_flat, 150u);
    EXPECT_LT(added_blob, added_flat / 2);
}

TEST(SagsPoints, LitePairsAreUniqueAndOrdered) {
    CpuBackend backend(2);
    const std::vector<float> pts = {0, 0, 0, 1, 0, 0, 2, 0, 0, 3, 0, 0};
    const std::vector<int32_t> pairs = lite_pairs(backend, backend.ops<NeighbourOps>(), pts, 1);
    EXPECT_EQ(pairs, (std::vector<int32_t>{0, 1, 1, 2, 2, 3}));
}

// ---- scenes, files, growth -------------------------------------------------------------------------

TEST(SagsModel, SceneRoundTripDecodesTheSame) {
    CpuBackend backend(2);
    SagsModel model(backend, tiny_config(true, false), 1.0f);
    model.initialize(random_points(50, 3), Bounds{}, 1);
    randomise(backend, model, 4);
    const auto cam = look_at_origin(4.0f, 48);
    const GaussianCloud a = sags_decode_view(model, cam);
    ASSERT_GT(a.size(), 10u);
    TempDir dir("sags_roundtrip");
    const SagsFileOptions full = SagsFileOptions::named("full");
    write_sags(dir / "m.sags", model.to_scene(), full);
    auto loaded = sags_model_from_scene(backend, read_sags(dir / "m.sags"), "m.sags");
    const GaussianCloud b = sags_decode_view(*loaded, cam);
    ASSERT_EQ(a.size(), b.size());
    for (size_t i = 0; i < a.positions.size(); ++i) EXPECT_EQ(a.positions[i], b.positions[i]);
    for (size_t i = 0; i < a.sh.size(); ++i) EXPECT_EQ(a.sh[i], b.sh[i]);
    for (size_t i = 0; i < a.opacities.size(); ++i) EXPECT_EQ(a.opacities[i], b.opacities[i]);
}

TEST(SagsModel, ViewIndependentFitReproducesConstantColours) {
    // With a colour decoder that ignores the view (its view-column weights zeroed), the fitted SH
    // is the constant colour: the DC term matches and the higher bands vanish.
    CpuBackend backend(2);
    SagsModel model(backend, tiny_config(false, false), 1.0f);
    model.initialize(random_points(50, 8), Bounds{}, 2);
    randomise(backend, model, 9);
    std::vector<float> cams;
    for (int v = 0; v < 6; ++v) {
        auto c = look_at_origin(4.0f + 0.2f * float(v), 48);
        float s[kSagsCameraFloats];
        sags_store_camera(c, s);
        cams.insert(cams.end(), s, s + kSagsCameraFloats);
    }
    model.set_cameras(cams);
    Parameter& color = model.params().get("mlp.color");
    std::vector<float> w = backend.download_f32(color.value);
    const int E = model.config().encoded_width(), in = E + kern::kSagsViewCols, hidden = model.config().decoder_hidden;
    for (int o = 0; o < hidden; ++o)
        for (int k = E; k < in; ++k) w[size_t(o) * size_t(in) + size_t(k)] = 0.0f;
    backend.upload(color.value, w.data());
    const GaussianCloud view = sags_decode_view(model, look_at_origin(4.0f, 48));
    const GaussianCloud fit = sags_decode_view_independent(model, SagsShFit{});
    ASSERT_EQ(fit.sh_degree, 3);
    ASSERT_GT(fit.size(), 10u);
    double max_dc = 0, max_rest = 0;
    // Points kept in both, by position.
    for (size_t i = 0; i < fit.size(); ++i)
        for (size_t j = 0; j < view.size(); ++j) {
            if (std::abs(fit.positions[3 * i] - view.positions[3 * j]) > 1e-5f ||
                std::abs(fit.positions[3 * i + 1] - view.positions[3 * j + 1]) > 1e-5f)
                continue;
            for (int ch = 0; ch < 3; ++ch)
                max_dc = std::max(max_dc, double(std::abs(fit.sh[i * 48 + size_t(ch)] - view.sh[3 * j + size_t(ch)])));
            for (size_t k = 3; k < 48; ++k) max_rest = std::max(max_rest, double(std::abs(fit.sh[i * 48 + k])));
        }
    std::printf("constant colours: DC error %.2e, largest higher-band coefficient %.2e\n", max_dc, max_rest);
    EXPECT_LT(max_dc, 2e-3);
    EXPECT_LT(max_rest, 2e-3);
}

// The opacity decoder starts flat: every point decodes at init_opacity, so none is dropped (and so
// cut off from the gradient) before training has seen it.
TEST(SagsModel, EveryPointStartsAtTheInitialOpacity) {
    CpuBackend backend(2);
    SagsConfig c = tiny_config(false, false);
    c.init_opacity = 0.1f;
    SagsModel model(backend, c, 1.0f);
    model.initialize(random_points(60, 21), Bounds{}, 3);
    randomise(backend, model, 5);
    ViewInfo view;
    view.camera = look_at_origin(4.0f, 48);
    const RasterTensors t = model.raster_inputs(view);
    ASSERT_GT(t.count(), 20u);
    const std::vector<float> logits = backend.download_f32(*t.opacities);
    const float expected = std::log(0.1f / 0.9f);
    for (float l : logits) ASSERT_NEAR(l, expected, 1e-5f);
}

TEST(SagsGrowth, GrowsNearHighGradientsAndPrunesTransparentPoints) {
    CpuBackend backend(2);
    SagsConfig c = tiny_config(false, false);
    c.grow_from = 0;
    c.grow_until = 100;
    c.grow_every = 10;
    c.prune_min_views = 1;
    SagsModel model(backend, c, 1.0f);
    model.initialize(random_points(60, 21), Bounds{}, 3);
    {
        // Random opacity decoder weights, and the output bias moved to the median output: about
        // half the points decode transparent.
        Parameter& op = model.params().get("mlp.opacity");
        std::vector<float> w(op.value.numel());
        std::mt19937 rng(8);
        std::uniform_real_distribution<float> u(-0.5f, 0.5f);
        for (float& x : w) x = u(rng);
        w.back() = 0.0f;
        backend.upload(op.value, w.data());
        ViewInfo v;
        v.camera = look_at_origin(4.0f, 48);
        model.raster_inputs(v);
        const std::vector<float> d = backend.download_f32(model.decoded());
        std::vector<float> z;
        for (size_t m = 0; m < d.size(); m += kSagsDecodedCols) z.push_back(std::atanh(d[m]));
        std::nth_element(z.begin(), z.begin() + z.size() / 2, z.end());
        w.back() = -z[z.size() / 2];
        backend.upload(op.value, w.data());
    }
    auto densifier = model.make_densifier(AdcConfig{}, 1.0f, 0, false);
    densifier->reset(model.size());
    ViewInfo view;
    view.camera = look_at_origin(4.0f, 48);
    model.raster_inputs(view);
    RasterGradTensors g = model.raster_grads();
    const size_t M = model.visible_rows().rows();
    // Every visible point gets a large gradient; the opacity decoder's bias is lowered so that
    // about half decode transparent.
    std::vector<float> big(M, 1.0f);
    backend.upload(*g.view_grad_norm, big.data());
    struct NoContext final : RasterContext {
        size_t visible() const override { return 0; }
        size_t entries() const override { return 0; }
    } ctx;
    densifier->after_backward(model, ctx, 10);
    const size_t before = model.size();
    const std::vector<float> dec = backend.download_f32(model.decoded());
    size_t transparent = 0;
    for (size_t m = 0; m < M; ++m) transparent += dec[m * kSagsDecodedCols] < c.prune_opacity;
    const DensifyReport r = densifier->update(model, 10, false);
    std::printf("growth: %zu points, %zu visible, %zu grown, %zu pruned (%zu transparent)\n", before, M, r.cloned,
                r.pruned, transparent);
    EXPECT_EQ(r.pruned, transparent);
    EXPECT_GT(r.cloned, 0u);
    EXPECT_EQ(model.size(), before - r.pruned + r.cloned);
    EXPECT_TRUE(r.replaced_all);
    // Nothing on the final step.
    EXPECT_FALSE(densifier->update(model, 20, true).changed());
}

// A dataset without points: random points uniform in the scene bounds (with a warning), as many as
// random_points (the voxels are far smaller than their spacing, so none merge).
TEST(SagsModel, NoPointsStartsFromRandomPointsInTheBounds) {
    CpuBackend backend(1);
    SagsConfig c;
    c.random_points = 500;
    c.upsample_max_pairs = 0;
    c.hash_log2_table = 10;
    SagsModel model(backend, c, 1.0f);
    Bounds b;
    b.min = {-1.0f, -2.0f, 0.5f};
    b.max = {1.0f, 0.0f, 1.5f};
    model.initialize(PointCloud{}, b, 4);
    ASSERT_EQ(model.size(), 500u);
    const std::vector<float> p = backend.download_f32(model.all_points());
    for (size_t i = 0; i < p.size(); ++i) {
        const int a = int(i % 3);
        EXPECT_GE(p[i], b.min[a] - 1e-3f) << i;
        EXPECT_LE(p[i], b.max[a] + 1e-3f) << i;
    }
}

// assets/presets/sags*/ (what a user copies or names with --config) hold the settings of the
// presets in training/models/sags_config.cpp, value for value (as floats).
TEST(SagsConfigPresets, AssetFilesAreThePresets) {
    for (auto [model, name, preset] : {std::tuple{"sags", "default", "default"},
                                       {"sags", "demo", "demo"},
                                       {"sags-lite", "default", "lite"},
                                       {"sags-lite", "demo", "lite-demo"}}) {
        const fs::path file = source_dir() / "assets" / "presets" / model / (std::string(name) + ".json");
        Json j = load_json(file);
        EXPECT_TRUE(j.contains("description")) << file;
        j.erase("description");
        SagsConfig from_file;
        update_from_json(from_file, j, file.string());
        EXPECT_EQ(to_json(from_file), to_json(sags_preset(preset))) << file;
    }
}

} // namespace
} // namespace splatscape::test
