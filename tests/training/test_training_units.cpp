// Training building blocks: configuration, checkpoints, initialisation, densification, schedules.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "tests/support/test_support.hpp"
#include "training/checkpoint.hpp"
#include "training/config.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cpu/raster_ops_cpu.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/densification.hpp"
#include "training/kernels/densify.hpp"
#include "training/models/gs3d.hpp"
#include "training/models/gs4d.hpp"

namespace splatscape::test {
namespace {

TEST(Config, DefaultsAreThePapers) {
    const Gs3dConfig c;
    EXPECT_EQ(c.iterations, 30000);
    EXPECT_FLOAT_EQ(c.position_lr_init, 1.6e-4f);
    EXPECT_FLOAT_EQ(c.position_lr_final, 1.6e-6f);
    EXPECT_EQ(c.position_lr_max_steps, 30000);
    EXPECT_FLOAT_EQ(c.sh_dc_lr, 2.5e-3f);
    EXPECT_FLOAT_EQ(c.sh_rest_lr, 2.5e-3f / 20);
    EXPECT_FLOAT_EQ(c.opacity_lr, 0.05f);
    EXPECT_FLOAT_EQ(c.scaling_lr, 5e-3f);
    EXPECT_FLOAT_EQ(c.rotation_lr, 1e-3f);
    EXPECT_FLOAT_EQ(c.ssim_weight, 0.2f);
    EXPECT_EQ(c.densify.densify_from, 500);
    EXPECT_EQ(c.densify.densify_until, 15000);
    EXPECT_EQ(c.densify.densify_every, 100);
    EXPECT_EQ(c.densify.opacity_reset_every, 3000);
    EXPECT_FLOAT_EQ(c.densify.grad_threshold, 0.0002f);
    EXPECT_FLOAT_EQ(c.densify.min_opacity, 0.005f);
}

TEST(Config, JsonRoundTripAndErrors) {
    Gs3dConfig c;
    c.iterations = 1234;
    c.densify.max_gaussians = 777;
    c.background = {0.1f, 0.2f, 0.3f};
    c.antialiased = true;
    Gs3dConfig d;
    update_from_json(d, to_json(c), "test");
    EXPECT_EQ(to_json(d), to_json(c));

    Gs3dConfig e;
    EXPECT_THROW(update_from_json(e, parse_json(R"({"iteratons": 5})", "t"), "cfg.json"), Error);
    try {
        update_from_json(e, parse_json(R"({"densify": {"densify_untill": 5}})", "t"), "cfg.json");
        FAIL() << "an unknown key was accepted";
    } catch (const Error& err) {
        EXPECT_NE(std::string(err.what()).find("densify.densify_untill"), std::string::npos) << err.what();
    }
    EXPECT_THROW(update_from_json(e, parse_json(R"({"ssim_weight": 2})", "t"), "cfg.json"), Error);
    EXPECT_THROW(update_from_json(e, parse_json(R"({"max_sh_degree": 4})", "t"), "cfg.json"), Error);
    EXPECT_THROW(update_from_json(e, parse_json(R"({"background": [1, 2]})", "t"), "cfg.json"), Error);
    EXPECT_THROW(update_from_json(e, parse_json(R"({"iterations": "many"})", "t"), "cfg.json"), Error);
}

TEST(Config, ScheduleScalesWithIterations) {
    Gs3dConfig c;
    c.scale_schedule(3000);
    EXPECT_EQ(c.iterations, 3000);
    EXPECT_EQ(c.position_lr_max_steps, 3000);
    EXPECT_EQ(c.densify.densify_until, 1500);
    EXPECT_EQ(c.densify.densify_from, 50);
    EXPECT_EQ(c.densify.opacity_reset_every, 300);
    EXPECT_EQ(c.densify.densify_every, 100);
    EXPECT_EQ(c.sh_increase_every, 100);
}

TEST(Schedule, ExponentialLearningRate) {
    EXPECT_FLOAT_EQ(exponential_lr(0, 1e-2f, 1e-4f, 0, 0.01f, 100), 1e-2f);
    EXPECT_NEAR(exponential_lr(50, 1e-2f, 1e-4f, 0, 0.01f, 100), 1e-3f, 1e-8f); // geometric mean
    EXPECT_NEAR(exponential_lr(100, 1e-2f, 1e-4f, 0, 0.01f, 100), 1e-4f, 1e-10f);
    EXPECT_NEAR(exponential_lr(500, 1e-2f, 1e-4f, 0, 0.01f, 100), 1e-4f, 1e-10f);
    // With a delay, the rate starts at delay_mult times the schedule.
    EXPECT_NEAR(exponential_lr(0, 1e-2f, 1e-4f, 10, 0.01f, 100), 1e-4f, 1e-10f);
}

CheckpointData sample_checkpoint() {
    CheckpointData d;
    d.model_type = "gs3d";
    d.meta = {{"iteration", 42}, {"rng", "1 2 3"}};
    HostTensor t;
    t.name = "means";
    t.rows = 3;
    t.cols = 3;
    for (int i = 0; i < 9; ++i) {
        float v = float(i) * 0.5f;
        const auto* p = reinterpret_cast<const uint8_t*>(&v);
        t.data.insert(t.data.end(), p, p + 4);
    }
    d.tensors.push_back(t);
    t.name = "idx";
    t.dtype = DType::I32;
    t.rows = 1;
    t.cols = 1;
    t.data = {7, 0, 0, 0};
    d.tensors.push_back(t);
    return d;
}

TEST(Checkpoint, RoundTrip) {
    const CheckpointData d = sample_checkpoint();
    const auto bytes = encode_checkpoint(d);
    const CheckpointData r = decode_checkpoint(bytes.data(), bytes.size(), "mem");
    EXPECT_EQ(r.model_type, "gs3d");
    EXPECT_EQ(r.meta, d.meta);
    ASSERT_EQ(r.tensors.size(), 2u);
    EXPECT_EQ(r.tensors[0].data, d.tensors[0].data);
    EXPECT_EQ(r.tensors[1].dtype, DType::I32);
    ASSERT_NE(r.find("idx"), nullptr);
}

TEST(Checkpoint, RejectsDamage) {
    const auto good = encode_checkpoint(sample_checkpoint());
    auto expect_error = [](std::vector<uint8_t> b, const char* needle) {
        try {
            decode_checkpoint(b.data(), b.size(), "ckpt.bin");
            ADD_FAILURE() << "accepted a damaged checkpoint (" << needle << ")";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    // Every truncation is reported, none crashes.
    for (size_t n = 0; n < good.size(); n += 7) expect_error({good.begin(), good.begin() + n}, "ckpt.bin");
    auto b = good;
    b[0] = 'X';
    expect_error(b, "magic");
    b = good;
    b[8] = 99;
    expect_error(b, "version");
    b = good;
    b[good.size() / 2] ^= 0x40;
    expect_error(b, "checksum");
    // A huge row count with a valid checksum must fail before allocating.
    CheckpointData d = sample_checkpoint();
    d.tensors[0].rows = uint64_t(1) << 40;
    d.tensors[0].data.clear();
    auto big = encode_checkpoint(d);
    expect_error(big, "do not fit");
}

TEST(Init, KnnMatchesBruteForce) {
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1, 1);
    std::vector<float> pos;
    for (int i = 0; i < 600; ++i) {
        // Points on a plane and a few clusters: uneven density, as surface samples are.
        const float x = u(rng), y = u(rng);
        pos.insert(pos.end(), {x, y, i % 5 == 0 ? 0.3f * u(rng) : 0.0f});
    }
    const auto fast = mean_knn_squared_distance(pos, 3);
    for (size_t i = 0; i < 600; ++i) {
        std::vector<float> d;
        for (size_t j = 0; j < 600; ++j) {
            if (i == j) continue;
            float s = 0;
            for (int a = 0; a < 3; ++a) s += (pos[3 * i + a] - pos[3 * j + a]) * (pos[3 * i + a] - pos[3 * j + a]);
            d.push_back(s);
        }
        std::sort(d.begin(), d.end());
        EXPECT_NEAR(fast[i], std::max((d[0] + d[1] + d[2]) / 3.0f, 1e-7f), 1e-6f) << i;
    }
}

TEST(Init, FromPointsFollowsTheReference) {
    CpuBackend backend(1);
    Gs3dModel model(backend, Gs3dConfig{}, 1.0f);
    PointCloud pts;
    pts.positions = {0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    pts.colors = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0.5f, 0.5f, 0.5f};
    model.init_from_points(pts);
    const GaussianCloud c = model.to_cloud();
    ASSERT_EQ(c.size(), 4u);
    EXPECT_EQ(c.sh_degree, 3);
    // Point 0: neighbours at distance 1, 1, 1 -> scale 1 -> log 0. Opacity 0.1.
    EXPECT_NEAR(c.log_scales[0], 0.0f, 1e-6f);
    EXPECT_NEAR(sigmoid(c.opacities[0]), 0.1f, 1e-6f);
    EXPECT_NEAR(rgb_from_sh_dc(c.sh[0]), 1.0f, 1e-6f);
    EXPECT_EQ(c.sh[3], 0.0f); // first higher-order coefficient
    EXPECT_EQ(c.rotations[0], 1.0f);
}

TEST(Densify, SplitChildrenFollowTheParentsGaussian) {
    // Draws of many splits of one anisotropic Gaussian: their mean and covariance approach the
    // parent's, and their scales are the parent's divided by 1.6.
    const float mean[3] = {0.5f, -1.0f, 2.0f}, log_scale[3] = {std::log(0.3f), std::log(0.1f), std::log(0.05f)};
    const float rot[4] = {0.9f, 0.3f, -0.2f, 0.1f};
    const auto sigma = kern::covariance_3d(kern::Vec3<float>{log_scale[0], log_scale[1], log_scale[2]},
                                           kern::Quat<float>{rot[0], rot[1], rot[2], rot[3]}, 1.0f);
    const int n = 20000;
    double m[3] = {0, 0, 0}, c[3][3] = {};
    std::vector<float> s(3 * n);
    for (int i = 0; i < n; ++i) {
        float out[3], ls[3];
        kern::split_child(mean, log_scale, rot, 1.6f, 9, 4, uint64_t(i), out, ls);
        EXPECT_NEAR(ls[0], log_scale[0] - std::log(1.6f), 1e-6f);
        for (int a = 0; a < 3; ++a) s[3 * i + a] = out[a] - mean[a];
    }
    for (int i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a) {
            m[a] += s[3 * i + a] / n;
            for (int b = 0; b < 3; ++b) c[a][b] += double(s[3 * i + a]) * s[3 * i + b] / n;
        }
    // Each estimate against its sampling error: the mean's standard error is sqrt(S_aa / n), the
    // covariance's sqrt((S_aa S_bb + S_ab^2) / n). Measured with these draws: at most 1.16 standard
    // errors over the 3 means and 9 covariance entries (the smallest entry, 0.0031, is 0.00018 off:
    // 1.06). Bound 4.5: draws that follow the parent's Gaussian exceed it with odds of about 1 in
    // 10,000 over the 12 figures, while one axis's scale off by 5% puts entries 5 to 8 standard
    // errors off (an absolute bound like 0.0045, larger than the smallest entries, misses that).
    const kern::Mat3<float> S = kern::to_mat(sigma);
    double worst = 0.0;
    for (int a = 0; a < 3; ++a) {
        const double z = std::abs(m[a]) / std::sqrt(double(S.m[a][a]) / n);
        worst = std::max(worst, z);
        EXPECT_LT(z, 4.5) << "mean " << a << ": " << m[a];
    }
    for (int a = 0; a < 3; ++a)
        for (int b = 0; b < 3; ++b) {
            const double se = std::sqrt((double(S.m[a][a]) * S.m[b][b] + double(S.m[a][b]) * S.m[a][b]) / n);
            const double z = std::abs(c[a][b] - S.m[a][b]) / se;
            worst = std::max(worst, z);
            EXPECT_LT(z, 4.5) << "covariance " << a << b << ": " << c[a][b] << " against " << S.m[a][b];
        }
    std::printf("split children: largest deviation %.2f standard errors\n", worst);
}

TEST(Densify, CloneSplitPruneAndReset) {
    CpuBackend backend(1);
    Gs3dConfig cfg;
    cfg.densify.densify_from = 0;
    cfg.densify.densify_every = 10;
    cfg.densify.opacity_reset_every = 1000;
    const float extent = 1.0f;
    Gs3dModel model(backend, cfg, extent);
    // Four Gaussians: small with a large gradient (clone), large with a large gradient (split),
    // transparent (prune), and an ordinary one (keep).
    GaussianCloud c;
    c.resize(4, 0);
    for (int i = 0; i < 4; ++i) {
        c.positions[3 * i] = float(i);
        c.rotations[4 * i] = 1;
        c.opacities[i] = logit(0.5f);
        for (int a = 0; a < 3; ++a) c.log_scales[3 * i + a] = std::log(0.001f);
    }
    for (int a = 0; a < 3; ++a) c.log_scales[3 + a] = std::log(0.5f);
    c.opacities[2] = logit(0.001f);
    model.from_cloud(c);
    AdaptiveDensityControl adc(backend, cfg.densify, extent, 1, false);
    adc.reset(4);
    auto st = adc.state();
    const float accum[4] = {0.01f, 0.01f, 0.0f, 0.0001f}, denom[4] = {2, 2, 1, 1};
    backend.upload(*st[0].second, accum);
    backend.upload(*st[1].second, denom);
    const DensifyReport r = adc.update(model, 10, false);
    EXPECT_EQ(r.cloned, 1u);
    EXPECT_EQ(r.split, 1u);
    EXPECT_EQ(r.pruned, 1u);
    // 4 + 1 clone + 2 children - 1 split parent - 1 pruned.
    ASSERT_EQ(model.size(), 5u);
    const GaussianCloud out = model.to_cloud();
    EXPECT_FLOAT_EQ(out.positions[0], 0.0f); // survivors keep their order
    EXPECT_FLOAT_EQ(out.positions[3], 3.0f);
    EXPECT_FLOAT_EQ(out.positions[6], 0.0f);                      // the clone
    EXPECT_NEAR(out.log_scales[9], std::log(0.5f / 1.6f), 1e-5f); // a split child
    // Not on the final step of a run: nothing changes.
    EXPECT_TRUE(adc.reshapes_at(1000));
    const DensifyReport skipped = adc.update(model, 1000, true);
    EXPECT_FALSE(skipped.changed());
    EXPECT_EQ(model.size(), 5u);
    for (float o : model.to_cloud().opacities) EXPECT_GT(sigmoid(o), 0.01f + 1e-6f);
    // An opacity reset clamps to 0.01 and clears the opacity's moments.
    const DensifyReport reset = adc.update(model, 1000, false);
    EXPECT_TRUE(reset.opacity_reset);
    const GaussianCloud after = model.to_cloud();
    for (float o : after.opacities) EXPECT_LE(sigmoid(o), 0.01f + 1e-6f);
}

// A backend with memory and only the raster family: models that need another family say which, and
// for which model, when they are created.
class RasterOnlyBackend final : public Backend {
public:
    RasterOnlyBackend() { provide<RasterOps>(std::make_unique<RasterOpsCpu>()); }
    ~RasterOnlyBackend() override { release_families(); }
    Device device() const override { return Device::Cpu; }
    std::string description() const override { return "raster-only"; }
    Tensor zeros(size_t rows, int cols, DType dtype) override { return m_cpu.zeros(rows, cols, dtype); }
    void upload(Tensor& dst, const void* host) override { m_cpu.upload(dst, host); }
    void download(const Tensor& src, void* host) override { m_cpu.download(src, host); }
    void fill(Tensor& t, float value) override { m_cpu.fill(t, value); }
    Tensor clone(const Tensor& src) override { return m_cpu.clone(src); }
    Tensor gather_rows(const Tensor& src, const Tensor& rows) override { return m_cpu.gather_rows(src, rows); }
    Tensor concat_rows(const Tensor& a, const Tensor& b) override { return m_cpu.concat_rows(a, b); }

private:
    CpuBackend m_cpu{1};
};

TEST(OpFamilies, AMissingFamilyIsReportedWhenTheModelIsCreated) {
    RasterOnlyBackend bare;
    EXPECT_NE(bare.find_ops<RasterOps>(), nullptr);
    EXPECT_EQ(bare.find_ops<DensifyOps>(), nullptr);
    try {
        Gs3dModel model(bare, Gs3dConfig{}, 1.0f);
        FAIL() << "a gs3d model was made on a backend without the densification family";
    } catch (const Error& e) {
        const std::string m = e.what();
        EXPECT_NE(m.find("raster-only"), std::string::npos) << m;
        EXPECT_NE(m.find("Gaussian densification"), std::string::npos) << m;
        EXPECT_NE(m.find("gs3d"), std::string::npos) << m;
    }
    EXPECT_THROW(Gs4dModel(bare, Gs4dConfig{}, 1.0f), Error);
    // The CPU backend provides every family.
    CpuBackend cpu(1);
    const std::vector<std::string> expected = {
        "3D smoothing filter", "4D slicing", "Gaussian densification", "MCMC densification", "appearance",
        "encoding",            "expert dispatch", "image loss",        "mlp",                "neighbours",
        "optimizer",           "raster",     "ray march",              "sags"};
    EXPECT_EQ(cpu.op_families(), expected);
}

TEST(ThreadPool, CoversEveryItemOnce) {
    cpu::ThreadPool pool(3);
    std::vector<int> hits(10007, 0);
    pool.parallel_for(hits.size(), 13, [&](size_t b, size_t e, int worker) {
        EXPECT_GE(worker, 0);
        EXPECT_LT(worker, 3);
        for (size_t i = b; i < e; ++i) hits[i]++;
    });
    for (int h : hits) EXPECT_EQ(h, 1);
    // Nested calls run inline instead of deadlocking.
    std::atomic<int> inner{0};
    pool.parallel_for(8, 1, [&](size_t, size_t, int) {
        pool.parallel_for(5, 1, [&](size_t b, size_t e, int) { inner += int(e - b); });
    });
    EXPECT_EQ(inner.load(), 40);
}

} // namespace
} // namespace splatscape::test
