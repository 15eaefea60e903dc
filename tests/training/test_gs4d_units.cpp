// The gs4d model's parts on the CPU backend: the slice op against the kernels, the model's gradient
// chain (slice -> rasterizer -> slice backward) against finite differences of a rendered loss,
// batches, densification ops, the 3D export of a slice, configuration.
#include <cmath>
#include <cstring>
#include <random>

#include <glm/geometric.hpp>
#include <glm/mat4x4.hpp>
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/metrics.hpp"
#include "tests/training/fd_util.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cpu/rasterizer_cpu.hpp"
#include "training/cpu/slice4d_cpu.hpp"
#include "training/kernels/densify4d.hpp"
#include "training/kernels/sh4d.hpp"
#include "training/models/gs4d.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/render.hpp"

namespace splatscape::test {
namespace {

std::vector<float> down(Backend& b, const Tensor& t) {
    std::vector<float> v(t.numel());
    b.download(t, v.data());
    return v;
}

// A few 4D Gaussians around the origin, moving and rotating in space-time, with temporal colour.
GaussianCloud4d moving_cloud(int n, uint32_t seed, int degree = 2, int degree_t = 2) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    GaussianCloud4d c;
    c.resize(size_t(n), degree, degree_t);
    const int J = c.sh_coeffs();
    for (int i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) c.positions[3 * i + a] = 0.5f * u(rng);
        c.times[i] = 0.5f + 0.4f * u(rng);
        for (int a = 0; a < 3; ++a) c.log_scales[4 * i + a] = std::log(0.15f + 0.05f * u(rng));
        c.log_scales[4 * i + 3] = std::log(0.4f + 0.1f * u(rng));
        for (int a = 0; a < 4; ++a) {
            c.rotations_l[4 * i + a] = (a == 0 ? 1.0f : 0.0f) + 0.4f * u(rng);
            c.rotations_r[4 * i + a] = (a == 0 ? 1.0f : 0.0f) + 0.4f * u(rng);
        }
        c.opacities[i] = 0.5f + u(rng);
        for (int j = 0; j < J * 3; ++j) c.sh[size_t(i) * J * 3 + j] = (j < 3 ? 0.8f : 0.2f) * u(rng);
    }
    return c;
}

kern::RasterCamera<float> test_camera(int size) {
    return look_at_camera<float>({0.4f, -0.3f, -3.0f}, {0, 0, 0}, size, size, 1.1f * float(size));
}

TEST(Gs4dOps, SliceMatchesTheKernels) {
    CpuBackend backend(0);
    const GaussianCloud4d c = moving_cloud(200, 1);
    Gs4dConfig cfg;
    cfg.max_sh_degree = 2;
    Gs4dModel model(backend, cfg, 1.0f);
    model.from_cloud_4d(c);
    model.set_active_sh_degrees(2, 2);
    const float time = 0.8f;
    model.raster_inputs(ViewInfo{test_camera(32), time});
    const Slice4dTensors& s = model.slice();
    ASSERT_GT(s.count(), 20u);
    ASSERT_LT(s.count(), 200u) << "some Gaussians should fall below the temporal cut-off";
    std::vector<int32_t> rows(s.count());
    backend.download(s.rows, rows.data());
    const auto means = down(backend, s.means), covs = down(backend, s.covariances), ops = down(backend, s.opacities),
               sh = down(backend, s.sh);
    size_t next = 0;
    for (size_t i = 0; i < c.size(); ++i) {
        kern::Gaussian4d<double> g;
        for (int a = 0; a < 3; ++a) g.mean[a] = c.positions[3 * i + a];
        g.mean[3] = c.times[i];
        for (int a = 0; a < 4; ++a) g.log_scale[a] = c.log_scales[4 * i + a];
        g.rot_l = {c.rotations_l[4 * i], c.rotations_l[4 * i + 1], c.rotations_l[4 * i + 2], c.rotations_l[4 * i + 3]};
        g.rot_r = {c.rotations_r[4 * i], c.rotations_r[4 * i + 1], c.rotations_r[4 * i + 2], c.rotations_r[4 * i + 3]};
        const auto ref = kern::slice_4d(g, double(time));
        const bool kept = ref.weight >= 0.05;
        if (!kept) {
            EXPECT_TRUE(next >= rows.size() || size_t(rows[next]) != i) << i;
            continue;
        }
        ASSERT_LT(next, rows.size());
        ASSERT_EQ(size_t(rows[next]), i);
        const size_t j = next++;
        EXPECT_NEAR(means[3 * j], ref.mean.x, 1e-5);
        EXPECT_NEAR(means[3 * j + 2], ref.mean.z, 1e-5);
        EXPECT_NEAR(covs[6 * j + 1], ref.cov.xy, 1e-5);
        EXPECT_NEAR(covs[6 * j + 5], ref.cov.zz, 1e-5);
        EXPECT_NEAR(kern::hd_sigmoid(double(ops[j])), kern::hd_sigmoid(double(c.opacities[i])) * ref.weight, 1e-5);
        // Colour: the collapsed SH equals the 4D basis evaluated directly.
        std::vector<double> sh4(c.sh.begin() + std::ptrdiff_t(i * c.sh_coeffs() * 3),
                                c.sh.begin() + std::ptrdiff_t((i + 1) * c.sh_coeffs() * 3));
        for (int k = 0; k < 9 * 3; ++k) {
            double expect = 0;
            for (int n = 0; n <= 2; ++n)
                expect += std::cos(kern::kTwoPi * n * ref.dt / 1.0) * sh4[size_t(n * 9 * 3 + k)];
            EXPECT_NEAR(sh[j * 27 + k], expect, 1e-5);
        }
    }
    EXPECT_EQ(next, rows.size());
}

// The chain slice -> rasterizer -> slice backward in double precision, on the CPU launchers.
// x packs a 4D cloud's parameters: means [N, 4], log-scales [N, 4], rot_l [N, 4], rot_r [N, 4],
// opacities [N], sh [N, J, 3]. Returns sum(w * image) and, when `grad` is given, its gradient.
struct Chain {
    size_t n = 0;
    int K = 4, J = 12;
    cpu::Slice4dParams p;
    kern::RasterCamera<double> cam;
    std::vector<double> w; // [H * W * 3]

    double run(const std::vector<double>& x, std::vector<double>* grad) const {
        cpu::Slice4dArrays<double> a;
        a.count = n;
        a.means = x.data();
        a.log_scales = a.means + 4 * n;
        a.rot_l = a.log_scales + 4 * n;
        a.rot_r = a.rot_l + 4 * n;
        a.opacities = a.rot_r + 4 * n;
        a.sh = a.opacities + n;
        a.sh_coeffs = K;
        a.sh_stride = J;
        const auto rows = cpu::slice4d_select(a, p);
        EXPECT_EQ(rows.size(), n) << "every Gaussian should be in this slice";
        const size_t m = rows.size();
        const int Ko = (p.sh_degree + 1) * (p.sh_degree + 1);
        std::vector<double> means(3 * m), cov(6 * m), op(m), sh(m * Ko * 3);
        cpu::slice4d_forward(a, p, rows.data(), m, means.data(), cov.data(), op.data(), sh.data());
        cpu::RasterInputs<double> in;
        in.count = m;
        in.means = means.data();
        in.covariances = cov.data();
        in.opacities = op.data();
        in.sh = sh.data();
        in.sh_stride = Ko;
        in.sh_degree = p.sh_degree;
        cpu::RasterWorkspace<double> ws;
        std::vector<double> rgb(size_t(cam.width) * cam.height * 3);
        cpu::RasterImages<double> img{rgb.data(), nullptr, nullptr};
        const double bg[3] = {0, 0, 0};
        kern::RasterSettings settings;
        cpu::rasterize_forward(in, cam, settings, bg, ws, img);
        double loss = 0;
        for (size_t i = 0; i < rgb.size(); ++i) loss += rgb[i] * w[i];
        if (grad) {
            std::vector<double> dm(3 * m), dc(6 * m), dop(m), dsh(m * Ko * 3);
            cpu::RasterGrads<double> g;
            g.means = dm.data();
            g.covariances = dc.data();
            g.opacities = dop.data();
            g.sh = dsh.data();
            cpu::rasterize_backward<double>(in, cam, settings, ws, w.data(), nullptr, nullptr, g);
            grad->assign(x.size(), 0.0);
            cpu::Slice4dParamGrads<double> pg;
            pg.means = grad->data();
            pg.log_scales = pg.means + 4 * n;
            pg.rot_l = pg.log_scales + 4 * n;
            pg.rot_r = pg.rot_l + 4 * n;
            pg.opacities = pg.rot_r + 4 * n;
            pg.sh = pg.opacities + n;
            cpu::slice4d_backward(a, p, rows.data(), m, dm.data(), dc.data(), dop.data(), dsh.data(), 1.0, pg,
                                  static_cast<double*>(nullptr));
        }
        return loss;
    }
};

std::vector<double> pack(const GaussianCloud4d& c) {
    std::vector<double> x;
    for (size_t i = 0; i < c.size(); ++i) {
        for (int a = 0; a < 3; ++a) x.push_back(c.positions[3 * i + a]);
        x.push_back(c.times[i]);
    }
    for (const auto* v : {&c.log_scales, &c.rotations_l, &c.rotations_r, &c.opacities, &c.sh})
        x.insert(x.end(), v->begin(), v->end());
    return x;
}

TEST(Gs4dOps, GradientsThroughTheRasterizerMatchFiniteDifferences) {
    const int size = 24;
    const GaussianCloud4d c = moving_cloud(6, 2, 1, 2);
    Chain chain;
    chain.n = c.size();
    chain.K = 4;
    chain.J = c.sh_coeffs();
    chain.p.time = 0.55f;
    chain.p.time_period = 1.3f;
    chain.p.sh_degree = 1;
    chain.p.sh_degree_t = 2;
    chain.cam = look_at_camera<double>({0.4, -0.3, -3.0}, {0, 0, 0}, size, size, 1.1 * size);
    std::mt19937 rng(3);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    chain.w.resize(size_t(size) * size * 3);
    for (auto& v : chain.w) v = u(rng);
    const std::vector<double> x0 = pack(c);
    std::vector<double> analytic;
    chain.run(x0, &analytic);
    const auto numeric =
        numeric_gradient([&](const std::vector<double>& x) { return chain.run(x, nullptr); }, x0, 1e-6);
    double scale = 0;
    for (double v : numeric) scale = std::max(scale, std::abs(v));
    expect_gradients_near(analytic, numeric, 1e-5, 1e-7 * scale, "slice + rasterizer");

    // The model on the CPU backend (float) computes the same gradients: slice, rasterizer and
    // slice backward glued together by Gs4dModel.
    CpuBackend backend(1);
    Gs4dConfig cfg;
    cfg.max_sh_degree = 1;
    cfg.max_sh_degree_t = 2;
    cfg.batch_size = 1;
    Gs4dModel model(backend, cfg, 1.0f);
    model.set_time_range(0.0f, 1.3f);
    model.from_cloud_4d(c);
    model.set_active_sh_degrees(1, 2);
    const auto cam = look_at_camera<float>({0.4f, -0.3f, -3.0f}, {0, 0, 0}, size, size, 1.1f * size);
    FrameSpec frame;
    frame.camera = cam;
    auto ctx = backend.ops<RasterOps>().create_context();
    model.params().zero_grads(backend);
    RasterTensors in = model.raster_inputs(ViewInfo{cam, 0.55f});
    Tensor img = backend.zeros(size_t(size) * size, 3), d_img = backend.zeros(size_t(size) * size, 3);
    const std::vector<float> wf(chain.w.begin(), chain.w.end());
    backend.upload(d_img, wf.data());
    RenderTensors out{&img, nullptr, nullptr};
    backend.ops<RasterOps>().forward(in, frame, *ctx, out);
    RasterGradTensors g = model.raster_grads();
    RenderTensors d_out{&d_img, nullptr, nullptr};
    backend.ops<RasterOps>().backward(in, frame, *ctx, d_out, g);
    model.backward(ViewInfo{cam, 0.55f});
    std::vector<double> model_grad;
    for (const char* name : {"means", "log_scales", "rot_l", "rot_r", "opacities", "sh"}) {
        const auto v = down(backend, model.params().get(name).grad);
        model_grad.insert(model_grad.end(), v.begin(), v.end());
    }
    expect_gradients_near(model_grad, analytic, 2e-3, 2e-4 * scale, "gs4d model (float) against the double chain");
}

TEST(Gs4dOps, BackwardAddsScaledBatchShares) {
    // Two backward calls with scale 1/2 add up to one call with scale 1; |dL/dmu_t| is unscaled.
    CpuBackend backend(0);
    const GaussianCloud4d c = moving_cloud(50, 4);
    Gs4dConfig cfg;
    cfg.max_sh_degree = 2;
    Gs4dModel model(backend, cfg, 1.0f);
    model.from_cloud_4d(c);
    model.set_active_sh_degrees(2, 2);
    model.raster_inputs(ViewInfo{test_camera(16), 0.4f});
    const size_t m = model.slice().count();
    ASSERT_GT(m, 0u);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    auto random = [&](int cols) {
        Tensor t = backend.zeros(m, cols);
        std::vector<float> v(t.numel());
        for (auto& x : v) x = u(rng);
        backend.upload(t, v.data());
        return t;
    };
    Tensor dm = random(3), dc = random(6), dop = random(1), dsh = random(model.slice().sh.cols());
    Tensor tg1 = backend.zeros(m, 1), tg2 = backend.zeros(m, 1);
    auto run = [&](float scale, Tensor& tg, int times) {
        model.params().zero_grads(backend);
        for (int k = 0; k < times; ++k) {
            Slice4dGradTensors d{&dm, &dc, &dop, &dsh, &tg};
            Gaussian4dGradTensors g{&model.params().get("means").grad,     &model.params().get("log_scales").grad,
                                    &model.params().get("rot_l").grad,     &model.params().get("rot_r").grad,
                                    &model.params().get("opacities").grad, &model.params().get("sh").grad};
            backend.ops<Slice4dOps>().backward(model.tensors(), model.slice_settings(0.4f), model.slice(), d, scale, g);
        }
        std::vector<std::vector<float>> out;
        for (auto& p : model.params().all()) out.push_back(down(backend, p.grad));
        return out;
    };
    const auto once = run(1.0f, tg1, 1);
    const auto halves = run(0.5f, tg2, 2);
    for (size_t p = 0; p < once.size(); ++p)
        for (size_t i = 0; i < once[p].size(); ++i) ASSERT_NEAR(once[p][i], halves[p][i], 1e-5f) << p << " " << i;
    const auto t1 = down(backend, tg1), t2 = down(backend, tg2);
    const auto gm = once[0];
    std::vector<int32_t> rows(m);
    backend.download(model.slice().rows, rows.data());
    for (size_t j = 0; j < m; ++j) {
        EXPECT_FLOAT_EQ(t1[j], t2[j]);
        EXPECT_NEAR(t1[j], std::abs(gm[4 * size_t(rows[j]) + 3]), 1e-6f);
    }
}

TEST(Gs4dOps, DensifyDecisions) {
    CpuBackend backend(0);
    // grad_accum, time_grad_accum, denom for 4 Gaussians: spatial only, temporal only, neither, both.
    const std::vector<float> acc = {0.003f, 0.0f, 0.0001f, 0.003f}, tacc = {0.0f, 0.3f, 0.0f, 0.3f},
                             den = {10, 10, 10, 10};
    const std::vector<float> ls = {-3, -3, -3, 0, -1, -1, -1, 0, -3, -3, -3, 0, -1, -1, -1, 0};
    Tensor a = backend.zeros(4, 1), ta = backend.zeros(4, 1), d = backend.zeros(4, 1), l = backend.zeros(4, 4);
    backend.upload(a, acc.data());
    backend.upload(ta, tacc.data());
    backend.upload(d, den.data());
    backend.upload(l, ls.data());
    Gs4dDensifyThresholds t;
    t.adc.grad_threshold = 0.0002f;
    t.adc.dense_scale = 0.1f;
    t.time_grad_threshold = 0.01f;
    Tensor clones, splits;
    const AdcCounts n = backend.ops<Slice4dOps>().grow(a, ta, d, l, t, clones, splits);
    EXPECT_EQ(n.clone, 1u);
    EXPECT_EQ(n.split, 2u);
    std::vector<int32_t> c(1), s(2);
    backend.download(clones, c.data());
    backend.download(splits, s.data());
    EXPECT_EQ(c[0], 0); // small, spatial gradient: clone
    EXPECT_EQ(s[0], 1); // large, temporal gradient only: split
    EXPECT_EQ(s[1], 3);

    // Keep: temporal support within [0, 1] decides for otherwise healthy Gaussians.
    GaussianCloud4d cloud = moving_cloud(3, 6, 0, 0);
    cloud.times = {0.5f, 2.0f, -0.3f};
    for (int i = 0; i < 3; ++i) {
        cloud.log_scales[4 * i + 3] = std::log(0.2f);
        for (int a = 0; a < 4; ++a) cloud.rotations_l[4 * i + a] = cloud.rotations_r[4 * i + a] = a == 0 ? 1.0f : 0.0f;
        cloud.opacities[size_t(i)] = 2.0f;
    }
    Gs4dConfig cfg;
    cfg.max_sh_degree = 0;
    cfg.max_sh_degree_t = 0;
    Gs4dModel model(backend, cfg, 1.0f);
    model.from_cloud_4d(cloud);
    Tensor radii = backend.zeros(3, 1), none = backend.zeros(0, 1, DType::I32);
    t.min_weight = 0.05f;
    Tensor keep = backend.ops<Slice4dOps>().keep(model.tensors(), radii, t, none);
    std::vector<int32_t> k(keep.rows());
    backend.download(keep, k.data());
    // 2.0 is 5 sigma after the range (weight 4e-6); -0.3 is 1.5 sigma before it (0.32).
    EXPECT_EQ(k, (std::vector<int32_t>{0, 2}));

    // Split children: drawn from the 4D Gaussian (mean within a few sigma), scales shrunk by 1.6.
    Tensor rows = backend.zeros(1, 1, DType::I32);
    const int32_t r0 = 0;
    backend.upload(rows, &r0);
    Tensor cm, cl;
    backend.ops<Slice4dOps>().split_children(model.tensors(), rows, 1.6f, 9, 1, cm, cl);
    ASSERT_EQ(cm.rows(), 2u);
    const auto means = down(backend, cm), lsc = down(backend, cl);
    for (int ch = 0; ch < 2; ++ch) {
        EXPECT_NEAR(means[4 * ch + 3], 0.5f, 5 * 0.2f);
        EXPECT_NE(means[4 * ch + 3], 0.5f);
        for (int a = 0; a < 4; ++a) EXPECT_NEAR(lsc[4 * ch + a], cloud.log_scales[a] - std::log(1.6f), 1e-6f);
    }
}

TEST(Gs4dModel, ShScheduleAndLearningRates) {
    CpuBackend backend(0);
    Gs4dConfig cfg;
    Gs4dModel model(backend, cfg, 2.0f);
    const std::pair<int, std::pair<int, int>> expect[] = {
        {0, {0, 0}}, {999, {0, 0}}, {1000, {1, 0}}, {3000, {3, 0}}, {4000, {3, 1}}, {5000, {3, 2}}, {90000, {3, 2}}};
    for (const auto& [it, d] : expect) {
        model.set_iteration(it);
        EXPECT_EQ(model.active_sh_degree(), d.first) << it;
        EXPECT_EQ(model.active_sh_degree_t(), d.second) << it;
    }
    const auto lrs = model.learning_rates(1);
    ASSERT_EQ(lrs.size(), model.params().all().size());
    EXPECT_EQ(model.params().all()[0].name, "means");
    EXPECT_EQ(lrs[0].split_col, 3);
    EXPECT_FLOAT_EQ(lrs[0].lr_b, 1.6e-4f * 2.0f); // the time mean: the initial position rate, times the extent
    EXPECT_FLOAT_EQ(model.learning_rates(30000)[0].lr_a, 1.6e-6f * 2.0f);
    EXPECT_FLOAT_EQ(model.learning_rates(30000)[0].lr_b, 1.6e-4f * 2.0f);
}

TEST(Gs4dModel, ConfigJson) {
    Gs4dConfig c;
    EXPECT_EQ(c.batch_size, 2);
    EXPECT_EQ(c.max_sh_degree_t, 2);
    EXPECT_FLOAT_EQ(c.time_grad_threshold, 0.0002f);
    c.batch_size = 4;
    c.time_grad_threshold = 1e-3f;
    c.densify.densify_every = 50;
    Gs4dConfig d;
    update_from_json(d, to_json(c), "test");
    EXPECT_EQ(to_json(d), to_json(c));
    for (const char* bad : {R"({"batch_sise": 2})", R"({"batch_size": 0})", R"({"max_sh_degree_t": 9})",
                            R"({"densify": {"time_grad_treshold": 1}})", R"({"min_temporal_weight": 1.5})"}) {
        Gs4dConfig e;
        EXPECT_THROW(update_from_json(e, parse_json(bad, "t"), "cfg.json"), Error) << bad;
    }
    try {
        Gs4dConfig e;
        update_from_json(e, parse_json(R"({"densify": {"densify_every": 0}})", "t"), "cfg.json");
        FAIL();
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("densify.densify_every"), std::string::npos) << err.what();
    }
}

TEST(Gs4dSlice, CovarianceFactorisationAndRotationFrom3d) {
    std::mt19937 rng(7);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int trial = 0; trial < 50; ++trial) {
        const float q[4] = {u(rng), u(rng), u(rng), u(rng)};
        const kern::Vec3<float> ls = {-2 + u(rng), -2 + u(rng), -2 + u(rng)};
        const auto cov = kern::covariance_3d(ls, kern::Quat<float>{q[0], q[1], q[2], q[3]}, 1.0f);
        const float c[6] = {cov.xx, cov.xy, cov.xz, cov.yy, cov.yz, cov.zz};
        float ls2[3], q2[4];
        covariance_to_scale_rotation(c, ls2, q2);
        const auto back = kern::covariance_3d(kern::Vec3<float>{ls2[0], ls2[1], ls2[2]},
                                              kern::Quat<float>{q2[0], q2[1], q2[2], q2[3]}, 1.0f);
        const float b[6] = {back.xx, back.xy, back.xz, back.yy, back.yz, back.zz};
        for (int k = 0; k < 6; ++k) EXPECT_NEAR(b[k], c[k], 1e-6f + 1e-4f * std::abs(c[k])) << trial;

        // The 4D rotation made from a 3D one turns (x, y, z) the same way and leaves t alone.
        float l[4], r[4];
        rotation_4d_from_3d(q, l, r);
        const auto R4 =
            kern::rotation_4d(kern::Quat<double>{l[0], l[1], l[2], l[3]}, kern::Quat<double>{r[0], r[1], r[2], r[3]});
        const auto R3 = kern::rotation_matrix(kern::normalize_quat(kern::Quat<double>{q[0], q[1], q[2], q[3]}));
        for (int i = 0; i < 4; ++i)
            for (int j = 0; j < 4; ++j) {
                const double expect = i < 3 && j < 3 ? R3.m[i][j] : (i == j ? 1.0 : 0.0);
                EXPECT_NEAR(R4.m[i][j], expect, 1e-6) << trial << " " << i << j;
            }
    }
}

TEST(Gs4dSlice, ExportedSliceRendersLikeThe4dCloud) {
    CpuBackend backend(0);
    GaussianCloud4d c = moving_cloud(300, 8, 3, 2);
    c.time_period = 1.5f;
    for (size_t i = 0; i < c.size(); ++i) c.log_scales[4 * i + 3] = std::log(0.12f); // short-lived
    Cloud4dRenderer r4(backend, c);
    const Camera cam = Camera::from_camera_to_world(
        glm::mat4(glm::vec4(1, 0, 0, 0), glm::vec4(0, 1, 0, 0), glm::vec4(0, 0, 1, 0), glm::vec4(0.1f, 0, -3, 1)), 64,
        48, 70, 70, 32, 24);
    for (float time : {0.2f, 0.6f}) {
        const GaussianCloud s = slice_cloud(backend, c, time);
        EXPECT_LT(s.size(), c.size());
        EXPECT_GT(s.size(), 50u);
        CloudRenderer r3(backend, s);
        RenderOptions o;
        const Image a = r4.render(cam, time, o), b = r3.render(cam, o);
        EXPECT_GT(psnr(a, b), 60.0) << time;
    }
    // Different times, different pictures.
    RenderOptions o;
    EXPECT_LT(psnr(r4.render(cam, 0.2f, o), r4.render(cam, 0.6f, o)), 30.0);
}

TEST(Gs4dModel, FromCloudIsStaticInTime) {
    CpuBackend backend(0);
    GaussianCloud g;
    g.resize(20, 1);
    std::mt19937 rng(9);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (size_t i = 0; i < 20; ++i) {
        for (int a = 0; a < 3; ++a) {
            g.positions[3 * i + a] = 0.5f * u(rng);
            g.log_scales[3 * i + a] = -2.0f + 0.3f * u(rng);
        }
        for (int a = 0; a < 4; ++a) g.rotations[4 * i + a] = u(rng);
        g.opacities[i] = 1.0f;
        for (int k = 0; k < 12; ++k) g.sh[i * 12 + size_t(k)] = 0.3f * u(rng);
    }
    Gs4dConfig cfg;
    cfg.max_sh_degree = 1;
    Gs4dModel model(backend, cfg, 1.0f);
    model.set_time_range(0.0f, 1.0f);
    model.from_cloud(g);
    Cloud4dRenderer r4(backend, model.to_cloud_4d());
    CloudRenderer r3(backend, g);
    Camera cam = Camera::from_camera_to_world(
        glm::mat4(glm::vec4(1, 0, 0, 0), glm::vec4(0, 1, 0, 0), glm::vec4(0, 0, 1, 0), glm::vec4(0, 0.1f, -3, 1)), 48,
        48, 60, 60, 24, 24);
    RenderOptions o;
    for (float t : {0.0f, 0.5f, 1.0f}) EXPECT_GT(psnr(r4.render(cam, t, o), r3.render(cam, o)), 45.0) << t;
}

TEST(Gs4dModel, RandomInitialisationGoesWhereTheCamerasLook) {
    // NeRF-synthetic-like cameras: 4.03 from (0.2, -0.1, 0.3), all looking at it, 0.6911 rad wide.
    Dataset d;
    std::mt19937 rng(10);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    const glm::vec3 target(0.2f, -0.1f, 0.3f);
    for (int i = 0; i < 30; ++i) {
        glm::vec3 dir(u(rng), u(rng), 0.2f + std::abs(u(rng)));
        dir = glm::normalize(dir);
        const glm::vec3 eye = target + 4.03f * dir;
        const glm::vec3 f = glm::normalize(target - eye);
        const glm::vec3 r = glm::normalize(glm::cross(f, glm::vec3(0, 0, 1)));
        const glm::vec3 dn = glm::cross(f, r);
        const glm::mat4 c2w(glm::vec4(r, 0), glm::vec4(dn, 0), glm::vec4(f, 0), glm::vec4(eye, 1));
        const float focal = 0.5f * 100.0f / std::tan(0.5f * 0.6911112f);
        Frame fr;
        fr.camera = Camera::from_camera_to_world(c2w, 100, 100, focal, focal, 50, 50);
        d.train.push_back(fr);
    }
    d.bounds.min = glm::vec3(-5.0f);
    d.bounds.max = glm::vec3(5.0f);
    const Bounds b = camera_focus_bounds(d);
    EXPECT_LT(glm::length(b.center() - target), 1e-3f);
    EXPECT_NEAR(0.5f * b.size().x, 4.03f * std::tan(0.5f * 0.6911112f), 1e-3f); // about 1.45
    // Cameras that do not look at a common point in front of them: the dataset's bounds.
    for (auto& fr : d.train) fr.camera = Camera::from_camera_to_world(glm::mat4(1.0f), 100, 100, 80, 80, 50, 50);
    const Bounds same = camera_focus_bounds(d);
    EXPECT_EQ(same.min, d.bounds.min);
    EXPECT_EQ(same.max, d.bounds.max);
}

} // namespace
} // namespace splatscape::test
