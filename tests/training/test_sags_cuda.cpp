// The sags op family and the sags model on the GPU against the CPU backend (label gpu): visibility,
// decoder input and its backward, composition and its backward, statistics, SAGS-Lite mid-points;
// then a whole model (learned and weight-free edges, Lite) initialised identically on both
// backends: decoded Gaussians and every parameter's gradient. Skipped when the machine has no CUDA
// device (scripts/device-check.sh runs them on one).
//
// Tolerances: the device build uses --use_fast_math and FMA contraction, and the sums over a view's
// rows and the mid-point gradients use atomic adds in any order, so values agree to float rounding:
// a relative 1e-4 of the tensor's largest magnitude for one op, 2e-3 through the whole model (the
// neural blocks' own tolerances compound through the decoders).
#include <algorithm>
#include <cmath>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "tests/training/cpu_cuda_pair.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/device_cuda.hpp"
#include "training/models/sags.hpp"
#include "training/ops/sags_ops.hpp"

namespace splatscape::test {
namespace {

using Both = CpuCudaPair;

void expect_close(Backend& a, const Tensor& x, Backend& b, const Tensor& y, double rel, const char* what) {
    const std::vector<float> u = a.download_f32(x), v = b.download_f32(y);
    ASSERT_EQ(u.size(), v.size()) << what;
    double scale = 1e-12;
    for (float f : u) scale = std::max(scale, double(std::abs(f)));
    double worst = 0;
    for (size_t i = 0; i < u.size(); ++i) worst = std::max(worst, std::abs(double(u[i]) - double(v[i])));
    EXPECT_LE(worst, rel * scale) << what << ": largest difference " << worst << " of scale " << scale;
}

kern::RasterCamera<float> camera() {
    kern::RasterCamera<float> c;
    for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 3; ++k) c.R.m[r][k] = r == k ? 1.0f : 0.0f;
    c.t = {0.0f, 0.0f, 4.0f};
    c.center = {0.0f, 0.0f, -4.0f};
    c.fx = c.fy = 60.0f;
    c.cx = c.cy = 32.0f;
    c.width = c.height = 64;
    return c;
}

TEST(CudaSagsOps, MatchTheCpu) {
    SKIP_WITHOUT_GPU();
    Both b;
    std::mt19937 rng(1);
    const size_t n = 5000;
    const int hw = 32, fd = 32, E = hw + 2 * fd;
    auto pts = b.f32(uniform(rng, n * 3, -2.5f, 2.5f), n, 3);
    SagsOps& oc = b.cpu.ops<SagsOps>();
    SagsOps& og = b.gpu->ops<SagsOps>();
    const Tensor rc = oc.visible_points(pts.c, camera(), 0.1f, 0.01f);
    const Tensor rg = og.visible_points(pts.g, camera(), 0.1f, 0.01f);
    std::vector<int32_t> lc(rc.rows()), lg(rg.rows());
    b.cpu.download(rc, lc.data());
    b.gpu->download(rg, lg.data());
    ASSERT_EQ(lc, lg) << "visible rows";
    ASSERT_GT(lc.size(), 500u);
    const size_t M = lc.size();

    auto hash = b.f32(uniform(rng, n * hw, -1, 1), n, hw);
    auto local = b.f32(uniform(rng, n * fd, -1, 1), n, fd);
    auto global = b.f32(uniform(rng, fd, -1, 1), 1, fd);
    auto affine = b.f32(uniform(rng, E * 2, 0.5f, 1.5f), E, 2);
    auto x = b.zeros(M, E + 4);
    oc.assemble(hash.c, local.c, global.c, affine.c, pts.c, rc, camera().center, x.c);
    og.assemble(hash.g, local.g, global.g, affine.g, pts.g, rg, camera().center, x.g);
    expect_close(b.cpu, x.c, *b.gpu, x.g, 1e-5, "decoder input");

    auto dx = b.f32(uniform(rng, M * (E + 4), -1, 1), M, E + 4);
    auto dh = b.zeros(n, hw), dl = b.zeros(n, fd), dg = b.zeros(1, fd), da = b.zeros(E, 2);
    oc.assemble_backward(hash.c, local.c, global.c, affine.c, rc, dx.c, dh.c, dl.c, dg.c, da.c);
    og.assemble_backward(hash.g, local.g, global.g, affine.g, rg, dx.g, dh.g, dl.g, dg.g, da.g);
    expect_close(b.cpu, dh.c, *b.gpu, dh.g, 1e-5, "d hash");
    expect_close(b.cpu, dl.c, *b.gpu, dl.g, 1e-5, "d local");
    expect_close(b.cpu, dg.c, *b.gpu, dg.g, 1e-4, "d global");
    expect_close(b.cpu, da.c, *b.gpu, da.g, 1e-4, "d affine");

    std::vector<float> dec = uniform(rng, M * kern::kSagsDecodedCols, -2, 2);
    for (size_t m = 0; m < M; ++m) dec[m * kern::kSagsDecodedCols] = std::tanh(dec[m * kern::kSagsDecodedCols]);
    auto decoded = b.f32(dec, M, kern::kSagsDecodedCols);
    auto scales = b.f32(uniform(rng, n * 6, -4, -1), n, 6);
    std::vector<float> fq = uniform(rng, n * 4, -1, 1);
    for (size_t i = 0; i < n; ++i) {
        const float len = std::sqrt(fq[4 * i] * fq[4 * i] + fq[4 * i + 1] * fq[4 * i + 1] +
                                    fq[4 * i + 2] * fq[4 * i + 2] + fq[4 * i + 3] * fq[4 * i + 3]);
        for (int k = 0; k < 4; ++k) fq[4 * i + k] /= len;
    }
    auto frames = b.f32(fq, n, 4);
    Both::Pair out[5] = {b.zeros(M, 3), b.zeros(M, 3), b.zeros(M, 4), b.zeros(M, 1), b.zeros(M, 3)};
    oc.compose(decoded.c, pts.c, scales.c, &frames.c, rc, 0.0f, 0.05f,
               {&out[0].c, &out[1].c, &out[2].c, &out[3].c, &out[4].c});
    og.compose(decoded.g, pts.g, scales.g, &frames.g, rg, 0.0f, 0.05f,
               {&out[0].g, &out[1].g, &out[2].g, &out[3].g, &out[4].g});
    const char* names[5] = {"means", "log-scales", "rotations", "opacities", "colours"};
    for (int q = 0; q < 5; ++q) expect_close(b.cpu, out[q].c, *b.gpu, out[q].g, 1e-5, names[q]);
    Both::Pair grad[5] = {b.f32(uniform(rng, M * 3, -1, 1), M, 3), b.f32(uniform(rng, M * 3, -1, 1), M, 3),
                          b.f32(uniform(rng, M * 4, -1, 1), M, 4), b.f32(uniform(rng, M, -1, 1), M, 1),
                          b.f32(uniform(rng, M * 3, -1, 1), M, 3)};
    auto dd = b.zeros(M, kern::kSagsDecodedCols), ds = b.zeros(n, 6);
    oc.compose_backward(decoded.c, scales.c, &frames.c, rc, 0.0f, 0.05f,
                        {&grad[0].c, &grad[1].c, &grad[2].c, &grad[3].c, &grad[4].c}, dd.c, ds.c);
    og.compose_backward(decoded.g, scales.g, &frames.g, rg, 0.0f, 0.05f,
                        {&grad[0].g, &grad[1].g, &grad[2].g, &grad[3].g, &grad[4].g}, dd.g, ds.g);
    expect_close(b.cpu, dd.c, *b.gpu, dd.g, 1e-4, "d decoded");
    expect_close(b.cpu, ds.c, *b.gpu, ds.g, 1e-5, "d scales");

    auto norm = b.f32(uniform(rng, M, 0, 1), M, 1);
    auto s1 = b.zeros(n, 1), s2 = b.zeros(n, 1), s3 = b.zeros(n, 1), s4 = b.zeros(n, 3);
    oc.accumulate_stats(rc, norm.c, decoded.c, out[0].c, s1.c, s2.c, s3.c, s4.c);
    og.accumulate_stats(rg, norm.g, decoded.g, out[0].g, s1.g, s2.g, s3.g, s4.g);
    expect_close(b.cpu, s1.c, *b.gpu, s1.g, 1e-6, "gradient sums");
    expect_close(b.cpu, s2.c, *b.gpu, s2.g, 0.0, "views");
    expect_close(b.cpu, s3.c, *b.gpu, s3.g, 1e-6, "opacity sums");
    expect_close(b.cpu, s4.c, *b.gpu, s4.g, 1e-6, "last means");

    std::vector<int32_t> pairs;
    std::uniform_int_distribution<int32_t> pick(0, int32_t(n) - 1);
    for (int p = 0; p < 7000; ++p) pairs.insert(pairs.end(), {pick(rng), pick(rng)});
    auto pr = b.i32(pairs, 7000, 2);
    auto feat = b.f32(uniform(rng, n * fd, -1, 1), n, fd);
    auto ex = b.zeros(n + 7000, fd);
    oc.expand_midpoints(feat.c, pr.c, ex.c);
    og.expand_midpoints(feat.g, pr.g, ex.g);
    expect_close(b.cpu, ex.c, *b.gpu, ex.g, 0.0, "mid-points");
    auto dex = b.f32(uniform(rng, (n + 7000) * fd, -1, 1), n + 7000, fd);
    auto dfeat = b.zeros(n, fd);
    oc.expand_midpoints_backward(pr.c, dex.c, dfeat.c);
    og.expand_midpoints_backward(pr.g, dex.g, dfeat.g);
    expect_close(b.cpu, dfeat.c, *b.gpu, dfeat.g, 1e-5, "d mid-points");

    auto aggregated = b.f32(uniform(rng, n * fd, -1, 1), n, fd);
    oc.add_residual(feat.c, aggregated.c);
    og.add_residual(feat.g, aggregated.g);
    expect_close(b.cpu, aggregated.c, *b.gpu, aggregated.g, 1e-6, "residual");
    auto dlocal = b.f32(uniform(rng, n * fd, -1, 1), n, fd);
    auto dfeat2 = b.f32(uniform(rng, n * fd, -1, 1), n, fd);
    oc.add_residual_backward(dlocal.c, dfeat2.c);
    og.add_residual_backward(dlocal.g, dfeat2.g);
    expect_close(b.cpu, dlocal.c, *b.gpu, dlocal.g, 1e-6, "d aggregate");
    expect_close(b.cpu, dfeat2.c, *b.gpu, dfeat2.g, 1e-6, "d features (residual)");
}

// A whole model on both backends from the same initial state.
void check_model(bool learned, bool lite) {
    Both b;
    SagsConfig c;
    c.learned_edges = learned;
    c.lite = lite;
    c.hash_log2_table = 12;
    c.upsample_max_pairs = 2;
    std::mt19937 rng(3);
    PointCloud p;
    p.positions = uniform(rng, 3 * 4000, -1.5f, 1.5f);
    p.colors = uniform(rng, 3 * 4000, 0.0f, 1.0f);
    SagsModel mc(b.cpu, c, 4.0f), mg(*b.gpu, c, 4.0f);
    mc.initialize(p, Bounds{}, 1);
    mg.initialize(p, Bounds{}, 1);
    ASSERT_EQ(mc.size(), mg.size());
    // Random features and tables so that every path carries signal.
    for (const char* name : {"features", "hash"}) {
        const std::vector<float> v = uniform(rng, mc.params().get(name).value.numel(), -0.5f, 0.5f);
        b.cpu.upload(mc.params().get(name).value, v.data());
        b.gpu->upload(mg.params().get(name).value, v.data());
    }
    ViewInfo view;
    view.camera = camera();
    const RasterTensors tc = mc.raster_inputs(view), tg = mg.raster_inputs(view);
    ASSERT_EQ(tc.count(), tg.count());
    ASSERT_GT(tc.count(), 1000u);
    expect_close(b.cpu, *tc.means, *b.gpu, *tg.means, 2e-3, "means");
    expect_close(b.cpu, *tc.colors, *b.gpu, *tg.colors, 2e-3, "colours");
    expect_close(b.cpu, *tc.log_scales, *b.gpu, *tg.log_scales, 2e-3, "log-scales");
    const size_t M = tc.count();
    RasterGradTensors gc = mc.raster_grads(), gg = mg.raster_grads();
    for (auto [tcpu, tgpu, cols] : {std::tuple{gc.means, gg.means, 3},
                                    {gc.log_scales, gg.log_scales, 3},
                                    {gc.rotations, gg.rotations, 4},
                                    {gc.colors, gg.colors, 3}}) {
        const std::vector<float> v = uniform(rng, M * size_t(cols), -1, 1);
        b.cpu.upload(*tcpu, v.data());
        b.gpu->upload(*tgpu, v.data());
    }
    mc.backward(view);
    mg.backward(view);
    for (const Parameter& pc : mc.params().all()) {
        if (pc.name == "points" || pc.name == "frame") continue;
        expect_close(b.cpu, pc.grad, *b.gpu, mg.params().get(pc.name).grad, 2e-3, pc.name.c_str());
    }
}

TEST(CudaSagsModel, MatchesTheCpuLearnedEdges) {
    SKIP_WITHOUT_GPU();
    check_model(true, false);
}

TEST(CudaSagsModel, MatchesTheCpuWeightFree) {
    SKIP_WITHOUT_GPU();
    check_model(false, false);
}

TEST(CudaSagsModel, MatchesTheCpuLite) {
    SKIP_WITHOUT_GPU();
    check_model(true, true);
}

} // namespace
} // namespace splatscape::test
