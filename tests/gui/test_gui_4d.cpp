// The viewer's parts for dynamic scenes, without a window: time playback (app/gui/time_controls.hpp)
// and opening a gs4d run's 4D PLY (app/gui/scene_source.hpp).
#include <cmath>

#include <gtest/gtest.h>

#include "app/gui/scene_source.hpp"
#include "app/gui/time_controls.hpp"
#include "core/io/ply.hpp"
#include "core/io/ply_4d.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::gui {
namespace {

TEST(TimeControls, PlaysPausesLoopsAndStops) {
    TimeControls t;
    t.set_range(0.2f, 1.2f);
    EXPECT_FLOAT_EQ(t.time, 0.2f);
    EXPECT_FALSE(t.advance(1.0)); // paused
    t.playing = true;
    // 1x plays the range (1.0) in kPlaySeconds.
    EXPECT_TRUE(t.advance(TimeControls::kPlaySeconds / 4));
    EXPECT_NEAR(t.time, 0.45f, 1e-5f);
    t.speed = 2.0f;
    EXPECT_TRUE(t.advance(TimeControls::kPlaySeconds / 4));
    EXPECT_NEAR(t.time, 0.95f, 1e-5f);
    // Past the end: wraps when looping ...
    EXPECT_TRUE(t.advance(TimeControls::kPlaySeconds / 4));
    EXPECT_NEAR(t.time, 0.45f, 1e-5f);
    EXPECT_TRUE(t.playing);
    // ... stops at the end otherwise.
    t.loop = false;
    t.advance(TimeControls::kPlaySeconds);
    EXPECT_FLOAT_EQ(t.time, 1.2f);
    EXPECT_FALSE(t.playing);
    t.set_time(5.0f);
    EXPECT_FLOAT_EQ(t.time, 1.2f);
    t.set_time(-5.0f);
    EXPECT_FLOAT_EQ(t.time, 0.2f);
    // A scene without a time range cannot play.
    t.set_range(0.5f, 0.5f);
    t.playing = true;
    EXPECT_FALSE(t.advance(1.0));
    EXPECT_FALSE(t.playing);
}

TEST(SceneSource, OpensA4dPly) {
    test::TempDir dir("gui_4d");
    GaussianCloud4d c;
    c.resize(50, 1, 1);
    c.time_min = 0.0f;
    c.time_max = 2.0f;
    c.time_period = 2.0f;
    for (size_t i = 0; i < c.size(); ++i) {
        c.positions[3 * i] = 0.02f * float(i);
        c.times[i] = i < 25 ? 0.1f : 1.9f; // half of them only near the start
        for (int a = 0; a < 4; ++a) {
            c.log_scales[4 * i + a] = std::log(a == 3 ? 0.1f : 0.05f);
            c.rotations_l[4 * i + a] = c.rotations_r[4 * i + a] = a == 0 ? 1.0f : 0.0f;
        }
        c.opacities[i] = 1.0f;
    }
    write_gaussian_4d_ply(dir / "scene4d.ply", c);
    const LoadedScene s = load_scene_source(dir / "scene4d.ply");
    ASSERT_TRUE(s.cloud_4d);
    EXPECT_EQ(s.cloud_4d->size(), 50u);
    EXPECT_FLOAT_EQ(s.cloud_4d->time_max, 2.0f);
    // The 3D cloud is the slice at the start: the Gaussians of time 1.9 are not in it.
    ASSERT_TRUE(s.cloud);
    EXPECT_EQ(s.cloud->size(), 25u);
    EXPECT_EQ(s.cloud->sh_degree, 1);
    // A 3D file opens without 4D data.
    GaussianCloud g;
    g.resize(3, 0);
    for (size_t i = 0; i < 3; ++i) g.rotations[4 * i] = 1.0f;
    write_gaussian_ply(dir / "flat.ply", g);
    EXPECT_FALSE(load_scene_source(dir / "flat.ply").cloud_4d);
}

} // namespace
} // namespace splatscape::gui
