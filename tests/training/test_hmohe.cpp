// hmohe, the mixture of hash-grid NeRF experts: the per-element math of ray marching, volume
// rendering and the gate against finite differences and brute force (double precision), the CPU
// ray-march and expert-dispatch ops, and the whole network's backward (gate, grids, MLPs, the
// volume rendering and the load-balancing loss) against finite differences.
#include <algorithm>
#include <cmath>
#include <iterator>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/io/nerf_file.hpp"
#include "tests/training/fd_util.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/kernels/nerf_march.hpp"
#include "training/models/hmohe.hpp"
#include "training/ops/expert_ops.hpp"
#include "training/ops/ray_march_ops.hpp"

namespace splatscape::test {
namespace {

using kern::Vec3;

// ---- kernels ----------------------------------------------------------------------------------

TEST(NerfKernels, CompositeBackwardMatchesFiniteDifferences) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(0.0, 1.0), n(-2.0, 2.0);
    for (int trial = 0; trial < 5; ++trial) {
        const int count = 1 + trial * 3;
        std::vector<double> x(size_t(count) * 4); // raw, then rgb
        std::vector<double> dt(static_cast<size_t>(count));
        for (int i = 0; i < count; ++i) {
            x[size_t(i)] = n(rng) + 3.0; // densities of order e^3: alphas spread over (0, 1)
            dt[size_t(i)] = 0.02 + 0.05 * u(rng);
            for (int c = 0; c < 3; ++c) x[size_t(count + 3 * i + c)] = u(rng);
        }
        const double bg[3] = {0.2, 0.5, 0.9}, g[3] = {0.7, -1.3, 0.4};
        auto loss = [&](const std::vector<double>& v) {
            double out[3], tr;
            kern::nerf_composite(count, v.data(), 1, dt.data(), 1, v.data() + count, bg, out, tr);
            return g[0] * out[0] + g[1] * out[1] + g[2] * out[2];
        };
        double out[3], tr;
        kern::nerf_composite(count, x.data(), 1, dt.data(), 1, x.data() + count, bg, out, tr);
        std::vector<double> analytic(x.size());
        kern::nerf_composite_backward(count, x.data(), 1, dt.data(), 1, x.data() + count, out, g, analytic.data(), 1,
                                      analytic.data() + count);
        expect_gradients_near(analytic, numeric_gradient(loss, x, 1e-6), 1e-6, 1e-9, "composite");
    }
}

TEST(NerfKernels, ChannelLossDerivatives) {
    for (kern::NerfLoss kind : {kern::NerfLoss::Huber, kern::NerfLoss::L2})
        for (double p : {-0.4, -0.05, 0.02, 0.3}) {
            double d;
            kern::nerf_channel_loss(kind, 0.1, p, 0.0, d);
            auto f = [&](const std::vector<double>& v) {
                double unused;
                return kern::nerf_channel_loss(kind, 0.1, v[0], 0.0, unused);
            };
            expect_gradients_near({d}, numeric_gradient(f, {p}, 1e-7), 1e-6, 1e-9, "channel loss");
        }
    double d;
    EXPECT_NEAR(kern::nerf_channel_loss(kern::NerfLoss::Huber, 0.1, 0.05, 0.0, d), 0.0125, 1e-12);
    EXPECT_NEAR(kern::nerf_channel_loss(kern::NerfLoss::Huber, 0.1, 0.5, 0.0, d), 0.45, 1e-12);
}

TEST(NerfKernels, GateBackwardMatchesFiniteDifferences) {
    // L = a * p_k(logits) + sum_e c_e p_e(logits): the chosen probability's gradient plus the
    // balance loss's, with k fixed.
    const int E = 5;
    const std::vector<double> logits = {0.3, -1.2, 1.1, 0.4, -0.2};
    const double balance[E] = {0.05, 0.4, -0.1, 0.2, 0.0};
    const double a = 0.8;
    std::vector<double> probs(E);
    const int k = kern::gate_route(E, logits.data(), probs.data());
    EXPECT_EQ(k, 2);
    auto loss = [&](const std::vector<double>& l) {
        std::vector<double> p(E);
        kern::gate_route(E, l.data(), p.data());
        double s = a * p[size_t(k)];
        for (int e = 0; e < E; ++e) s += balance[e] * p[size_t(e)];
        return s;
    };
    std::vector<double> analytic(E);
    kern::gate_backward(E, probs.data(), k, a, balance, analytic.data());
    expect_gradients_near(analytic, numeric_gradient(loss, logits, 1e-6), 1e-6, 1e-10, "gate");
}

kern::NerfSpace two_cascades() {
    kern::NerfSpace s;
    s.center[0] = 0.1f, s.center[1] = -0.2f, s.center[2] = 0.3f;
    s.scale = 2.0f;
    s.cascades = 2;
    s.resolution = 16;
    s.min_step = kern::kNerfSqrt3 / 64.0f;
    s.max_step = kern::kNerfSqrt3 * 2.0f / 16.0f;
    s.cone_angle = 0.0f;
    s.max_samples = 100000;
    return s;
}

// Every lattice point of a ray (t0 + m dt) whose cell is occupied is sampled, and nothing else: the
// skipping of empty cells loses no occupied cell.
TEST(NerfKernels, MarchVisitsExactlyTheOccupiedLatticePoints) {
    const kern::NerfSpace s = two_cascades();
    std::mt19937 rng(11);
    std::vector<uint32_t> bits((s.cells() + 31) / 32);
    for (uint32_t& w : bits) w = rng() & rng(); // about a quarter occupied
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    int rays = 0, samples = 0;
    for (int trial = 0; trial < 200; ++trial) {
        Vec3<float> o = {0.5f + 2.5f * u(rng), 0.5f + 2.5f * u(rng), 0.5f + 2.5f * u(rng)};
        // Towards a point of the grid, so that most rays cross it.
        const Vec3<float> aim = {0.5f + u(rng), 0.5f + u(rng), 0.5f + u(rng)};
        Vec3<float> d = aim - o;
        d = (1.0f / kern::length(d)) * d;
        float t0, t1;
        if (!kern::nerf_ray_range(s, o, d, t0, t1)) continue;
        ++rays;
        std::vector<float> got;
        const float end = kern::nerf_march(s, bits.data(), o, d, t0, t1, 1 << 30, [&](float t, float dt, Vec3<float>) {
            EXPECT_FLOAT_EQ(dt, s.min_step);
            got.push_back(t);
        });
        EXPECT_GE(end, t1);
        std::vector<float> want;
        for (int m = 0;; ++m) {
            const float t = t0 + float(m) * s.min_step;
            if (t >= t1) break;
            const Vec3<float> p = {o.x + t * d.x, o.y + t * d.y, o.z + t * d.z};
            const int k = kern::nerf_march_cascade(s, p, s.min_step);
            if (kern::nerf_bit_set(bits.data(), kern::nerf_cell_bit(s, k, p))) want.push_back(t);
        }
        ASSERT_EQ(got.size(), want.size()) << "ray " << trial;
        for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], want[i], 2e-4f * (1.0f + want[i]));
        samples += int(got.size());
    }
    EXPECT_GT(rays, 100);
    EXPECT_GT(samples, 1000);
}

TEST(NerfKernels, CascadesAndCells) {
    const kern::NerfSpace s = two_cascades();
    EXPECT_EQ(kern::nerf_cascade_of(s, {0.5f, 0.9f, 0.1f}), 0);
    EXPECT_EQ(kern::nerf_cascade_of(s, {0.5f, 1.2f, 0.1f}), 1);
    // The network sees the outer cascade as [0, 1]^3.
    const Vec3<float> x = kern::nerf_unit_to_network(s, {-0.5f, 1.5f, 0.5f});
    EXPECT_FLOAT_EQ(x.x, 0.0f);
    EXPECT_FLOAT_EQ(x.y, 1.0f);
    EXPECT_FLOAT_EQ(x.z, 0.5f);
    // A cell's points map back to it.
    for (uint32_t cell : {0u, 17u, 4095u, 4096u, 8000u, 8191u}) {
        const float f[3] = {0.25f, 0.5f, 0.75f};
        const Vec3<float> p = kern::nerf_cell_point(s, cell, f);
        EXPECT_EQ(kern::nerf_cell_bit(s, int(cell / s.cells_per_cascade()), p), int64_t(cell));
    }
}

// ---- ops --------------------------------------------------------------------------------------

class HmoheOps : public ::testing::Test {
protected:
    CpuBackend backend{2};
    ExpertOps& dispatch = backend.ops<ExpertOps>();
    RayMarchOps& march = backend.ops<RayMarchOps>();

    Tensor ints(const std::vector<int32_t>& v, int cols = 1) {
        Tensor t = backend.zeros(v.size() / size_t(cols), cols, DType::I32);
        backend.upload(t, v.data());
        return t;
    }
    Tensor floats(const std::vector<float>& v, int cols) {
        Tensor t = backend.zeros(v.size() / size_t(cols), cols);
        backend.upload(t, v.data());
        return t;
    }
    std::vector<int32_t> host_ints(const Tensor& t) {
        std::vector<int32_t> v(t.numel());
        backend.download(t, v.data());
        return v;
    }
};

TEST_F(HmoheOps, GroupIsStableAndDropsNegativeKeys) {
    const Tensor keys = ints({2, 0, -1, 2, 1, 0, -1, 2});
    Tensor perm, offsets;
    const std::vector<int64_t> off = dispatch.group(keys, 4, perm, offsets, true);
    EXPECT_EQ(off, (std::vector<int64_t>{0, 2, 3, 6, 6}));
    EXPECT_EQ(host_ints(perm), (std::vector<int32_t>{1, 5, 4, 0, 3, 7}));
    EXPECT_EQ(host_ints(offsets), (std::vector<int32_t>{0, 2, 3, 6, 6}));
    EXPECT_THROW(dispatch.group(ints({0, 4}), 4, perm, offsets, false), Error);
}

TEST_F(HmoheOps, ScatterScaledAndItsBackward) {
    // Three rows in expert order, sent back to rows 2, 0, 1 of a 3 x 4 tensor at column 1.
    const Tensor src = floats({1, 2, 3, 4, 5, 6}, 2);
    const Tensor perm = ints({2, 0, 1});
    const Tensor prob = floats({0.5f, 0.25f, 2.0f}, 1);
    Tensor dst = backend.zeros(3, 4);
    dispatch.scatter_scaled(src, perm, prob, dst, 1);
    EXPECT_EQ(backend.download_f32(dst), (std::vector<float>{0, 1.5f, 2, 0, 0, 1.25f, 1.5f, 0, 0, 2, 4, 0}));
    const Tensor d_dst = floats({9, 1, -1, 9, 9, 2, 3, 9, 9, 0.5f, 4, 9}, 4);
    Tensor d_src = backend.zeros(3, 2), d_prob = backend.zeros(3, 1);
    dispatch.scatter_scaled_backward(src, perm, prob, d_dst, 1, d_src, d_prob);
    EXPECT_EQ(backend.download_f32(d_src), (std::vector<float>{1, 8, 0.5f, -0.5f, 0.5f, 0.75f}));
    // d_prob[r] = sum_c d_dst[r, 1 + c] src[i(r), c].
    EXPECT_EQ(backend.download_f32(d_prob), (std::vector<float>{1 * 3 - 1 * 4, 2 * 5 + 3 * 6, 0.5f * 1 + 4 * 2}));
}

TEST_F(HmoheOps, RouteAndBalance) {
    const Tensor logits = floats({0, 1, 0, 2, 0, 0, 0, 0, 3}, 3);
    Tensor probs = backend.zeros(3, 3), expert = backend.zeros(3, 1, DType::I32), prob = backend.zeros(3, 1);
    dispatch.route(logits, probs, expert, prob);
    EXPECT_EQ(host_ints(expert), (std::vector<int32_t>{1, 0, 2}));
    const GateBalance b = dispatch.balance(probs, expert);
    for (double f : b.fraction) EXPECT_NEAR(f, 1.0 / 3.0, 1e-12);
    double sum = 0;
    for (double p : b.mean_probability) sum += p;
    EXPECT_NEAR(sum, 1.0, 1e-6);
    // Even routing with even probabilities gives 1; everything on one expert gives E.
    EXPECT_NEAR(b.loss(), 1.0, 1e-6);
    GateBalance one{{1.0, 0.0, 0.0}, {1.0, 0.0, 0.0}};
    EXPECT_NEAR(one.loss(), 3.0, 1e-12);
}

TEST_F(HmoheOps, OccupancyUpdateFollowsTheEmaAndThreshold) {
    kern::NerfSpace s = two_cascades();
    s.resolution = 8;
    const size_t C = s.cells();
    Tensor values = backend.zeros(C, 1);
    std::vector<float> v(C, 0.02f);
    v[5] = -1.0f;    // unseen: stays
    v[6] = 0.5f;     // decays to 0.475
    v[700] = 0.001f; // sampled below: the new thickness wins
    backend.upload(values, v.data());
    Tensor bits = backend.zeros((C + 31) / 32, 1, DType::I32);
    // Samples in cells 700 (twice: the larger counts) and 5 (ignored), density logits given.
    const Tensor cells = ints({700, 700, 5});
    const Tensor raw = floats({std::log(0.5f), std::log(2.0f), std::log(100.0f)}, 1);
    const double occupied = march.occupancy_update(s, cells, raw, 0, 0.95f, 0.01f, values, bits);
    const std::vector<float> after = backend.download_f32(values);
    EXPECT_FLOAT_EQ(after[5], -1.0f);
    EXPECT_FLOAT_EQ(after[6], 0.475f);
    EXPECT_FLOAT_EQ(after[7], 0.019f);
    // Cell 700 is in cascade 1: thickness over twice the smallest step.
    EXPECT_FLOAT_EQ(after[700], 2.0f * s.min_step * 2.0f);
    // Every non-negative cell is above min(0.01, mean): all but the unseen one occupied.
    EXPECT_NEAR(occupied, double(C - 1) / double(C), 1e-9);
    const std::vector<int32_t> b = host_ints(bits);
    EXPECT_EQ((uint32_t(b[0]) >> 5) & 1u, 0u);
    EXPECT_EQ((uint32_t(b[0]) >> 6) & 1u, 1u);
}

TEST_F(HmoheOps, AccumulateStopsAtTheTransmittanceThreshold) {
    kern::NerfSpace s = two_cascades();
    // Two rays; ray 1 has four samples of density e^5 and step 0.5: T falls by e^-74 each.
    NerfRays rays;
    rays.origin = backend.zeros(2, 3);
    rays.direction = backend.zeros(2, 3);
    rays.range = floats({0, 1, 0, 1}, 2);
    rays.target = backend.zeros(2, 3);
    rays.background = backend.zeros(2, 3);
    rays.image = backend.zeros(2, 1, DType::I32);
    NerfSamples smp;
    smp.position = backend.zeros(5, 3);
    smp.direction = backend.zeros(5, 3);
    smp.step = floats({0.1f, 0.01f, 0.2f, 0.5f, 0.7f, 0.5f, 1.2f, 0.5f, 1.7f, 0.5f}, 2);
    smp.ray = ints({0, 1, 1, 1, 1});
    const Tensor raw = floats({0.0f, 5.0f, 5.0f, 5.0f, 5.0f}, 1);
    const Tensor rgb = floats({1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0}, 3);
    const Tensor active = ints({0, 1}), offsets = ints({0, 1, 5});
    Tensor state = backend.zeros(2, kNerfStateCols), used, next;
    const size_t alive =
        march.accumulate(s, rays, active, smp, offsets, raw, 0, &rgb, nullptr, 1e-4f, state, nullptr, used, next);
    EXPECT_EQ(host_ints(used), (std::vector<int32_t>{0, 1, -1, -1, -1}));
    EXPECT_EQ(alive, 1u); // ray 0 still has range left and transmittance ~ 0.99
    EXPECT_EQ(host_ints(next), (std::vector<int32_t>{0}));
    const std::vector<float> st = backend.download_f32(state);
    EXPECT_NEAR(st[0], 0.01, 1e-6); // optical depth of ray 0
    EXPECT_NEAR(st[1], 1.0 - std::exp(-0.01), 1e-6);
    EXPECT_NEAR(st[kNerfStateCols + 2], 1.0, 1e-6); // ray 1: all green from its first sample
    EXPECT_EQ(st[kNerfStateCols + 5], 4.0f);
}

// The CPU op's composite + loss + backward against finite differences of the loss it returns:
// rays with 0 to 5 samples, the density in a column window of a wider tensor, Huber and L2.
TEST_F(HmoheOps, CompositeLossMatchesFiniteDifferences) {
    std::mt19937 rng(21);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const int counts[] = {3, 0, 5, 1, 4, 2};
    const size_t R = std::size(counts);
    std::vector<int32_t> off{0}, ray;
    for (size_t r = 0; r < R; ++r) {
        off.push_back(off.back() + counts[r]);
        for (int i = 0; i < counts[r]; ++i) ray.push_back(int32_t(r));
    }
    const size_t S = size_t(off.back());
    NerfRays rays;
    rays.origin = backend.zeros(R, 3);
    rays.direction = backend.zeros(R, 3);
    rays.range = backend.zeros(R, 2);
    rays.image = backend.zeros(R, 1, DType::I32);
    std::vector<float> target(3 * R), bg(3 * R), step(2 * S), raw(3 * S), rgb(3 * S);
    for (float& v : target) v = u(rng);
    for (float& v : bg) v = u(rng);
    for (size_t i = 0; i < S; ++i) {
        step[2 * i] = 0.1f * float(i);
        step[2 * i + 1] = 0.05f + 0.1f * u(rng);
        for (int c = 0; c < 3; ++c) raw[3 * i + size_t(c)] = 3.0f * u(rng); // densities 1 .. e^3
        for (int c = 0; c < 3; ++c) rgb[3 * i + size_t(c)] = u(rng);
    }
    rays.target = floats(target, 3);
    rays.background = floats(bg, 3);
    NerfSamples smp;
    smp.position = backend.zeros(S, 3);
    smp.direction = backend.zeros(S, 3);
    smp.step = floats(step, 2);
    smp.ray = ints(ray);
    const Tensor offsets = ints(off);
    const float scale = 1.0f / float(3 * R);
    for (kern::NerfLoss kind : {kern::NerfLoss::Huber, kern::NerfLoss::L2}) {
        // x = the density column (column 1 of raw), then rgb.
        auto run = [&](const std::vector<double>& x, std::vector<double>* grad) {
            std::vector<float> r = raw, c(3 * S);
            for (size_t i = 0; i < S; ++i) r[3 * i + 1] = float(x[i]);
            for (size_t i = 0; i < 3 * S; ++i) c[i] = float(x[S + i]);
            Tensor d_raw = backend.zeros(S, 3), d_rgb = backend.zeros(S, 3);
            const NerfLossSums sums = march.composite_loss(smp, offsets, rays, floats(r, 3), 1, floats(c, 3), kind,
                                                           0.1f, scale, d_raw, d_rgb);
            if (grad) {
                const std::vector<float> dr = backend.download_f32(d_raw), dc = backend.download_f32(d_rgb);
                grad->assign(4 * S, 0.0);
                for (size_t i = 0; i < S; ++i) {
                    (*grad)[i] = dr[3 * i + 1];
                    EXPECT_EQ(dr[3 * i], 0.0f); // only the density's column is written
                    EXPECT_EQ(dr[3 * i + 2], 0.0f);
                }
                for (size_t i = 0; i < 3 * S; ++i) (*grad)[S + i] = dc[i];
            }
            return sums.loss * double(scale);
        };
        std::vector<double> x(4 * S), analytic;
        for (size_t i = 0; i < S; ++i) x[i] = raw[3 * i + 1];
        for (size_t i = 0; i < 3 * S; ++i) x[S + i] = rgb[i];
        run(x, &analytic);
        // Float evaluation: step 1e-3, measured error below 2e-5 absolute.
        expect_gradients_near(
            analytic, numeric_gradient([&](const std::vector<double>& v) { return run(v, nullptr); }, x, 1e-3), 2e-2,
            1e-4, kind == kern::NerfLoss::Huber ? "composite loss (huber)" : "composite loss (l2)");
    }
}

// Dispatch and gate together against finite differences: logits -> route -> group by expert ->
// gather the experts' outputs -> scatter back scaled by the gate probability, L = <G, dst> plus the
// load-balancing loss w E sum_e f_e P_e (f_e held fixed: it is piecewise constant in the logits).
// The gradients of the logits (through scatter_scaled_backward and gate_backward) and of the
// experts' outputs; coordinates whose step changes a routing are skipped.
TEST_F(HmoheOps, DispatchGateAndBalanceMatchFiniteDifferences) {
    const int E = 4, C = 3, kCol = 1, kCols = 5;
    const size_t N = 40;
    std::mt19937 rng(8);
    std::normal_distribution<float> n(0.0f, 1.5f);
    std::vector<float> logits(N * E), outputs(N * C), G(N * kCols);
    for (float& v : logits) v = n(rng);
    for (float& v : outputs) v = n(rng);
    for (float& v : G) v = n(rng);
    // Twice: with the rendering term, and with the balance loss alone (G = 0).
    for (bool balance_only : {false, true}) {
        if (balance_only) std::fill(G.begin(), G.end(), 0.0f);
        const double w = balance_only ? 2.0 : 0.3;
        const Tensor g = floats(G, kCols);
        // x = logits, then the experts' outputs in sample order.
        auto run = [&](const std::vector<double>& x, std::vector<double>* grad, std::vector<int32_t>* routing) {
            std::vector<float> l(N * E), o(N * C);
            for (size_t i = 0; i < l.size(); ++i) l[i] = float(x[i]);
            for (size_t i = 0; i < o.size(); ++i) o[i] = float(x[l.size() + i]);
            Tensor probs = backend.zeros(N, E), expert = backend.zeros(N, 1, DType::I32), prob = backend.zeros(N, 1);
            dispatch.route(floats(l, E), probs, expert, prob);
            if (routing) *routing = host_ints(expert);
            Tensor perm, offsets, sorted;
            dispatch.group(expert, E, perm, offsets, false);
            dispatch.gather(floats(o, C), perm, sorted);
            Tensor dst = backend.zeros(N, kCols);
            dispatch.scatter_scaled(sorted, perm, prob, dst, kCol);
            const std::vector<float> d = backend.download_f32(dst);
            double loss = 0.0;
            for (size_t i = 0; i < d.size(); ++i) loss += double(G[i]) * d[i];
            const GateBalance balance = dispatch.balance(probs, expert);
            loss += w * balance.loss();
            if (grad) {
                Tensor d_sorted = backend.zeros(N, C), d_prob = backend.zeros(N, 1), d_logits = backend.zeros(N, E);
                dispatch.scatter_scaled_backward(sorted, perm, prob, g, kCol, d_sorted, d_prob);
                std::vector<float> coef(E);
                for (int e = 0; e < E; ++e) coef[size_t(e)] = float(w * E * balance.fraction[size_t(e)] / double(N));
                dispatch.gate_backward(probs, expert, d_prob, coef, d_logits);
                const std::vector<float> dl = backend.download_f32(d_logits), ds = backend.download_f32(d_sorted);
                const std::vector<int32_t> p = host_ints(perm);
                grad->assign(x.size(), 0.0);
                for (size_t i = 0; i < dl.size(); ++i) (*grad)[i] = dl[i];
                for (size_t i = 0; i < N; ++i)
                    for (int c = 0; c < C; ++c)
                        (*grad)[l.size() + size_t(p[i]) * C + size_t(c)] = ds[i * C + size_t(c)];
            }
            return loss;
        };
        std::vector<double> x;
        x.insert(x.end(), logits.begin(), logits.end());
        x.insert(x.end(), outputs.begin(), outputs.end());
        std::vector<double> analytic;
        std::vector<int32_t> routing, moved;
        run(x, &analytic, &routing);
        std::vector<int> used(E, 0);
        for (int32_t e : routing) ++used[size_t(e)];
        for (int e = 0; e < E; ++e) EXPECT_GT(used[size_t(e)], 3) << "expert " << e;
        // The balance term alone is small: a larger step, a tighter absolute bound.
        const double h = balance_only ? 1e-2 : 1e-3, atol = balance_only ? 2e-5 : 2e-3;
        double largest = 0.0;
        for (size_t i = 0; i < N * E; ++i) largest = std::max(largest, std::abs(analytic[i]));
        EXPECT_GT(largest, balance_only ? 1e-3 : 1e-1);
        int checked = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            std::vector<double> xp = x, xm = x;
            xp[i] += h;
            xm[i] -= h;
            const double fp = run(xp, nullptr, &moved);
            bool flipped = moved != routing;
            const double fm = run(xm, nullptr, &moved);
            flipped = flipped || moved != routing;
            if (flipped) continue;
            const double numeric = (fp - fm) / (2 * h);
            EXPECT_NEAR(analytic[i], numeric, atol + 2e-2 * std::abs(numeric))
                << (balance_only ? "balance only, " : "") << (i < N * E ? "logit " : "output ") << i;
            ++checked;
        }
        EXPECT_GT(checked, int(x.size()) * 9 / 10);
    }
}

// ---- the network's backward against finite differences ----------------------------------------

// A tiny network, samples on a few rays through it, and the training loss (composite + Huber +
// balance) as a function of the parameters.
class HmoheGradients : public ::testing::Test {
protected:
    CpuBackend backend{2};
    RayMarchOps& march = backend.ops<RayMarchOps>();
    HmoheConfig config;
    kern::NerfSpace space;
    std::unique_ptr<HmoheNetwork> net;
    NerfRays rays;
    NerfSamples samples;
    Tensor ray_offsets;
    static constexpr int kRays = 12, kPerRay = 10;

    void SetUp() override {
        config.experts = 3;
        config.gate_levels = 3;
        config.gate_base_resolution = 2;
        config.expert_base_resolution = 4;
        config.gate_log2_table_size = 6;
        config.gate_max_resolution = 8;
        config.gate_hidden = 8;
        config.expert_levels = 4;
        config.expert_max_resolution = {8.0f, 32.0f};
        config.expert_log2_table_size = {6, 8};
        config.expert_hidden = 8;
        config.geometry_features = 4;
        config.sh_degree = 2;
        config.colour_hidden = 8;
        config.colour_hidden_layers = 2;
        config.appearance_dims = 2;
        space = two_cascades();
        net = std::make_unique<HmoheNetwork>(backend, config, space, 3, 5, true);
        // Larger random values than the initial 1e-4 so that every part has a sizeable gradient.
        std::mt19937 rng(13);
        std::normal_distribution<float> n(0.0f, 0.5f);
        for (Parameter& p : net->params().all()) {
            std::vector<float> v(p.value.numel());
            for (float& x : v) x = n(rng);
            backend.upload(p.value, v.data());
        }
        rays.origin = backend.zeros(kRays, 3);
        rays.direction = backend.zeros(kRays, 3);
        rays.range = backend.zeros(kRays, 2);
        rays.target = backend.zeros(kRays, 3);
        rays.background = backend.zeros(kRays, 3);
        rays.image = backend.zeros(kRays, 1, DType::I32);
        std::vector<float> pos, dir, step, target, bg;
        std::vector<int32_t> ray, image, off{0};
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (int r = 0; r < kRays; ++r) {
            Vec3<float> d = {u(rng) - 0.5f, u(rng) - 0.5f, u(rng) - 0.5f};
            d = (1.0f / kern::length(d)) * d;
            const Vec3<float> start = {0.1f + 0.8f * u(rng), 0.1f + 0.8f * u(rng), 0.1f + 0.8f * u(rng)};
            for (int i = 0; i < kPerRay; ++i) {
                const float t = 0.02f * float(i);
                pos.insert(pos.end(), {start.x + t * d.x * 0.3f, start.y + t * d.y * 0.3f, start.z + t * d.z * 0.3f});
                dir.insert(dir.end(), {d.x, d.y, d.z});
                step.insert(step.end(), {t, 0.05f});
                ray.push_back(r);
            }
            off.push_back(off.back() + kPerRay);
            for (int c = 0; c < 3; ++c) {
                target.push_back(u(rng));
                bg.push_back(u(rng));
            }
            image.push_back(r % 3);
        }
        auto up = [&](Tensor& t, const void* p) { backend.upload(t, p); };
        samples.position = backend.zeros(pos.size() / 3, 3);
        samples.direction = backend.zeros(pos.size() / 3, 3);
        samples.step = backend.zeros(pos.size() / 3, 2);
        samples.ray = backend.zeros(pos.size() / 3, 1, DType::I32);
        up(samples.position, pos.data());
        up(samples.direction, dir.data());
        up(samples.step, step.data());
        up(samples.ray, ray.data());
        up(rays.target, target.data());
        up(rays.background, bg.data());
        up(rays.image, image.data());
        ray_offsets = backend.zeros(kRays + 1, 1, DType::I32);
        up(ray_offsets, off.data());
    }

    // The loss; the parameters' gradients hold its analytic gradient afterwards.
    double loss(std::vector<int32_t>* routing = nullptr) {
        Tensor out, rgb;
        net->forward(samples, &rays, true, out, &rgb);
        if (routing) {
            routing->resize(samples.size());
            backend.download(net->last_routing(), routing->data());
        }
        const size_t S = samples.size();
        Tensor d_out = backend.zeros(S, net->out_cols()), d_rgb = backend.zeros(S, 3);
        const float scale = 1.0f / float(3 * kRays);
        const NerfLossSums sums = march.composite_loss(samples, ray_offsets, rays, out, 0, rgb, kern::NerfLoss::Huber,
                                                       0.1f, scale, d_out, d_rgb);
        net->params().zero_grads(backend);
        const double balance = net->backward(samples, rays, out, d_out, d_rgb, kBalance);
        return sums.loss * double(scale) + balance;
    }

    static constexpr float kBalance = 0.05f;
};

TEST_F(HmoheGradients, EveryParameterMatchesFiniteDifferences) {
    loss();
    std::vector<std::vector<float>> analytic;
    for (Parameter& p : net->params().all()) analytic.push_back(backend.download_f32(p.grad));
    std::vector<int32_t> routing, routed;
    const double base = loss(&routing);
    EXPECT_TRUE(std::isfinite(base));
    std::vector<int> per_expert(size_t(config.experts), 0);
    for (int32_t e : routing) ++per_expert[size_t(e)];
    for (int e = 0; e < config.experts; ++e) EXPECT_GT(per_expert[size_t(e)], 5) << "expert " << e;
    std::mt19937 rng(4);
    for (size_t pi = 0; pi < net->params().all().size(); ++pi) {
        Parameter& p = net->params().all()[pi];
        std::vector<float> value = backend.download_f32(p.value);
        // The entries with the largest gradients (a hash table has many untouched ones) and a few random.
        std::vector<size_t> order(value.size());
        for (size_t i = 0; i < order.size(); ++i) order[i] = i;
        std::partial_sort(order.begin(), order.begin() + std::min<size_t>(6, order.size()), order.end(),
                          [&](size_t a, size_t b) { return std::abs(analytic[pi][a]) > std::abs(analytic[pi][b]); });
        std::vector<size_t> picks(order.begin(), order.begin() + std::min<size_t>(6, order.size()));
        for (int k = 0; k < 3; ++k) picks.push_back(size_t(rng()) % value.size());
        int checked = 0;
        for (size_t i : picks) {
            const float h = 2e-3f * std::max(1.0f, std::abs(value[i]));
            const float x0 = value[i];
            value[i] = x0 + h;
            backend.upload(p.value, value.data());
            const double fp = loss(&routed);
            bool flipped = routed != routing;
            value[i] = x0 - h;
            backend.upload(p.value, value.data());
            const double fm = loss(&routed);
            flipped = flipped || routed != routing;
            value[i] = x0;
            backend.upload(p.value, value.data());
            const double numeric = (fp - fm) / (2.0 * double(h));
            const double a = analytic[pi][i];
            // Top-1 routing is piecewise: a step that sends a sample to another expert makes the loss
            // jump, so such entries are skipped (rare with these steps).
            if (flipped) continue;
            EXPECT_NEAR(a, numeric, 2e-3 + 3e-2 * std::max(std::abs(a), std::abs(numeric)))
                << p.name << "[" << i << "]";
            ++checked;
        }
        EXPECT_GE(checked, 6) << p.name;
        // Every part of the model receives a gradient.
        float largest = 0.0f;
        for (float g : analytic[pi]) largest = std::max(largest, std::abs(g));
        EXPECT_GT(largest, 1e-5f) << p.name;
    }
}

// ---- the model file ---------------------------------------------------------------------------

// A trained-shape network written as .hmohe and read back gives the same bytes and renders the
// same; damaged files (every truncation, flipped bytes, a changed header) are refused with an Error
// naming the file, never a crash or a huge allocation.
TEST(NerfFile, RoundTripAndBadInput) {
    CpuBackend backend(2);
    HmoheConfig c;
    c.experts = 2;
    c.gate_levels = 2;
    c.gate_log2_table_size = 6;
    c.gate_base_resolution = 4;
    c.gate_max_resolution = 8;
    c.expert_base_resolution = 4;
    c.gate_hidden = 4;
    c.expert_levels = 2;
    c.expert_max_resolution = {8.0f, 16.0f};
    c.expert_log2_table_size = {6, 7};
    c.expert_hidden = 4;
    c.geometry_features = 3;
    c.sh_degree = 1;
    c.colour_hidden = 4;
    c.colour_hidden_layers = 1;
    c.appearance_dims = 2;
    kern::NerfSpace space = two_cascades();
    space.resolution = 8;
    space.max_samples = 1024;
    HmoheNetwork net(backend, c, space, 3, 9, false);
    const NerfScene scene = net.to_scene({0.1f, 0.2f, 0.3f});
    const std::vector<uint8_t> bytes = encode_nerf_scene(scene);
    const NerfScene back = decode_nerf_scene(bytes.data(), bytes.size(), "m.hmohe");
    EXPECT_EQ(encode_nerf_scene(back), bytes);
    HmoheNetwork loaded(backend, back, "m.hmohe");
    // The file keeps the mean of the per-image appearance embeddings (3 images x 2), not the table.
    EXPECT_EQ(loaded.parameter_count() + 3 * 2, net.parameter_count());

    auto refused = [&](const std::vector<uint8_t>& b, const std::string& what) {
        try {
            decode_nerf_scene(b.data(), b.size(), "m.hmohe");
            ADD_FAILURE() << what << ": accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find("m.hmohe"), std::string::npos) << what << ": " << e.what();
        }
    };
    for (size_t n = 0; n < bytes.size(); n += std::max<size_t>(1, bytes.size() / 97))
        refused(std::vector<uint8_t>(bytes.begin(), bytes.begin() + std::ptrdiff_t(n)), cat("truncated to ", n));
    std::mt19937 rng(5);
    for (int trial = 0; trial < 200; ++trial) {
        std::vector<uint8_t> b = bytes;
        b[size_t(rng()) % b.size()] ^= uint8_t(1u << (rng() % 8));
        refused(b, cat("flipped byte, trial ", trial));
    }
    // A header size far beyond the file.
    std::vector<uint8_t> b = bytes;
    b[16] = 0xff, b[17] = 0xff, b[18] = 0xff;
    refused(b, "header size");
}

} // namespace
} // namespace splatscape::test
