// The CUDA backend against the CPU backend (label gpu), one test suite per op family
// (CudaRasterOps, CudaImageLossOps, CudaOptimizerOps, CudaDensifyOps, CudaSlice4dOps): every op on
// random inputs, forward and backward, densification decisions; and training on the built-in scene. Skipped when the machine
// has no CUDA device. Tolerances: the device build uses --use_fast_math (exp, division and square
// root approximate to a few ulp) and FMA contraction, so values agree to float rounding, not bit for
// bit. Where a pixel's alpha sits on a threshold of the compositing loop (1/255, the 1e-4
// transmittance cut-off) the two may take different branches, so images are compared by PSNR and by
// the fraction of pixels within 1e-4, and gradients by the relative error of each tensor's norm.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/file_util.hpp"
#include "core/io/ply.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/fd_util.hpp"
#include "tests/training/train_fixtures.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/device_cuda.hpp"
#include "training/densification.hpp"
#include "training/ops/image_loss_ops.hpp"
#include "training/ops/optimizer_ops.hpp"
#include "training/ops/slice4d_ops.hpp"
#include "training/kernels/slice4d.hpp"
#include "training/models/gs3d.hpp"

namespace splatscape::test {
namespace {

bool have_gpu() {
    return !cuda::list_devices().empty();
}

#define SKIP_WITHOUT_GPU()                                                                                             \
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device on this machine; skipping"

std::vector<float> to_host(Backend& b, const Tensor& t) {
    std::vector<float> v(t.numel());
    b.download(t, v.data());
    return v;
}

std::vector<int32_t> to_host_i32(Backend& b, const Tensor& t) {
    std::vector<int32_t> v(t.numel());
    b.download(t, v.data());
    return v;
}

Tensor make(Backend& b, const std::vector<float>& v, size_t rows, int cols) {
    Tensor t = b.zeros(rows, cols);
    b.upload(t, v.data());
    return t;
}

Tensor make_i32(Backend& b, const std::vector<int32_t>& v) {
    Tensor t = b.zeros(v.size(), 1, DType::I32);
    b.upload(t, v.data());
    return t;
}

// ||a - b|| / max(||a||, tiny): the relative error of a whole tensor.
double relative_error(const std::vector<float>& a, const std::vector<float>& b) {
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < a.size(); ++i) {
        num += (double(a[i]) - b[i]) * (double(a[i]) - b[i]);
        den += double(a[i]) * a[i];
    }
    return std::sqrt(num) / std::max(std::sqrt(den), 1e-30);
}

void expect_close(const std::vector<float>& cpu, const std::vector<float>& gpu, double rtol, double atol,
                  const char* what) {
    ASSERT_EQ(cpu.size(), gpu.size()) << what;
    int failures = 0;
    for (size_t i = 0; i < cpu.size(); ++i) {
        const double tol = atol + rtol * std::abs(double(cpu[i]));
        if (!(std::abs(double(cpu[i]) - gpu[i]) <= tol) && failures++ < 10)
            ADD_FAILURE() << what << "[" << i << "]: cpu " << cpu[i] << " gpu " << gpu[i];
    }
}

// Images: PSNR above `min_psnr` (signal peak 1) and at least 99.5 % of values within 1e-4.
void expect_images_match(const std::vector<float>& cpu, const std::vector<float>& gpu, double min_psnr,
                         const char* what) {
    ASSERT_EQ(cpu.size(), gpu.size()) << what;
    double se = 0.0;
    size_t close = 0;
    for (size_t i = 0; i < cpu.size(); ++i) {
        const double d = double(cpu[i]) - gpu[i];
        se += d * d;
        close += std::abs(d) <= 1e-4;
    }
    const double mse = se / double(cpu.size());
    const double psnr = mse > 0 ? 10.0 * std::log10(1.0 / mse) : 200.0;
    std::printf("%s: PSNR %.1f dB, %.3f %% within 1e-4\n", what, psnr, 100.0 * double(close) / double(cpu.size()));
    EXPECT_GT(psnr, min_psnr) << what;
    EXPECT_GE(double(close), 0.995 * double(cpu.size())) << what;
}

// A random scene in front of a camera at the origin looking along +z: the Gaussians overlap
// heavily, some are clipped by the image border, some lie behind the camera.
struct RandomScene {
    size_t n = 0;
    int sh_stride = 16;
    std::vector<float> means, log_scales, rotations, opacities, sh, covariances, colors;
    std::vector<float> filter; // 3D smoothing filter variances
};

RandomScene random_scene(size_t n, uint32_t seed) {
    RandomScene s;
    s.n = n;
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::normal_distribution<float> g(0.0f, 1.0f);
    for (size_t i = 0; i < n; ++i) {
        s.means.insert(s.means.end(), {2.2f * u(rng), 1.6f * u(rng), 3.0f + 2.5f * u(rng)});
        for (int a = 0; a < 3; ++a) s.log_scales.push_back(-3.2f + 0.6f * g(rng));
        for (int a = 0; a < 4; ++a) s.rotations.push_back(g(rng) + (a == 0 ? 0.5f : 0.0f));
        s.opacities.push_back(1.5f * g(rng));
        for (int k = 0; k < 16; ++k)
            for (int c = 0; c < 3; ++c) s.sh.push_back(k == 0 ? 0.8f * u(rng) : 0.15f * g(rng));
        // A covariance from random factors (a 4D model's slice gives such): L L^T + small diagonal.
        float L[3][3];
        for (auto& row : L)
            for (float& x : row) x = 0.04f * g(rng);
        auto e = [&](int r, int c) {
            return L[r][0] * L[c][0] + L[r][1] * L[c][1] + L[r][2] * L[c][2] + (r == c ? 4e-4f : 0.0f);
        };
        s.covariances.insert(s.covariances.end(), {e(0, 0), e(0, 1), e(0, 2), e(1, 1), e(1, 2), e(2, 2)});
        for (int c = 0; c < 3; ++c) s.colors.push_back(0.5f + 0.5f * u(rng));
        // About the squared scales (exp(-3.2)^2 = 1.7e-3), so the filter changes every Gaussian.
        s.filter.push_back(1e-3f * (1.0f + 0.5f * u(rng)));
    }
    return s;
}

kern::RasterCamera<float> scene_camera(int width, int height) {
    return look_at_camera<float>({0.1f, -0.05f, -0.4f}, {0.0f, 0.0f, 3.0f}, width, height, 0.9f * float(width));
}

// The scene's tensors on one backend, and everything one forward and backward produce there.
struct FrameRun {
    Tensor means, log_scales, rotations, opacities, sh, covariances, colors, filter;
    Tensor rgb, alpha, depth;
    Tensor g_means, g_log_scales, g_rotations, g_opacities, g_sh, g_covariances, g_colors, g_norm;
    Tensor radii;
    std::unique_ptr<RasterContext> ctx;
    size_t entries = 0, visible = 0;
};

struct Options {
    bool covariance_input = false;
    bool color_input = false;
    int sh_degree = 3;
    bool antialiased = false;
    float eps2d = 0.3f;
    bool filter_3d = false;
    bool with_alpha_depth = true;
};

FrameRun run_frame(Backend& b, const RandomScene& s, const FrameSpec& frame, const Options& o,
                   const std::vector<float>& d_rgb, const std::vector<float>& d_alpha,
                   const std::vector<float>& d_depth) {
    FrameRun r;
    const size_t n = s.n;
    r.means = make(b, s.means, n, 3);
    r.log_scales = make(b, s.log_scales, n, 3);
    r.rotations = make(b, s.rotations, n, 4);
    r.opacities = make(b, s.opacities, n, 1);
    r.sh = make(b, s.sh, n, 48);
    r.covariances = make(b, s.covariances, n, 6);
    r.colors = make(b, s.colors, n, 3);
    r.filter = make(b, s.filter, n, 1);
    RasterTensors in;
    in.means = &r.means;
    in.opacities = &r.opacities;
    if (o.filter_3d) in.filter_3d = &r.filter;
    if (o.covariance_input)
        in.covariances = &r.covariances;
    else {
        in.log_scales = &r.log_scales;
        in.rotations = &r.rotations;
    }
    if (o.color_input)
        in.colors = &r.colors;
    else {
        in.sh = &r.sh;
        in.sh_degree = o.sh_degree;
    }
    const size_t pixels = size_t(frame.camera.width) * frame.camera.height;
    r.rgb = b.zeros(pixels, 3);
    r.alpha = b.zeros(pixels, 1);
    r.depth = b.zeros(pixels, 1);
    RenderTensors out{&r.rgb, o.with_alpha_depth ? &r.alpha : nullptr, o.with_alpha_depth ? &r.depth : nullptr};
    r.ctx = b.ops<RasterOps>().create_context();
    b.ops<RasterOps>().forward(in, frame, *r.ctx, out);
    r.entries = r.ctx->entries();
    r.visible = r.ctx->visible();
    r.radii = b.zeros(n, 1);
    b.ops<RasterOps>().radii(*r.ctx, r.radii);

    Tensor dr = make(b, d_rgb, pixels, 3), da = make(b, d_alpha, pixels, 1), dd = make(b, d_depth, pixels, 1);
    RenderTensors d_out{&dr, o.with_alpha_depth ? &da : nullptr, o.with_alpha_depth ? &dd : nullptr};
    r.g_means = b.zeros(n, 3);
    r.g_log_scales = b.zeros(n, 3);
    r.g_rotations = b.zeros(n, 4);
    r.g_opacities = b.zeros(n, 1);
    r.g_sh = b.zeros(n, 48);
    r.g_covariances = b.zeros(n, 6);
    r.g_colors = b.zeros(n, 3);
    r.g_norm = b.zeros(n, 1);
    RasterGradTensors g;
    g.means = &r.g_means;
    g.opacities = &r.g_opacities;
    g.view_grad_norm = &r.g_norm;
    if (o.covariance_input)
        g.covariances = &r.g_covariances;
    else {
        g.log_scales = &r.g_log_scales;
        g.rotations = &r.g_rotations;
    }
    if (o.color_input)
        g.colors = &r.g_colors;
    else
        g.sh = &r.g_sh;
    b.ops<RasterOps>().backward(in, frame, *r.ctx, d_out, g);
    return r;
}

void compare_rasterizer(const Options& o, int width, int height, size_t n, uint32_t seed) {
    const RandomScene s = random_scene(n, seed);
    FrameSpec frame;
    frame.camera = scene_camera(width, height);
    frame.settings.antialiased = o.antialiased ? 1 : 0;
    frame.settings.eps2d = o.eps2d;
    frame.background[0] = 0.2f;
    frame.background[1] = 0.4f;
    frame.background[2] = 0.9f;
    const size_t pixels = size_t(width) * height;
    std::mt19937 rng(seed + 1);
    std::normal_distribution<float> g(0.0f, 1e-3f);
    std::vector<float> d_rgb(pixels * 3), d_alpha(pixels), d_depth(pixels);
    for (float& v : d_rgb) v = g(rng);
    for (float& v : d_alpha) v = g(rng);
    for (float& v : d_depth) v = 0.1f * g(rng);

    CpuBackend cpu(0);
    CudaBackend gpu(0);
    FrameRun a = run_frame(cpu, s, frame, o, d_rgb, d_alpha, d_depth);
    FrameRun b = run_frame(gpu, s, frame, o, d_rgb, d_alpha, d_depth);

    // Projection: radii equal up to a pixel, visibility and entry counts nearly equal.
    const auto ra = to_host(cpu, a.radii), rb = to_host(gpu, b.radii);
    size_t radius_mismatch = 0;
    for (size_t i = 0; i < n; ++i) radius_mismatch += std::abs(ra[i] - rb[i]) > 1.0f || ((ra[i] > 0) != (rb[i] > 0));
    EXPECT_LE(radius_mismatch, n / 1000) << "radii";
    EXPECT_NEAR(double(a.visible), double(b.visible), 1.0 + 0.001 * double(a.visible));
    EXPECT_NEAR(double(a.entries), double(b.entries), 1.0 + 0.002 * double(a.entries));
    EXPECT_GT(a.visible, n / 4);

    expect_images_match(to_host(cpu, a.rgb), to_host(gpu, b.rgb), 60.0, "rgb");
    if (o.with_alpha_depth) {
        expect_images_match(to_host(cpu, a.alpha), to_host(gpu, b.alpha), 60.0, "alpha");
        expect_images_match(to_host(cpu, a.depth), to_host(gpu, b.depth), 40.0, "depth");
    }

    // Gradients: each tensor's relative error.
    auto check = [&](const Tensor& x, const Tensor& y, double tol, const char* what) {
        const auto hx = to_host(cpu, x), hy = to_host(gpu, y);
        const double e = relative_error(hx, hy);
        std::printf("%s: relative error %.2e\n", what, e);
        EXPECT_LT(e, tol) << what;
    };
    const double tol = 5e-3;
    check(a.g_means, b.g_means, tol, "d means");
    check(a.g_opacities, b.g_opacities, tol, "d opacities");
    check(a.g_norm, b.g_norm, tol, "view gradient norm");
    if (o.covariance_input)
        check(a.g_covariances, b.g_covariances, tol, "d covariances");
    else {
        check(a.g_log_scales, b.g_log_scales, tol, "d log_scales");
        check(a.g_rotations, b.g_rotations, tol, "d rotations");
    }
    if (o.color_input)
        check(a.g_colors, b.g_colors, tol, "d colors");
    else {
        check(a.g_sh, b.g_sh, tol, "d sh");
        // Coefficients beyond the active degree receive exactly zero.
        const auto hs = to_host(gpu, b.g_sh);
        const int active = (o.sh_degree + 1) * (o.sh_degree + 1) * 3;
        for (size_t i = 0; i < n; ++i)
            for (int k = active; k < 48; ++k)
                ASSERT_EQ(hs[i * 48 + k], 0.0f) << "Gaussian " << i << " coefficient " << k;
    }
}

TEST(CudaRasterOps, MatchesTheCpuWithSh3) {
    SKIP_WITHOUT_GPU();
    compare_rasterizer(Options{}, 211, 157, 6000, 1);
}

TEST(CudaRasterOps, MatchesTheCpuWithLowShWithoutAlphaDepth) {
    SKIP_WITHOUT_GPU();
    Options o;
    o.sh_degree = 1;
    o.with_alpha_depth = false;
    compare_rasterizer(o, 160, 96, 3000, 2);
}

TEST(CudaRasterOps, MatchesTheCpuAntialiasedWithCovariancesAndColours) {
    SKIP_WITHOUT_GPU();
    Options o;
    o.covariance_input = true;
    o.color_input = true;
    o.antialiased = true;
    compare_rasterizer(o, 130, 170, 4000, 3);
}

// Mip-Splatting's filters (docs/rasterizer.md, steps 2 and 4): the 3D filter through the log-scales
// and through given covariances, with the 2D Mip filter.
TEST(CudaRasterOps, MatchesTheCpuWithTheMipSplattingFilters) {
    SKIP_WITHOUT_GPU();
    Options o;
    o.antialiased = true;
    o.eps2d = 0.1f;
    o.filter_3d = true;
    compare_rasterizer(o, 180, 120, 5000, 4);
    o.covariance_input = true;
    o.sh_degree = 2;
    compare_rasterizer(o, 150, 150, 4000, 5);
}

TEST(CudaRasterOps, EmptyAndCulledScenesRenderTheBackground) {
    SKIP_WITHOUT_GPU();
    CudaBackend gpu(0);
    RandomScene s = random_scene(64, 4);
    for (size_t i = 0; i < s.n; ++i) s.means[3 * i + 2] = -5.0f; // all behind the camera
    FrameSpec frame;
    frame.camera = scene_camera(40, 24);
    frame.background[1] = 0.5f;
    std::vector<float> d_rgb(40 * 24 * 3, 1.0f), d1(40 * 24, 0.0f);
    FrameRun r = run_frame(gpu, s, frame, Options{}, d_rgb, d1, d1);
    EXPECT_EQ(r.entries, 0u);
    EXPECT_EQ(r.visible, 0u);
    const auto rgb = to_host(gpu, r.rgb);
    for (size_t p = 0; p < 40 * 24; ++p) {
        ASSERT_EQ(rgb[3 * p], 0.0f);
        ASSERT_EQ(rgb[3 * p + 1], 0.5f);
    }
    for (float v : to_host(gpu, r.g_means)) ASSERT_EQ(v, 0.0f);
}

TEST(CudaImageLossOps, MatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    const int w = 97, h = 61;
    const size_t count = size_t(w) * h * 3;
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> x(count), y(count);
    for (size_t i = 0; i < count; ++i) {
        y[i] = u(rng);
        x[i] = std::clamp(y[i] + 0.2f * (u(rng) - 0.5f), 0.0f, 1.0f);
    }
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    for (float weight : {0.2f, 0.0f, 1.0f}) {
        Tensor xa = make(cpu, x, count / 3, 3), ya = make(cpu, y, count / 3, 3), da = cpu.zeros(count / 3, 3);
        Tensor xb = make(gpu, x, count / 3, 3), yb = make(gpu, y, count / 3, 3), db = gpu.zeros(count / 3, 3);
        const LossValue la = cpu.ops<ImageLossOps>().image_loss(xa, ya, w, h, weight, &da);
        const LossValue lb = gpu.ops<ImageLossOps>().image_loss(xb, yb, w, h, weight, &db);
        EXPECT_NEAR(la.loss, lb.loss, 1e-6 * std::abs(la.loss) + 1e-7) << weight;
        EXPECT_NEAR(la.l1, lb.l1, 1e-6 * la.l1 + 1e-7) << weight;
        EXPECT_NEAR(la.ssim, lb.ssim, 1e-5) << weight;
        const auto ga = to_host(cpu, da), gb = to_host(gpu, db);
        EXPECT_LT(relative_error(ga, gb), 1e-4) << weight;
        // The loss without a gradient is the same value.
        const LossValue lc = gpu.ops<ImageLossOps>().image_loss(xb, yb, w, h, weight, nullptr);
        EXPECT_EQ(lb.loss, lc.loss);
    }
}

TEST(CudaOptimizerOps, AdamComposeFillAndRowsMatchTheCpu) {
    SKIP_WITHOUT_GPU();
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    std::mt19937 rng(6);
    std::normal_distribution<float> g(0.0f, 1.0f);
    const size_t rows = 5003;
    const int cols = 48;
    std::vector<float> p(rows * cols), gr(rows * cols), m(rows * cols), v(rows * cols);
    for (size_t i = 0; i < p.size(); ++i) {
        p[i] = g(rng);
        gr[i] = 0.01f * g(rng);
        m[i] = 0.001f * g(rng);
        v[i] = 1e-5f * std::abs(g(rng));
    }
    const kern::AdamStep a = kern::adam_step_for(2.5e-3f, 7), b = kern::adam_step_for(1.25e-4f, 7);
    std::vector<float> out[2][3];
    Backend* backends[2] = {&cpu, &gpu};
    for (int k = 0; k < 2; ++k) {
        Backend& be = *backends[k];
        Tensor tp = make(be, p, rows, cols), tg = make(be, gr, rows, cols), tm = make(be, m, rows, cols),
               tv = make(be, v, rows, cols);
        be.ops<OptimizerOps>().adam_step(tp, tg, tm, tv, a, 3, b);
        out[k][0] = to_host(be, tp);
        out[k][1] = to_host(be, tm);
        out[k][2] = to_host(be, tv);
    }
    // m = 0.9 m + 0.1 g cancels: the device's fused multiply-adds differ from the host's by a few
    // ulps of the terms, not of the result.
    expect_close(out[0][0], out[1][0], 1e-6, 1e-7, "adam param");
    expect_close(out[0][1], out[1][1], 1e-5, 1e-10, "adam m");
    expect_close(out[0][2], out[1][2], 1e-5, 1e-14, "adam v");

    // compose_over, fill, clone, gather, concat, clamp.
    std::vector<float> rgba(977 * 4);
    for (float& x : rgba) x = std::abs(g(rng)) * 0.3f;
    const float bg[3] = {0.1f, 0.7f, 0.3f};
    std::vector<float> composed[2], filled[2], gathered[2], concatenated[2], clamped[2];
    std::vector<int32_t> gathered_i[2];
    const std::vector<int32_t> idx = {5, 0, 976, 5, 13, 400};
    for (int k = 0; k < 2; ++k) {
        Backend& be = *backends[k];
        Tensor t = make(be, rgba, 977, 4), target = be.zeros(977, 3);
        be.ops<ImageLossOps>().compose_over(t, bg, target);
        composed[k] = to_host(be, target);
        Tensor f = be.zeros(100, 7);
        be.fill(f, -2.5f);
        filled[k] = to_host(be, f);
        Tensor c = be.clone(t);
        Tensor rows_t = make_i32(be, idx);
        gathered[k] = to_host(be, be.gather_rows(c, rows_t));
        Tensor pick = make_i32(be, {1, 2});
        gathered_i[k] = to_host_i32(be, be.gather_rows(rows_t, pick));
        Tensor empty = be.zeros(0, 3);
        concatenated[k] = to_host(be, be.concat_rows(target, be.concat_rows(empty, target)));
        Tensor op = make(be, p, rows, 1);
        be.ops<DensifyOps>().clamp_opacity(op, 0.01f);
        clamped[k] = to_host(be, op);
    }
    expect_close(composed[0], composed[1], 1e-6, 1e-7, "compose_over");
    EXPECT_EQ(filled[0], filled[1]);
    EXPECT_EQ(gathered[0], gathered[1]);
    EXPECT_EQ(gathered_i[0], gathered_i[1]);
    expect_close(concatenated[0], concatenated[1], 1e-6, 1e-7, "concat_rows of composed rows");
    expect_close(clamped[0], clamped[1], 0.0, 0.0, "clamp_opacity");
}

TEST(CudaDensifyOps, DecisionsMatchTheCpu) {
    SKIP_WITHOUT_GPU();
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    std::mt19937 rng(8);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const size_t n = 20011;
    std::vector<float> acc(n), den(n), ls(n * 3), op(n), radii(n), means(n * 3), rot(n * 4);
    for (size_t i = 0; i < n; ++i) {
        den[i] = std::floor(10.0f * u(rng));
        acc[i] = den[i] * 0.0004f * u(rng);
        for (int a = 0; a < 3; ++a) ls[3 * i + a] = -4.0f + 1.5f * g(rng);
        op[i] = 3.0f * g(rng);
        radii[i] = std::floor(30.0f * u(rng));
        for (int a = 0; a < 3; ++a) means[3 * i + a] = g(rng);
        for (int a = 0; a < 4; ++a) rot[4 * i + a] = g(rng);
    }
    kern::AdcThresholds t;
    t.dense_scale = 0.02f;
    t.max_screen_radius = 20.0f;
    t.max_world_scale = 0.1f;
    std::vector<int32_t> clones[2], splits[2], keeps[2];
    std::vector<float> child_means[2], child_ls[2];
    Backend* backends[2] = {&cpu, &gpu};
    for (int k = 0; k < 2; ++k) {
        Backend& be = *backends[k];
        Tensor ta = make(be, acc, n, 1), td = make(be, den, n, 1), tl = make(be, ls, n, 3);
        Tensor clone_rows, split_rows;
        const AdcCounts c = be.ops<DensifyOps>().grow(ta, td, tl, t, clone_rows, split_rows);
        clones[k] = to_host_i32(be, clone_rows);
        splits[k] = to_host_i32(be, split_rows);
        EXPECT_EQ(c.clone, clones[k].size());
        EXPECT_EQ(c.split, splits[k].size());
        Tensor keep = be.ops<DensifyOps>().keep(make(be, op, n, 1), make(be, radii, n, 1), tl, t, split_rows);
        keeps[k] = to_host_i32(be, keep);
        Tensor cm, cl;
        be.ops<DensifyOps>().split_children(make(be, means, n, 3), tl, make(be, rot, n, 4), split_rows, 1.6f, 11, 500, cm, cl);
        child_means[k] = to_host(be, cm);
        child_ls[k] = to_host(be, cl);
    }
    EXPECT_GT(clones[0].size(), 100u);
    EXPECT_GT(splits[0].size(), 100u);
    EXPECT_EQ(clones[0], clones[1]);
    EXPECT_EQ(splits[0], splits[1]);
    EXPECT_EQ(keeps[0], keeps[1]);
    EXPECT_LT(keeps[0].size(), n - splits[0].size());
    expect_close(child_means[0], child_means[1], 1e-4, 1e-5, "split child means");
    expect_close(child_ls[0], child_ls[1], 1e-6, 1e-6, "split child log-scales");
}

// Adaptive density control through the model on both backends from the same state: three frames
// of statistics, then one densification step with the gradient threshold at the median of the
// CPU's statistic (so about half the Gaussians grow). The statistics come from two rasterizers that
// agree to float rounding, so a Gaussian sitting exactly on the threshold could go either way:
// decisions must agree to within 1 %.
TEST(CudaDensifyOps, AdaptiveDensityControlMatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    const RandomScene s = random_scene(4000, 9);
    GaussianCloud cloud;
    cloud.resize(s.n, 3);
    cloud.positions = s.means;
    cloud.log_scales = s.log_scales;
    cloud.rotations = s.rotations;
    cloud.opacities = s.opacities;
    cloud.sh = s.sh;
    Gs3dConfig config;
    config.densify.densify_from = 0;
    config.densify.densify_every = 4;
    config.densify.opacity_reset_every = 0;
    config.densify.min_opacity = 0.2f; // prunes the Gaussians with a logit below -1.39, about a fifth
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    Backend* backends[2] = {&cpu, &gpu};
    std::unique_ptr<Gs3dModel> models[2];
    std::vector<float> stats[2][3];
    std::mt19937 rng(10);
    std::normal_distribution<float> noise(0.0f, 1e-3f);
    std::vector<float> d_rgb_host(128 * 96 * 3);
    for (float& v : d_rgb_host) v = noise(rng);
    for (int k = 0; k < 2; ++k) {
        Backend& be = *backends[k];
        models[k] = std::make_unique<Gs3dModel>(be, config, 1.0f);
        Gs3dModel& model = *models[k];
        model.from_cloud(cloud);
        model.set_active_sh_degree(3);
        AdaptiveDensityControl adc(be, config.densify, 3.0f, 1, false);
        adc.reset(model.size());
        auto ctx = be.ops<RasterOps>().create_context();
        for (int it = 1; it <= 3; ++it) {
            FrameSpec frame;
            frame.camera = look_at_camera<float>({0.3f * float(it), -0.1f, -0.5f}, {0.0f, 0.0f, 3.0f}, 128, 96, 110.0f);
            Tensor rgb = be.zeros(128 * 96, 3), d_rgb = make(be, d_rgb_host, 128 * 96, 3);
            RasterTensors in = model.raster_inputs({});
            RenderTensors out{&rgb, nullptr, nullptr};
            be.ops<RasterOps>().forward(in, frame, *ctx, out);
            RasterGradTensors grads = model.raster_grads();
            RenderTensors d{&d_rgb, nullptr, nullptr};
            be.ops<RasterOps>().backward(in, frame, *ctx, d, grads);
            adc.after_backward(model, *ctx, it);
        }
        auto state = adc.state();
        ASSERT_EQ(state.size(), 3u);
        for (int q = 0; q < 3; ++q) stats[k][q] = to_host(be, *state[size_t(q)].second);
    }
    std::vector<float> mean_grad;
    for (size_t i = 0; i < s.n; ++i)
        if (stats[0][1][i] > 0) mean_grad.push_back(stats[0][0][i] / stats[0][1][i]);
    ASSERT_GT(mean_grad.size(), s.n / 4);
    std::nth_element(mean_grad.begin(), mean_grad.begin() + mean_grad.size() / 2, mean_grad.end());
    config.densify.grad_threshold = mean_grad[mean_grad.size() / 2];
    EXPECT_LT(relative_error(stats[0][0], stats[1][0]), 5e-3) << "gradient statistic";
    size_t visibility_mismatch = 0;
    for (size_t i = 0; i < s.n; ++i) visibility_mismatch += stats[0][1][i] != stats[1][1][i];
    EXPECT_LE(visibility_mismatch, s.n / 500) << "visibility counts";

    DensifyReport reports[2];
    size_t sizes[2];
    for (int k = 0; k < 2; ++k) {
        Backend& be = *backends[k];
        AdaptiveDensityControl adc(be, config.densify, 3.0f, 1, false);
        adc.reset(models[k]->size());
        auto state = adc.state();
        for (int q = 0; q < 3; ++q) be.upload(*state[size_t(q)].second, stats[k][q].data());
        reports[k] = adc.update(*models[k], 4, false);
        sizes[k] = models[k]->size();
    }
    std::printf(
        "densification: cpu cloned %zu split %zu pruned %zu -> %zu; gpu cloned %zu split %zu pruned %zu -> %zu\n",
        reports[0].cloned, reports[0].split, reports[0].pruned, sizes[0], reports[1].cloned, reports[1].split,
        reports[1].pruned, sizes[1]);
    EXPECT_GT(reports[0].cloned, 10u);
    EXPECT_GT(reports[0].split, 50u);
    EXPECT_GT(reports[0].pruned, 100u);
    auto near = [](size_t a, size_t b) { return double(a > b ? a - b : b - a) <= 1.0 + 0.01 * double(std::max(a, b)); };
    EXPECT_TRUE(near(reports[0].cloned, reports[1].cloned));
    EXPECT_TRUE(near(reports[0].split, reports[1].split));
    EXPECT_TRUE(near(reports[0].pruned, reports[1].pruned));
    EXPECT_TRUE(near(sizes[0], sizes[1]));
    // The grown models render the same image.
    FrameSpec frame;
    frame.camera = scene_camera(128, 96);
    std::vector<float> images[2];
    for (int k = 0; k < 2; ++k) {
        Backend& be = *backends[k];
        Tensor rgb = be.zeros(128 * 96, 3);
        auto ctx = be.ops<RasterOps>().create_context();
        RasterTensors in = models[k]->raster_inputs({});
        RenderTensors out{&rgb, nullptr, nullptr};
        be.ops<RasterOps>().forward(in, frame, *ctx, out);
        images[k] = to_host(be, rgb);
    }
    expect_images_match(images[0], images[1], 25.0, "after densification");
}

TEST(CudaBackendTest, ProvidesEveryFamilyTheCpuBackendProvides) {
    SKIP_WITHOUT_GPU();
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    EXPECT_EQ(cpu.op_families(), gpu.op_families());
}

TEST(CudaBackendTest, MemoryRoundTripsAndReportsUse) {
    SKIP_WITHOUT_GPU();
    CudaBackend gpu(0);
    EXPECT_NE(gpu.description().find("cuda:0"), std::string::npos) << gpu.description();
    std::vector<float> v(12345);
    for (size_t i = 0; i < v.size(); ++i) v[i] = float(i) * 0.5f;
    Tensor t = make(gpu, v, 12345, 1);
    EXPECT_EQ(to_host(gpu, t), v);
    for (float x : to_host(gpu, gpu.zeros(333, 5))) ASSERT_EQ(x, 0.0f);
    EXPECT_GE(gpu.memory_use().used_high, v.size() * 4);
    // An impossible allocation fails with the size and what to change.
    try {
        gpu.zeros(size_t(1) << 40, 4);
        ADD_FAILURE() << "a 16 TiB tensor was allocated";
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("out of GPU memory"), std::string::npos) << m;
        EXPECT_NE(m.find("--downscale"), std::string::npos) << m;
    }
    // The backend still works after the failure.
    EXPECT_EQ(to_host(gpu, t), v);
}

// The headline check of the CPU suite (test_train_e2e.cpp, BuiltinScene.ReachesHeldOutPsnr) on the
// GPU, with the same scene, settings and thresholds.
TEST(CudaTraining, BuiltinSceneReachesTheCpuThreshold) {
    SKIP_WITHOUT_GPU();
    TempDir dir("train_builtin_cuda");
    SyntheticSceneOptions o;
    o.width = o.height = 100;
    o.train_views = 40;
    o.test_views = 8;
    o.samples_per_axis = 2;
    o.points = 3000;
    generate_synthetic_scene(o, dir / "scene");
    TrainSetup s;
    s.data = dir / "scene";
    s.run_dir = dir / "run";
    s.model_config = {
        {"iterations", 1000},
        {"position_lr_max_steps", 1000},
        {"sh_increase_every", 100},
        {"densify",
         {{"densify_from", 100}, {"densify_until", 666}, {"densify_every", 50}, {"opacity_reset_every", 0}}}};
    s.options.device = "cuda";
    s.options.probe_every = 0;
    s.options.checkpoint_every = 0;
    const TrainOutcome r = train_now(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.finished.evaluated);
    std::printf("built-in scene on the GPU: held-out PSNR %.2f dB, SSIM %.4f after 1000 iterations (%.2f s)\n",
                r.finished.psnr, r.finished.ssim, r.finished.train_seconds);
    EXPECT_GT(r.finished.psnr, 30.0);
    EXPECT_GT(r.finished.ssim, 0.97);
}

// No atomics anywhere: two runs give the same bytes (a resumed run against an uninterrupted one:
// ResumedRunMatchesAnUninterruptedOne below).
TEST(CudaTraining, RunsAreDeterministic) {
    SKIP_WITHOUT_GPU();
    TempDir dir("train_cuda_determinism");
    write_gaussian_dataset(dir / "data", ground_truth_gaussians(12, 5), 24, 6, 48);
    std::vector<uint8_t> bytes[2];
    for (int k = 0; k < 2; ++k) {
        TrainSetup s;
        s.data = dir / "data";
        s.run_dir = dir / cat("run", k);
        s.model_config = {
            {"iterations", 300},
            {"position_lr_max_steps", 300},
            {"sh_increase_every", 100},
            {"densify",
             {{"densify_from", 100}, {"densify_until", 200}, {"densify_every", 50}, {"opacity_reset_every", 0}}}};
        s.options.device = "cuda";
        s.options.seed = 7;
        s.options.evaluate = k == 0;
        s.options.probe_every = 0;
        const TrainOutcome r = train_now(s);
        ASSERT_TRUE(r.failure.empty()) << r.failure;
        if (k == 0) {
            std::printf("tiny scene on the GPU: held-out PSNR %.2f dB after 300 iterations\n", r.finished.psnr);
            EXPECT_GT(r.finished.psnr, 30.0);
        }
        bytes[k] = read_file_bytes(s.run_dir / "point_cloud.ply");
    }
    EXPECT_FALSE(bytes[0].empty());
    EXPECT_TRUE(bytes[0] == bytes[1]);
}

// A run stopped half-way and resumed from its checkpoint against an uninterrupted one, on the GPU
// (the CPU's is test_train_resume.cpp, with the same schedule): the same Gaussians, their values to
// float rounding (the checkpoint holds every parameter and Adam moment exactly, and nothing on the
// device is atomic, so the bytes are expected to agree too; the test prints whether they do).
TEST(CudaTraining, ResumedRunMatchesAnUninterruptedOne) {
    SKIP_WITHOUT_GPU();
    TempDir dir("train_cuda_resume");
    write_gaussian_dataset(dir / "data", ground_truth_gaussians(12, 5), 24, 6, 48);
    // Densification at 120 (before the stop), 160 and 200; SH steps every 100; a reset at 250.
    const Json config = {
        {"position_lr_max_steps", 300},
        {"sh_increase_every", 100},
        {"densify",
         {{"densify_from", 80}, {"densify_until", 201}, {"densify_every", 40}, {"opacity_reset_every", 250}}}};
    const ResumedRuns r = train_whole_and_resumed(dir / "data", dir.path(), "cuda", config, 300, 150);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    const GaussianCloud whole = read_gaussian_ply(dir / "whole" / "point_cloud.ply");
    const GaussianCloud resumed = read_gaussian_ply(dir / "resumed" / "point_cloud.ply");
    std::printf("resumed at 150 of 300 on the GPU: %zu Gaussians, %s the uninterrupted run\n", resumed.size(),
                r.whole == r.resumed ? "bytes identical to" : "bytes differ from");
    ASSERT_EQ(whole.size(), resumed.size()) << "densification decided differently after the resume";
    ASSERT_EQ(whole.sh_degree, resumed.sh_degree);
    auto compare = [](const std::vector<float>& a, const std::vector<float>& b, const char* what) {
        ASSERT_EQ(a.size(), b.size()) << what;
        int bad = 0;
        for (size_t i = 0; i < a.size(); ++i)
            if (std::abs(a[i] - b[i]) > 1e-5f * std::max(1.0f, std::abs(a[i])) && bad++ < 10)
                ADD_FAILURE() << what << "[" << i << "]: uninterrupted " << a[i] << ", resumed " << b[i];
    };
    compare(whole.positions, resumed.positions, "positions");
    compare(whole.log_scales, resumed.log_scales, "log_scales");
    compare(whole.rotations, resumed.rotations, "rotations");
    compare(whole.opacities, resumed.opacities, "opacities");
    compare(whole.sh, resumed.sh, "sh");
}

// ---- 4D Gaussians (gs4d) ------------------------------------------------------------------------

// The slice, its backward and gs4d's densification ops through the Backend interface on random 4D
// Gaussians (spatial SH degree 3, temporal degree 2): the same rows kept, grown and split, values
// to float rounding.
TEST(CudaSlice4dOps, SliceAndDensificationMatchTheCpu) {
    SKIP_WITHOUT_GPU();
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    std::mt19937 rng(21);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    const size_t n = 20011;
    const int K = 16, J = K * 3;
    std::vector<float> means(n * 4), ls(n * 4), rl(n * 4), rr(n * 4), op(n), sh(n * J * 3);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) means[4 * i + a] = g(rng);
        means[4 * i + 3] = 1.4f * u(rng) - 0.2f;
        for (int a = 0; a < 3; ++a) ls[4 * i + a] = -4.0f + 1.5f * g(rng);
        ls[4 * i + 3] = std::log(0.15f) + 0.7f * g(rng);
        for (int a = 0; a < 4; ++a) {
            rl[4 * i + a] = g(rng);
            rr[4 * i + a] = g(rng);
        }
        op[i] = 3.0f * g(rng);
    }
    for (float& c : sh) c = 0.3f * g(rng);
    // The GPU build uses fast math: keep every marginal weight that a keep decision compares with
    // min_weight (at the slice's time, and at the nearest time of [0, 1]) clear of it, so that both
    // backends keep the same rows.
    const double min_weight = Slice4dSettings{}.min_weight;
    for (size_t i = 0; i < n; ++i) {
        for (int attempt = 0; attempt < 100; ++attempt) {
            kern::Gaussian4d<double> gd;
            for (int a = 0; a < 4; ++a) {
                gd.mean[a] = means[4 * i + a];
                gd.log_scale[a] = ls[4 * i + a];
            }
            gd.rot_l = {rl[4 * i], rl[4 * i + 1], rl[4 * i + 2], rl[4 * i + 3]};
            gd.rot_r = {rr[4 * i], rr[4 * i + 1], rr[4 * i + 2], rr[4 * i + 3]};
            const double var = kern::temporal_variance(gd), t = gd.mean[3];
            auto near_threshold = [&](double at) {
                const double d = at - t;
                return std::abs(-0.5 * d * d / var - std::log(min_weight)) < 1e-3;
            };
            if (!near_threshold(0.4) && !near_threshold(std::clamp(t, 0.0, 1.0))) break;
            means[4 * i + 3] += 0.01f;
        }
    }
    Slice4dSettings settings;
    settings.time = 0.4f;
    settings.time_period = 1.2f;
    settings.sh_degree = 3;
    settings.sh_degree_t = 2;
    Gs4dDensifyThresholds th;
    th.adc.dense_scale = 0.02f;
    th.adc.max_screen_radius = 20.0f;
    th.adc.max_world_scale = 0.1f;
    th.time_grad_threshold = 0.0002f;
    th.time_min = 0.0f;
    th.time_max = 1.0f;

    struct Out {
        std::vector<int32_t> rows, clones, splits, keeps;
        std::vector<float> s_means, s_cov, s_op, s_sh, time_grad, grads[6], acc, time_acc, denom, max_radii,
            child_means, child_ls;
    } out[2];
    Backend* backends[2] = {&cpu, &gpu};
    for (int k = 0; k < 2; ++k) {
        Backend& be = *backends[k];
        Out& o = out[k];
        Tensor tm = make(be, means, n, 4), tl = make(be, ls, n, 4), tql = make(be, rl, n, 4), tqr = make(be, rr, n, 4),
               to = make(be, op, n, 1), tsh = make(be, sh, n, J * 3);
        Gaussian4dTensors in;
        in.means = &tm;
        in.log_scales = &tl;
        in.rot_l = &tql;
        in.rot_r = &tqr;
        in.opacities = &to;
        in.sh = &tsh;
        in.sh_coeffs = K;
        Slice4dTensors slice;
        be.ops<Slice4dOps>().forward(in, settings, slice);
        o.rows = to_host_i32(be, slice.rows);
        o.s_means = to_host(be, slice.means);
        o.s_cov = to_host(be, slice.covariances);
        o.s_op = to_host(be, slice.opacities);
        o.s_sh = to_host(be, slice.sh);

        // The same loss gradients on both (drawn once per row of the CPU's slice).
        const size_t m = slice.count();
        std::mt19937 rng_d(5);
        std::normal_distribution<float> gd(0.0f, 1.0f);
        auto draw = [&](size_t count) {
            std::vector<float> v(count);
            for (float& x : v) x = gd(rng_d);
            return v;
        };
        Tensor dm = make(be, draw(m * 3), m, 3), dc = make(be, draw(m * 6), m, 6), dop = make(be, draw(m), m, 1),
               dsh = make(be, draw(m * K * 3), m, K * 3), time_grad = be.zeros(m, 1);
        Slice4dGradTensors d;
        d.means = &dm;
        d.covariances = &dc;
        d.opacities = &dop;
        d.sh = &dsh;
        d.time_grad = &time_grad;
        Tensor gm = be.zeros(n, 4), gl = be.zeros(n, 4), gql = be.zeros(n, 4), gqr = be.zeros(n, 4),
               gop = be.zeros(n, 1), gsh = be.zeros(n, J * 3);
        Gaussian4dGradTensors grads{&gm, &gl, &gql, &gqr, &gop, &gsh};
        be.ops<Slice4dOps>().backward(in, settings, slice, d, 0.5f, grads);
        o.time_grad = to_host(be, time_grad);
        const Tensor* gts[6] = {&gm, &gl, &gql, &gqr, &gop, &gsh};
        for (int q = 0; q < 6; ++q) o.grads[q] = to_host(be, *gts[q]);

        // Statistics of three views of the slice, then growth, pruning and split children.
        Tensor acc = be.zeros(n, 1), tacc = be.zeros(n, 1), den = be.zeros(n, 1), maxr = be.zeros(n, 1);
        std::mt19937 rng_v(9);
        std::uniform_real_distribution<float> uv(0.0f, 1.0f);
        for (int view = 0; view < 3; ++view) {
            std::vector<float> radii(m), norm(m), tg(m);
            for (size_t j = 0; j < m; ++j) {
                radii[j] = uv(rng_v) < 0.3f ? 0.0f : std::floor(30.0f * uv(rng_v));
                norm[j] = 0.0006f * uv(rng_v);
                tg[j] = 0.0006f * uv(rng_v);
            }
            be.ops<Slice4dOps>().view_stats(slice.rows, make(be, radii, m, 1), make(be, norm, m, 1), make(be, tg, m, 1), acc, tacc,
                               den, maxr);
        }
        o.acc = to_host(be, acc);
        o.time_acc = to_host(be, tacc);
        o.denom = to_host(be, den);
        o.max_radii = to_host(be, maxr);
        Tensor clone_rows, split_rows;
        const AdcCounts c = be.ops<Slice4dOps>().grow(acc, tacc, den, tl, th, clone_rows, split_rows);
        o.clones = to_host_i32(be, clone_rows);
        o.splits = to_host_i32(be, split_rows);
        EXPECT_EQ(c.clone, o.clones.size());
        EXPECT_EQ(c.split, o.splits.size());
        o.keeps = to_host_i32(be, be.ops<Slice4dOps>().keep(in, maxr, th, split_rows));
        Tensor cm, cl;
        be.ops<Slice4dOps>().split_children(in, split_rows, 1.6f, 11, 500, cm, cl);
        o.child_means = to_host(be, cm);
        o.child_ls = to_host(be, cl);
    }
    ASSERT_GT(out[0].rows.size(), n / 10);
    ASSERT_LT(out[0].rows.size(), n);
    EXPECT_EQ(out[0].rows, out[1].rows);
    expect_close(out[0].s_means, out[1].s_means, 1e-4, 1e-5, "slice means");
    expect_close(out[0].s_cov, out[1].s_cov, 1e-3, 1e-9, "slice covariances");
    expect_close(out[0].s_op, out[1].s_op, 1e-4, 1e-4, "slice opacity logits");
    expect_close(out[0].s_sh, out[1].s_sh, 1e-4, 1e-5, "slice SH");
    expect_close(out[0].time_grad, out[1].time_grad, 1e-3, 1e-4, "|dL/dmu_t|");
    const char* names[6] = {"grad means",     "grad log-scales", "grad left quaternion", "grad right quaternion",
                            "grad opacities", "grad SH"};
    for (int q = 0; q < 6; ++q) {
        const double e = relative_error(out[0].grads[q], out[1].grads[q]);
        std::printf("%s: relative error %.2e\n", names[q], e);
        EXPECT_LT(e, 1e-4) << names[q];
    }
    EXPECT_EQ(out[0].acc, out[1].acc);
    EXPECT_EQ(out[0].time_acc, out[1].time_acc);
    EXPECT_EQ(out[0].denom, out[1].denom);
    EXPECT_EQ(out[0].max_radii, out[1].max_radii);
    EXPECT_GT(out[0].clones.size(), 50u);
    EXPECT_GT(out[0].splits.size(), 50u);
    EXPECT_EQ(out[0].clones, out[1].clones);
    EXPECT_EQ(out[0].splits, out[1].splits);
    EXPECT_EQ(out[0].keeps, out[1].keeps);
    EXPECT_LT(out[0].keeps.size(), n - out[0].splits.size());
    expect_close(out[0].child_means, out[1].child_means, 1e-4, 1e-5, "4D split child means");
    expect_close(out[0].child_ls, out[1].child_ls, 1e-6, 1e-6, "4D split child log-scales");
}

// The CPU suite's gs4d check (test_train_4d_e2e.cpp, DynamicScene.ReachesHeldOutPsnr) on the GPU:
// the same scene, schedule and threshold.
TEST(CudaTraining4d, BuiltinDynamicSceneReachesTheCpuThreshold) {
    SKIP_WITHOUT_GPU();
    TempDir dir("train_4d_cuda");
    SyntheticSceneOptions o;
    o.kind = SyntheticSceneKind::Dynamic;
    o.width = o.height = 80;
    o.train_views = 48;
    o.test_views = 8;
    o.samples_per_axis = 2;
    o.points = 3000;
    generate_synthetic_scene(o, dir / "scene");
    TrainSetup s;
    s.data = dir / "scene";
    s.run_dir = dir / "run";
    s.options.model = "gs4d";
    s.options.device = "cuda";
    s.options.seed = 3;
    s.options.probe_every = 0;
    s.options.checkpoint_every = 0;
    const int iterations = 800;
    s.model_config = {{"iterations", iterations},
                      {"position_lr_max_steps", iterations},
                      {"sh_increase_every", 100},
                      {"densify",
                       {{"densify_from", 100},
                        {"densify_until", iterations * 2 / 3},
                        {"densify_every", 100},
                        {"opacity_reset_every", 0}}}};
    const TrainOutcome r = train_now(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.finished.evaluated);
    std::printf("built-in dynamic scene on the GPU, gs4d: held-out PSNR %.2f dB, SSIM %.4f after %d iterations "
                "(%.2f s)\n",
                r.finished.psnr, r.finished.ssim, iterations, r.finished.train_seconds);
    EXPECT_GT(r.finished.psnr, 24.0);
}

} // namespace
} // namespace splatscape::test
