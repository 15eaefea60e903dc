// The training window's view of a run, from the trainer's messages alone.
#include <memory>

#include <gtest/gtest.h>

#include "app/gui/training_monitor.hpp"

namespace splatscape::gui {
namespace {

TEST(TrainingMonitor, FollowsARunFromStartToFinish) {
    TrainingMonitor m;
    EXPECT_EQ(m.state(), TrainingState::Starting);
    m.apply(msg::Started{0, 100, 500, "cpu (2 threads)", "run"});
    EXPECT_EQ(m.state(), TrainingState::Running);
    EXPECT_EQ(m.progress().iterations, 100);
    msg::Progress p;
    p.iteration = 10;
    p.iterations = 100;
    p.loss = 0.2;
    p.gaussians = 520;
    m.apply(p);
    p.iteration = 20;
    p.loss = 0.1;
    m.apply(p);
    m.apply(msg::Probe{20, 21.5, "test 0"});
    ASSERT_EQ(m.loss().size(), 2u);
    EXPECT_FLOAT_EQ(m.loss()[1], 0.1f);
    EXPECT_FLOAT_EQ(m.loss_iterations()[1], 20.0f);
    EXPECT_DOUBLE_EQ(m.last_psnr(), 21.5);
    EXPECT_EQ(m.progress().gaussians, 520u);

    m.apply(msg::Paused{20, true});
    EXPECT_EQ(m.state(), TrainingState::Paused);
    m.apply(msg::Paused{20, false});
    EXPECT_EQ(m.state(), TrainingState::Running);

    auto cloud = std::make_shared<GaussianCloud>();
    cloud->resize(7, 0);
    m.apply(msg::Snapshot{20, cloud});
    m.apply(msg::Snapshot{10, cloud}); // older than the one waiting: ignored
    ASSERT_TRUE(m.snapshot_pending());
    const std::optional<msg::Snapshot> s = m.take_snapshot();
    ASSERT_TRUE(s);
    EXPECT_EQ(s->iteration, 20);
    EXPECT_EQ(s->cloud->size(), 7u);
    EXPECT_FALSE(m.take_snapshot()) << "taken once";
    // A decoded family's snapshot (sags) carries its decode cache instead of a cloud.
    msg::Snapshot decoded;
    decoded.iteration = 30;
    decoded.sags = std::make_shared<SagsDecodeCache>();
    m.apply(decoded);
    const std::optional<msg::Snapshot> d = m.take_snapshot();
    ASSERT_TRUE(d) << "a sags snapshot reaches the window";
    EXPECT_EQ(d->iteration, 30);
    EXPECT_TRUE(d->sags);

    m.apply(msg::Saved{100, "checkpoint", "run/checkpoint.bin"});
    EXPECT_TRUE(m.saved_model().empty());
    m.apply(msg::Saved{100, "ply", "run/point_cloud.ply"});
    EXPECT_EQ(m.saved_model(), std::filesystem::path("run/point_cloud.ply"));
    EXPECT_FALSE(m.done());
    msg::Finished f;
    f.iteration = 100;
    f.completed = true;
    f.evaluated = true;
    f.psnr = 25.0;
    m.apply(f);
    EXPECT_EQ(m.state(), TrainingState::Finished);
    EXPECT_TRUE(m.done());
    EXPECT_FALSE(m.log_lines().empty());
}

TEST(TrainingMonitor, StoppedAndFailedRuns) {
    TrainingMonitor stopped;
    stopped.apply(msg::Started{0, 100, 5, "cpu", "run"});
    msg::Finished f;
    f.iteration = 40;
    f.completed = false;
    stopped.apply(f);
    EXPECT_EQ(stopped.state(), TrainingState::Stopped);
    EXPECT_TRUE(stopped.done());

    TrainingMonitor failed;
    failed.apply(msg::Failed{"data: no training views"});
    EXPECT_EQ(failed.state(), TrainingState::Failed);
    EXPECT_EQ(failed.failure(), "data: no training views");
    EXPECT_TRUE(failed.done());
}

TEST(TrainingMonitor, LongCurvesStayBoundedAndKeepTheirEnds) {
    TrainingMonitor m;
    msg::Progress p;
    const int n = int(TrainingMonitor::kMaxCurvePoints) * 3 + 7;
    for (int i = 1; i <= n; ++i) {
        p.iteration = i;
        p.loss = 1.0 / i;
        m.apply(p);
    }
    EXPECT_LE(m.loss().size(), TrainingMonitor::kMaxCurvePoints);
    EXPECT_GT(m.loss().size(), TrainingMonitor::kMaxCurvePoints / 2);
    EXPECT_FLOAT_EQ(m.loss_iterations().back(), float(n));
    for (size_t i = 1; i < m.loss().size(); ++i) {
        EXPECT_LT(m.loss_iterations()[i - 1], m.loss_iterations()[i]);
        EXPECT_GE(m.loss()[i - 1], m.loss()[i]) << "a decreasing curve stays decreasing";
    }
}

// A NeRF (hmohe) snapshot comes without a cloud: its networks and occupancy grid, for the window to
// ray-march.
TEST(TrainingMonitor, NerfSnapshotsReachTheWindow) {
    TrainingMonitor m;
    msg::Snapshot nerf;
    nerf.iteration = 30;
    nerf.nerf = std::make_shared<NerfScene>();
    m.apply(nerf);
    const std::optional<msg::Snapshot> n = m.take_snapshot();
    ASSERT_TRUE(n) << "a NeRF snapshot reaches the window";
    EXPECT_EQ(n->iteration, 30);
    EXPECT_TRUE(n->nerf);
}

} // namespace
} // namespace splatscape::gui
