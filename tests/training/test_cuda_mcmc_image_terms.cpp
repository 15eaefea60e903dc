// The CUDA backend against the CPU backend (label gpu) for the MCMC densification, 3D smoothing
// filter and appearance families (CudaMcmcOps, CudaFilter3dOps, CudaAppearanceOps), and training
// with them on the GPU against the CPU's figures. Skipped when the machine has no CUDA device.
// Draws by opacity use double-precision weights and prefix sums on both, so they pick the same rows;
// per-element values agree to float rounding (the device build uses --use_fast_math).
#include <cmath>
#include <cstdio>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/file_util.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/fd_util.hpp"
#include "tests/training/train_fixtures.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/device_cuda.hpp"
#include "training/densification_mcmc.hpp"
#include "training/kernels/appearance.hpp"
#include "training/models/gs3d.hpp"
#include "training/ops/appearance_ops.hpp"
#include "training/ops/filter3d_ops.hpp"
#include "training/ops/mcmc_ops.hpp"

namespace splatscape::test {
namespace {

#define SKIP_WITHOUT_GPU()                                                                                             \
    if (cuda::list_devices().empty()) GTEST_SKIP() << "no CUDA device on this machine; skipping"

Tensor make(Backend& b, const std::vector<float>& v, size_t rows, int cols) {
    Tensor t = b.zeros(rows, cols);
    b.upload(t, v.data());
    return t;
}

Tensor make_rows(Backend& b, const std::vector<int32_t>& v) {
    Tensor t = b.zeros(v.size(), 1, DType::I32);
    b.upload(t, v.data());
    return t;
}

std::vector<int32_t> host_rows(Backend& b, const Tensor& t) {
    std::vector<int32_t> v(t.numel());
    b.download(t, v.data());
    return v;
}

void expect_close(const std::vector<float>& a, const std::vector<float>& b, double rtol, double atol,
                  const char* what) {
    ASSERT_EQ(a.size(), b.size()) << what;
    int failures = 0;
    for (size_t i = 0; i < a.size(); ++i)
        if (!(std::abs(double(a[i]) - b[i]) <= atol + rtol * std::abs(double(a[i]))) && failures++ < 10)
            ADD_FAILURE() << what << "[" << i << "]: cpu " << a[i] << " gpu " << b[i];
}

// Random Gaussians: opacities from nearly dead to opaque, anisotropic scales, rotations.
struct Gaussians {
    size_t n;
    std::vector<float> means, means4, log_scales, log_scales4, rotations, rot_r, opacities;
};

Gaussians random_gaussians(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> g(0.0f, 1.0f);
    Gaussians s{n, {}, {}, {}, {}, {}, {}, {}};
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) s.means.push_back(2.0f * g(rng));
        for (int a = 0; a < 4; ++a) s.means4.push_back(g(rng));
        for (int a = 0; a < 3; ++a) s.log_scales.push_back(-3.0f + 0.7f * g(rng));
        for (int a = 0; a < 4; ++a) s.log_scales4.push_back(-2.5f + 0.5f * g(rng));
        for (int a = 0; a < 4; ++a) s.rotations.push_back(g(rng) + (a == 0 ? 0.5f : 0.0f));
        for (int a = 0; a < 4; ++a) s.rot_r.push_back(g(rng) + (a == 0 ? 0.5f : 0.0f));
        // A tenth dead (opacity below 0.005), the rest spread.
        s.opacities.push_back(i % 10 == 0 ? -6.0f - float(i % 3) : 2.5f * g(rng));
    }
    return s;
}

TEST(CudaMcmcOps, DrawsRelocationRegularizersAndNoiseMatchTheCpu) {
    SKIP_WITHOUT_GPU();
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    McmcOps& c = cpu.ops<McmcOps>();
    McmcOps& d = gpu.ops<McmcOps>();
    const Gaussians s = random_gaussians(50000, 3);
    const size_t n = s.n;
    const float dead = std::log(0.005f / 0.995f);
    Tensor oc = make(cpu, s.opacities, n, 1), od = make(gpu, s.opacities, n, 1);

    const auto dead_c = host_rows(cpu, c.dead_rows(oc, dead)), dead_d = host_rows(gpu, d.dead_rows(od, dead));
    EXPECT_EQ(dead_c, dead_d);
    EXPECT_GT(dead_c.size(), n / 20);
    // The same rows drawn (double weights and sums on both).
    const auto draws_c = host_rows(cpu, c.sample_rows(oc, dead, 20000, 9, 4));
    const auto draws_d = host_rows(gpu, d.sample_rows(od, dead, 20000, 9, 4));
    ASSERT_EQ(draws_c.size(), draws_d.size());
    size_t differ = 0;
    for (size_t j = 0; j < draws_c.size(); ++j) differ += draws_c[j] != draws_d[j];
    EXPECT_EQ(differ, 0u);

    // Relocation of the dead onto the drawn rows: copies, corrected opacity and scales.
    const std::vector<int32_t> sources(draws_c.begin(), draws_c.begin() + long(dead_c.size()));
    Tensor lc = make(cpu, s.log_scales4, n, 4), ld = make(gpu, s.log_scales4, n, 4);
    Tensor mc = make(cpu, s.means, n, 3), md = make(gpu, s.means, n, 3);
    const Tensor sc = make_rows(cpu, sources), sd = make_rows(gpu, sources);
    const Tensor tc = make_rows(cpu, dead_c), td = make_rows(gpu, dead_c);
    c.copy_rows(mc, sc, tc);
    d.copy_rows(md, sd, td);
    c.relocate(oc, lc, 3, sc, tc, 0.005f);
    d.relocate(od, ld, 3, sd, td, 0.005f);
    EXPECT_EQ(cpu.download_f32(mc), gpu.download_f32(md));
    expect_close(cpu.download_f32(oc), gpu.download_f32(od), 1e-6, 1e-6, "relocated opacity");
    expect_close(cpu.download_f32(lc), gpu.download_f32(ld), 1e-6, 1e-6, "relocated log-scales");
    Tensor zc = make(cpu, s.means, n, 3), zd = make(gpu, s.means, n, 3);
    c.zero_rows(zc, tc);
    d.zero_rows(zd, td);
    EXPECT_EQ(cpu.download_f32(zc), gpu.download_f32(zd));

    // Regularisers.
    std::vector<float> g0(n, 0.1f), gs0(n * 4, -0.2f);
    Tensor goc = make(cpu, g0, n, 1), god = make(gpu, g0, n, 1), gsc = make(cpu, gs0, n, 4), gsd = make(gpu, gs0, n, 4);
    c.add_regularizer_grads(oc, lc, 3, 0.3f, 0.7f, goc, gsc);
    d.add_regularizer_grads(od, ld, 3, 0.3f, 0.7f, god, gsd);
    expect_close(cpu.download_f32(goc), gpu.download_f32(god), 1e-5, 1e-7, "opacity regulariser");
    expect_close(cpu.download_f32(gsc), gpu.download_f32(gsd), 1e-5, 1e-7, "scale regulariser");

    // Noise, 3D and 4D.
    Tensor rc = make(cpu, s.rotations, n, 4), rd = make(gpu, s.rotations, n, 4);
    Tensor l3c = make(cpu, s.log_scales, n, 3), l3d = make(gpu, s.log_scales, n, 3);
    c.add_position_noise(mc, l3c, rc, oc, 40.0f, 5, 6);
    d.add_position_noise(md, l3d, rd, od, 40.0f, 5, 6);
    expect_close(cpu.download_f32(mc), gpu.download_f32(md), 1e-5, 1e-6, "noise");
    Tensor m4c = make(cpu, s.means4, n, 4), m4d = make(gpu, s.means4, n, 4);
    Tensor rrc = make(cpu, s.rot_r, n, 4), rrd = make(gpu, s.rot_r, n, 4);
    c.add_position_noise_4d(m4c, lc, rc, rrc, oc, 40.0f, 5, 7);
    d.add_position_noise_4d(m4d, ld, rd, rrd, od, 40.0f, 5, 7);
    expect_close(cpu.download_f32(m4c), gpu.download_f32(m4d), 1e-5, 1e-6, "noise 4d");
}

// The whole strategy on a model: relocation and growth give the same rows and values.
TEST(CudaMcmcOps, TheStrategyMatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    const Gaussians s = random_gaussians(20000, 8);
    GaussianCloud cloud;
    cloud.resize(s.n, 0);
    cloud.positions = s.means;
    cloud.log_scales = s.log_scales;
    cloud.rotations = s.rotations;
    cloud.opacities = s.opacities;
    Gs3dConfig cfg;
    cfg.densify.strategy = "mcmc";
    cfg.densify.densify_from = 0;
    cfg.densify.densify_every = 10;
    cfg.densify.max_gaussians = 20700;
    GaussianCloud out[2];
    for (int k = 0; k < 2; ++k) {
        std::unique_ptr<Backend> b = k == 0 ? std::unique_ptr<Backend>(std::make_unique<CpuBackend>(0))
                                            : std::unique_ptr<Backend>(std::make_unique<CudaBackend>(0));
        Gs3dModel model(*b, cfg, 1.0f);
        model.from_cloud(cloud);
        McmcDensification mcmc(*b, cfg.densify, 3);
        const DensifyReport r = mcmc.update(model, 10, false);
        size_t dead = 0;
        for (float o : s.opacities) dead += 1.0f / (1.0f + std::exp(-o)) <= 0.005f;
        EXPECT_NEAR(double(r.relocated), double(dead), 2.0); // rows right at the threshold may differ
        EXPECT_EQ(r.cloned, 700u);
        mcmc.after_optimizer_step(model, 10);
        out[k] = model.to_cloud();
    }
    ASSERT_EQ(out[0].size(), out[1].size());
    expect_close(out[0].opacities, out[1].opacities, 1e-6, 1e-6, "opacities");
    expect_close(out[0].log_scales, out[1].log_scales, 1e-6, 1e-6, "log-scales");
    expect_close(out[0].positions, out[1].positions, 1e-5, 1e-5, "positions (with noise)");
}

TEST(CudaFilter3dOps, VariancesMatchTheCpu) {
    SKIP_WITHOUT_GPU();
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    const Gaussians s = random_gaussians(30000, 5);
    std::vector<kern::RasterCamera<float>> cams;
    for (int k = 0; k < 12; ++k) {
        const float a = 0.52f * float(k);
        cams.push_back(look_at_camera<float>({6.0f * std::cos(a), 6.0f * std::sin(a), 1.0f}, {0, 0, 0}, 160 + 8 * k,
                                             120, 150.0f + 10.0f * float(k)));
    }
    Tensor mc = make(cpu, s.means, s.n, 3), md = make(gpu, s.means, s.n, 3);
    Tensor vc = cpu.zeros(s.n, 1), vd = gpu.zeros(s.n, 1);
    cpu.ops<Filter3dOps>().compute(mc, cams, 0.01f, 0.2f, vc);
    gpu.ops<Filter3dOps>().compute(md, cams, 0.01f, 0.2f, vd);
    const auto a = cpu.download_f32(vc), b = gpu.download_f32(vd);
    // A point on the border of a view may be in on one and out on the other: allow a few.
    size_t differ = 0;
    for (size_t i = 0; i < s.n; ++i) differ += std::abs(a[i] - b[i]) > 1e-5f * a[i] + 1e-12f;
    EXPECT_LE(differ, s.n / 2000);
}

TEST(CudaAppearanceOps, TransformBackwardAndMaskMatchTheCpu) {
    SKIP_WITHOUT_GPU();
    CpuBackend cpu(0);
    CudaBackend gpu(0);
    const size_t pixels = 540 * 960;
    std::mt19937 rng(2);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    std::vector<float> rgb(pixels * 3), d(pixels * 3), mask(pixels), params(3 * 12);
    for (float& v : rgb) v = u(rng);
    for (float& v : d) v = 1e-3f * (u(rng) - 0.5f);
    for (float& v : mask) v = u(rng) < 0.2f ? 0.0f : 1.0f;
    for (int k = 0; k < 36; ++k) params[size_t(k)] = kern::appearance_identity(k % 12) + 0.2f * (u(rng) - 0.5f);
    std::vector<float> outs[2], d_ins[2], d_ps[2], masked[2];
    for (int k = 0; k < 2; ++k) {
        Backend& b = k == 0 ? static_cast<Backend&>(cpu) : static_cast<Backend&>(gpu);
        AppearanceOps& ops = b.ops<AppearanceOps>();
        Tensor in = make(b, rgb, pixels, 3), dout = make(b, d, pixels, 3), p = make(b, params, 3, 12);
        Tensor out = b.zeros(pixels, 3), din = b.zeros(pixels, 3), dp = b.zeros(3, 12), m = make(b, mask, pixels, 1);
        ops.affine_forward(in, p, 2, out);
        ops.affine_backward(in, dout, p, 2, din, dp);
        outs[k] = b.download_f32(out);
        d_ins[k] = b.download_f32(din);
        d_ps[k] = b.download_f32(dp);
        ops.apply_mask(out, m);
        masked[k] = b.download_f32(out);
    }
    expect_close(outs[0], outs[1], 1e-6, 1e-6, "transformed render");
    expect_close(d_ins[0], d_ins[1], 1e-5, 1e-9, "d render");
    expect_close(d_ps[0], d_ps[1], 1e-4, 1e-6, "d parameters (sums over 518,400 pixels)");
    EXPECT_EQ(masked[0], masked[1]);
}

// Training with MCMC, the Mip-Splatting filters and appearance compensation on the GPU reaches what
// the CPU reaches on the same tiny scene (test_train_extras_e2e.cpp's settings).
TEST(CudaTraining, McmcMipAndAppearanceMatchTheCpu) {
    SKIP_WITHOUT_GPU();
    TempDir dir("train_cuda_extras");
    write_gaussian_dataset(dir / "data", ground_truth_gaussians(12, 5), 24, 6, 48);
    double psnr[2] = {0, 0};
    for (int k = 0; k < 2; ++k) {
        TrainSetup s;
        s.data = dir / "data";
        s.run_dir = dir / cat("run", k);
        s.model_config = {{"iterations", 400},
                          {"position_lr_max_steps", 400},
                          {"sh_increase_every", 100},
                          {"init_scale", 1.0},
                          {"filter_3d", true},
                          {"antialiased", true},
                          {"eps2d", 0.1},
                          {"appearance", "affine"},
                          {"densify",
                           {{"strategy", "mcmc"},
                            {"densify_from", 100},
                            {"densify_until", 350},
                            {"densify_every", 50},
                            {"max_gaussians", 280}}}};
        s.options.device = k == 0 ? "cpu" : "cuda";
        s.options.seed = 7;
        s.options.probe_every = 0;
        s.options.checkpoint_every = 0;
        const TrainOutcome r = train_now(s);
        ASSERT_TRUE(r.failure.empty()) << r.failure;
        psnr[k] = r.finished.psnr;
    }
    std::printf("MCMC, Mip filters and appearance: held-out PSNR %.2f dB on the CPU, %.2f dB on the GPU\n", psnr[0],
                psnr[1]);
    EXPECT_NEAR(psnr[1], psnr[0], 0.5);
}

} // namespace
} // namespace splatscape::test
