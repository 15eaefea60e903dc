// End-to-end training of the gs4d model: the built-in dynamic scene (generated here) reaches a
// held-out PSNR measured on this machine with a margin, its motion is learned (a static model of
// the same scene does worse), resumed runs match uninterrupted ones, and dnerf_lego_tiny (when
// ../shared/datasets exists) trains and reports PSNR on its test split.
#include <cmath>
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>

#include "core/datasets/dataset.hpp"
#include "core/file_util.hpp"
#include "core/image.hpp"
#include "core/io/ply.hpp"
#include "core/io/ply_4d.hpp"
#include "core/json_util.hpp"
#include "core/metrics.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/train_fixtures.hpp"
#include "training/checkpoint.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/evaluation.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/render.hpp"

namespace splatscape::test {
namespace {

// The built-in dynamic scene, small: 80x80, 48 training views (each at its own time), 8 held-out.
class DynamicScene : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new TempDir("train_4d");
        SyntheticSceneOptions o;
        o.kind = SyntheticSceneKind::Dynamic;
        o.width = o.height = 80;
        o.train_views = 48;
        o.test_views = 8;
        o.samples_per_axis = 2;
        o.points = 3000;
        generate_synthetic_scene(o, s_dir->path() / "scene");
    }
    static void TearDownTestSuite() {
        delete s_dir;
        s_dir = nullptr;
    }
    static fs::path data() { return s_dir->path() / "scene"; }
    static fs::path dir() { return s_dir->path(); }
    static TempDir* s_dir;
};
TempDir* DynamicScene::s_dir = nullptr;

// A short schedule for the small scene: SH steps every 100 (temporal degree 2 by 500), densification
// from 100 to 2/3 of the run every 100, no opacity reset.
Json short_4d_config(int iterations) {
    return {{"iterations", iterations},
            {"position_lr_max_steps", iterations},
            {"sh_increase_every", 100},
            {"densify",
             {{"densify_from", 100},
              {"densify_until", iterations * 2 / 3},
              {"densify_every", 100},
              {"opacity_reset_every", 0}}}};
}

TrainSetup setup_4d(const fs::path& data, const fs::path& run, int iterations) {
    TrainSetup s;
    s.data = data;
    s.run_dir = run;
    s.options.model = "gs4d";
    s.model_config = short_4d_config(iterations);
    s.options.probe_every = 0;
    s.options.checkpoint_every = 0;
    s.options.seed = 3;
    s.options.progress_interval_ms = 10;
    return s;
}

TEST_F(DynamicScene, ReachesHeldOutPsnr) {
    const TrainOutcome r = train_now(setup_4d(data(), dir() / "run", 800));
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.finished.evaluated);
    std::printf("built-in dynamic scene, gs4d: held-out PSNR %.2f dB, SSIM %.4f after 800 iterations (%.1f s)\n",
                r.finished.psnr, r.finished.ssim, r.finished.train_seconds);
    // Measured on this machine: 25.8-26.0 dB (SSIM 0.93) after 800 iterations, seed 3; gs3d trained
    // the same way on the same views reaches 20.4 dB (it cannot follow the motion).
    EXPECT_GT(r.finished.psnr, 24.0);
    ASSERT_TRUE(is_gaussian_4d_ply(dir() / "run" / "point_cloud.ply"));
    const Json eval = load_json(dir() / "run" / "eval.json");
    EXPECT_EQ(eval["views"].size(), 8u);

    // The time dimension carries the motion: the held-out views rendered at their own times beat
    // the same views rendered all at one time by a wide margin.
    const Dataset ds = load_dataset(data());
    CpuBackend backend(0);
    Cloud4dRenderer renderer(backend, read_gaussian_4d_ply(dir() / "run" / "point_cloud.ply"));
    RenderOptions ro;
    ro.background = ds.background;
    const EvalResult own = evaluate_frames(
        ds, ds.test, [&](const Frame& f, const Camera& c) { return renderer.render(c, f.time.value_or(0.0f), ro); });
    const EvalResult frozen =
        evaluate_frames(ds, ds.test, [&](const Frame&, const Camera& c) { return renderer.render(c, 0.0f, ro); });
    std::printf("held-out views at their own times %.2f dB, all at time 0: %.2f dB\n", own.psnr, frozen.psnr);
    EXPECT_NEAR(own.psnr, r.finished.psnr, 0.05);
    EXPECT_GT(own.psnr, frozen.psnr + 2.0);
}

// MCMC densification on 4D Gaussians (docs/training.md, "MCMC densification"): relocation in
// space-time, the count within its cap.
TEST_F(DynamicScene, McmcReachesHeldOutPsnr) {
    TrainSetup s = setup_4d(data(), dir() / "mcmc", 800);
    s.model_config["densify"]["strategy"] = "mcmc";
    s.model_config["densify"]["max_gaussians"] = 15000;
    // Growth compressed into the short schedule (the paper grows 5 % every 100 of 30,000 iterations),
    // from 3DGS's initial scales.
    s.model_config["densify"]["densify_every"] = 50;
    s.model_config["densify"]["growth_rate"] = 0.2;
    s.model_config["init_scale"] = 1.0;
    const TrainOutcome r = train_now(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    const GaussianCloud4d cloud = read_gaussian_4d_ply(dir() / "mcmc" / "point_cloud.ply");
    std::printf("built-in dynamic scene, gs4d with MCMC: held-out PSNR %.2f dB, %zu Gaussians (%.1f s)\n",
                r.finished.psnr, cloud.size(), r.finished.train_seconds);
    EXPECT_LE(cloud.size(), 15000u);
    // Measured: 24.8 dB with 12,896 Gaussians (adc: 25.8 dB above); the paper's settings in this
    // 800-iteration schedule (3,644 Gaussians): 22.8 dB.
    EXPECT_GT(r.finished.psnr, 23.5);
}

TEST_F(DynamicScene, ResumeMatchesAnUninterruptedRun) {
    const int total = 300;
    TrainSetup whole = setup_4d(data(), dir() / "whole", total);
    whole.options.evaluate = false;
    ASSERT_TRUE(train_now(whole).failure.empty());

    // Stopped after iteration 150 (densification at 200 and the gs4d statistics come from the
    // checkpoint), then resumed.
    TrainSetup part = setup_4d(data(), dir() / "part", total);
    part.options.evaluate = false;
    const TrainOutcome first = train_now(part, 150);
    ASSERT_TRUE(first.failure.empty()) << first.failure;
    ASSERT_FALSE(first.finished.completed);
    TrainSetup resume;
    resume.run_dir = dir() / "part";
    resume.options.resume = true;
    resume.options.progress_interval_ms = 10;
    const TrainOutcome second = train_now(resume);
    ASSERT_TRUE(second.failure.empty()) << second.failure;
    ASSERT_TRUE(second.finished.completed);
    const auto a = read_file_bytes(dir() / "whole" / "point_cloud.ply");
    const auto b = read_file_bytes(dir() / "part" / "point_cloud.ply");
    EXPECT_TRUE(a == b) << "resumed gs4d run differs from the uninterrupted one (stopped at "
                        << first.finished.iteration << ")";
}

TEST_F(DynamicScene, CommandLine) {
    const std::string exe = splatscape_exe().string();
    const fs::path run = dir() / "cli_run";
    std::string out;
    ASSERT_EQ(run_command(exe + " train " + data().string() + " --model gs4d -o " + run.string() +
                              " --iters 60 --probe-every 0",
                          &out),
              0)
        << out;
    EXPECT_NE(out.find("held-out"), std::string::npos) << out;
    EXPECT_EQ(load_json(run / "config.json")["model"], "gs4d");

    const double trained = load_json(run / "eval.json")["psnr"].get<double>();
    out.clear();
    ASSERT_EQ(run_command(exe + " eval " + run.string(), &out), 0) << out;
    EXPECT_NE(out.find("mean (8 views)"), std::string::npos) << out;
    // The run's own evaluation and the command's agree (both render each view at its time).
    EXPECT_NEAR(load_json(run / "eval.json")["psnr"].get<double>(), trained, 1e-6);

    // --time: every frame at one time; --time-range: frames spread over the range.
    out.clear();
    ASSERT_EQ(
        run_command(exe + " render " + run.string() + " --orbit 2 --time 0.3 -o " + (dir() / "t03").string(), &out), 0)
        << out;
    out.clear();
    ASSERT_EQ(
        run_command(exe + " render " + run.string() + " --orbit 2 --time-range 0,1 -o " + (dir() / "range").string(),
                    &out),
        0)
        << out;
    // The first orbit frame: same camera; at time 0.3 and at time 0 the pictures differ.
    const Image a = load_image(dir() / "t03" / "frame_00000.png"), b = load_image(dir() / "range" / "frame_00000.png");
    EXPECT_LT(psnr(a, b), 45.0);
    out.clear();
    EXPECT_EQ(
        run_command(exe + " render " + run.string() + " --orbit 2 --time-range 0 -o " + (dir() / "bad_range").string(),
                    &out),
        2)
        << out;

    // Export: the 4D PLY, one time's 3DGS scene, a sequence of them.
    out.clear();
    ASSERT_EQ(run_command(exe + " export " + run.string() + " -o " + (dir() / "copy.ply").string(), &out), 0) << out;
    EXPECT_TRUE(is_gaussian_4d_ply(dir() / "copy.ply"));
    out.clear();
    ASSERT_EQ(run_command(exe + " export " + run.string() + " --time 0.5 -o " + (dir() / "t05.ply").string(), &out), 0)
        << out;
    EXPECT_FALSE(is_gaussian_4d_ply(dir() / "t05.ply"));
    out.clear();
    ASSERT_EQ(run_command(exe + " export " + run.string() + " --frames 3 -o " + (dir() / "sequence").string(), &out), 0)
        << out;
    const Json times = load_json(dir() / "sequence" / "times.json");
    ASSERT_EQ(times["times"].size(), 3u);
    EXPECT_FLOAT_EQ(times["times"][1].get<float>(), 0.5f);
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(fs::exists(dir() / "sequence" / cat("frame_0000", i, ".ply"))) << i;
    // The sliced export renders like the 4D scene at that time.
    CpuBackend backend(0);
    Cloud4dRenderer r4(backend, read_gaussian_4d_ply(run / "point_cloud.ply"));
    CloudRenderer r3(backend, read_gaussian_ply(dir() / "sequence" / "frame_00001.ply"));
    const Dataset ds = load_dataset(data());
    const Camera cam = ds.render_camera(ds.test.front());
    EXPECT_GT(psnr(r4.render(cam, 0.5f, RenderOptions{}), r3.render(cam, RenderOptions{})), 50.0);
    out.clear();
    ASSERT_EQ(run_command(exe + " info " + (run / "point_cloud.ply").string(), &out), 0) << out;
    EXPECT_NE(out.find("4D Gaussians"), std::string::npos) << out;
    EXPECT_NE(out.find("temporal"), std::string::npos) << out;
    // A 4D scene is refused, with advice, by the 3D-only formats and readers.
    out.clear();
    EXPECT_EQ(run_command(exe + " export " + run.string() + " -o " + (dir() / "x.splat").string(), &out), 2) << out;
    EXPECT_NE(out.find("--time"), std::string::npos) << out;
}

// `splatscape demo --model gs4d` stopped at 400 of its 3000 iterations (21.2 dB there on this
// machine; 30.75 dB after all 3000): the built-in dynamic scene, a 4D PLY, its
// held-out figures and the web page that plays it; a second run into the same folder is refused.
TEST(Gs4dDemo, RunsEndToEnd) {
    const std::string exe = splatscape_exe().string();
    TempDir dir("demo_4d");
    const fs::path root = dir / "demo";
    std::string out;
    const std::string cmd = exe + " demo --model gs4d --iters 400 --view never --device cpu -o " + root.string();
    ASSERT_EQ(run_command(cmd, &out), 0) << out;
    EXPECT_NE(out.find("4D Gaussian splatting"), std::string::npos) << out;
    EXPECT_NE(out.find("held-out"), std::string::npos) << out;
    EXPECT_NE(out.find("--time-range"), std::string::npos) << out;
    EXPECT_TRUE(load_dataset(root / "scene").dynamic);
    EXPECT_TRUE(is_gaussian_4d_ply(root / "run" / "point_cloud.ply"));
    const Json eval = load_json(root / "run" / "eval.json");
    EXPECT_EQ(eval["views"].size(), 16u);
    std::printf("gs4d demo, 400 iterations: held-out PSNR %.2f dB\n", eval["psnr"].get<double>());
    // Measured on 2 cores: 21.22 dB (seeds 1 and 2 of the same command: 21.64, 21.73). Bound: 1 dB
    // below, twice the spread between seeds.
    EXPECT_GT(eval["psnr"].get<double>(), 20.2);
    const std::string page = read_file_text(root / "run" / "scene.html");
    EXPECT_GT(page.size(), 100000u);
    EXPECT_NE(page.find("<html"), std::string::npos);
    out.clear();
    EXPECT_EQ(run_command(cmd, &out), 2) << out;
    EXPECT_NE(out.find("--force"), std::string::npos) << out;
}

// dnerf_lego_tiny (../shared/datasets): trains for a short schedule and reports PSNR on its test
// split. The full-length run and its figures are in bench/bench_train_4d.cpp.
TEST(DnerfLegoTiny, TrainsAndReportsTestPsnr) {
    SPLATSCAPE_REQUIRE_SHARED(lego, "dnerf_lego_tiny/dnerf_format");
    TempDir dir("train_4d_lego");
    TrainSetup s = setup_4d(lego, dir / "run", 600);
    s.model_config["random_points"] = 20000;
    const TrainOutcome r = train_now(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.finished.evaluated);
    const Json eval = load_json(dir / "run" / "eval.json");
    EXPECT_EQ(eval["views"].size(), 20u) << "the test split has 20 views";
    std::printf("dnerf_lego_tiny, gs4d: test PSNR %.2f dB, SSIM %.4f after 600 iterations (%.1f s)\n", r.finished.psnr,
                r.finished.ssim, r.finished.train_seconds);
    // Measured on 2 cores: 23.79 dB (seeds 1 and 2: 23.86, 23.80). Bound: 0.5 dB below, seven
    // times the spread between seeds.
    EXPECT_GT(r.finished.psnr, 23.3);
}

} // namespace
} // namespace splatscape::test
