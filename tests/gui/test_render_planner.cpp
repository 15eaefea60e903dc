// When the viewport renders and how large (app/gui/render_planner.hpp), without a window: a render
// only when something changed, again after an overflow, and the smaller size while moving chosen
// from the last render's time per pixel and the frame budget.
#include <gtest/gtest.h>

#include "app/cli/camera_path.hpp"
#include "app/gui/render_planner.hpp"

namespace splatscape::gui {
namespace {

Camera camera(int width, int height) {
    return cli::look_at_camera({3.0f, 0.0f, 1.0f}, {0, 0, 0}, {0, 0, 1}, width, height, 45.0f);
}

TEST(RenderPlanner, RendersOnlyWhenSomethingChanged) {
    RenderPlanner p;
    ViewSettings view;
    const Camera c = camera(200, 100);
    EXPECT_TRUE(p.needs_render(c, view)) << "nothing rendered yet";
    p.rendered(c, view.render, 1.0f);
    EXPECT_FALSE(p.dirty());
    EXPECT_FALSE(p.needs_render(c, view));
    EXPECT_EQ(p.renders(), 1u);
    EXPECT_EQ(p.render_width(), 200u);

    EXPECT_TRUE(p.needs_render(camera(201, 100), view)) << "another size";
    ViewSettings other = view;
    other.render.sh_degree = 1;
    EXPECT_TRUE(p.needs_render(c, other)) << "other settings";
    other = view;
    other.continuous = true;
    EXPECT_TRUE(p.needs_render(c, other)) << "every frame, when asked";
    p.invalidate();
    EXPECT_TRUE(p.needs_render(c, view)) << "the picture changed";
    p.rendered(c, view.render, 1.0f);

    // A render that overflowed is rendered again (the renderer has grown its buffers meanwhile).
    RenderStats stats;
    stats.gpu_ms = 10.0;
    p.completed(stats, true, 16.0, 40.0f);
    EXPECT_TRUE(p.overflowed());
    EXPECT_TRUE(p.needs_render(c, view));
    p.rendered(c, view.render, 1.0f);
    EXPECT_FALSE(p.needs_render(c, view));
}

TEST(RenderPlanner, ShrinksWhileMovingToFitTheFrameBudget) {
    RenderPlanner p;
    ViewSettings view;
    view.frame_budget_ms = 40.0f;
    const Camera c = camera(400, 300);
    EXPECT_FLOAT_EQ(p.scale(true, view), 1.0f) << "no timing yet: full size";
    p.rendered(c, view.render, 1.0f);
    RenderStats stats;
    stats.gpu_ms = 150.0; // 3.75x the budget: sqrt(40 / 150) = 0.52, in steps of 5 %: half the size
    p.completed(stats, false, 20.0, view.frame_budget_ms);
    EXPECT_FLOAT_EQ(p.motion_scale(), 0.5f);
    EXPECT_FLOAT_EQ(p.scale(true, view), 0.5f);
    EXPECT_FLOAT_EQ(p.scale(false, view), 1.0f) << "still: full size";
    view.adaptive_resolution = false;
    EXPECT_FLOAT_EQ(p.scale(true, view), 1.0f);
    view.adaptive_resolution = true;

    // A render at half size that took 37.5 ms predicts 150 ms at full size: the same half.
    p.rendered(camera(200, 150), view.render, 0.5f);
    stats.gpu_ms = 37.5;
    p.completed(stats, false, 20.0, view.frame_budget_ms);
    EXPECT_FLOAT_EQ(p.motion_scale(), 0.5f);
    // Very slow renders stop at 20 %; fast ones render at full size.
    stats.gpu_ms = 1e6;
    p.completed(stats, false, 20.0, view.frame_budget_ms);
    EXPECT_FLOAT_EQ(p.motion_scale(), 0.2f);
    stats.gpu_ms = 1.0;
    p.completed(stats, false, 20.0, view.frame_budget_ms);
    EXPECT_FLOAT_EQ(p.motion_scale(), 1.0f);
    // Without timestamps the frame time stands in: 148 ms at half size, 592 ms at full, sqrt(40 / 592) = 0.26.
    stats.gpu_ms = 0.0;
    p.completed(stats, false, 148.0, view.frame_budget_ms);
    EXPECT_FLOAT_EQ(p.motion_scale(), 0.25f);

    const auto t = RenderPlanner::Clock::now();
    p.moved(t);
    EXPECT_TRUE(p.recently_moved(t + std::chrono::milliseconds(100)));
    EXPECT_FALSE(p.recently_moved(t + std::chrono::milliseconds(300)));
    EXPECT_TRUE(p.recently_moved(t + std::chrono::milliseconds(300), 0.1));

    p.count_frame(0.5f, 25.0);
    p.count_frame(1.0f, 25.0);
    EXPECT_EQ(p.motion_frames(), 1u);
    EXPECT_NEAR(p.motion_seconds(), 0.025, 1e-12);
}

} // namespace
} // namespace splatscape::gui
