// Finite-difference checks of the per-element backward functions in training/kernels/, in double
// precision with central differences (h = 1e-6). Tolerances: relative 1e-6 plus an absolute floor
// of 1e-9 times the gradient scale; truncation error of central differences is O(h^2 f''') ~ 1e-12
// and rounding O(eps / h) ~ 1e-10, so a wrong term of any size fails.
#include <random>

#include <gtest/gtest.h>

#include "tests/training/fd_util.hpp"
#include "training/kernels/covariance.hpp"
#include "training/kernels/preprocess.hpp"
#include "training/kernels/projection.hpp"
#include "training/kernels/sh.hpp"
#include "training/kernels/ssim.hpp"

namespace splatscape::test {
namespace {

using kern::Quat;
using kern::Sym3;
using kern::Vec3;

constexpr double kH = 1e-6;
constexpr double kRtol = 1e-6;

std::vector<double> uniform(std::mt19937& rng, size_t n, double lo, double hi) {
    std::uniform_real_distribution<double> d(lo, hi);
    std::vector<double> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

double dot6(const Sym3<double>& s, const std::vector<double>& w) {
    return s.xx * w[0] + s.xy * w[1] + s.xz * w[2] + s.yy * w[3] + s.yz * w[4] + s.zz * w[5];
}

TEST(KernelGradients, Covariance3d) {
    std::mt19937 rng(1);
    for (int trial = 0; trial < 20; ++trial) {
        const auto x0 = uniform(rng, 7, -1.0, 1.0); // log-scale [3], quaternion [4] (unnormalised)
        const auto w = uniform(rng, 6, -1.0, 1.0);
        const double modifier = trial % 2 ? 1.0 : 0.7;
        auto f = [&](const std::vector<double>& x) {
            return dot6(
                kern::covariance_3d(Vec3<double>{x[0], x[1], x[2]}, Quat<double>{x[3], x[4], x[5], x[6]}, modifier), w);
        };
        Vec3<double> d_ls;
        Quat<double> d_q;
        kern::covariance_3d_backward(Vec3<double>{x0[0], x0[1], x0[2]}, Quat<double>{x0[3], x0[4], x0[5], x0[6]},
                                     modifier, Sym3<double>{w[0], w[1], w[2], w[3], w[4], w[5]}, d_ls, d_q);
        const std::vector<double> analytic = {d_ls.x, d_ls.y, d_ls.z, d_q.w, d_q.x, d_q.y, d_q.z};
        expect_gradients_near(analytic, numeric_gradient(f, x0, kH), kRtol, 1e-9, "covariance");
    }
}

// A random symmetric positive definite covariance with scales around `scale`.
Sym3<double> random_covariance(std::mt19937& rng, double scale) {
    const auto p = uniform(rng, 7, -1.0, 1.0);
    return kern::covariance_3d(Vec3<double>{std::log(scale) + p[0], std::log(scale) + p[1], std::log(scale) + p[2]},
                               Quat<double>{p[3], p[4], p[5], p[6]}, 1.0);
}

void check_projection(const kern::RasterCamera<double>& cam, Vec3<double> mean, Sym3<double> cov, bool antialiased,
                      const char* what) {
    kern::RasterSettings s;
    s.antialiased = antialiased;
    std::mt19937 rng(7);
    const auto w = uniform(rng, 7, -1.0, 1.0); // weights of mean2d [2], conic [3], depth, compensation
    auto f = [&](const std::vector<double>& x) {
        kern::Projected<double> p{};
        const Sym3<double> c = {x[3], x[4], x[5], x[6], x[7], x[8]};
        EXPECT_TRUE(kern::project_gaussian(Vec3<double>{x[0], x[1], x[2]}, c, cam, s, p));
        return w[0] * p.mean2d.x + w[1] * p.mean2d.y + w[2] * p.conic.x + w[3] * p.conic.y + w[4] * p.conic.z +
               w[5] * p.depth + w[6] * p.compensation;
    };
    const std::vector<double> x0 = {mean.x, mean.y, mean.z, cov.xx, cov.xy, cov.xz, cov.yy, cov.yz, cov.zz};
    Vec3<double> d_mean = {0, 0, 0};
    Sym3<double> d_cov = {0, 0, 0, 0, 0, 0};
    kern::project_gaussian_backward(mean, cov, cam, s, kern::Vec2<double>{w[0], w[1]}, Vec3<double>{w[2], w[3], w[4]},
                                    w[5], w[6], d_mean, d_cov);
    const std::vector<double> analytic = {d_mean.x, d_mean.y, d_mean.z, d_cov.xx, d_cov.xy,
                                          d_cov.xz, d_cov.yy, d_cov.yz, d_cov.zz};
    const auto numeric = numeric_gradient(f, x0, kH);
    double scale = 0;
    for (double v : numeric) scale = std::max(scale, std::abs(v));
    expect_gradients_near(analytic, numeric, kRtol, 1e-9 * scale, what);
}

TEST(KernelGradients, Projection) {
    std::mt19937 rng(2);
    const auto cam = look_at_camera<double>({0.3, -0.2, -4.0}, {0, 0, 0}, 64, 48, 60.0);
    for (int trial = 0; trial < 20; ++trial) {
        const auto m = uniform(rng, 3, -0.8, 0.8);
        const Sym3<double> cov = random_covariance(rng, 0.15);
        check_projection(cam, {m[0], m[1], m[2]}, cov, false, "projection");
        check_projection(cam, {m[0], m[1], m[2]}, cov, true, "projection (antialiased)");
    }
}

TEST(KernelGradients, ProjectionOutsideGuardBand) {
    // Means far to the side of the view: tx, ty are clamped to the 1.3x guard band.
    std::mt19937 rng(3);
    const auto cam = look_at_camera<double>({0.0, 0.0, -4.0}, {0, 0, 0}, 64, 48, 60.0);
    const Vec3<double> means[] = {{3.5, 0.2, 0.0}, {-3.5, 0.1, 0.5}, {0.1, 2.8, 0.0}, {-0.2, -2.9, 0.3}};
    for (const auto& m : means) {
        kern::ProjectionTerms<double> t;
        const Sym3<double> cov = random_covariance(rng, 1.2);
        kern::projection_terms(m, cov, cam, t);
        ASSERT_TRUE(t.clamped_x != 0 || t.clamped_y != 0);
        check_projection(cam, m, cov, false, "projection (clamped)");
        check_projection(cam, m, cov, true, "projection (clamped, antialiased)");
    }
}

TEST(KernelGradients, SphericalHarmonics) {
    std::mt19937 rng(4);
    const Vec3<double> center = {0.2, -0.1, -3.0};
    for (int degree = 0; degree <= 3; ++degree)
        for (int trial = 0; trial < 10; ++trial) {
            const int K = (degree + 1) * (degree + 1);
            auto x0 = uniform(rng, 3 + 3 * K, -0.4, 0.4); // mean [3], sh [K, 3]
            const auto w = uniform(rng, 3, -1.0, 1.0);
            // Keep the colours away from the clamp at 0 except in the last trials.
            if (trial < 8) x0[3] = x0[4] = x0[5] = 1.0;
            unsigned clamped_at_x0 = 0;
            auto f = [&](const std::vector<double>& x) {
                unsigned clamped;
                const auto dir = kern::view_direction(Vec3<double>{x[0], x[1], x[2]}, center);
                const auto rgb = kern::sh_to_rgb(degree, dir, x.data() + 3, clamped);
                return w[0] * rgb.x + w[1] * rgb.y + w[2] * rgb.z;
            };
            {
                const auto dir = kern::view_direction(Vec3<double>{x0[0], x0[1], x0[2]}, center);
                kern::sh_to_rgb(degree, dir, x0.data() + 3, clamped_at_x0);
            }
            std::vector<double> d_sh(3 * K);
            const auto d_mean =
                kern::sh_to_rgb_backward(degree, Vec3<double>{x0[0], x0[1], x0[2]}, center, x0.data() + 3,
                                         clamped_at_x0, Vec3<double>{w[0], w[1], w[2]}, d_sh.data());
            std::vector<double> analytic = {d_mean.x, d_mean.y, d_mean.z};
            analytic.insert(analytic.end(), d_sh.begin(), d_sh.end());
            expect_gradients_near(analytic, numeric_gradient(f, x0, kH), kRtol, 1e-9,
                                  "sh degree " + std::to_string(degree));
        }
}

TEST(KernelGradients, SsimPixel) {
    std::mt19937 rng(5);
    for (int trial = 0; trial < 50; ++trial) {
        const auto v = uniform(rng, 5, 0.1, 0.9);
        // Second moments consistent with some variance.
        const std::vector<double> x0 = {v[0], v[0] * v[0] + 0.02 * v[2], v[0] * v[1] + 0.01 * (v[4] - 0.5)};
        const double my = v[1], eyy = v[1] * v[1] + 0.02 * v[3];
        auto f = [&](const std::vector<double>& x) {
            return kern::ssim_pixel<double>(x[0], my, x[1], eyy, x[2], nullptr, nullptr, nullptr);
        };
        double d[3];
        kern::ssim_pixel<double>(x0[0], my, x0[1], eyy, x0[2], &d[0], &d[1], &d[2]);
        expect_gradients_near({d[0], d[1], d[2]}, numeric_gradient(f, x0, kH), kRtol, 1e-9, "ssim pixel");
    }
}

} // namespace
} // namespace splatscape::test
