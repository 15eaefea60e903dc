// hmohe's expert-dispatch ops on the GPU against the CPU ops (label gpu): routing, grouping,
// gathering, the gate-weighted scatter and its backward, the balance statistics and the gate's
// backward. Skipped when the machine has no CUDA device (scripts/device-check.sh runs them on one).
//
// Tolerances: the device build uses --use_fast_math (the softmax's exp), so probabilities and the
// values computed from them agree to a relative 1e-5 of the tensor's largest magnitude; the top-1
// choice, grouping, gathering and the scatter's products are exact (logits are drawn far from ties).
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/device_cuda.hpp"
#include "training/ops/expert_ops.hpp"

namespace splatscape::test {
namespace {

bool have_gpu() {
    return !cuda::list_devices().empty();
}

#define SKIP_WITHOUT_GPU()                                                                                             \
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device on this machine; skipping"

struct Both {
    CpuBackend cpu{0};
    std::unique_ptr<CudaBackend> gpu = std::make_unique<CudaBackend>(0);
    ExpertOps& c = cpu.ops<ExpertOps>();
    ExpertOps& g = gpu->ops<ExpertOps>();

    struct Pair {
        Tensor c, g;
    };
    Pair f32(const std::vector<float>& v, size_t rows, int cols) {
        Pair p{cpu.zeros(rows, cols), gpu->zeros(rows, cols)};
        if (!v.empty()) {
            cpu.upload(p.c, v.data());
            gpu->upload(p.g, v.data());
        }
        return p;
    }
    Pair i32(const std::vector<int32_t>& v, size_t rows) {
        Pair p{cpu.zeros(rows, 1, DType::I32), gpu->zeros(rows, 1, DType::I32)};
        if (!v.empty()) {
            cpu.upload(p.c, v.data());
            gpu->upload(p.g, v.data());
        }
        return p;
    }
    Pair zeros(size_t rows, int cols, DType dt = DType::F32) {
        return {cpu.zeros(rows, cols, dt), gpu->zeros(rows, cols, dt)};
    }
};

template <class T>
std::vector<T> host(Backend& b, const Tensor& t) {
    std::vector<T> v(t.numel());
    b.download(t, v.data());
    return v;
}

void expect_close(Both& b, const Both::Pair& p, double rtol, const std::string& what) {
    const auto c = host<float>(b.cpu, p.c), g = host<float>(*b.gpu, p.g);
    ASSERT_EQ(c.size(), g.size()) << what;
    double scale = 0, worst = 0;
    for (float x : c) scale = std::max(scale, double(std::abs(x)));
    int misses = 0;
    for (size_t i = 0; i < c.size(); ++i) {
        const double d = std::abs(double(c[i]) - double(g[i]));
        worst = std::max(worst, d);
        if (!(d <= rtol * scale) && misses++ < 10)
            ADD_FAILURE() << what << "[" << i << "]: cpu " << c[i] << " gpu " << g[i];
    }
    std::printf("%s: largest difference %.3g of scale %.3g\n", what.c_str(), worst, scale);
}

void expect_equal_i32(Both& b, const Both::Pair& p, const std::string& what) {
    EXPECT_EQ(host<int32_t>(b.cpu, p.c), host<int32_t>(*b.gpu, p.g)) << what;
}

TEST(HmoheCuda, DispatchMatchesTheCpu) {
    SKIP_WITHOUT_GPU();
    Both b;
    const int E = 8, C = 16, kCols = C + 3, kCol = 2;
    const size_t n = 50000;
    std::mt19937 rng(2);
    std::normal_distribution<float> nd(0.0f, 2.0f);
    std::vector<float> logits(n * E), outputs(n * C), grad(n * kCols);
    for (float& v : logits) v = nd(rng);
    for (float& v : outputs) v = nd(rng);
    for (float& v : grad) v = nd(rng);
    auto l = b.f32(logits, n, E);
    auto probs = b.zeros(n, E), expert = b.zeros(n, 1, DType::I32), prob = b.zeros(n, 1);
    b.c.route(l.c, probs.c, expert.c, prob.c);
    b.g.route(l.g, probs.g, expert.g, prob.g);
    expect_equal_i32(b, expert, "expert");
    expect_close(b, probs, 1e-5, "probs");
    expect_close(b, prob, 1e-5, "prob");

    // Grouping by expert (host offsets), and by a key with rows left out (device offsets only).
    Both::Pair perm, offsets;
    const auto oc = b.c.group(expert.c, E, perm.c, offsets.c, true);
    const auto og = b.g.group(expert.g, E, perm.g, offsets.g, true);
    EXPECT_EQ(oc, og);
    expect_equal_i32(b, perm, "perm");
    expect_equal_i32(b, offsets, "offsets");
    std::vector<int32_t> keys(n);
    for (int32_t& k : keys) k = int32_t(rng() % 7000) - 1000; // about a seventh negative
    auto key = b.i32(keys, n);
    Both::Pair kp, ko;
    b.c.group(key.c, 6000, kp.c, ko.c, false);
    b.g.group(key.g, 6000, kp.g, ko.g, false);
    expect_equal_i32(b, kp, "perm by key");
    expect_equal_i32(b, ko, "offsets by key");
    auto bad = b.i32({0, 3, 6000}, 3);
    EXPECT_THROW(b.g.group(bad.g, 6000, kp.g, ko.g, false), Error);

    // Gather, the scatter back and its backward.
    auto out = b.f32(outputs, n, C);
    Both::Pair sorted;
    b.c.gather(out.c, perm.c, sorted.c);
    b.g.gather(out.g, perm.g, sorted.g);
    expect_close(b, sorted, 0.0, "gathered");
    auto dst = b.zeros(n, kCols);
    b.c.scatter_scaled(sorted.c, perm.c, prob.c, dst.c, kCol);
    b.g.scatter_scaled(sorted.g, perm.g, prob.g, dst.g, kCol);
    expect_close(b, dst, 1e-5, "scattered");
    auto d_dst = b.f32(grad, n, kCols);
    auto d_src = b.zeros(n, C), d_prob = b.zeros(n, 1);
    b.c.scatter_scaled_backward(sorted.c, perm.c, prob.c, d_dst.c, kCol, d_src.c, d_prob.c);
    b.g.scatter_scaled_backward(sorted.g, perm.g, prob.g, d_dst.g, kCol, d_src.g, d_prob.g);
    expect_close(b, d_src, 1e-5, "d_src");
    expect_close(b, d_prob, 1e-5, "d_prob");

    // Balance statistics and the gate's backward with a balance gradient.
    const GateBalance bc = b.c.balance(probs.c, expert.c), bg = b.g.balance(probs.g, expert.g);
    EXPECT_EQ(bc.fraction, bg.fraction);
    for (int e = 0; e < E; ++e) EXPECT_NEAR(bc.mean_probability[size_t(e)], bg.mean_probability[size_t(e)], 1e-6);
    std::vector<float> coef(E);
    for (int e = 0; e < E; ++e) coef[size_t(e)] = float(1e-3 * E * bc.fraction[size_t(e)] / double(n));
    auto d_logits = b.zeros(n, E);
    b.c.gate_backward(probs.c, expert.c, d_prob.c, coef, d_logits.c);
    b.g.gate_backward(probs.g, expert.g, d_prob.g, coef, d_logits.g);
    expect_close(b, d_logits, 1e-5, "d_logits");
}

} // namespace
} // namespace splatscape::test
