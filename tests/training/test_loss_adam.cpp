// The photometric loss (L1 + SSIM) against finite differences and against core's SSIM metric, and
// the Adam step against PyTorch's update rule written out in double.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "core/image.hpp"
#include "core/metrics.hpp"
#include "tests/training/fd_util.hpp"
#include "training/cpu/loss_cpu.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/adam.hpp"

namespace splatscape::test {
namespace {

std::vector<double> random_image(std::mt19937& rng, int w, int h, int c) {
    std::uniform_real_distribution<double> u(0.05, 0.95);
    std::vector<double> v(size_t(w) * h * c);
    for (auto& x : v) x = u(rng);
    return v;
}

TEST(Loss, SsimMatchesCoreMetric) {
    std::mt19937 rng(1);
    const int w = 37, h = 23;
    const auto x = random_image(rng, w, h, 3), y = random_image(rng, w, h, 3);
    Image a(w, h, 3), b(w, h, 3);
    for (size_t i = 0; i < x.size(); ++i) {
        a.data[i] = float(x[i]);
        b.data[i] = float(y[i]);
    }
    cpu::LossWorkspace<double> ws;
    const double ours = cpu::ssim_forward_backward<double>(x.data(), y.data(), w, h, 3, nullptr, ws);
    EXPECT_NEAR(ours, ssim(a, b), 1e-6);
}

TEST(Loss, GradientMatchesFiniteDifferences) {
    std::mt19937 rng(2);
    const int w = 19, h = 14; // smaller than two windows: every pixel sees the zero padding
    auto x = random_image(rng, w, h, 3);
    const auto y = random_image(rng, w, h, 3);
    for (double lambda : {1.0, 0.2}) {
        cpu::LossWorkspace<double> ws;
        std::vector<double> grad(x.size());
        cpu::image_loss<double>(x.data(), y.data(), w, h, 3, float(lambda), grad.data(), ws);
        auto f = [&](const std::vector<double>& v) {
            cpu::LossWorkspace<double> tws;
            return cpu::image_loss<double>(v.data(), y.data(), w, h, 3, float(lambda), nullptr, tws).loss;
        };
        // |x - y| >= 0.0 is never within h of a kink for these random images (checked below).
        for (size_t i = 0; i < x.size(); ++i) ASSERT_GT(std::abs(x[i] - y[i]), 1e-5);
        const int threads = cpu::cpu_threads();
        cpu::set_cpu_threads(1); // many tiny evaluations
        const auto numeric = numeric_gradient(f, x, 1e-6);
        cpu::set_cpu_threads(threads);
        expect_gradients_near(grad, numeric, 1e-5, 1e-10, "loss lambda " + std::to_string(lambda));
    }
}

TEST(Loss, PerfectMatchHasZeroLoss) {
    std::mt19937 rng(3);
    const auto x = random_image(rng, 20, 20, 3);
    cpu::LossWorkspace<double> ws;
    std::vector<double> grad(x.size());
    const auto v = cpu::image_loss<double>(x.data(), x.data(), 20, 20, 3, 0.2f, grad.data(), ws);
    EXPECT_NEAR(v.loss, 0.0, 1e-12);
    EXPECT_NEAR(v.ssim, 1.0, 1e-12);
    for (double g : grad) EXPECT_NEAR(g, 0.0, 1e-12);
}

TEST(Adam, MatchesTorchUpdateRule) {
    std::mt19937 rng(4);
    std::normal_distribution<double> n(0.0, 1.0);
    float p = 0.3f, m = 0.0f, v = 0.0f;
    double pd = 0.3, md = 0.0, vd = 0.0;
    const double lr = 0.01, b1 = 0.9, b2 = 0.999, eps = 1e-15;
    for (int t = 1; t <= 50; ++t) {
        const double g = n(rng);
        kern::adam_update(p, float(g), m, v, kern::adam_step_for(float(lr), t));
        md = b1 * md + (1 - b1) * g;
        vd = b2 * vd + (1 - b2) * g * g;
        const double bc1 = 1 - std::pow(b1, t), bc2 = 1 - std::pow(b2, t);
        pd -= lr / bc1 * md / (std::sqrt(vd) / std::sqrt(bc2) + eps);
        EXPECT_NEAR(p, pd, 1e-5) << "step " << t;
    }
}

} // namespace
} // namespace splatscape::test
