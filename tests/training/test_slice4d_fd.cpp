// The 4D Gaussian kernels (training/kernels/slice4d.hpp, sh4d.hpp): the rotation is a rotation,
// the slice is the conditional of the 4D Gaussian (checked against the 4D quadratic form), and
// every backward matches central differences in double precision (h = 1e-6; see
// test_kernels_fd.cpp for the tolerance argument).
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tests/training/fd_util.hpp"
#include "training/kernels/sh4d.hpp"
#include "training/kernels/slice4d.hpp"

namespace splatscape::test {
namespace {

using kern::Gaussian4d;
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

// x: mean [4], log-scales [4], left quaternion [4], right quaternion [4].
Gaussian4d<double> gaussian_from(const std::vector<double>& x) {
    Gaussian4d<double> g;
    for (int i = 0; i < 4; ++i) {
        g.mean[i] = x[i];
        g.log_scale[i] = x[4 + i];
    }
    g.rot_l = {x[8], x[9], x[10], x[11]};
    g.rot_r = {x[12], x[13], x[14], x[15]};
    return g;
}

std::vector<double> random_gaussian(std::mt19937& rng) {
    auto x = uniform(rng, 16, -1.0, 1.0);
    for (int i = 4; i < 8; ++i) x[i] = -1.2 + 0.6 * x[i]; // scales 0.15 .. 0.55
    return x;
}

TEST(Slice4d, RotationIsARotation) {
    std::mt19937 rng(11);
    for (int trial = 0; trial < 20; ++trial) {
        const auto q = uniform(rng, 8, -1.0, 1.0);
        const Quat<double> ql{q[0], q[1], q[2], q[3]}, qr{q[4], q[5], q[6], q[7]};
        const auto R = kern::rotation_4d(ql, qr);
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) {
                double d = 0;
                for (int k = 0; k < 4; ++k) d += R.m[i][k] * R.m[j][k];
                EXPECT_NEAR(d, i == j ? 1.0 : 0.0, 1e-12) << i << j;
            }
        // Left and right isoclinic rotations commute (the decomposition's defining property).
        const auto L = kern::left_isoclinic(kern::normalize_quat(ql));
        const auto Rr = kern::right_isoclinic(kern::normalize_quat(qr));
        const auto a = kern::mul4(L, Rr), b = kern::mul4(Rr, L);
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) EXPECT_NEAR(a.m[i][j], b.m[i][j], 1e-12);
    }
    // Identity quaternions: the identity rotation, so the 4D Gaussian is axis aligned and the slice
    // neither moves nor shrinks.
    Gaussian4d<double> g = gaussian_from({0.1, 0.2, 0.3, 0.5, -1, -2, -1.5, -1, 1, 0, 0, 0, 1, 0, 0, 0});
    const auto s = kern::slice_4d(g, 0.9);
    EXPECT_DOUBLE_EQ(s.mean.x, 0.1);
    EXPECT_DOUBLE_EQ(s.mean.z, 0.3);
    EXPECT_NEAR(s.cov.xx, std::exp(-2.0), 1e-15);
    EXPECT_NEAR(s.cov.xy, 0.0, 1e-15);
    EXPECT_NEAR(s.weight, std::exp(-0.5 * 0.16 / std::exp(-2.0)), 1e-15);
}

// Inverse of a symmetric positive definite 4x4 by Gauss-Jordan (test helper).
std::array<std::array<double, 4>, 4> inverse4(const kern::Sym4<double>& s) {
    double a[4][8];
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 8; ++j) a[i][j] = j < 4 ? s.m[i][j] : (j - 4 == i ? 1.0 : 0.0);
    for (int c = 0; c < 4; ++c) {
        int p = c;
        for (int r = c + 1; r < 4; ++r)
            if (std::abs(a[r][c]) > std::abs(a[p][c])) p = r;
        for (int j = 0; j < 8; ++j) std::swap(a[c][j], a[p][j]);
        const double d = a[c][c];
        for (int j = 0; j < 8; ++j) a[c][j] /= d;
        for (int r = 0; r < 4; ++r)
            if (r != c) {
                const double f = a[r][c];
                for (int j = 0; j < 8; ++j) a[r][j] -= f * a[c][j];
            }
    }
    std::array<std::array<double, 4>, 4> inv{};
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) inv[i][j] = a[i][j + 4];
    return inv;
}

TEST(Slice4d, SliceIsTheConditionalOfThe4dGaussian) {
    // For any point (x, t): (p - mu)^T Sigma^-1 (p - mu) = (x - mean3)^T cov3^-1 (x - mean3) + dt^2 / Sigma22,
    // i.e. the 4D density factors into the sliced 3D Gaussian times the marginal weight.
    std::mt19937 rng(12);
    for (int trial = 0; trial < 20; ++trial) {
        const Gaussian4d<double> g = gaussian_from(random_gaussian(rng));
        const auto Sigma = kern::covariance_4d(g);
        const auto inv4 = inverse4(Sigma);
        const double t = uniform(rng, 1, -1.0, 1.0)[0];
        const auto s = kern::slice_4d(g, t);
        kern::Sym4<double> c3{};
        const double c[6] = {s.cov.xx, s.cov.xy, s.cov.xz, s.cov.yy, s.cov.yz, s.cov.zz};
        const int idx[3][3] = {{0, 1, 2}, {1, 3, 4}, {2, 4, 5}};
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) c3.m[i][j] = i < 3 && j < 3 ? c[idx[i][j]] : (i == j ? 1.0 : 0.0);
        const auto inv3 = inverse4(c3);
        for (int k = 0; k < 5; ++k) {
            const auto x = uniform(rng, 3, -1.0, 1.0);
            const double p[4] = {x[0] - g.mean[0], x[1] - g.mean[1], x[2] - g.mean[2], t - g.mean[3]};
            const double q[3] = {x[0] - s.mean.x, x[1] - s.mean.y, x[2] - s.mean.z};
            double lhs = 0, rhs = 0;
            for (int i = 0; i < 4; ++i)
                for (int j = 0; j < 4; ++j) lhs += p[i] * inv4[i][j] * p[j];
            for (int i = 0; i < 3; ++i)
                for (int j = 0; j < 3; ++j) rhs += q[i] * inv3[i][j] * q[j];
            rhs += s.dt * s.dt / Sigma.m[3][3];
            EXPECT_NEAR(lhs, rhs, 1e-8 * (1 + std::abs(lhs)));
        }
        EXPECT_NEAR(s.weight, std::exp(-0.5 * s.dt * s.dt / Sigma.m[3][3]), 1e-15);
        EXPECT_NEAR(kern::temporal_variance(g), Sigma.m[3][3], 1e-14);
        // The conditional covariance is positive definite.
        EXPECT_GT(s.cov.xx, 0);
        EXPECT_GT(s.cov.xx * s.cov.yy - s.cov.xy * s.cov.xy, 0);
    }
}

TEST(Slice4d, SliceGradients) {
    std::mt19937 rng(13);
    for (int trial = 0; trial < 40; ++trial) {
        const auto x0 = random_gaussian(rng);
        // Weights of mean3 [3], cov3 [6], weight, and a term linear in dt (the colour's path).
        const auto w = uniform(rng, 11, -1.0, 1.0);
        const double t = uniform(rng, 1, -1.0, 1.0)[0];
        auto f = [&](const std::vector<double>& x) {
            const auto s = kern::slice_4d(gaussian_from(x), t);
            return w[0] * s.mean.x + w[1] * s.mean.y + w[2] * s.mean.z + w[3] * s.cov.xx + w[4] * s.cov.xy +
                   w[5] * s.cov.xz + w[6] * s.cov.yy + w[7] * s.cov.yz + w[8] * s.cov.zz + w[9] * s.weight +
                   w[10] * s.dt;
        };
        kern::Gaussian4dGrad<double> g;
        kern::slice_4d_backward(gaussian_from(x0), t, Vec3<double>{w[0], w[1], w[2]},
                                Sym3<double>{w[3], w[4], w[5], w[6], w[7], w[8]}, w[9], w[10], g);
        std::vector<double> analytic;
        for (int i = 0; i < 4; ++i) analytic.push_back(g.mean[i]);
        for (int i = 0; i < 4; ++i) analytic.push_back(g.log_scale[i]);
        for (const auto& q : {g.rot_l, g.rot_r})
            for (double v : {q.w, q.x, q.y, q.z}) analytic.push_back(v);
        const auto numeric = numeric_gradient(f, x0, kH);
        double scale = 0;
        for (double v : numeric) scale = std::max(scale, std::abs(v));
        expect_gradients_near(analytic, numeric, kRtol, 1e-9 * scale, "slice");
    }
}

TEST(Slice4d, OpacityGradients) {
    std::mt19937 rng(14);
    for (int trial = 0; trial < 20; ++trial) {
        const auto x0 = std::vector<double>{uniform(rng, 1, -4.0, 4.0)[0], uniform(rng, 1, 0.05, 1.0)[0]};
        auto f = [](const std::vector<double>& x) { return kern::sliced_opacity_logit(x[0], x[1]); };
        double d_weight = 0;
        const double d_o = kern::sliced_opacity_logit_backward(x0[0], x0[1], 1.0, d_weight);
        expect_gradients_near({d_o, d_weight}, numeric_gradient(f, x0, kH), kRtol, 1e-9, "sliced opacity");
        // The sliced opacity is the product of the two.
        EXPECT_NEAR(kern::hd_sigmoid(f(x0)), kern::hd_sigmoid(x0[0]) * x0[1], 1e-14);
    }
}

TEST(Slice4d, OpaqueGaussiansAtTheirTemporalCentreStayFinite) {
    // sigmoid(30) and the weight both round to 1 in float: the logit must stay finite (it is 30)
    // and so must the gradients, whatever the rasterizer passes back.
    for (float o : {17.0f, 30.0f, 80.0f}) {
        const float logit = kern::sliced_opacity_logit(o, 1.0f);
        EXPECT_TRUE(std::isfinite(logit)) << o;
        EXPECT_NEAR(logit, o, 1e-3f * o) << o;
        for (float d_logit : {0.0f, 1e-3f}) {
            float d_w = 0.0f;
            const float d_o = kern::sliced_opacity_logit_backward(o, 1.0f, d_logit, d_w);
            EXPECT_TRUE(std::isfinite(d_o) && std::isfinite(d_w)) << o << " " << d_logit;
        }
    }
}

TEST(Slice4d, TemporalSupport) {
    // Peak inside the range: always supported; outside, by the distance to the nearer end.
    EXPECT_TRUE(kern::temporal_support_reaches(0.5, 1e-6, 0.0, 1.0, 0.05));
    EXPECT_TRUE(kern::temporal_support_reaches(1.2, 0.04, 0.0, 1.0, 0.05));   // 1 sigma out: 0.61
    EXPECT_FALSE(kern::temporal_support_reaches(1.6, 0.04, 0.0, 1.0, 0.05));  // 3 sigma out: 0.011
    EXPECT_FALSE(kern::temporal_support_reaches(-0.7, 0.04, 0.0, 1.0, 0.05)); // 3.5 sigma before
}

TEST(Sh4d, CollapseGradients) {
    std::mt19937 rng(15);
    for (int degree = 0; degree <= 3; ++degree)
        for (int degree_t = 0; degree_t <= 2; ++degree_t) {
            const int K = 16, K_out = (degree + 1) * (degree + 1), J = K * 3;
            auto x0 = uniform(rng, 1 + 3 * J, -0.5, 0.5); // dt, sh4 [J, 3]
            const double period = 1.3;
            const auto w = uniform(rng, 3 * K_out, -1.0, 1.0);
            auto f = [&](const std::vector<double>& x) {
                double sh3[48];
                kern::sh4d_collapse(K, K_out, degree_t, x[0], period, x.data() + 1, sh3);
                double v = 0;
                for (int i = 0; i < 3 * K_out; ++i) v += w[i] * sh3[i];
                return v;
            };
            std::vector<double> d_sh4(3 * J, 0.0);
            const double d_dt =
                kern::sh4d_collapse_backward(K, K_out, degree_t, x0[0], period, x0.data() + 1, w.data(), d_sh4.data());
            std::vector<double> analytic = {d_dt};
            analytic.insert(analytic.end(), d_sh4.begin(), d_sh4.end());
            expect_gradients_near(analytic, numeric_gradient(f, x0, kH), kRtol, 1e-9,
                                  "sh4d collapse " + std::to_string(degree) + "/" + std::to_string(degree_t));
        }
}

TEST(Sh4d, ColourGradientsThroughDirectionAndTime) {
    // The full 4D colour of the paper's spherindrical basis, differentiated as training chains it:
    // collapse (sh4d.hpp), then the rasterizer's SH backward (sh.hpp) through the view direction.
    std::mt19937 rng(16);
    const Vec3<double> center = {0.3, -0.2, -3.0};
    const int K = 16, J = K * 3;
    for (int trial = 0; trial < 12; ++trial) {
        const int degree = trial % 4, degree_t = trial % 3, K_out = (degree + 1) * (degree + 1);
        auto x0 = uniform(rng, 4 + 3 * J, -0.4, 0.4); // mean [3], dt, sh4
        x0[4] = x0[5] = x0[6] = 1.0;                  // DC away from the clamp
        const double period = 1.0;
        const auto w = uniform(rng, 3, -1.0, 1.0);
        auto f = [&](const std::vector<double>& x) {
            unsigned clamped;
            const auto dir = kern::view_direction(Vec3<double>{x[0], x[1], x[2]}, center);
            const auto rgb = kern::sh4d_to_rgb(K, degree, degree_t, dir, x[3], period, x.data() + 4, clamped);
            return w[0] * rgb.x + w[1] * rgb.y + w[2] * rgb.z;
        };
        double sh3[48];
        kern::sh4d_collapse(K, K_out, degree_t, x0[3], period, x0.data() + 4, sh3);
        std::vector<double> d_sh3(3 * K_out);
        const Vec3<double> mean = {x0[0], x0[1], x0[2]};
        const auto d_mean =
            kern::sh_to_rgb_backward(degree, mean, center, sh3, 0u, Vec3<double>{w[0], w[1], w[2]}, d_sh3.data());
        std::vector<double> d_sh4(3 * J, 0.0);
        const double d_dt =
            kern::sh4d_collapse_backward(K, K_out, degree_t, x0[3], period, x0.data() + 4, d_sh3.data(), d_sh4.data());
        std::vector<double> analytic = {d_mean.x, d_mean.y, d_mean.z, d_dt};
        analytic.insert(analytic.end(), d_sh4.begin(), d_sh4.end());
        expect_gradients_near(analytic, numeric_gradient(f, x0, kH), kRtol, 1e-9, "sh4d colour");
    }
}

TEST(Sh4d, TemporalBasisIsTheCosineSeries) {
    // One coefficient per temporal frequency: the DC colour follows sum_n c_n cos(2 pi n dt / T).
    const int K = 1;
    double sh4[3 * 3] = {};
    const double c[3] = {0.3, -0.2, 0.15};
    for (int n = 0; n < 3; ++n) sh4[n * 3] = c[n];
    for (double dt : {0.0, 0.1, 0.37, -0.8}) {
        unsigned clamped;
        const auto rgb = kern::sh4d_to_rgb(K, 0, 2, Vec3<double>{0, 0, 1}, dt, 2.0, sh4, clamped);
        double expect = 0;
        for (int n = 0; n < 3; ++n) expect += c[n] * std::cos(kern::kTwoPi * n * dt / 2.0);
        EXPECT_NEAR(rgb.x, 0.5 + kern::kShC0d * expect, 1e-14) << dt;
        EXPECT_NEAR(rgb.y, 0.5, 1e-15);
    }
}

} // namespace
} // namespace splatscape::test
