// The viewer's camera owner (app/gui/camera_rig.hpp), without a window: framing and reset, snapping
// to a dataset view and leaving it, and the camera-path editor's commands and preview.
#include <glm/geometric.hpp>
#include <gtest/gtest.h>

#include "app/cli/camera_path.hpp"
#include "app/gui/camera_rig.hpp"

namespace splatscape::gui {
namespace {

SceneFraming test_framing() {
    SceneFraming f;
    f.up = {0.0f, 0.0f, 1.0f};
    f.center = {0.0f, 0.0f, 0.0f};
    f.radius = 2.0f;
    f.start_pose = cli::look_at_camera({4.0f, 0.0f, 1.0f}, f.center, f.up, 64, 48, 40.0f).camera_to_world();
    f.start_fov_y = 40.0f;
    f.pivot_distance = 4.0f;
    return f;
}

// A scene with two dataset views (no images: the rig only needs their cameras).
LoadedScene two_views() {
    auto dataset = std::make_shared<Dataset>();
    for (int i = 0; i < 2; ++i) {
        Frame f;
        f.name = cat("v", i);
        f.camera = cli::look_at_camera({0.0f, i == 0 ? 3.0f : -3.0f, 0.5f}, {0, 0, 0}, {0, 0, 1}, 80, 60, 35.0f);
        dataset->train.push_back(f);
    }
    LoadedScene s;
    s.dataset = dataset;
    s.views = dataset_views(*dataset);
    return s;
}

float distance(glm::vec3 a, glm::vec3 b) {
    return glm::length(a - b);
}

TEST(CameraRig, FramesAndResetsToTheStartView) {
    CameraRig rig;
    EXPECT_FALSE(rig.framed());
    rig.frame(test_framing());
    EXPECT_TRUE(rig.framed());
    EXPECT_LT(distance(rig.controller().position(), {4.0f, 0.0f, 1.0f}), 1e-4f);
    EXPECT_FLOAT_EQ(rig.fov_y(), 40.0f);
    rig.controller().orbit(120.0f, 30.0f);
    EXPECT_GT(distance(rig.controller().position(), {4.0f, 0.0f, 1.0f}), 0.1f);
    EXPECT_TRUE(rig.apply(command::ResetCamera{}));
    EXPECT_LT(distance(rig.controller().position(), {4.0f, 0.0f, 1.0f}), 1e-4f);
    // Commands of other owners are not the rig's.
    EXPECT_FALSE(rig.apply(command::OpenScene{"x.ply"}));
    EXPECT_FALSE(rig.apply(command::SnapToView{0}));
}

TEST(CameraRig, SnapsToADatasetViewUntilTheCameraMoves) {
    CameraRig rig;
    rig.frame(test_framing());
    const LoadedScene scene = two_views();
    EXPECT_FALSE(rig.fixed_camera(&scene));
    rig.snap_to(1, scene.views[1].frame.camera);
    EXPECT_EQ(rig.snapped(), 1);
    const std::optional<Camera> fixed = rig.fixed_camera(&scene);
    ASSERT_TRUE(fixed);
    EXPECT_EQ(fixed->width, 80);
    EXPECT_LT(distance(fixed->center(), scene.views[1].frame.camera.center()), 1e-5f);
    EXPECT_LT(distance(rig.controller().position(), scene.views[1].frame.camera.center()), 1e-4f);
    EXPECT_NEAR(rig.fov_y(), 35.0f, 1e-3f);
    // The pivot is where the view's axis passes the scene's centre (the view looks at it).
    EXPECT_NEAR(rig.controller().pivot_distance(), glm::length(glm::vec3(0.0f, 3.0f, -0.5f)), 1e-3f);
    // Moving leaves the view; the view last snapped to is still known (for the photo beside).
    rig.controller().zoom(1.0f);
    EXPECT_EQ(rig.snapped(), -1);
    EXPECT_EQ(rig.last_snapped(), 1);
    EXPECT_FALSE(rig.fixed_camera(&scene));
    rig.unsnap();
    EXPECT_EQ(rig.last_snapped(), -1);
}

TEST(CameraRig, PathKeysAndPreviewEndWhereThePathEnds) {
    CameraRig rig;
    rig.frame(test_framing());
    EXPECT_TRUE(rig.apply(command::PathAddKey{}));
    rig.controller().orbit(300.0f, 0.0f);
    rig.set_fov_y(30.0f);
    EXPECT_TRUE(rig.apply(command::PathAddKey{}));
    const glm::vec3 end = rig.controller().position();
    ASSERT_EQ(rig.path().keys().size(), 2u);
    EXPECT_FLOAT_EQ(rig.path().keys()[1].t, 1.0f);
    EXPECT_EQ(rig.path().up, glm::vec3(0.0f, 0.0f, 1.0f));
    EXPECT_TRUE(rig.apply(command::PathSettings{160, 120, 10.0, true}));
    EXPECT_EQ(rig.path_frames().size(), 11u) << "one second at 10 fps, both ends included";

    // Back to the first key, then preview: a fixed camera along the path, ending at the last key.
    EXPECT_TRUE(rig.apply(command::PathGoTo{0}));
    EXPECT_LT(distance(rig.controller().position(), {4.0f, 0.0f, 1.0f}), 1e-3f);
    const auto start = CameraRig::Clock::now();
    EXPECT_TRUE(rig.apply(command::PathPreview{true}));
    EXPECT_TRUE(rig.previewing());
    rig.advance_preview(start + std::chrono::milliseconds(450));
    EXPECT_TRUE(rig.previewing());
    ASSERT_TRUE(rig.in_preview_frame());
    EXPECT_EQ(rig.fixed_camera(nullptr)->width, 160);
    rig.advance_preview(start + std::chrono::seconds(5));
    EXPECT_FALSE(rig.previewing());
    EXPECT_FALSE(rig.in_preview_frame());
    EXPECT_LT(distance(rig.controller().position(), end), 1e-3f) << "the free camera stays where the path ends";
    EXPECT_NEAR(rig.fov_y(), 30.0f, 1e-3f);

    EXPECT_TRUE(rig.apply(command::PathRemoveKey{0}));
    EXPECT_EQ(rig.path().keys().size(), 1u);
    EXPECT_TRUE(rig.apply(command::PathClear{}));
    EXPECT_TRUE(rig.path().empty());
    EXPECT_TRUE(rig.apply(command::PathPreview{true}));
    EXPECT_FALSE(rig.previewing()) << "an empty path has nothing to preview";
}

} // namespace
} // namespace splatscape::gui
