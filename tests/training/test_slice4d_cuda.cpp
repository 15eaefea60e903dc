// The CUDA launchers of the 4D slice (training/cuda/slice4d_cuda.hpp) against the CPU launchers
// (training/cpu/slice4d_cpu.hpp) on the same 4D Gaussians: the rows kept, the slice's outputs and
// the parameter gradients of its backward (label gpu; skipped without a CUDA device). The device
// build uses --use_fast_math, so values agree to a relative 1e-3, not bit for bit.
#include <cmath>
#include <random>
#include <vector>

#include <cuda_runtime_api.h>
#include <gtest/gtest.h>

#include "training/cpu/slice4d_cpu.hpp"
#include "training/cuda/kernels_probe.hpp"
#include "training/cuda/slice4d_cuda.hpp"

namespace splatscape::test {
namespace {

// A device copy of a host vector, freed with the object.
template <class T>
struct DeviceVector {
    T* ptr = nullptr;
    size_t n = 0;
    explicit DeviceVector(size_t count) : n(count) {
        EXPECT_EQ(cudaMalloc(reinterpret_cast<void**>(&ptr), std::max<size_t>(n, 1) * sizeof(T)), cudaSuccess);
        EXPECT_EQ(cudaMemset(ptr, 0, std::max<size_t>(n, 1) * sizeof(T)), cudaSuccess);
    }
    explicit DeviceVector(const std::vector<T>& host) : DeviceVector(host.size()) {
        EXPECT_EQ(cudaMemcpy(ptr, host.data(), n * sizeof(T), cudaMemcpyHostToDevice), cudaSuccess);
    }
    ~DeviceVector() { cudaFree(ptr); }
    std::vector<T> host(size_t count) const {
        std::vector<T> out(count);
        EXPECT_EQ(cudaMemcpy(out.data(), ptr, count * sizeof(T), cudaMemcpyDeviceToHost), cudaSuccess);
        return out;
    }
};

void expect_close(const std::vector<float>& gpu, const std::vector<float>& cpu, const char* what) {
    ASSERT_EQ(gpu.size(), cpu.size()) << what;
    int failures = 0;
    for (size_t i = 0; i < cpu.size(); ++i)
        if (!(std::abs(gpu[i] - cpu[i]) <= 1e-3f * std::max(1.0f, std::abs(cpu[i]))) && failures++ < 10)
            ADD_FAILURE() << what << "[" << i << "]: gpu " << gpu[i] << " cpu " << cpu[i];
}

TEST(Slice4dCuda, MatchesTheCpuLaunchers) {
    if (!cuda::cuda_device_present()) GTEST_SKIP() << "no CUDA device on this machine; skipping";
    const size_t n = 20000;
    const int K = 16, J = K * 3; // spatial degree 3, temporal degree 2
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::vector<float> means(n * 4), scales(n * 4), rot_l(n * 4), rot_r(n * 4), opacities(n), sh(n * J * 3);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) means[4 * i + a] = 2.0f * u(rng);
        means[4 * i + 3] = 0.5f + 0.6f * u(rng);
        for (int a = 0; a < 3; ++a) scales[4 * i + a] = -2.5f + 0.5f * u(rng);
        scales[4 * i + 3] = std::log(0.25f) + 0.8f * u(rng);
        for (int a = 0; a < 4; ++a) {
            rot_l[4 * i + a] = (a == 0 ? 1.0f : 0.0f) + 0.5f * u(rng);
            rot_r[4 * i + a] = (a == 0 ? 1.0f : 0.0f) + 0.5f * u(rng);
        }
        opacities[i] = 3.0f * u(rng);
        for (int k = 0; k < J * 3; ++k) sh[i * J * 3 + size_t(k)] = (k < 3 ? 1.0f : 0.2f) * u(rng);
    }
    cpu::Slice4dArrays<float> host{
        n, means.data(), scales.data(), rot_l.data(), rot_r.data(), opacities.data(), sh.data(), K, J};
    DeviceVector<float> d_means(means), d_scales(scales), d_rl(rot_l), d_rr(rot_r), d_op(opacities), d_sh(sh);
    cuda::Slice4dDevice dev{n, d_means.ptr, d_scales.ptr, d_rl.ptr, d_rr.ptr, d_op.ptr, d_sh.ptr, K, J};

    for (const float time : {0.05f, 0.5f, 0.93f}) {
        cpu::Slice4dParams p{time, 1.3f, 3, 2, 0.05f};
        const cuda::Slice4dLaunch launch{time, 1.3f, 3, 2, 0.05f};
        const std::vector<int32_t> rows = cpu::slice4d_select(host, p);
        DeviceVector<int32_t> d_rows(n);
        const size_t m = cuda::launch_slice4d_select(dev, launch, d_rows.ptr);
        ASSERT_EQ(m, rows.size()) << time;
        ASSERT_GT(m, n / 10);
        ASSERT_LT(m, n);
        EXPECT_EQ(d_rows.host(m), rows) << time;

        std::vector<float> c_means(m * 3), c_cov(m * 6), c_op(m), c_sh(m * 48);
        cpu::slice4d_forward(host, p, rows.data(), m, c_means.data(), c_cov.data(), c_op.data(), c_sh.data());
        DeviceVector<float> g_means(m * 3), g_cov(m * 6), g_op(m), g_sh(m * 48);
        cuda::launch_slice4d_forward(dev, launch, d_rows.ptr, m, g_means.ptr, g_cov.ptr, g_op.ptr, g_sh.ptr);
        expect_close(g_means.host(m * 3), c_means, "means");
        expect_close(g_cov.host(m * 6), c_cov, "covariances");
        expect_close(g_op.host(m), c_op, "opacities");
        expect_close(g_sh.host(m * 48), c_sh, "sh");

        // Backward from random output gradients, scaled by 0.5 and added twice.
        std::vector<float> dm(m * 3), dc(m * 6), dop(m), dsh(m * 48);
        for (auto* v : {&dm, &dc, &dop, &dsh})
            for (float& x : *v) x = u(rng);
        std::vector<float> gm(n * 4, 0.0f), gs(n * 4, 0.0f), gl(n * 4, 0.0f), gr(n * 4, 0.0f), go(n, 0.0f),
            gsh(n * J * 3, 0.0f), tg(m);
        cpu::Slice4dParamGrads<float> cg{gm.data(), gs.data(), gl.data(), gr.data(), go.data(), gsh.data()};
        for (int k = 0; k < 2; ++k)
            cpu::slice4d_backward(host, p, rows.data(), m, dm.data(), dc.data(), dop.data(), dsh.data(), 0.5f, cg,
                                  tg.data());
        DeviceVector<float> e_dm(dm), e_dc(dc), e_dop(dop), e_dsh(dsh), e_gm(n * 4), e_gs(n * 4), e_gl(n * 4),
            e_gr(n * 4), e_go(n), e_gsh(n * J * 3), e_tg(m);
        const cuda::Slice4dDeviceGrads grads{e_gm.ptr, e_gs.ptr, e_gl.ptr, e_gr.ptr, e_go.ptr, e_gsh.ptr};
        for (int k = 0; k < 2; ++k)
            cuda::launch_slice4d_backward(dev, launch, d_rows.ptr, m, e_dm.ptr, e_dc.ptr, e_dop.ptr, e_dsh.ptr, 0.5f,
                                          grads, e_tg.ptr);
        expect_close(e_gm.host(n * 4), gm, "d means");
        expect_close(e_gs.host(n * 4), gs, "d log-scales");
        expect_close(e_gl.host(n * 4), gl, "d left rotations");
        expect_close(e_gr.host(n * 4), gr, "d right rotations");
        expect_close(e_go.host(n), go, "d opacities");
        expect_close(e_gsh.host(n * J * 3), gsh, "d sh");
        expect_close(e_tg.host(m), tg, "|dL/dmu_t|");
    }
}

} // namespace
} // namespace splatscape::test
