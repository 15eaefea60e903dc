// The Vulkan sags decode pre-pass (shaders/sags_global.comp, sags_decode.comp, renderer/sags_vk.hpp):
// frames of a sags model decoded on the GPU for each camera against the CPU decode
// (training/models/sags.hpp) and the CPU rasterizer, at least 40 dB as docs/rasterizer.md asks of
// any two implementations of the same frame, from several directions (the decode changes with the
// view).
#include <cmath>
#include <cstdio>
#include <random>

#include <glm/glm.hpp>

#include "core/metrics.hpp"
#include "tests/renderer/vk_test_support.hpp"
#include "tests/support/test_support.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/models/sags.hpp"
#include "training/models/sags_decode.hpp"
#include "training/render.hpp"

namespace splatscape::test {
namespace {

// A sags model over points on three spheres, with random features, hash table and affine so that
// colour, opacity and shape vary from point to point and with the view.
std::unique_ptr<SagsModel> test_model(Backend& backend, bool learned) {
    SagsConfig c;
    c.feature_dim = 16;
    c.neighbours = 6;
    c.learned_edges = learned;
    c.edge_hidden = 16;
    c.hash_levels = 8;
    c.hash_log2_table = 12;
    c.hash_base_resolution = 4.0f;
    c.hash_growth = 1.5f;
    c.decoder_hidden = 32;
    c.offset_hidden = 32;
    c.upsample_max_pairs = 0;
    c.init_opacity = 0.4f;
    auto m = std::make_unique<SagsModel>(backend, c, 4.0f);
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0.0f, 1.0f);
    PointCloud p;
    const float centres[3][3] = {{0.0f, 0.0f, 0.0f}, {1.2f, 0.3f, 0.5f}, {-1.0f, -0.4f, 0.8f}};
    for (int i = 0; i < 3000; ++i) {
        const float* c0 = centres[i % 3];
        glm::vec3 d(g(rng), g(rng), g(rng));
        d = glm::normalize(d) * (0.5f + 0.1f * float(i % 3));
        for (int a = 0; a < 3; ++a) p.positions.push_back(c0[a] + d[a]);
        for (int a = 0; a < 3; ++a) p.colors.push_back(0.5f + 0.4f * std::tanh(g(rng)));
    }
    m->initialize(p, Bounds{}, 3);
    for (const char* name : {"features", "hash"}) {
        Parameter& q = m->params().get(name);
        std::vector<float> v(q.value.numel());
        for (float& x : v) x = 0.3f * g(rng);
        backend.upload(q.value, v.data());
    }
    return m;
}

Camera orbit_camera(float angle, int width, int height) {
    const glm::vec3 eye(4.0f * std::sin(angle), -1.0f, -4.0f * std::cos(angle));
    Camera c;
    Camera::look_at(eye, glm::vec3(0.0f), glm::vec3(0, -1, 0), width, height, 0.9f * width, 0.9f * width, 0.5f * width,
                    0.5f * height, c);
    return c;
}

class SagsFrameTest : public OffscreenTest {};

void check_frames(OffscreenRenderer& renderer, bool learned) {
    CpuBackend backend(2);
    auto model = test_model(backend, learned);
    renderer.set_scene(sags_decode_cache(*model));
    auto ctx = backend.ops<RasterOps>().create_context();
    RenderSettings settings;
    settings.background = glm::vec3(0.1f, 0.2f, 0.3f);
    RenderOptions ro;
    ro.background = settings.background;
    for (float angle : {0.0f, 0.9f, 2.4f}) {
        const Camera cam = orbit_camera(angle, 96, 80);
        ViewInfo view;
        view.camera = raster_camera(cam);
        const Image cpu = rasterize_images(backend, *ctx, model->raster_inputs(view), cam, ro, nullptr, nullptr);
        const RenderOutput gpu = renderer.render(cam, settings);
        const double p = psnr(gpu.image, cpu);
        std::printf("sags %s, angle %.1f: Vulkan decode vs CPU decode %.1f dB (%zu points, %zu visible)\n",
                    learned ? "learned edges" : "weight-free", angle, p, model->all_points().rows(),
                    size_t(gpu.stats.visible));
        // Measured on lavapipe: 147-150 dB (the same float math in the same order, nearly). 40 dB is
        // what docs/rasterizer.md asks of two implementations; 90 also catches a wrong term in the
        // decode (one sign flipped in the point-frame product gave 52 dB).
        EXPECT_GT(p, 90.0) << "angle " << angle;
        EXPECT_GT(gpu.stats.visible, 500u);
    }
}

TEST_F(SagsFrameTest, DecodeMatchesTheCpuWeightFree) {
    check_frames(renderer(), false);
}

TEST_F(SagsFrameTest, DecodeMatchesTheCpuLearnedEdges) {
    check_frames(renderer(), true);
}

} // namespace
} // namespace splatscape::test
