// The Vulkan 4D slice pre-pass (shaders/slice4d.comp, renderer/slice4d_vk.hpp) against the CPU
// slice op (training/cpu/slice4d_cpu.cpp), and whole frames of a 4D scene from the offscreen
// renderer against the CPU renderer at several times: at least 40 dB, as docs/rasterizer.md asks of
// any two implementations of the same frame.
#include <cmath>
#include <cstdio>
#include <random>

#include <glm/glm.hpp>

#include "core/metrics.hpp"
#include "renderer/slice4d_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "tests/renderer/vk_test_support.hpp"
#include "tests/support/test_support.hpp"
#include "training/backend.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/render.hpp"

namespace splatscape::test {
namespace {

// 4D Gaussians in front of a camera at the origin looking along +z, moving through space-time
// (rotations mix space and time), with temporal colour, some short-lived so that slices leave
// them out.
GaussianCloud4d moving_scene(size_t n, uint32_t seed) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    std::normal_distribution<float> g(0.0f, 1.0f);
    GaussianCloud4d c;
    c.resize(n, 3, 2);
    c.time_min = 0.0f;
    c.time_max = 1.0f;
    c.time_period = 1.0f;
    const int J = c.sh_coeffs();
    for (size_t i = 0; i < n; ++i) {
        c.positions[3 * i] = 2.0f * u(rng);
        c.positions[3 * i + 1] = 1.5f * u(rng);
        c.positions[3 * i + 2] = 4.0f + 1.5f * u(rng);
        c.times[i] = 0.5f + 0.6f * u(rng);
        for (int a = 0; a < 3; ++a) c.log_scales[4 * i + a] = -2.8f + 0.5f * g(rng);
        c.log_scales[4 * i + 3] = std::log(i % 3 == 0 ? 0.08f : 0.5f);
        for (int a = 0; a < 4; ++a) {
            c.rotations_l[4 * i + a] = (a == 0 ? 1.0f : 0.0f) + 0.5f * g(rng);
            c.rotations_r[4 * i + a] = (a == 0 ? 1.0f : 0.0f) + 0.5f * g(rng);
        }
        c.opacities[i] = 1.0f + g(rng);
        for (int k = 0; k < J * 3; ++k) c.sh[i * size_t(J) * 3 + size_t(k)] = (k < 3 ? 1.0f : 0.2f) * g(rng);
    }
    return c;
}

Camera front_camera(int width, int height) {
    return Camera::from_camera_to_world(glm::mat4(1.0f), width, height, 0.9f * width, 0.9f * width, 0.5f * width,
                                        0.5f * height);
}

class Slice4dVulkanTest : public VulkanTest {};

TEST_F(Slice4dVulkanTest, PrePassMatchesTheCpuSlice) {
    const GaussianCloud4d cloud = moving_scene(3000, 1);
    vk::GpuScene4d scene(context(), cloud);
    vk::Slice4dPass pass(context());
    auto backend = create_backend("cpu");
    Tensor means = backend->zeros(cloud.size(), 4), ls = backend->zeros(cloud.size(), 4),
           rl = backend->zeros(cloud.size(), 4), rr = backend->zeros(cloud.size(), 4),
           op = backend->zeros(cloud.size(), 1), sh = backend->zeros(cloud.size(), cloud.sh_coeffs() * 3);
    std::vector<float> m4(cloud.size() * 4);
    for (size_t i = 0; i < cloud.size(); ++i) {
        for (int a = 0; a < 3; ++a) m4[4 * i + a] = cloud.positions[3 * i + a];
        m4[4 * i + 3] = cloud.times[i];
    }
    backend->upload(means, m4.data());
    backend->upload(ls, cloud.log_scales.data());
    backend->upload(rl, cloud.rotations_l.data());
    backend->upload(rr, cloud.rotations_r.data());
    backend->upload(op, cloud.opacities.data());
    backend->upload(sh, cloud.sh.data());
    const Gaussian4dTensors in{&means, &ls, &rl, &rr, &op, &sh, 16};

    for (float time : {0.1f, 0.55f, 0.97f}) {
        context().submit_and_wait([&](VkCommandBuffer cmd) { pass.record(cmd, scene, time, 0.05f); });
        const size_t n = cloud.size();
        std::vector<float> g_mo(n * 4), g_cov(n * 6), g_sh(n * 48);
        vk::download(context(), scene.slice_means_opacity(), g_mo.data(), g_mo.size() * 4);
        vk::download(context(), scene.slice_covariances(), g_cov.data(), g_cov.size() * 4);
        vk::download(context(), scene.slice_sh(), g_sh.data(), g_sh.size() * 4);

        Slice4dSettings s;
        s.time = time;
        s.sh_degree = 3;
        s.sh_degree_t = 2;
        Slice4dTensors cpu;
        backend->ops<Slice4dOps>().forward(in, s, cpu);
        const size_t m = cpu.count();
        std::vector<int32_t> rows(m);
        std::vector<float> c_means(m * 3), c_cov(m * 6), c_op(m), c_sh(m * 48);
        backend->download(cpu.rows, rows.data());
        backend->download(cpu.means, c_means.data());
        backend->download(cpu.covariances, c_cov.data());
        backend->download(cpu.opacities, c_op.data());
        backend->download(cpu.sh, c_sh.data());
        ASSERT_GT(m, n / 4) << time;
        ASSERT_LT(m, n) << time << ": some Gaussians must be left out of the slice";

        size_t gpu_kept = 0, worst_index = 0;
        double worst = 0.0;
        for (size_t i = 0; i < n; ++i) gpu_kept += g_cov[6 * i] >= 0.0f ? 1 : 0;
        EXPECT_EQ(gpu_kept, m) << time;
        for (size_t j = 0; j < m; ++j) {
            const size_t i = size_t(rows[j]);
            ASSERT_GE(g_cov[6 * i], 0.0f) << "row " << i << " kept on the CPU, left out on the GPU";
            auto near = [&](float gpu, float ref, float tol) {
                const double e = std::abs(double(gpu) - ref) / (tol + std::abs(ref));
                if (e > worst) worst = e, worst_index = i;
            };
            for (int a = 0; a < 3; ++a) near(g_mo[4 * i + a], c_means[3 * j + a], 1e-4f);
            near(g_mo[4 * i + 3], c_op[j], 1e-3f);
            for (int k = 0; k < 6; ++k) near(g_cov[6 * i + k], c_cov[6 * j + k], 1e-5f);
            for (int k = 0; k < 48; ++k) near(g_sh[i * 48 + k], c_sh[j * 48 + k], 1e-4f);
        }
        std::printf("time %.2f: %zu of %zu Gaussians in the slice; largest relative difference %.2g (Gaussian %zu)\n",
                    time, m, n, worst, worst_index);
        EXPECT_LT(worst, 1e-3) << time;
    }
}

class Slice4dFrameTest : public OffscreenTest {};

TEST_F(Slice4dFrameTest, FramesMatchTheCpuRenderer) {
    const GaussianCloud4d cloud = moving_scene(4000, 2);
    const Camera camera = front_camera(200, 150);
    auto backend = create_backend("cpu");
    Cloud4dRenderer cpu(*backend, cloud);
    renderer().set_scene(cloud, 0.05f);
    Image previous;
    for (float time : {0.0f, 0.4f, 0.8f}) {
        RenderSettings settings;
        settings.background = {0.1f, 0.2f, 0.3f};
        settings.time = time;
        const RenderOutput gpu = renderer().render(camera, settings);
        RenderOptions o;
        o.background = settings.background;
        Image alpha;
        const Image ref = cpu.render(camera, time, o, &alpha);
        const double p = psnr(gpu.image, ref), pa = psnr(gpu.alpha, alpha);
        std::printf("time %.1f: %llu visible, colour %.1f dB, alpha %.1f dB against the CPU\n", time,
                    (unsigned long long)gpu.stats.visible, p, pa);
        EXPECT_GE(p, 40.0) << time;
        EXPECT_GE(pa, 40.0) << time;
        // The slice leaves Gaussians out: fewer are visible than the scene holds.
        EXPECT_LT(gpu.stats.visible, cloud.size());
        EXPECT_LE(gpu.stats.visible, cpu.sliced());
        double coverage = 0;
        for (float a : alpha.data) coverage += a;
        EXPECT_GT(coverage / double(alpha.data.size()), 0.2) << time;
        if (!previous.data.empty()) {
            EXPECT_LT(psnr(previous, gpu.image), 35.0) << "the scene moves";
        }
        previous = gpu.image;
    }
}

} // namespace
} // namespace splatscape::test
