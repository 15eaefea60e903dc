// The CPU rasterizer: gradients of the whole pipeline (preprocess, binning, compositing) against
// finite differences in double precision, float against double, thread-count independence, and
// closed-form cases.
#include <cmath>
#include <cstring>
#include <random>

#include <gtest/gtest.h>

#include "tests/training/fd_util.hpp"
#include "training/cpu/rasterizer_cpu.hpp"
#include "training/cpu/thread_pool.hpp"

namespace splatscape::test {
namespace {

template <class T>
struct Scene {
    int n = 0;
    int sh_stride = 16;
    std::vector<T> means, log_scales, rotations, opacities, sh, covariances, colors;
    std::vector<T> filter; // 3D smoothing filter variances
    cpu::RasterInputs<T> inputs(int degree, bool precomputed, bool filtered = false) const {
        cpu::RasterInputs<T> in;
        in.count = size_t(n);
        if (filtered) in.filter_3d = filter.data();
        in.means = means.data();
        in.opacities = opacities.data();
        if (precomputed) {
            in.covariances = covariances.data();
            in.colors = colors.data();
        } else {
            in.log_scales = log_scales.data();
            in.rotations = rotations.data();
            in.sh = sh.data();
            in.sh_stride = sh_stride;
            in.sh_degree = degree;
        }
        return in;
    }
};

Scene<double> random_scene(int n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    Scene<double> s;
    s.n = n;
    for (int i = 0; i < n; ++i) {
        s.means.insert(s.means.end(), {0.9 * u(rng), 0.6 * u(rng), 0.8 * u(rng)});
        for (int k = 0; k < 3; ++k) s.log_scales.push_back(std::log(0.12) + 0.4 * u(rng));
        s.rotations.insert(s.rotations.end(), {1.0 + 0.3 * u(rng), 0.5 * u(rng), 0.5 * u(rng), 0.5 * u(rng)});
        s.opacities.push_back(1.0 * u(rng) + 0.5);
        for (int k = 0; k < s.sh_stride; ++k)
            for (int c = 0; c < 3; ++c) s.sh.push_back(k == 0 ? 0.8 * u(rng) : 0.15 * u(rng));
        const auto cov = kern::covariance_3d(
            kern::Vec3<double>{s.log_scales[3 * i], s.log_scales[3 * i + 1], s.log_scales[3 * i + 2]},
            kern::Quat<double>{s.rotations[4 * i], s.rotations[4 * i + 1], s.rotations[4 * i + 2],
                               s.rotations[4 * i + 3]},
            1.0);
        s.covariances.insert(s.covariances.end(), {cov.xx, cov.xy, cov.xz, cov.yy, cov.yz, cov.zz});
        for (int c = 0; c < 3; ++c) s.colors.push_back(0.5 + 0.4 * u(rng));
        // Comparable to the squared scales (0.12^2): the filter changes every Gaussian visibly.
        s.filter.push_back(0.006 + 0.004 * u(rng));
    }
    return s;
}

template <class T>
Scene<T> cast_scene(const Scene<double>& s) {
    Scene<T> o;
    o.n = s.n;
    o.sh_stride = s.sh_stride;
    auto c = [](const std::vector<double>& v) { return std::vector<T>(v.begin(), v.end()); };
    o.means = c(s.means);
    o.log_scales = c(s.log_scales);
    o.rotations = c(s.rotations);
    o.opacities = c(s.opacities);
    o.sh = c(s.sh);
    o.covariances = c(s.covariances);
    o.colors = c(s.colors);
    o.filter = c(s.filter);
    return o;
}

constexpr int kW = 40, kH = 28; // 3 x 2 tiles, the last column and row partial

template <class T>
struct Frame {
    std::vector<T> rgb = std::vector<T>(size_t(kW) * kH * 3);
    std::vector<T> alpha = std::vector<T>(size_t(kW) * kH);
    std::vector<T> depth = std::vector<T>(size_t(kW) * kH);
};

template <class T>
Frame<T> render(const cpu::RasterInputs<T>& in, const kern::RasterCamera<T>& cam, const kern::RasterSettings& s,
                cpu::RasterWorkspace<T>& ws) {
    Frame<T> f;
    const T bg[3] = {T(0.2), T(0.5), T(0.9)};
    cpu::RasterImages<T> out{f.rgb.data(), f.alpha.data(), f.depth.data()};
    cpu::rasterize_forward(in, cam, s, bg, ws, out);
    return f;
}

struct Weights {
    std::vector<double> rgb, alpha, depth;
};

Weights random_weights(uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    Weights w;
    for (int i = 0; i < kW * kH * 3; ++i) w.rgb.push_back(u(rng));
    for (int i = 0; i < kW * kH; ++i) w.alpha.push_back(u(rng));
    for (int i = 0; i < kW * kH; ++i) w.depth.push_back(0.1 * u(rng));
    return w;
}

double weighted(const Frame<double>& f, const Weights& w) {
    double s = 0;
    for (size_t i = 0; i < f.rgb.size(); ++i) s += f.rgb[i] * w.rgb[i];
    for (size_t i = 0; i < f.alpha.size(); ++i) s += f.alpha[i] * w.alpha[i] + f.depth[i] * w.depth[i];
    return s;
}

// Packs the differentiable inputs into one vector (and back) for numeric_gradient.
struct Packing {
    bool precomputed;
    int degree;
    std::vector<double> pack(const Scene<double>& s) const {
        std::vector<double> x = s.means;
        if (precomputed) {
            x.insert(x.end(), s.covariances.begin(), s.covariances.end());
            x.insert(x.end(), s.colors.begin(), s.colors.end());
        } else {
            x.insert(x.end(), s.log_scales.begin(), s.log_scales.end());
            x.insert(x.end(), s.rotations.begin(), s.rotations.end());
            x.insert(x.end(), s.sh.begin(), s.sh.end());
        }
        x.insert(x.end(), s.opacities.begin(), s.opacities.end());
        return x;
    }
    void unpack(const std::vector<double>& x, Scene<double>& s) const {
        size_t o = 0;
        auto take = [&](std::vector<double>& v) {
            std::copy(x.begin() + o, x.begin() + o + v.size(), v.begin());
            o += v.size();
        };
        take(s.means);
        if (precomputed) {
            take(s.covariances);
            take(s.colors);
        } else {
            take(s.log_scales);
            take(s.rotations);
            take(s.sh);
        }
        take(s.opacities);
    }
};

void check_rasterizer_gradients(bool precomputed, bool antialiased, int degree, uint32_t seed, bool filtered = false) {
    Scene<double> scene = random_scene(12, seed);
    const auto cam = look_at_camera<double>({0.4, -0.3, -4.0}, {0, 0, 0}, kW, kH, 30.0);
    kern::RasterSettings s;
    s.antialiased = antialiased;
    const Weights w = random_weights(seed + 100);
    const Packing pk{precomputed, degree};
    cpu::RasterWorkspace<double> ws;

    // Analytic.
    const auto in = scene.inputs(degree, precomputed, filtered);
    const Frame<double> f = render(in, cam, s, ws);
    ASSERT_GT(ws.visible_count(), 8);
    ASSERT_GT(ws.entries(), size_t(12));
    Scene<double> grad = scene;
    std::vector<float> norms(scene.n);
    cpu::RasterGrads<double> g;
    g.means = grad.means.data();
    g.opacities = grad.opacities.data();
    if (precomputed) {
        g.covariances = grad.covariances.data();
        g.colors = grad.colors.data();
    } else {
        g.log_scales = grad.log_scales.data();
        g.rotations = grad.rotations.data();
        g.sh = grad.sh.data();
    }
    g.view_grad_norm = norms.data();
    cpu::rasterize_backward(in, cam, s, ws, w.rgb.data(), w.alpha.data(), w.depth.data(), g);
    const std::vector<double> analytic = pk.pack(grad);

    auto loss = [&](const std::vector<double>& x) {
        Scene<double> t = scene;
        pk.unpack(x, t);
        cpu::RasterWorkspace<double> tws;
        return weighted(render(t.inputs(degree, precomputed, filtered), cam, s, tws), w);
    };
    // Hundreds of tiny renders: threads would only add synchronisation.
    const int threads = cpu::cpu_threads();
    cpu::set_cpu_threads(1);
    const auto numeric = numeric_gradient(loss, pk.pack(scene), 1e-6);
    cpu::set_cpu_threads(threads);
    double scale = 0;
    for (double v : numeric) scale = std::max(scale, std::abs(v));
    // The image is a sum of many pixels; relative 1e-5 with a floor of 1e-7 of the largest
    // gradient allows the O(eps/h) rounding of sums over ~1000 pixels.
    expect_gradients_near(analytic, numeric, 1e-5, 1e-7 * scale,
                          std::string("rasterizer") + (precomputed ? " (precomputed)" : "") +
                              (antialiased ? " (antialiased)" : "") + (filtered ? " (3D filter)" : "") + " degree " +
                              std::to_string(degree));
    // SH coefficients beyond the active degree receive nothing.
    if (!precomputed) {
        for (int i = 0; i < scene.n; ++i)
            for (int k = (degree + 1) * (degree + 1); k < 16; ++k)
                for (int c = 0; c < 3; ++c) EXPECT_EQ(grad.sh[(i * 16 + k) * 3 + c], 0.0);
    }
}

TEST(RasterizerCpu, GradientsMatchFiniteDifferences) {
    check_rasterizer_gradients(false, false, 3, 11);
    check_rasterizer_gradients(false, false, 1, 12);
}

TEST(RasterizerCpu, GradientsMatchFiniteDifferencesAntialiased) {
    check_rasterizer_gradients(false, true, 2, 13);
}

TEST(RasterizerCpu, GradientsMatchFiniteDifferencesPrecomputed) {
    check_rasterizer_gradients(true, false, 0, 14);
}

// Mip-Splatting's 3D smoothing filter (docs/rasterizer.md, step 2): through the log-scales and,
// for a given covariance, through Sigma + v I and its opacity factor.
TEST(RasterizerCpu, GradientsMatchFiniteDifferences3dFilter) {
    check_rasterizer_gradients(false, true, 1, 15, true);
    check_rasterizer_gradients(true, false, 0, 16, true);
}

// The filter is exactly a change of scales and opacity: baking s' and logit(sigmoid(o) * coef3d)
// into the Gaussians renders the same image without it (what every export does).
TEST(RasterizerCpu, Baked3dFilterRendersTheSame) {
    const Scene<double> scene = random_scene(30, 17);
    Scene<double> baked = scene;
    for (int i = 0; i < scene.n; ++i) {
        double ls[3];
        const double coef = kern::filter_3d_log_scales(&scene.log_scales[3 * i], scene.filter[i], ls);
        for (int k = 0; k < 3; ++k) baked.log_scales[3 * i + k] = ls[k];
        const double o = coef / (1.0 + std::exp(-scene.opacities[i]));
        baked.opacities[i] = std::log(o / (1.0 - o));
    }
    const auto cam = look_at_camera<double>({0.4, -0.3, -4.0}, {0, 0, 0}, kW, kH, 30.0);
    kern::RasterSettings s;
    cpu::RasterWorkspace<double> ws1, ws2, ws3;
    const auto filtered = render(scene.inputs(2, false, true), cam, s, ws1);
    const auto plain = render(baked.inputs(2, false, false), cam, s, ws2);
    const auto unfiltered = render(scene.inputs(2, false, false), cam, s, ws3);
    double max_diff = 0, filter_effect = 0;
    for (size_t i = 0; i < filtered.rgb.size(); ++i) {
        max_diff = std::max(max_diff, std::abs(filtered.rgb[i] - plain.rgb[i]));
        filter_effect = std::max(filter_effect, std::abs(filtered.rgb[i] - unfiltered.rgb[i]));
    }
    EXPECT_LT(max_diff, 1e-12);
    EXPECT_GT(filter_effect, 0.02); // the filter does change the image
}

TEST(RasterizerCpu, FloatMatchesDouble) {
    const Scene<double> sd = random_scene(40, 21);
    const Scene<float> sf = cast_scene<float>(sd);
    const auto camd = look_at_camera<double>({0.4, -0.3, -4.0}, {0, 0, 0}, kW, kH, 30.0);
    const auto camf = look_at_camera<float>({0.4f, -0.3f, -4.0f}, {0, 0, 0}, kW, kH, 30.0f);
    kern::RasterSettings s;
    cpu::RasterWorkspace<double> wsd;
    cpu::RasterWorkspace<float> wsf;
    const auto fd = render(sd.inputs(3, false), camd, s, wsd);
    const auto ff = render(sf.inputs(3, false), camf, s, wsf);
    double max_diff = 0;
    for (size_t i = 0; i < fd.rgb.size(); ++i) max_diff = std::max(max_diff, std::abs(fd.rgb[i] - double(ff.rgb[i])));
    EXPECT_LT(max_diff, 1e-4);
}

TEST(RasterizerCpu, ThreadCountDoesNotChangeResults) {
    const Scene<float> sc = cast_scene<float>(random_scene(200, 31));
    const auto cam = look_at_camera<float>({0.4f, -0.3f, -4.0f}, {0, 0, 0}, kW, kH, 30.0f);
    kern::RasterSettings s;
    std::vector<float> d_rgb(size_t(kW) * kH * 3);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1, 1);
    for (auto& v : d_rgb) v = u(rng);
    auto run = [&](int threads) {
        const int before = cpu::cpu_threads();
        cpu::set_cpu_threads(threads);
        cpu::RasterWorkspace<float> ws;
        const auto in = sc.inputs(3, false);
        Frame<float> f = render(in, cam, s, ws);
        std::vector<float> gm(sc.means.size()), gs(sc.sh.size()), go(sc.n), gl(sc.log_scales.size()),
            gr(sc.rotations.size());
        cpu::RasterGrads<float> g;
        g.means = gm.data();
        g.sh = gs.data();
        g.opacities = go.data();
        g.log_scales = gl.data();
        g.rotations = gr.data();
        cpu::rasterize_backward<float>(in, cam, s, ws, d_rgb.data(), nullptr, nullptr, g);
        cpu::set_cpu_threads(before);
        std::vector<float> all = f.rgb;
        for (auto* v : {&gm, &gs, &go, &gl, &gr}) all.insert(all.end(), v->begin(), v->end());
        return all;
    };
    const auto one = run(1), two = run(2), three = run(3);
    ASSERT_EQ(one.size(), two.size());
    EXPECT_EQ(0, std::memcmp(one.data(), two.data(), one.size() * sizeof(float)));
    EXPECT_EQ(0, std::memcmp(one.data(), three.data(), one.size() * sizeof(float)));
}

TEST(RasterizerCpu, SingleGaussianClosedForm) {
    // An isotropic Gaussian straight ahead: at the pixel under its centre, the colour is
    // alpha * rgb + (1 - alpha) * background with alpha = sigmoid(o) * exp(-0.5 d^T conic d).
    Scene<double> sc;
    sc.n = 1;
    sc.sh_stride = 1;
    sc.means = {0.0, 0.0, 0.0};
    sc.log_scales = {std::log(0.05), std::log(0.05), std::log(0.05)};
    sc.rotations = {1, 0, 0, 0};
    sc.opacities = {0.0}; // sigmoid = 0.5
    sc.sh = {0.4, -0.2, 0.1};
    const auto cam = look_at_camera<double>({0, 0, -4.0}, {0, 0, 0}, kW, kH, 40.0);
    kern::RasterSettings s;
    cpu::RasterWorkspace<double> ws;
    const auto f = render(sc.inputs(0, false), cam, s, ws);
    // Projected variance: (focal * 0.05 / 4)^2 plus the dilation, centre at (20, 14).
    const double var = std::pow(40.0 * 0.05 / 4.0, 2) + double(s.eps2d);
    const double bg[3] = {0.2, 0.5, 0.9};
    for (int y = 12; y < 16; ++y)
        for (int x = 18; x < 22; ++x) {
            const double dx = 20.0 - (x + 0.5), dy = 14.0 - (y + 0.5);
            const double alpha = 0.5 * std::exp(-0.5 * (dx * dx + dy * dy) / var);
            for (int c = 0; c < 3; ++c) {
                const double rgb = 0.5 + kern::kShC0d * sc.sh[c];
                EXPECT_NEAR(f.rgb[(y * kW + x) * 3 + c], alpha * rgb + (1 - alpha) * bg[c], 1e-12);
            }
            EXPECT_NEAR(f.alpha[y * kW + x], alpha, 1e-12);
            EXPECT_NEAR(f.depth[y * kW + x], alpha * 4.0, 1e-12);
        }
}

TEST(RasterizerCpu, EarlyTerminationAndCulling) {
    // Twenty wide Gaussians of opacity 0.95 stacked in depth in front of the pixel at (20, 14):
    // transmittance goes 1, 0.05, 0.0025, 1.3e-4 and the fourth would take it below 1e-4, so three
    // are composited and the walk stops. One Gaussian behind the camera is culled.
    Scene<double> sc;
    sc.sh_stride = 1;
    const double opacity = 0.95;
    for (int i = 0; i < 20; ++i) {
        sc.means.insert(sc.means.end(), {0.0, 0.0, 0.1 * i});
        sc.log_scales.insert(sc.log_scales.end(), {std::log(2.0), std::log(2.0), std::log(0.01)});
        sc.rotations.insert(sc.rotations.end(), {1, 0, 0, 0});
        sc.opacities.push_back(std::log(opacity / (1 - opacity)));
        sc.sh.insert(sc.sh.end(), {double(i) / 20.0, 0.0, 0.0});
    }
    sc.means.insert(sc.means.end(), {0.0, 0.0, -10.0});
    sc.log_scales.insert(sc.log_scales.end(), {0.0, 0.0, 0.0});
    sc.rotations.insert(sc.rotations.end(), {1, 0, 0, 0});
    sc.opacities.push_back(5.0);
    sc.sh.insert(sc.sh.end(), {1.0, 1.0, 1.0});
    sc.n = 21;
    const auto cam = look_at_camera<double>({0, 0, -4.0}, {0, 0, 0}, kW, kH, 40.0);
    kern::RasterSettings s;
    cpu::RasterWorkspace<double> ws;
    const auto f = render(sc.inputs(0, false), cam, s, ws);
    EXPECT_EQ(ws.visible_count(), 20);
    // The specification's per-pixel loop, written out for this pixel (offset (-0.5, -0.5) from
    // every centre; isotropic projected variance (focal * 2 / z)^2 + eps2d).
    const size_t pix = 14 * kW + 20;
    double T = 1, C = 0;
    uint32_t visited = 0;
    for (int i = 0; i < 20; ++i) {
        const double z = 4.0 + 0.1 * i, var = std::pow(40.0 * 2.0 / z, 2) + double(s.eps2d);
        const double alpha = std::min(0.99, opacity * std::exp(-0.5 * 0.5 / var));
        if (T * (1 - alpha) < 1e-4) break;
        C += (0.5 + kern::kShC0d * i / 20.0) * alpha * T;
        T *= 1 - alpha;
        visited = uint32_t(i + 1);
    }
    EXPECT_EQ(visited, 3u);
    EXPECT_EQ(ws.n_contrib[pix], visited);
    EXPECT_NEAR(ws.final_T[pix], T, 1e-12);
    EXPECT_NEAR(f.rgb[pix * 3], C + T * 0.2, 1e-12);
}

} // namespace
} // namespace splatscape::test
