// MCMC densification (training/kernels/mcmc.hpp, training/densification_mcmc.*): the relocation's
// opacity and scale correction against the paper's formulas, the regularisers' gradients against
// finite differences, the CPU ops (draws by opacity, relocation of copies, noise), and the strategy
// on a model (dead Gaussians moved, growth to the cap, optimizer state of moved rows cleared).
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/training/fd_util.hpp"
#include "training/config.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/densification_mcmc.hpp"
#include "training/kernels/mcmc.hpp"
#include "training/models/gs3d.hpp"
#include "training/ops/mcmc_ops.hpp"

namespace splatscape::test {
namespace {

float logit_of(double p) {
    return float(std::log(p / (1.0 - p)));
}

double sigmoid_d(double x) {
    return 1.0 / (1.0 + std::exp(-x));
}

// The paper's eq. 11 written out directly (binomial coefficients from the factorial formula).
double scale_coefficient(double opacity, double new_opacity, int n) {
    double denom = 0.0;
    for (int i = 1; i <= n; ++i)
        for (int k = 0; k <= i - 1; ++k)
            denom += std::tgamma(i) / (std::tgamma(k + 1) * std::tgamma(i - k)) * std::pow(-1.0, k) /
                     std::sqrt(k + 1.0) * std::pow(new_opacity, k + 1);
    return opacity / denom;
}

TEST(McmcKernels, RelocationFollowsThePaper) {
    for (const double o : {0.02, 0.3, 0.7, 0.95}) {
        for (const int n : {1, 2, 3, 7, 20}) {
            float logit = 0.0f, shift = 0.0f;
            kern::mcmc_relocation(logit_of(o), n, 0.005f, logit, shift);
            const double o_new = sigmoid_d(logit);
            // n copies composite to the old opacity: 1 - (1 - o_new)^n = o (eq. 10).
            if (o_new > 0.005 + 1e-6) {
                EXPECT_NEAR(1.0 - std::pow(1.0 - o_new, n), o, 2e-6) << o << " " << n;
                EXPECT_NEAR(std::exp(double(shift)), scale_coefficient(o, 1.0 - std::pow(1.0 - o, 1.0 / n), n),
                            1e-5 * std::exp(double(shift)))
                    << o << " " << n;
            }
            if (n == 1) {
                EXPECT_NEAR(o_new, o, 1e-6);
                EXPECT_NEAR(shift, 0.0f, 1e-6f); // one copy is the Gaussian itself
            }
        }
    }
    // The new opacity never falls below the dead threshold (the reference's clamp).
    float logit = 0.0f, shift = 0.0f;
    kern::mcmc_relocation(logit_of(0.01), 30, 0.005f, logit, shift);
    EXPECT_NEAR(sigmoid_d(logit), 0.005, 1e-7);
}

TEST(McmcKernels, RegularizerGradientsMatchFiniteDifferences) {
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-3.0, 3.0);
    const double wo = 0.37, ws = 0.11;
    for (int trial = 0; trial < 20; ++trial) {
        const std::vector<double> x = {u(rng), u(rng) - 2.0, u(rng) - 2.0, u(rng) - 2.0}; // logit, 3 log-scales
        auto loss = [&](const std::vector<double>& v) {
            double g = 0.0, total = kern::mcmc_opacity_regularizer(v[0], wo, g);
            for (int k = 1; k < 4; ++k) total += kern::mcmc_scale_regularizer(v[k], ws, g);
            return total;
        };
        std::vector<double> analytic(4, 0.0);
        kern::mcmc_opacity_regularizer(x[0], wo, analytic[0]);
        for (int k = 1; k < 4; ++k) kern::mcmc_scale_regularizer(x[k], ws, analytic[k]);
        expect_gradients_near(analytic, numeric_gradient(loss, x, 1e-6), 1e-6, 1e-10, "MCMC regularisers");
    }
}

TEST(McmcKernels, NoiseMovesOnlyTransparentGaussians) {
    const float ls[3] = {std::log(0.2f), std::log(0.1f), std::log(0.05f)}, rot[4] = {0.9f, 0.1f, -0.3f, 0.2f};
    const auto S = kern::covariance_3d(kern::Vec3<float>{ls[0], ls[1], ls[2]},
                                       kern::Quat<float>{rot[0], rot[1], rot[2], rot[3]}, 1.0f);
    // Transparent: the noise is scale * Sigma * N(0, I), so its covariance is scale^2 Sigma^2.
    const int n = 20000;
    double c00 = 0.0, opaque_max = 0.0;
    for (int i = 0; i < n; ++i) {
        float d[3];
        kern::mcmc_position_noise(ls, rot, logit_of(0.001), 2.0f, 5, 9, uint64_t(i), d);
        c00 += double(d[0]) * d[0] / n;
        kern::mcmc_position_noise(ls, rot, logit_of(0.5), 2.0f, 5, 9, uint64_t(i), d);
        opaque_max = std::max({opaque_max, std::abs(double(d[0])), std::abs(double(d[1])), std::abs(double(d[2]))});
    }
    const double sigma2_00 = double(S.xx) * S.xx + double(S.xy) * S.xy + double(S.xz) * S.xz;
    const double gate = kern::mcmc_noise_gate(0.001f);
    EXPECT_NEAR(gate, 1.0 / (1.0 + std::exp(-100.0 * (0.999 - 0.995))), 1e-6);
    EXPECT_NEAR(c00, 4.0 * gate * gate * sigma2_00, 0.05 * 4.0 * sigma2_00);
    EXPECT_LT(opaque_max, 1e-12); // opacity 0.5: gate = sigmoid(-49.5)
}

class McmcOpsTest : public ::testing::Test {
protected:
    CpuBackend backend{2};
    McmcOps& ops = backend.ops<McmcOps>();
    Tensor make(const std::vector<float>& v, int cols) {
        Tensor t = backend.zeros(v.size() / size_t(cols), cols);
        backend.upload(t, v.data());
        return t;
    }
    Tensor rows(const std::vector<int32_t>& v) {
        Tensor t = backend.zeros(v.size(), 1, DType::I32);
        backend.upload(t, v.data());
        return t;
    }
    std::vector<int32_t> host_rows(const Tensor& t) {
        std::vector<int32_t> v(t.numel());
        backend.download(t, v.data());
        return v;
    }
};

TEST_F(McmcOpsTest, DrawsFollowOpacityAndSkipTheDead) {
    // Opacities 0.1, 0.003 (dead), 0.3, 0.6.
    const Tensor op = make({logit_of(0.1), logit_of(0.003), logit_of(0.3), logit_of(0.6)}, 1);
    const float dead = logit_of(0.005);
    EXPECT_EQ(host_rows(ops.dead_rows(op, dead)), std::vector<int32_t>({1}));
    const size_t n = 100000;
    const std::vector<int32_t> draws = host_rows(ops.sample_rows(op, dead, n, 11, 3));
    ASSERT_EQ(draws.size(), n);
    std::map<int, size_t> count;
    for (int32_t r : draws) ++count[r];
    EXPECT_EQ(count[1], 0u);
    EXPECT_NEAR(double(count[0]) / n, 0.1, 0.005);
    EXPECT_NEAR(double(count[2]) / n, 0.3, 0.005);
    EXPECT_NEAR(double(count[3]) / n, 0.6, 0.005);
    // A pure function of (seed, stream): the same draws again, others with another stream.
    EXPECT_EQ(host_rows(ops.sample_rows(op, dead, n, 11, 3)), draws);
    EXPECT_NE(host_rows(ops.sample_rows(op, dead, n, 11, 4)), draws);
    // Nothing alive: no draws.
    EXPECT_EQ(ops.sample_rows(make({logit_of(0.001)}, 1), dead, 5, 1, 1).rows(), 0u);
}

TEST_F(McmcOpsTest, RelocationCountsTheCopiesOfEachSource) {
    // Rows 0, 1, 3 are targets; source 2 is drawn twice (3 copies with itself), source 5 once.
    std::vector<float> o = {0, 0, logit_of(0.6), 0, 0, logit_of(0.4)};
    std::vector<float> ls(6 * 4);
    for (int i = 0; i < 6; ++i)
        for (int k = 0; k < 4; ++k) ls[i * 4 + k] = -2.0f - 0.1f * float(k) + 0.01f * float(i);
    Tensor op = make(o, 1), log_scales = make(ls, 4);
    ops.relocate(op, log_scales, 3, rows({2, 5, 2}), rows({0, 3, 1}), 0.005f);
    const std::vector<float> o2 = backend.download_f32(op), ls2 = backend.download_f32(log_scales);
    float l3, s3, l2, s2;
    kern::mcmc_relocation(o[2], 3, 0.005f, l3, s3);
    kern::mcmc_relocation(o[5], 2, 0.005f, l2, s2);
    for (int r : {0, 1, 2}) {
        EXPECT_FLOAT_EQ(o2[r], l3) << r;
        for (int k = 0; k < 3; ++k) EXPECT_FLOAT_EQ(ls2[r * 4 + k], ls[2 * 4 + k] + s3) << r;
        EXPECT_FLOAT_EQ(ls2[r * 4 + 3], r == 2 ? ls[2 * 4 + 3] : ls[r * 4 + 3]) << "the fourth column is kept";
    }
    for (int r : {3, 5}) {
        EXPECT_FLOAT_EQ(o2[r], l2) << r;
        EXPECT_FLOAT_EQ(ls2[r * 4], ls[5 * 4] + s2) << r;
    }
    EXPECT_EQ(o2[4], 0.0f); // untouched
    // Three copies of opacity 0.6 composite to 0.6.
    EXPECT_NEAR(1.0 - std::pow(1.0 - sigmoid_d(l3), 3), 0.6, 1e-5);
}

TEST_F(McmcOpsTest, CopyAndZeroRows) {
    Tensor t = make({1, 2, 3, 4, 5, 6, 7, 8}, 2);
    ops.copy_rows(t, rows({3, 0}), rows({1, 2}));
    EXPECT_EQ(backend.download_f32(t), std::vector<float>({1, 2, 7, 8, 1, 2, 7, 8}));
    ops.zero_rows(t, rows({0, 3}));
    EXPECT_EQ(backend.download_f32(t), std::vector<float>({0, 0, 7, 8, 1, 2, 0, 0}));
}

// Four Gaussians, one of them dead, under the strategy: the dead one moves onto a live one and both
// share its opacity; growth adds 5 % (at least the cap allows).
TEST(McmcStrategy, RelocatesTheDeadAndGrowsToTheCap) {
    CpuBackend backend(2);
    Gs3dConfig cfg;
    cfg.densify.strategy = "mcmc";
    cfg.densify.densify_from = 0;
    cfg.densify.densify_every = 10;
    Gs3dModel model(backend, cfg, 1.0f);
    GaussianCloud c;
    const size_t n = 100;
    c.resize(n, 0);
    for (size_t i = 0; i < n; ++i) {
        c.positions[3 * i] = float(i);
        c.rotations[4 * i] = 1;
        c.opacities[i] = logit_of(i % 10 == 3 ? 0.001 : 0.5 + 0.004 * double(i));
        for (int a = 0; a < 3; ++a) c.log_scales[3 * i + a] = std::log(0.01f * float(1 + i % 7));
    }
    model.from_cloud(c);
    // Non-zero moments, to see which rows restart.
    for (Parameter& p : model.params().all()) backend.fill(p.exp_avg, 1.0f);
    cfg.densify.max_gaussians = 103;
    McmcDensification mcmc(backend, cfg.densify, 7);
    EXPECT_TRUE(mcmc.reshapes_at(10));
    EXPECT_FALSE(mcmc.reshapes_at(15));
    EXPECT_EQ(mcmc.relocate(model, 10), 10u);
    ASSERT_EQ(model.size(), n);
    const GaussianCloud out = model.to_cloud();
    for (size_t i = 0; i < out.size(); ++i) EXPECT_GT(sigmoid(out.opacities[i]), 0.005f) << i;
    // A moved Gaussian sits on a live one's position and has restarted its optimizer state.
    const std::vector<float> m = backend.download_f32(model.params().get("means").exp_avg);
    for (size_t i = 3; i < n; i += 10) {
        EXPECT_NE(out.positions[3 * i], float(i)) << "row " << i << " was dead and moved";
        EXPECT_EQ(m[3 * i], 0.0f);
        const size_t src = size_t(out.positions[3 * i]);
        EXPECT_EQ(out.opacities[i], out.opacities[src]) << "shares its opacity with the source";
        EXPECT_EQ(m[3 * src], 0.0f);
    }
    EXPECT_EQ(mcmc.grow(model, 10), 3u); // min(103, 105) - 100
    ASSERT_EQ(model.size(), 103u);
    // Nothing dead is left, and growth stops at the cap; the final step of a run changes nothing.
    const DensifyReport r = mcmc.update(model, 20, false);
    EXPECT_EQ(r.relocated, 0u);
    EXPECT_EQ(r.cloned, 0u);
    EXPECT_FALSE(mcmc.update(model, 30, true).changed());
    EXPECT_EQ(model.size(), 103u);
}

TEST(McmcStrategy, RegularizersAddTheirGradients) {
    CpuBackend backend(1);
    Gs3dConfig cfg;
    cfg.densify.strategy = "mcmc";
    Gs3dModel model(backend, cfg, 1.0f);
    GaussianCloud c;
    c.resize(2, 0);
    c.rotations[0] = c.rotations[4] = 1;
    c.opacities = {0.0f, 2.0f};
    c.log_scales = {-1, -2, -3, 0, 0, 0};
    model.from_cloud(c);
    McmcDensification mcmc(backend, cfg.densify, 1);
    mcmc.add_regularizer_grads(model);
    const std::vector<float> go = backend.download_f32(model.opacity().grad);
    const std::vector<float> gs = backend.download_f32(model.params().get("log_scales").grad);
    // d/do of 0.01 * mean(sigmoid(o)) and d/ds of 0.01 * mean(exp(s)) over 2 and 6 values.
    EXPECT_NEAR(go[0], 0.01 / 2 * 0.25, 1e-8);
    EXPECT_NEAR(gs[2], 0.01 / 6 * std::exp(-3.0), 1e-8);
}

TEST(McmcConfig, StrategyDefaultsAreThePapers) {
    Gs3dConfig c;
    update_from_json(c, Json{{"densify", {{"strategy", "mcmc"}}}}, "test");
    EXPECT_TRUE(c.densify.mcmc());
    EXPECT_FLOAT_EQ(c.init_opacity, 0.5f);
    EXPECT_FLOAT_EQ(c.init_scale, 0.1f);
    EXPECT_EQ(c.densify.densify_until, 25000);
    EXPECT_EQ(c.densify.mcmc_cap(), 1000000);
    EXPECT_FLOAT_EQ(c.densify.noise_lr, 5e5f);
    // Given values win, and a schedule of its own (the demo preset's) stays.
    Gs3dConfig d;
    d.densify.densify_until = 1200;
    update_from_json(d, Json{{"init_opacity", 0.2}, {"densify", {{"strategy", "mcmc"}, {"max_gaussians", 5000}}}}, "t");
    EXPECT_FLOAT_EQ(d.init_opacity, 0.2f);
    EXPECT_EQ(d.densify.densify_until, 1200);
    EXPECT_EQ(d.densify.mcmc_cap(), 5000);
    // ADC keeps the 3DGS defaults; a bad strategy is refused by name.
    Gs3dConfig a;
    update_from_json(a, Json::object(), "test");
    EXPECT_FLOAT_EQ(a.init_opacity, 0.1f);
    EXPECT_EQ(a.densify.densify_until, 15000);
    EXPECT_THROW(update_from_json(a, Json{{"densify", {{"strategy", "mmc"}}}}, "test"), Error);
}

} // namespace
} // namespace splatscape::test
