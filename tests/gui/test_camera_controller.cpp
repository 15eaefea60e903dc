// The viewer's camera: orbit, pan, zoom and fly keep the conventions (OpenCV axes, a pivot that
// stays put, no flipping over the poles) and move the picture the way the mouse moves.
#include <cmath>

#include <glm/geometric.hpp>
#include <gtest/gtest.h>

#include "app/gui/camera_controller.hpp"

namespace splatscape::gui {
namespace {

void expect_near(glm::vec3 a, glm::vec3 b, float tol, const char* what) {
    EXPECT_NEAR(a.x, b.x, tol) << what;
    EXPECT_NEAR(a.y, b.y, tol) << what;
    EXPECT_NEAR(a.z, b.z, tol) << what;
}

CameraController looking_at_origin() {
    CameraController c;
    c.set_world_up({0, 0, 1});
    c.set_scene_radius(1.0f);
    c.look_at({0, -4, 1}, {0, 0, 0});
    return c;
}

TEST(CameraController, LookAtGivesRightHandedOpenCvAxesWithoutRoll) {
    CameraController c = looking_at_origin();
    expect_near(glm::cross(c.right(), c.down()), c.forward(), 1e-5f, "right x down = forward");
    expect_near(c.forward(), glm::normalize(glm::vec3(0, 4, -1)), 1e-5f, "forward points at the target");
    EXPECT_NEAR(glm::dot(c.right(), c.world_up()), 0.0f, 1e-6f) << "no roll: right is horizontal";
    EXPECT_LT(glm::dot(c.down(), c.world_up()), 0.0f) << "image down points down in the world";
    expect_near(c.right(), {1, 0, 0}, 1e-5f, "looking along +y with +z up, right is +x");
    // The pivot is the target and sits at the image centre.
    expect_near(c.pivot(), {0, 0, 0}, 1e-5f, "pivot");
    const Camera cam = c.camera(200, 100);
    const glm::vec2 p = cam.project(c.pivot());
    EXPECT_NEAR(p.x, 100.0f, 1e-3f);
    EXPECT_NEAR(p.y, 50.0f, 1e-3f);
    EXPECT_FLOAT_EQ(cam.fx, cam.fy);
    EXPECT_FLOAT_EQ(cam.fy, focal_for_fov(c.fov_y(), 100));
    // A point above the target appears above the centre (smaller y).
    EXPECT_LT(cam.project({0, 0, 0.5f}).y, 50.0f);
}

TEST(CameraController, OrbitTurnsAboutThePivotAndStopsShortOfThePoles) {
    CameraController c = looking_at_origin();
    const float distance = glm::length(c.position() - c.pivot());
    const float height = c.position().z;
    c.orbit(120.0f, 0.0f);
    expect_near(c.pivot(), {0, 0, 0}, 1e-4f, "pivot stays");
    EXPECT_NEAR(glm::length(c.position() - c.pivot()), distance, 1e-4f);
    EXPECT_NEAR(c.position().z, height, 1e-4f) << "a horizontal drag turns about world up";
    // Dragging right turns the scene right: the camera moves to its left (-x from the start).
    EXPECT_LT(c.position().x, -0.1f);
    // Dragging down raises the camera over the pivot.
    c.orbit(0.0f, 50.0f);
    EXPECT_GT(c.position().z, height);
    // However far: never straight down the up axis, so the view cannot flip.
    for (int i = 0; i < 100; ++i) c.orbit(0.0f, 100.0f);
    EXPECT_LT(std::abs(glm::dot(c.forward(), c.world_up())), 0.9987f);
    EXPECT_GT(c.position().z, 0.0f);
    EXPECT_NEAR(glm::length(c.position() - c.pivot()), distance, 1e-3f);
    expect_near(glm::cross(c.right(), c.down()), c.forward(), 1e-4f, "still orthonormal");
}

TEST(CameraController, PanMovesThePictureWithTheMouse) {
    CameraController c = looking_at_origin();
    const glm::vec3 point = c.pivot();
    c.pan(15.0f, -10.0f, 300.0f);
    const Camera cam = c.camera(400, 300);
    const glm::vec2 p = cam.project(point);
    EXPECT_NEAR(p.x, 200.0f + 15.0f, 1e-2f);
    EXPECT_NEAR(p.y, 150.0f - 10.0f, 1e-2f);
    EXPECT_NEAR(c.pivot_distance(), glm::length(glm::vec3(0, -4, 1)), 1e-4f);
}

TEST(CameraController, ZoomApproachesThePivotAndFlyMovesByTheSceneRadius) {
    CameraController c = looking_at_origin();
    const float d0 = c.pivot_distance();
    c.zoom(2.0f);
    EXPECT_NEAR(c.pivot_distance(), d0 * 0.85f * 0.85f, 1e-4f);
    expect_near(c.pivot(), {0, 0, 0}, 1e-4f, "zoom keeps the pivot");
    c.zoom(-2.0f);
    EXPECT_NEAR(c.pivot_distance(), d0, 1e-4f);
    for (int i = 0; i < 500; ++i) c.zoom(10.0f);
    EXPECT_GT(c.pivot_distance(), 0.0f) << "zooming in stops before the pivot";

    CameraController f = looking_at_origin();
    f.set_scene_radius(2.0f);
    const glm::vec3 p0 = f.position();
    f.fly({0, 0, 1}, 0.5f); // forward for half a second at 1 radius/s
    expect_near(f.position(), p0 + f.forward() * 1.0f, 1e-4f, "forward");
    const glm::vec3 p1 = f.position();
    f.fly({0, 1, 0}, 0.25f);
    expect_near(f.position(), p1 + glm::vec3(0, 0, 0.5f), 1e-4f, "E rises along world up");
}

TEST(CameraController, SetPoseKeepsRollAndVersionCountsChanges) {
    CameraController c;
    const uint64_t v0 = c.version();
    // A camera rolled 90 degrees: image right is world -z.
    glm::mat4 pose(1.0f);
    pose[0] = {0, 0, -1, 0};
    pose[1] = {1, 0, 0, 0};
    pose[2] = {0, -1, 0, 0};
    pose[3] = {1, 2, 3, 1};
    c.set_pose(pose, 2.0f);
    EXPECT_GT(c.version(), v0);
    expect_near(c.right(), {0, 0, -1}, 1e-6f, "roll kept");
    expect_near(c.pivot(), {1, 0, 3}, 1e-5f, "pivot ahead");
    const Camera cam = c.camera(64, 48);
    expect_near(cam.center(), {1, 2, 3}, 1e-5f, "centre");
    const uint64_t v1 = c.version();
    c.orbit(0.0f, 0.0f);
    EXPECT_EQ(c.version(), v1) << "a null gesture is not a change";
}

} // namespace
} // namespace splatscape::gui
