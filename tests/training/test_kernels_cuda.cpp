// The per-element functions on the GPU against the same functions on the CPU (label gpu). Skipped
// when the machine has no CUDA device. The device build uses --use_fast_math, so values agree to a
// relative 1e-3 (exp, division and square root are approximations there), not bit for bit.
#include <cmath>
#include <random>

#include <gtest/gtest.h>

#include "tests/training/fd_util.hpp"
#include "training/cuda/kernels_probe.hpp"

namespace splatscape::test {
namespace {

TEST(CudaKernels, MatchTheCpu) {
    if (!cuda::cuda_device_present()) GTEST_SKIP() << "no CUDA device on this machine; skipping";
    const int n = 4096;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> in(size_t(n) * cuda::kProbeInputs);
    for (int i = 0; i < n; ++i) {
        float* g = &in[size_t(i) * cuda::kProbeInputs];
        for (int a = 0; a < 3; ++a) g[a] = 1.5f * u(rng);
        for (int a = 0; a < 3; ++a) g[3 + a] = std::log(0.05f) + u(rng);
        for (int a = 0; a < 4; ++a) g[6 + a] = u(rng) + (a == 0 ? 1.5f : 0.0f);
        g[10] = 2.0f * u(rng);
        for (int k = 0; k < 48; ++k) g[11 + k] = (k < 3 ? 1.0f : 0.2f) * u(rng);
    }
    const auto cam = look_at_camera<float>({0.3f, -0.2f, -5.0f}, {0, 0, 0}, 320, 240, 300.0f);
    kern::RasterSettings s;
    std::vector<float> gpu(size_t(n) * cuda::kProbeOutputs), cpu(gpu.size());
    const std::string err = cuda::kernels_probe_run(n, in.data(), cam, s, gpu.data());
    ASSERT_TRUE(err.empty()) << err;
    for (int i = 0; i < n; ++i)
        cuda::probe_gaussian(i, &in[size_t(i) * cuda::kProbeInputs], cam, s, &cpu[size_t(i) * cuda::kProbeOutputs]);
    int visible = 0, mismatches = 0;
    for (int i = 0; i < n; ++i) {
        const float* a = &cpu[size_t(i) * cuda::kProbeOutputs];
        const float* b = &gpu[size_t(i) * cuda::kProbeOutputs];
        ASSERT_EQ(a[0], b[0]) << "visibility of Gaussian " << i;
        if (a[0] == 0.0f) continue;
        ++visible;
        for (int k = 1; k < cuda::kProbeOutputs; ++k) {
            // Radii and the ADC decisions are integers computed from rounded values: allow one step.
            const double tol = (k == 7 || k == 29 || k == 30) ? 1.0 : 1e-3 * std::max(1.0f, std::abs(a[k])) + 1e-5;
            if (std::abs(double(a[k]) - double(b[k])) > tol && mismatches++ < 20)
                ADD_FAILURE() << "Gaussian " << i << " output " << k << ": cpu " << a[k] << " gpu " << b[k];
        }
    }
    EXPECT_GT(visible, n / 4);
}

} // namespace
} // namespace splatscape::test
