// The Vulkan splat renderer on scenes whose images follow in closed form from docs/rasterizer.md:
// single Gaussians seen head-on (their screen covariance is the scaled 3D one), two overlapping
// Gaussians (front-to-back compositing), view-dependent colour, culling, and the render modes.
#include <cmath>
#include <functional>

#include <glm/glm.hpp>

#include "core/error.hpp"
#include "tests/renderer/vk_test_support.hpp"

namespace splatscape::test {
namespace {

constexpr float kC0 = 0.28209479177387814f;
constexpr float kC1 = 0.4886025119029199f;
constexpr float kAlphaMin = 1.0f / 255.0f;

Camera pinhole(int width, int height, float focal) {
    Camera c;
    c.width = width;
    c.height = height;
    c.fx = c.fy = focal;
    c.cx = width * 0.5f;
    c.cy = height * 0.5f;
    return c; // at the origin, looking down +z
}

struct Splat {
    glm::vec3 position{0.0f};
    glm::vec3 scale{0.05f};
    glm::vec4 rotation{1, 0, 0, 0}; // w x y z
    float opacity = 0.8f;
    glm::vec3 color{0.5f};
};

GaussianCloud cloud_of(const std::vector<Splat>& splats, int degree = 0) {
    GaussianCloud c;
    c.resize(splats.size(), degree);
    std::fill(c.sh.begin(), c.sh.end(), 0.0f);
    const int K = c.sh_coeffs();
    for (size_t i = 0; i < splats.size(); ++i) {
        const Splat& s = splats[i];
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = s.position[a];
            c.log_scales[3 * i + a] = std::log(s.scale[a]);
            c.sh[i * K * 3 + a] = sh_dc_from_rgb(s.color[a]);
        }
        for (int a = 0; a < 4; ++a) c.rotations[4 * i + a] = s.rotation[a];
        c.opacities[i] = logit(s.opacity);
    }
    return c;
}

// Opacity of a splat at pixel (x, y) given its screen centre and 2x2 covariance (before the 0.3
// dilation), following the per-pixel rules (0.99 cap, 1/255 cut).
float splat_alpha(glm::vec2 center, glm::mat2 cov, float opacity, int x, int y) {
    cov[0][0] += 0.3f;
    cov[1][1] += 0.3f;
    const glm::mat2 conic = glm::inverse(cov);
    const glm::vec2 d = center - glm::vec2(x + 0.5f, y + 0.5f);
    const float power = -0.5f * glm::dot(d, conic * d);
    if (power > 0.0f) return 0.0f;
    const float alpha = std::min(0.99f, opacity * std::exp(power));
    return alpha < kAlphaMin ? 0.0f : alpha;
}

// Expects `got` to match `expected(x, y, c)` within `tolerance`, except at pixels `skip(x, y)` says
// sit on a threshold (where a last-bit difference may legitimately flip the 1/255 cut).
void expect_image(const Image& got, const std::function<float(int, int, int)>& expected, float tolerance,
                  const std::function<bool(int, int)>& skip = {}) {
    int wrong = 0;
    float worst = 0.0f;
    int wx = 0, wy = 0, wc = 0;
    for (int y = 0; y < got.height; ++y)
        for (int x = 0; x < got.width; ++x) {
            if (skip && skip(x, y)) continue;
            for (int c = 0; c < got.channels; ++c) {
                const float e = std::abs(got.at(x, y, c) - expected(x, y, c));
                if (e > tolerance) ++wrong;
                if (e > worst) worst = e, wx = x, wy = y, wc = c;
            }
        }
    EXPECT_EQ(wrong, 0) << "worst error " << worst << " at (" << wx << ", " << wy << ") channel " << wc << ": got "
                        << got.at(wx, wy, wc) << ", expected " << expected(wx, wy, wc);
}

class SplatRendererTest : public OffscreenTest {};

TEST_F(SplatRendererTest, SingleIsotropicGaussianHeadOn) {
    const Camera camera = pinhole(64, 48, 100.0f);
    Splat s;
    s.position = {0.0f, 0.0f, 2.0f};
    s.scale = glm::vec3(0.05f);
    s.opacity = 0.8f;
    s.color = {0.9f, 0.4f, 0.1f};
    RenderSettings settings;
    settings.background = {0.1f, 0.2f, 0.3f};
    const RenderOutput out = render(cloud_of({s}), camera, settings);
    ASSERT_EQ(out.image.width, 64);
    ASSERT_EQ(out.image.height, 48);
    EXPECT_EQ(out.stats.visible, 1u);

    // Head-on, J R Sigma R^T J^T = (f s / z)^2 I: 2.5 pixels of standard deviation.
    const float sigma = 100.0f * 0.05f / 2.0f;
    const glm::mat2 cov(sigma * sigma);
    const glm::vec2 center(32.0f, 24.0f);
    auto alpha = [&](int x, int y) { return splat_alpha(center, cov, 0.8f, x, y); };
    auto near_cut = [&](int x, int y) {
        glm::mat2 c = cov;
        c[0][0] += 0.3f, c[1][1] += 0.3f;
        const glm::vec2 d = center - glm::vec2(x + 0.5f, y + 0.5f);
        const float raw = 0.8f * std::exp(-0.5f * glm::dot(d, glm::inverse(c) * d));
        return std::abs(raw - kAlphaMin) < 1e-5f;
    };
    expect_image(
        out.image,
        [&](int x, int y, int c) {
            const float a = alpha(x, y);
            return s.color[c] * a + settings.background[c] * (1.0f - a);
        },
        2e-5f, near_cut);
    expect_image(
        out.alpha, [&](int x, int y, int) { return alpha(x, y); }, 2e-5f, near_cut);
    expect_image(
        out.depth, [&](int x, int y, int) { return 2.0f * alpha(x, y); }, 5e-5f, near_cut);
    // Far from the centre only the background shows.
    EXPECT_FLOAT_EQ(out.image.at(0, 0, 2), 0.3f);
}

TEST_F(SplatRendererTest, RotatedAnisotropicGaussianFollowsQuaternionConvention) {
    // A flat Gaussian turned 30 degrees about the camera axis (+z, with y pointing down the image):
    // its long axis runs from the upper left to the lower right of the image.
    const Camera camera = pinhole(96, 96, 200.0f);
    const float theta = glm::radians(30.0f);
    Splat s;
    s.position = {0.0f, 0.0f, 4.0f};
    s.scale = {0.2f, 0.05f, 0.1f};
    s.rotation = {std::cos(theta / 2), 0.0f, 0.0f, std::sin(theta / 2)};
    s.opacity = 0.9f;
    s.color = {0.2f, 0.9f, 0.3f};
    const RenderOutput out = render(cloud_of({s}), camera);

    const glm::mat2 rot(std::cos(theta), std::sin(theta), -std::sin(theta), std::cos(theta)); // columns
    const float k = 200.0f / 4.0f;
    const glm::mat2 cov = rot * glm::mat2(k * k * 0.04f, 0.0f, 0.0f, k * k * 0.0025f) * glm::transpose(rot);
    const glm::vec2 center(48.0f, 48.0f);
    auto alpha = [&](int x, int y) { return splat_alpha(center, cov, 0.9f, x, y); };
    auto near_cut = [&](int x, int y) {
        glm::mat2 c = cov;
        c[0][0] += 0.3f, c[1][1] += 0.3f;
        const glm::vec2 d = center - glm::vec2(x + 0.5f, y + 0.5f);
        return std::abs(0.9f * std::exp(-0.5f * glm::dot(d, glm::inverse(c) * d)) - kAlphaMin) < 1e-5f;
    };
    expect_image(
        out.alpha, [&](int x, int y, int) { return alpha(x, y); }, 5e-5f, near_cut);
    // And the orientation is visible: along the long axis, 8 pixels out, it is still dense.
    EXPECT_GT(out.alpha.at(48 + 7, 48 + 4, 0), 0.5f);
    EXPECT_LT(out.alpha.at(48 - 4, 48 + 7, 0), 0.05f);
}

TEST_F(SplatRendererTest, OverlappingGaussiansCompositeFrontToBack) {
    // The far Gaussian comes first in the cloud: the sort must put the near one in front.
    const Camera camera = pinhole(48, 48, 80.0f);
    Splat back, front;
    back.position = {0.0f, 0.0f, 3.0f};
    back.scale = glm::vec3(0.15f);
    back.opacity = 0.7f;
    back.color = {0.0f, 0.0f, 1.0f};
    front.position = {0.0f, 0.0f, 2.0f};
    front.scale = glm::vec3(0.05f);
    front.opacity = 0.9f;
    front.color = {1.0f, 0.0f, 0.0f};
    RenderSettings settings;
    settings.background = {0.0f, 1.0f, 0.0f};
    const RenderOutput out = render(cloud_of({back, front}), camera, settings);
    EXPECT_EQ(out.stats.visible, 2u);

    const glm::vec2 center(24.0f, 24.0f);
    const float sb = 80.0f * 0.15f / 3.0f, sf = 80.0f * 0.05f / 2.0f;
    auto a_back = [&](int x, int y) { return splat_alpha(center, glm::mat2(sb * sb), 0.7f, x, y); };
    auto a_front = [&](int x, int y) { return splat_alpha(center, glm::mat2(sf * sf), 0.9f, x, y); };
    expect_image(
        out.image,
        [&](int x, int y, int c) {
            const float af = a_front(x, y), ab = a_back(x, y);
            return front.color[c] * af + back.color[c] * ab * (1.0f - af) +
                   settings.background[c] * (1.0f - af) * (1.0f - ab);
        },
        3e-5f,
        [&](int x, int y) {
            const glm::vec2 d = center - glm::vec2(x + 0.5f, y + 0.5f);
            const float r2 = glm::dot(d, d);
            return std::abs(0.9f * std::exp(-0.5f * r2 / (sf * sf + 0.3f)) - kAlphaMin) < 1e-5f ||
                   std::abs(0.7f * std::exp(-0.5f * r2 / (sb * sb + 0.3f)) - kAlphaMin) < 1e-5f;
        });
    expect_image(
        out.depth,
        [&](int x, int y, int) {
            const float af = a_front(x, y), ab = a_back(x, y);
            return 2.0f * af + 3.0f * ab * (1.0f - af);
        },
        1e-4f,
        [&](int x, int y) {
            const glm::vec2 d = center - glm::vec2(x + 0.5f, y + 0.5f);
            const float r2 = glm::dot(d, d);
            return std::abs(0.9f * std::exp(-0.5f * r2 / (sf * sf + 0.3f)) - kAlphaMin) < 1e-5f ||
                   std::abs(0.7f * std::exp(-0.5f * r2 / (sb * sb + 0.3f)) - kAlphaMin) < 1e-5f;
        });
}

TEST_F(SplatRendererTest, GaussianThatWouldDropTransmittanceBelowThresholdIsNotComposited) {
    // Two wide, nearly opaque layers (alpha capped at 0.99): after the grey front layer T = 0.01;
    // the red layer behind would leave T = 1e-4 (below the 1e-4 threshold in float arithmetic), so
    // per the spec it is not composited and the red channel shows the front layer alone. Without
    // that rule red would gain 0.0099.
    const Camera camera = pinhole(32, 32, 60.0f);
    Splat front, back;
    front.position = {0.0f, 0.0f, 1.0f};
    back.position = {0.0f, 0.0f, 1.1f};
    front.scale = back.scale = glm::vec3(5.0f, 5.0f, 0.01f);
    front.opacity = back.opacity = 0.9999f;
    front.color = glm::vec3(0.2f);
    back.color = {1.0f, 0.0f, 0.0f};
    const RenderOutput out = render(cloud_of({back, front}), camera);
    const float t1 = 1.0f - 0.99f;
    const bool back_skipped = t1 * (1.0f - 0.99f) < 1e-4f;
    ASSERT_TRUE(back_skipped) << "float arithmetic differs from what this test assumes";
    EXPECT_NEAR(out.image.at(16, 16, 0), 0.99f * 0.2f, 1e-5f);
    EXPECT_NEAR(out.alpha.at(16, 16, 0), 1.0f - t1, 1e-6f);
    EXPECT_NEAR(out.depth.at(16, 16, 0), 0.99f * 1.0f, 1e-5f);
}

TEST_F(SplatRendererTest, ViewDependentColourUsesReferenceShBasis) {
    // Degree-1 SH on a Gaussian off the optical axis: rgb = 0.5 + C0 dc - C1 y s1 + C1 z s2 - C1 x s3
    // with (x, y, z) the unit direction from the camera.
    const Camera camera = pinhole(64, 64, 64.0f);
    Splat s;
    s.position = {0.5f, -0.3f, 2.0f};
    s.scale = glm::vec3(0.2f);
    s.opacity = 0.99f;
    GaussianCloud cloud = cloud_of({s}, 1);
    const float dc[3] = {0.3f, -0.2f, 0.1f};
    const float sh1[3][3] = {{0.4f, -0.3f, 0.2f}, {0.1f, 0.5f, -0.4f}, {-0.2f, 0.3f, 0.6f}}; // [k-1][channel]
    for (int c = 0; c < 3; ++c) {
        cloud.sh[c] = dc[c];
        for (int k = 1; k < 4; ++k) cloud.sh[k * 3 + c] = sh1[k - 1][c];
    }
    const glm::vec3 dir = glm::normalize(s.position);
    glm::vec3 expected;
    for (int c = 0; c < 3; ++c)
        expected[c] = std::max(0.0f, 0.5f + kC0 * dc[c] - kC1 * dir.y * sh1[0][c] + kC1 * dir.z * sh1[1][c] -
                                         kC1 * dir.x * sh1[2][c]);
    // The pixel holding the centre: alpha is 0.99 there (capped), so colour = 0.99 rgb + 0.01 bg.
    const RenderOutput out = render(cloud, camera);
    const int px = int(std::floor(64.0f * 0.5f / 2.0f + 32.0f)), py = int(std::floor(64.0f * -0.3f / 2.0f + 32.0f));
    const float a = out.alpha.at(px, py, 0);
    EXPECT_GT(a, 0.9f);
    for (int c = 0; c < 3; ++c) EXPECT_NEAR(out.image.at(px, py, c), expected[c] * a, 2e-5f) << "channel " << c;

    // With SH degree 0 requested, only the DC term remains.
    RenderSettings dc_only;
    dc_only.sh_degree = 0;
    const RenderOutput flat = render(cloud, camera, dc_only);
    for (int c = 0; c < 3; ++c)
        EXPECT_NEAR(flat.image.at(px, py, c), (0.5f + kC0 * dc[c]) * flat.alpha.at(px, py, 0), 2e-5f);
}

TEST_F(SplatRendererTest, CulledGaussiansLeaveTheBackground) {
    const Camera camera = pinhole(40, 30, 50.0f);
    Splat behind, too_near, off_screen;
    behind.position = {0.0f, 0.0f, -2.0f};
    too_near.position = {0.0f, 0.0f, 0.005f};
    off_screen.position = {50.0f, 0.0f, 2.0f};
    RenderSettings settings;
    settings.background = {0.25f, 0.5f, 0.75f};
    const RenderOutput out = render(cloud_of({behind, too_near, off_screen}), camera, settings);
    EXPECT_EQ(out.stats.visible, 0u);
    EXPECT_EQ(out.stats.instances, 0u);
    expect_image(
        out.image, [&](int, int, int c) { return settings.background[c]; }, 0.0f);
    expect_image(
        out.alpha, [](int, int, int) { return 0.0f; }, 0.0f);
}

TEST_F(SplatRendererTest, EmptySceneRendersBackground) {
    RenderSettings settings;
    settings.background = {1.0f, 0.5f, 0.0f};
    const RenderOutput out = render(GaussianCloud{}, pinhole(17, 9, 20.0f), settings);
    EXPECT_EQ(out.stats.gaussians, 0u);
    expect_image(
        out.image, [&](int, int, int c) { return settings.background[c]; }, 0.0f);
}

TEST_F(SplatRendererTest, RenderModes) {
    const Camera camera = pinhole(64, 64, 100.0f);
    Splat s;
    s.position = {0.0f, 0.0f, 2.0f};
    s.scale = glm::vec3(0.05f);
    s.opacity = 0.9f;
    s.color = {1.0f, 0.5f, 0.0f};
    const GaussianCloud cloud = cloud_of({s});
    RenderSettings settings;
    settings.background = {0.0f, 0.0f, 0.0f};

    settings.mode = RenderMode::Alpha;
    const RenderOutput alpha = render(cloud, camera, settings);
    for (int c = 0; c < 3; ++c) {
        EXPECT_NEAR(alpha.image.at(32, 32, c), alpha.alpha.at(32, 32, 0), 0.5f / 255.0f + 1e-6f);
        EXPECT_EQ(alpha.image.at(0, 0, c), 0.0f);
    }

    settings.mode = RenderMode::Centers;
    settings.center_radius = 1;
    const RenderOutput centers = render(cloud, camera, settings);
    // The dot is 3x3 around pixel (32, 32), in the Gaussian's colour; elsewhere the background.
    for (int c = 0; c < 3; ++c) {
        EXPECT_NEAR(centers.image.at(33, 31, c), s.color[c], 0.5f / 255.0f + 1e-6f);
        EXPECT_EQ(centers.image.at(35, 32, c), 0.0f);
    }

    settings.mode = RenderMode::Depth;
    const RenderOutput depth = render(cloud, camera, settings);
    EXPECT_NEAR(depth.stats.depth_min, 2.0f, 1e-6f);
    EXPECT_GT(depth.image.at(32, 32, 0) + depth.image.at(32, 32, 1), 1.0f); // near: the bright end
    EXPECT_EQ(depth.image.at(0, 0, 0), 0.0f);

    settings.mode = RenderMode::Heatmap;
    const RenderOutput heat = render(cloud, camera, settings);
    // The Gaussian touches the four middle tiles (radius 9 around pixel 32): the most listed, red.
    EXPECT_EQ(heat.stats.max_tile_count, 1u);
    EXPECT_GT(heat.image.at(20, 20, 0), 0.8f);
    EXPECT_LT(heat.image.at(20, 20, 2), 0.1f);
    // A tile with none: dark blue.
    EXPECT_LT(heat.image.at(2, 2, 0), 0.01f);
    EXPECT_GT(heat.image.at(2, 2, 2), 0.25f);
}

TEST_F(SplatRendererTest, ManyTilesPerGaussianGrowTheInstanceBuffers) {
    // A few huge Gaussians at 512x512 touch all 1024 tiles each: far more pairs than the first guess
    // of four per Gaussian (or 65536). The renderer must notice, grow, and render the full frame.
    const Camera camera = pinhole(512, 512, 400.0f);
    std::vector<Splat> splats;
    for (int i = 0; i < 80; ++i) {
        Splat s;
        s.position = {0.0f, 0.0f, 2.0f + 0.01f * i};
        s.scale = glm::vec3(3.0f, 3.0f, 0.01f);
        s.opacity = 0.02f;
        s.color = glm::vec3(float(i % 2));
        splats.push_back(s);
    }
    const RenderOutput out = render(cloud_of(splats), camera);
    EXPECT_EQ(out.stats.instances, 80u * 1024u);
    // Every tile lists all 80, so even a corner pixel sees every layer: 1 - prod(1 - alpha_i).
    auto coverage = [&](int x, int y) {
        float T = 1.0f;
        for (const Splat& s : splats) {
            const float sigma = 400.0f * 3.0f / s.position.z;
            T *= 1.0f - splat_alpha({256.0f, 256.0f}, glm::mat2(sigma * sigma), s.opacity, x, y);
        }
        return 1.0f - T;
    };
    EXPECT_NEAR(out.alpha.at(2, 2, 0), coverage(2, 2), 1e-4f);
    EXPECT_NEAR(out.alpha.at(256, 256, 0), coverage(256, 256), 1e-4f);
    EXPECT_NEAR(out.alpha.at(500, 20, 0), coverage(500, 20), 1e-4f);
}

TEST_F(SplatRendererTest, SceneWithMismatchedArraysIsRejected) {
    GaussianCloud bad = cloud_of({Splat{}});
    bad.opacities.push_back(0.0f);
    EXPECT_THROW(renderer().set_scene(bad), Error);
}

TEST(VulkanDevices, OutOfRangeGpuIndexIsAUsageError) {
    prepare_vulkan_environment();
    if (!OffscreenRenderer::available()) GTEST_SKIP() << "no Vulkan device";
    OffscreenOptions options;
    options.gpu_index = 99;
    options.validation = 0;
    try {
        OffscreenRenderer r(options);
        FAIL() << "expected a UsageError";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("--gpu 99"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("0: "), std::string::npos) << e.what();
    }
}

} // namespace
} // namespace splatscape::test
