// The first view: world up from the dataset cameras (Blender +z and COLMAP-like -y captures), the
// point object-centred cameras look at, and a start pose that shows the whole scene.
#include <cmath>
#include <random>

#include <glm/geometric.hpp>
#include <gtest/gtest.h>

#include "app/cli/camera_path.hpp"
#include "app/gui/scene_framing.hpp"

namespace splatscape::gui {
namespace {

constexpr float kPi = 3.14159265358979f;

// Cameras on a ring about `target`, looking at it, with world `up`.
std::vector<Camera> ring(glm::vec3 target, glm::vec3 up, float radius, int count) {
    up = glm::normalize(up);
    glm::vec3 a = glm::normalize(glm::cross(up, std::abs(up.x) < 0.9f ? glm::vec3(1, 0, 0) : glm::vec3(0, 1, 0)));
    const glm::vec3 b = glm::cross(up, a);
    std::vector<Camera> out;
    for (int i = 0; i < count; ++i) {
        const float t = 2.0f * kPi * float(i) / float(count);
        const glm::vec3 p = target + radius * (std::cos(t) * a + std::sin(t) * b) + 0.4f * radius * up;
        out.push_back(cli::look_at_camera(p, target, up, 80, 60, 40.0f));
    }
    return out;
}

GaussianCloud blob(glm::vec3 center, float spread, size_t n) {
    std::mt19937 rng(5);
    std::normal_distribution<float> g(0.0f, spread);
    GaussianCloud c;
    c.resize(n, 0);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) c.positions[3 * i + a] = center[a] + g(rng);
        c.rotations[4 * i] = 1.0f;
    }
    return c;
}

TEST(SceneFraming, UpComesFromTheCameras) {
    for (glm::vec3 up : {glm::vec3(0, 0, 1), glm::vec3(0, -1, 0), glm::normalize(glm::vec3(0.2f, -1.0f, 0.3f))}) {
        const std::optional<glm::vec3> found = up_from_cameras(ring({1, 2, 3}, up, 4.0f, 12));
        ASSERT_TRUE(found);
        EXPECT_GT(glm::dot(*found, up), 0.999f) << up.x << " " << up.y << " " << up.z;
    }
    EXPECT_FALSE(up_from_cameras({}));
}

TEST(SceneFraming, LookAtPointOfAnObjectCentredCapture) {
    const std::optional<glm::vec3> p = look_at_point(ring({1, -2, 0.5f}, {0, 0, 1}, 3.0f, 10));
    ASSERT_TRUE(p);
    EXPECT_NEAR(p->x, 1.0f, 1e-3f);
    EXPECT_NEAR(p->y, -2.0f, 1e-3f);
    EXPECT_NEAR(p->z, 0.5f, 1e-3f);
    EXPECT_FALSE(look_at_point(ring({0, 0, 0}, {0, 0, 1}, 3.0f, 1))) << "one camera has no intersection";
}

TEST(SceneFraming, WithoutCamerasTheStartViewShowsTheWholeCloud) {
    const GaussianCloud cloud = blob({5, -3, 2}, 0.5f, 2000);
    const SceneFraming f = frame_scene(&cloud, {}, {0, -1, 0});
    EXPECT_FALSE(f.up_from_cameras);
    EXPECT_NEAR(f.center.x, 5.0f, 0.1f);
    EXPECT_NEAR(f.center.y, -3.0f, 0.1f);
    const float f_px = 0.5f * 100.0f / std::tan(0.5f * f.start_fov_y * kPi / 180.0f);
    const Camera cam = Camera::from_camera_to_world(f.start_pose, 100, 100, f_px, f_px, 50, 50);
    const glm::vec2 c = cam.project(f.center);
    EXPECT_NEAR(c.x, 50.0f, 0.5f);
    EXPECT_NEAR(c.y, 50.0f, 0.5f);
    const Bounds b = cloud.bounds(0.02f);
    size_t considered = 0, inside = 0;
    for (size_t i = 0; i < cloud.size(); ++i) {
        const glm::vec3 p = cloud.position(i);
        if (glm::any(glm::lessThan(p, b.min)) || glm::any(glm::greaterThan(p, b.max))) continue;
        ++considered;
        float depth = 0.0f;
        const glm::vec2 px = cam.project(p, &depth);
        inside += depth > 0.0f && px.x >= 0 && px.x <= 100 && px.y >= 0 && px.y <= 100;
    }
    EXPECT_GT(considered, cloud.size() * 8 / 10);
    EXPECT_EQ(inside, considered) << "the trimmed cloud fits the first view";
    // Up in the world is up in the image.
    EXPECT_LT(cam.project(f.center + f.up * 0.3f).y, c.y);
}

TEST(SceneFraming, AFlatSceneWithoutCamerasIsTakenAsZUp) {
    GaussianCloud flat = blob({0, 0, 0}, 1.0f, 400);
    for (size_t i = 0; i < flat.size(); ++i) flat.positions[3 * i + 2] *= 0.2f;
    EXPECT_EQ(frame_scene(&flat, {}, {0, -1, 0}).up, glm::vec3(0, 0, 1));
    const GaussianCloud round = blob({0, 0, 0}, 1.0f, 400);
    EXPECT_EQ(frame_scene(&round, {}, {0, -1, 0}).up, glm::vec3(0, -1, 0));
    // Cameras decide over the shape.
    const SceneFraming f = frame_scene(&flat, ring({0, 0, 0}, {0, -1, 0}, 4.0f, 6), {0, -1, 0});
    EXPECT_GT(glm::dot(f.up, glm::vec3(0, -1, 0)), 0.999f);
}

TEST(SceneFraming, WithCamerasTheStartViewIsTheFirstCamera) {
    const std::vector<Camera> cams = ring({0, 0, 0}, {0, -1, 0}, 4.0f, 8);
    const GaussianCloud cloud = blob({0, 0, 0}, 0.3f, 500);
    const SceneFraming f = frame_scene(&cloud, cams);
    EXPECT_TRUE(f.up_from_cameras);
    EXPECT_GT(glm::dot(f.up, glm::vec3(0, -1, 0)), 0.999f);
    const glm::mat4 first = cams.front().camera_to_world();
    for (int c = 0; c < 4; ++c)
        for (int r = 0; r < 3; ++r) EXPECT_NEAR(f.start_pose[c][r], first[c][r], 1e-5f);
    EXPECT_NEAR(f.start_fov_y, 40.0f, 1e-3f);
    EXPECT_NEAR(f.pivot_distance, glm::length(cams.front().center()), 0.05f) << "orbits about the object";

    // A dataset without points: centred where the cameras look.
    const SceneFraming g = frame_scene(nullptr, ring({2, 2, 2}, {0, 0, 1}, 3.0f, 6));
    EXPECT_NEAR(g.center.x, 2.0f, 1e-3f);
    EXPECT_NEAR(g.center.z, 2.0f, 1e-3f);
}

} // namespace
} // namespace splatscape::gui
