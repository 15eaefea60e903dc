// End-to-end training on scenes the tests make themselves: a few Gaussians rendered as ground
// truth, and the built-in synthetic scene. Thresholds were measured (see each test) and set with a
// margin below what training reaches, far above what an untrained or broken model gets.
#include <cmath>
#include <cstdio>
#include <cstring>

#include <gtest/gtest.h>

#include "core/datasets/dataset.hpp"
#include "core/file_util.hpp"
#include "core/image.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "core/metrics.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/train_fixtures.hpp"
#include "training/checkpoint.hpp"
#include "training/densification.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/evaluation.hpp"
#include "training/render.hpp"

namespace splatscape::test {
namespace {

// Settings for short runs on the small fixtures.
Json short_run_config(int iterations) {
    return {{"iterations", iterations},
            {"position_lr_max_steps", iterations},
            {"sh_increase_every", 100},
            {"densify",
             {{"densify_from", 100},
              {"densify_until", iterations * 2 / 3},
              {"densify_every", 50},
              {"opacity_reset_every", 0}}}};
}

TrainSetup tiny_setup(const fs::path& data, const fs::path& run, int iterations) {
    TrainSetup s;
    s.data = data;
    s.run_dir = run;
    s.model_config = short_run_config(iterations);
    s.options.probe_every = 100;
    s.options.checkpoint_every = 100;
    s.options.seed = 7;
    s.options.progress_interval_ms = 10;
    return s;
}

class TinyScene : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new TempDir("train_tiny");
        write_gaussian_dataset(s_dir->path() / "data", ground_truth_gaussians(12, 5), 24, 6, 48);
    }
    static void TearDownTestSuite() {
        delete s_dir;
        s_dir = nullptr;
    }
    static fs::path data() { return s_dir->path() / "data"; }
    static fs::path dir() { return s_dir->path(); }
    static TempDir* s_dir;
};
TempDir* TinyScene::s_dir = nullptr;

TEST_F(TinyScene, TrainsToTheGroundTruth) {
    const TrainOutcome r = train_now(tiny_setup(data(), dir() / "run", 400));
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.finished.completed);
    ASSERT_TRUE(r.finished.evaluated);
    std::printf("tiny scene: held-out PSNR %.2f dB after 400 iterations\n", r.finished.psnr);
    // Measured: 38.4 dB held-out after 400 iterations (seed 7).
    EXPECT_GT(r.finished.psnr, 34.0);
    ASSERT_GE(r.probes.size(), 2u);
    EXPECT_GT(r.probes.back().psnr, r.probes.front().psnr + 5.0);
    for (const char* f : {"config.json", "checkpoint.bin", "point_cloud.ply", "eval.json", "metrics.jsonl"})
        EXPECT_TRUE(fs::exists(dir() / "run" / f)) << f;
    EXPECT_TRUE(fs::exists(dir() / "run" / "point_cloud" / "iteration_400" / "point_cloud.ply"));
    const Json eval = load_json(dir() / "run" / "eval.json");
    EXPECT_EQ(eval["views"].size(), 6u);
}

TEST_F(TinyScene, SavedPlyRendersTheSameImage) {
    const fs::path run = dir() / "ply_run";
    TrainSetup s = tiny_setup(data(), run, 150);
    s.options.evaluate = false;
    ASSERT_TRUE(train_now(s).failure.empty());
    // The model as the checkpoint holds it, against the PLY file written next to it.
    const CheckpointData ckpt = read_checkpoint(run / "checkpoint.bin");
    GaussianCloud from_ckpt;
    const HostTensor* means = ckpt.find("means");
    ASSERT_NE(means, nullptr);
    from_ckpt.resize(means->rows, 3);
    auto copy = [&](const char* name, std::vector<float>& dst) {
        const HostTensor* t = ckpt.find(name);
        ASSERT_NE(t, nullptr) << name;
        ASSERT_EQ(t->data.size(), dst.size() * 4) << name;
        std::memcpy(dst.data(), t->data.data(), t->data.size());
    };
    copy("means", from_ckpt.positions);
    copy("log_scales", from_ckpt.log_scales);
    copy("rotations", from_ckpt.rotations);
    copy("opacities", from_ckpt.opacities);
    copy("sh", from_ckpt.sh);
    const GaussianCloud from_ply = read_gaussian_ply(run / "point_cloud.ply");
    ASSERT_EQ(from_ply.size(), from_ckpt.size());

    const Dataset ds = load_dataset(data());
    CpuBackend backend(0);
    CloudRenderer a(backend, from_ckpt), b(backend, from_ply);
    RenderOptions ro;
    for (const Frame& f : ds.test) {
        const Image ia = a.render(ds.render_camera(f), ro), ib = b.render(ds.render_camera(f), ro);
        ASSERT_EQ(ia.data.size(), ib.data.size());
        EXPECT_EQ(0, std::memcmp(ia.data.data(), ib.data.data(), ia.data.size() * sizeof(float))) << f.name;
    }
}

TEST_F(TinyScene, ResumeMatchesAnUninterruptedRun) {
    const int total = 300;
    TrainSetup whole = tiny_setup(data(), dir() / "whole", total);
    whole.options.evaluate = false;
    ASSERT_TRUE(train_now(whole).failure.empty());

    // Interrupted where it happens to be after iteration 120, then resumed; densification (every
    // 50 from 100), SH steps and the view order all continue from the checkpoint.
    TrainSetup part = tiny_setup(data(), dir() / "part", total);
    part.options.evaluate = false;
    const TrainOutcome first = train_now(part, 120);
    ASSERT_TRUE(first.failure.empty()) << first.failure;
    ASSERT_FALSE(first.finished.completed) << "the run ended before the stop request";
    ASSERT_LT(first.finished.iteration, total);
    TrainSetup resume;
    resume.run_dir = dir() / "part";
    resume.options.resume = true;
    resume.options.progress_interval_ms = 10;
    const TrainOutcome second = train_now(resume);
    ASSERT_TRUE(second.failure.empty()) << second.failure;
    ASSERT_TRUE(second.finished.completed);
    EXPECT_EQ(second.finished.iteration, total);

    // Bit-exact: the same bytes in the PLY.
    const auto a = read_file_bytes(dir() / "whole" / "point_cloud.ply");
    const auto b = read_file_bytes(dir() / "part" / "point_cloud.ply");
    EXPECT_EQ(a.size(), b.size());
    EXPECT_TRUE(a == b) << "resumed run differs from the uninterrupted one (stopped at " << first.finished.iteration
                        << ")";
}

// Settings whose last iteration is scheduled to densify and to reset the opacities: densification
// runs through the end (until 2 * iterations) and the opacities reset every iterations / 2.
Json reset_at_end_config(int iterations, int schedule_length) {
    Json c = short_run_config(schedule_length);
    c["iterations"] = iterations;
    c["densify"]["densify_until"] = 2 * schedule_length;
    c["densify"]["opacity_reset_every"] = schedule_length / 2;
    return c;
}

// Opacities above this after training; an opacity reset clamps every one to 0.01.
size_t count_opaque(const GaussianCloud& cloud, float above) {
    size_t n = 0;
    for (float o : cloud.opacities) n += 1.0f / (1.0f + std::exp(-o)) > above ? 1 : 0;
    return n;
}

TEST_F(TinyScene, FinalStepDoesNotResetOrDensify) {
    // The model saved and evaluated at the end is the trained one, not one whose opacities were just
    // reset (or with fresh clones and splits) on the last iteration.
    TrainSetup s = tiny_setup(data(), dir() / "final", 200);
    s.model_config = reset_at_end_config(200, 200);
    const TrainOutcome r = train_now(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.finished.evaluated);
    const GaussianCloud saved = read_gaussian_ply(dir() / "final" / "point_cloud.ply");
    const size_t opaque = count_opaque(saved, 0.05f);
    std::printf("tiny scene, reset scheduled at the last iteration: held-out PSNR %.2f dB, %zu of %zu Gaussians "
                "above opacity 0.05\n",
                r.finished.psnr, opaque, saved.size());
    // Measured: 31.9 dB, 265 of 480 Gaussians above 0.05. With the reset and densification applied
    // on the last step: 17.1 dB, none above 0.05.
    EXPECT_GT(r.finished.psnr, 30.0);
    EXPECT_GT(opaque, saved.size() / 2);
    // The checkpoint is the state before the final step, so that a longer run can replay it in full.
    EXPECT_EQ(read_checkpoint(dir() / "final" / "checkpoint.bin").meta["iteration"].get<int>(), 199);
}

TEST_F(TinyScene, LongerResumeOfAFinishedRunMatchesAnUninterruptedRun) {
    // A finished 200-iteration run whose last step was shortened, continued to 300: the same bytes as
    // one 300-iteration run with the same schedule (which densifies and resets at 200).
    TrainSetup whole = tiny_setup(data(), dir() / "whole300", 300);
    whole.model_config = reset_at_end_config(300, 200);
    whole.options.evaluate = false;
    ASSERT_TRUE(train_now(whole).failure.empty());

    TrainSetup first = tiny_setup(data(), dir() / "first200", 200);
    first.model_config = reset_at_end_config(200, 200);
    first.options.evaluate = false;
    ASSERT_TRUE(train_now(first).failure.empty());
    TrainSetup resume;
    resume.run_dir = dir() / "first200";
    resume.options.resume = true;
    resume.options.iterations = 300;
    const TrainOutcome second = train_now(resume);
    ASSERT_TRUE(second.failure.empty()) << second.failure;
    EXPECT_EQ(second.finished.iteration, 300);
    const auto a = read_file_bytes(dir() / "whole300" / "point_cloud.ply");
    const auto b = read_file_bytes(dir() / "first200" / "point_cloud.ply");
    EXPECT_TRUE(a == b) << "the resumed run differs from the uninterrupted one";
}

TEST_F(TinyScene, ThreadCountDoesNotChangeTheResult) {
    std::vector<uint8_t> results[2];
    for (int threads : {1, 3}) {
        TrainSetup s = tiny_setup(data(), dir() / cat("threads_", threads), 200);
        s.options.threads = threads;
        s.options.evaluate = false;
        ASSERT_TRUE(train_now(s).failure.empty());
        results[threads == 1 ? 0 : 1] = read_file_bytes(dir() / cat("threads_", threads) / "point_cloud.ply");
    }
    EXPECT_TRUE(results[0] == results[1]);
}

TEST_F(TinyScene, BadInputsFailWithAMessage) {
    TrainSetup s = tiny_setup(data(), dir() / "bad", 10);
    s.model_config["densify"]["densify_every"] = 0;
    TrainOutcome r = train_now(s);
    EXPECT_NE(r.failure.find("densify.densify_every"), std::string::npos) << r.failure;

    TrainSetup missing = tiny_setup(dir() / "no_such_dataset", dir() / "bad2", 10);
    r = train_now(missing);
    EXPECT_NE(r.failure.find("no_such_dataset"), std::string::npos) << r.failure;

    TrainSetup resume;
    resume.run_dir = dir() / "never_trained";
    resume.options.resume = true;
    r = train_now(resume);
    EXPECT_NE(r.failure.find("checkpoint"), std::string::npos) << r.failure;

    // A damaged checkpoint is refused with its file named.
    fs::create_directories(dir() / "damaged");
    write_bytes(dir() / "damaged" / "checkpoint.bin", "SPLTCKPT garbage");
    r = train_now(resume = [&] {
        TrainSetup t;
        t.run_dir = dir() / "damaged";
        t.options.resume = true;
        return t;
    }());
    EXPECT_NE(r.failure.find("checkpoint.bin"), std::string::npos) << r.failure;
}

TEST_F(TinyScene, RandomBackgroundLearnsTransparency) {
    // RGBA images: with a new random background every iteration (and the ground truth recomposed
    // over it) the model can only match them by getting alpha right, so it must also be right over
    // a background it never trained on. Were the ground truth left over white, it would learn
    // opaque white where the images are transparent and fail over black.
    write_gaussian_dataset(dir() / "rgba", ground_truth_gaussians(12, 5), 24, 6, 48, true);
    TrainSetup s = tiny_setup(dir() / "rgba", dir() / "rgba_run", 400);
    s.model_config["random_background"] = true;
    s.options.evaluate = false;
    const TrainOutcome r = train_now(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    DatasetOptions over_black;
    over_black.background = glm::vec3(0.0f);
    const Dataset ds = load_dataset(dir() / "rgba", over_black);
    CpuBackend backend(0);
    CloudRenderer renderer(backend, read_gaussian_ply(dir() / "rgba_run" / "point_cloud.ply"));
    RenderOptions ro; // black background
    const EvalResult e = evaluate_views(ds, ds.test, [&](const Camera& c) { return renderer.render(c, ro); });
    std::printf("tiny RGBA scene, random backgrounds: held-out PSNR %.2f dB over black\n", e.psnr);
    // Measured: 37.6 dB.
    EXPECT_GT(e.psnr, 32.0);
}

TEST_F(TinyScene, CommandLine) {
    const std::string exe = splatscape_exe().string();
    const fs::path run = dir() / "cli_run";
    const std::string train = exe + " train " + data().string() + " -o " + run.string() + " --probe-every 0";
    std::string out;
    ASSERT_EQ(run_command(train + " --iters 60 --checkpoint-every 30", &out), 0) << out;
    EXPECT_NE(out.find("held-out"), std::string::npos) << out;
    for (const char* f : {"config.json", "checkpoint.bin", "point_cloud.ply", "eval.json"})
        EXPECT_TRUE(fs::exists(run / f)) << f;
    // A second run into the same folder must be asked for.
    out.clear();
    EXPECT_EQ(run_command(train + " --iters 60", &out), 2) << out;
    EXPECT_NE(out.find("--resume"), std::string::npos) << out;
    // Continue it to 90 iterations.
    out.clear();
    ASSERT_EQ(run_command(exe + " train --resume -o " + run.string() + " --iters 90", &out), 0) << out;
    EXPECT_EQ(load_json(run / "eval.json")["iteration"], 90) << out;

    out.clear();
    ASSERT_EQ(run_command(exe + " eval " + run.string(), &out), 0) << out;
    EXPECT_NE(out.find("mean (6 views)"), std::string::npos) << out;
    EXPECT_TRUE(fs::exists(run / "eval" / "renders" / "test_r_0.png"));

    out.clear();
    ASSERT_EQ(run_command(exe + " render " + run.string() + " --orbit 3 -o " + (dir() / "orbit").string(), &out), 0)
        << out;
    for (int i = 0; i < 3; ++i) EXPECT_TRUE(fs::exists(dir() / "orbit" / cat("frame_0000", i, ".png"))) << i;
    const Image frame = load_image(dir() / "orbit" / "frame_00000.png");
    EXPECT_EQ(frame.width, 48);

    // A camera path of two keys one second apart at 2 frames per second: 3 frames at 64x40.
    write_bytes(dir() / "path.json", R"({"width": 64, "height": 40, "fps": 2, "keyframes": [
        {"t": 0, "position": [3, 0, 0.5], "look_at": [0, 0, 0], "fov_y": 40},
        {"t": 1, "position": [0, 3, 0.5], "look_at": [0, 0, 0], "fov_y": 30}]})");
    out.clear();
    ASSERT_EQ(run_command(exe + " render " + (run / "point_cloud.ply").string() + " --camera-path " +
                              (dir() / "path.json").string() + " -o " + (dir() / "path_frames").string(),
                          &out),
              0)
        << out;
    EXPECT_TRUE(fs::exists(dir() / "path_frames" / "frame_00002.png"));
    EXPECT_FALSE(fs::exists(dir() / "path_frames" / "frame_00003.png"));
    EXPECT_EQ(load_image(dir() / "path_frames" / "frame_00001.png").width, 64);

    write_bytes(dir() / "bad_path.json", R"({"keyframes": [{"position": [0, 0, 0]}]})");
    out.clear();
    EXPECT_EQ(run_command(exe + " render " + run.string() + " --camera-path " + (dir() / "bad_path.json").string() +
                              " -o " + (dir() / "bad_frames").string(),
                          &out),
              1);
    EXPECT_NE(out.find("keyframes[0]"), std::string::npos) << out;
}

TEST_F(TinyScene, CtrlCSavesACheckpoint) {
    const std::string exe = splatscape_exe().string();
    const fs::path run = dir() / "sigint_run";
    std::string out;
    // SIGINT after two seconds of a run far too long to finish: exit code 130, checkpoint written.
    // (--foreground: one signal to the process, as a Ctrl-C gives; a second one quits at once.)
    const int code =
        run_command("timeout --foreground --preserve-status -s INT 2 " + exe + " train " + data().string() + " -o " +
                        run.string() + " --iters 1000000 --probe-every 0 --checkpoint-every 0",
                    &out);
    ASSERT_EQ(code, 130) << out;
    EXPECT_NE(out.find("--resume"), std::string::npos) << out;
    const CheckpointData ckpt = read_checkpoint(run / "checkpoint.bin");
    const int stopped = ckpt.meta["iteration"].get<int>();
    EXPECT_GT(stopped, 0);
    out.clear();
    ASSERT_EQ(
        run_command(exe + " train --resume -o " + run.string() + " --iters " + std::to_string(stopped + 20), &out), 0)
        << out;
    EXPECT_EQ(load_json(run / "eval.json")["iteration"].get<int>(), stopped + 20) << out;
    // The checkpoint holds the state after the last step, or before it when that step would have
    // densified or reset opacities (the trainer skips those on a final step; see FinalStep below).
    const AdcConfig defaults;
    const bool reshapes = adc_densifies_at(defaults, stopped + 20) || adc_resets_opacity_at(defaults, stopped + 20, false);
    EXPECT_EQ(read_checkpoint(run / "checkpoint.bin").meta["iteration"].get<int>(), stopped + 20 - (reshapes ? 1 : 0));
}

// The headline test: the built-in scene, at reduced size so it runs in well under a minute on two
// cores, reaches a held-out PSNR measured on this machine with a margin.
TEST(BuiltinScene, ReachesHeldOutPsnr) {
    TempDir dir("train_builtin");
    SyntheticSceneOptions o;
    o.width = o.height = 100;
    o.train_views = 40;
    o.test_views = 8;
    o.samples_per_axis = 2;
    o.points = 3000;
    generate_synthetic_scene(o, dir / "scene");
    TrainSetup s;
    s.data = dir / "scene";
    s.run_dir = dir / "run";
    s.model_config = short_run_config(1000);
    s.options.probe_every = 0;
    s.options.checkpoint_every = 0;
    const TrainOutcome r = train_now(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.finished.evaluated);
    std::printf("built-in scene: held-out PSNR %.2f dB, SSIM %.4f after 1000 iterations\n", r.finished.psnr,
                r.finished.ssim);
    // Measured: 32.7 dB and SSIM 0.984 after 1000 iterations; the initialisation from the scene's
    // points alone (one iteration) gives 12.9 dB and SSIM 0.59.
    EXPECT_GT(r.finished.psnr, 30.0);
    EXPECT_GT(r.finished.ssim, 0.97);
}

// The user-facing form of the final-step rule: the built-in scene trained to exactly an iteration
// that is scheduled to reset the opacities (and to densify) keeps the quality it had before it.
TEST(BuiltinScene, TrainedToAResetIterationKeepsItsQuality) {
    TempDir dir("train_builtin_reset");
    SyntheticSceneOptions o;
    o.width = o.height = 100;
    o.train_views = 40;
    o.test_views = 8;
    o.samples_per_axis = 2;
    o.points = 3000;
    generate_synthetic_scene(o, dir / "scene");
    TrainSetup s;
    s.data = dir / "scene";
    s.run_dir = dir / "run";
    s.model_config = reset_at_end_config(600, 600);
    s.options.probe_every = 550;
    s.options.checkpoint_every = 0;
    const TrainOutcome r = train_now(s);
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    ASSERT_TRUE(r.finished.evaluated);
    ASSERT_FALSE(r.probes.empty());
    std::printf("built-in scene, 600 iterations ending on a reset: held-out PSNR %.2f dB (probe at 550: %.2f dB)\n",
                r.finished.psnr, r.probes.front().psnr);
    // Measured: 31.4 dB held out (the probe view at iteration 550, after the reset at 300: 26.6 dB).
    // With the reset applied on the last step the saved model is nearly transparent: 8.9 dB.
    EXPECT_GT(r.finished.psnr, 29.5);
}

} // namespace
} // namespace splatscape::test
