// End-to-end training with what goes beyond 3DGS's recipe, on scenes the tests make themselves (a
// few Gaussians rendered as ground truth): MCMC densification within its cap, resuming a run that
// uses MCMC, the 3D filter and appearance compensation, a per-image exposure change that the
// appearance transforms absorb, transient objects that masks keep out of the model, and a filtered,
// anti-aliased run whose saved scene evaluates as training did. Bounds were measured (written
// beside each) and set with a margin.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <random>

#include <gtest/gtest.h>

#include "core/datasets/dataset.hpp"
#include "core/file_util.hpp"
#include "core/image.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/train_fixtures.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/evaluation.hpp"
#include "training/render.hpp"

namespace splatscape::test {
namespace {

Json short_config(int iterations) {
    return {{"iterations", iterations},
            {"position_lr_max_steps", iterations},
            {"sh_increase_every", 100},
            {"densify",
             {{"densify_from", 100},
              {"densify_until", iterations * 2 / 3},
              {"densify_every", 50},
              {"opacity_reset_every", 0}}}};
}

TrainSetup setup_for(const fs::path& data, const fs::path& run, const Json& config) {
    TrainSetup s;
    s.data = data;
    s.run_dir = run;
    s.model_config = config;
    s.options.probe_every = 0;
    s.options.checkpoint_every = 100;
    s.options.seed = 7;
    s.options.progress_interval_ms = 10;
    return s;
}

double run_psnr(const TrainSetup& s) {
    const TrainOutcome r = train_now(s);
    EXPECT_TRUE(r.failure.empty()) << r.failure;
    EXPECT_TRUE(r.finished.evaluated);
    return r.finished.psnr;
}

class Extras : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        s_dir = new TempDir("train_extras");
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
TempDir* Extras::s_dir = nullptr;

TEST_F(Extras, McmcTrainsToTheGroundTruthWithinItsCap) {
    Json c = short_config(400);
    c["densify"]["strategy"] = "mcmc";
    c["densify"]["densify_until"] = 350;
    c["densify"]["max_gaussians"] = 280; // the dataset starts from 240 points
    // The paper's initial scales (0.1 of 3DGS's) need a longer schedule than these 400 iterations
    // (measured 33.6 dB); 3DGS's start here.
    c["init_scale"] = 1.0;
    const TrainOutcome r = train_now(setup_for(data(), dir() / "mcmc", c));
    ASSERT_TRUE(r.failure.empty()) << r.failure;
    const GaussianCloud cloud = read_gaussian_ply(dir() / "mcmc" / "point_cloud.ply");
    std::printf("mcmc: %zu Gaussians, held-out PSNR %.2f dB\n", cloud.size(), r.finished.psnr);
    // Grown to the cap (5 % per step from 240 reaches 280 within the schedule), never past it.
    EXPECT_EQ(cloud.size(), 280u);
    // Measured: 39.4 dB (adc on the same scene: 38.4 dB with 400 iterations).
    EXPECT_GT(r.finished.psnr, 35.0);
    const Json cfg = load_json(dir() / "mcmc" / "config.json");
    EXPECT_EQ(cfg["model_config"]["densify"]["strategy"], "mcmc");
    EXPECT_FLOAT_EQ(cfg["model_config"]["init_opacity"].get<float>(), 0.5f); // the paper's default
}

TEST_F(Extras, ResumeWithMcmcFilterAndAppearanceMatchesAnUninterruptedRun) {
    Json c = short_config(300);
    c["densify"]["strategy"] = "mcmc";
    c["densify"]["max_gaussians"] = 350;
    c["filter_3d"] = true;
    c["antialiased"] = true;
    c["eps2d"] = 0.1;
    c["appearance"] = "affine";
    TrainSetup whole = setup_for(data(), dir() / "r_whole", c);
    whole.options.evaluate = false;
    ASSERT_TRUE(train_now(whole).failure.empty());
    TrainSetup part = setup_for(data(), dir() / "r_part", c);
    part.options.evaluate = false;
    const TrainOutcome first = train_now(part, 130);
    ASSERT_TRUE(first.failure.empty()) << first.failure;
    ASSERT_FALSE(first.finished.completed);
    TrainSetup resume;
    resume.run_dir = dir() / "r_part";
    resume.options.resume = true;
    resume.options.progress_interval_ms = 10;
    const TrainOutcome second = train_now(resume);
    ASSERT_TRUE(second.failure.empty()) << second.failure;
    ASSERT_TRUE(second.finished.completed);
    // The relocation draws, the noise, the filter's variances and the transforms all continue.
    const auto a = read_file_bytes(dir() / "r_whole" / "point_cloud.ply");
    const auto b = read_file_bytes(dir() / "r_part" / "point_cloud.ply");
    EXPECT_TRUE(a == b) << "resumed run differs from the uninterrupted one (stopped at " << first.finished.iteration
                        << ")";
}

// The training images of the tiny scene with per-image exposure and white-balance changes (the
// held-out ones untouched): without compensation the model learns an average and floaters; with
// it, the transforms absorb the changes.
TEST_F(Extras, AppearanceAbsorbsExposureChanges) {
    const fs::path exposed = dir() / "exposed";
    write_gaussian_dataset(exposed, ground_truth_gaussians(12, 5), 24, 6, 48);
    std::mt19937 rng(5);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (int i = 0; i < 24; ++i) {
        const fs::path p = exposed / "train" / cat("r_", i, ".png");
        Image img = load_image(p);
        const float gain = (i % 2 ? 1.3f : 0.7f) + 0.1f * u(rng),
                    tint[3] = {1.0f + 0.1f * u(rng), 1.0f, 1.0f + 0.1f * u(rng)};
        for (size_t k = 0; k < img.data.size(); ++k)
            img.data[k] = std::clamp(img.data[k] * gain * tint[k % 3] + 0.03f, 0.0f, 1.0f);
        save_image(p, img);
    }
    const double plain = run_psnr(setup_for(exposed, dir() / "exp_plain", short_config(400)));
    Json c = short_config(400);
    c["appearance"] = "affine";
    const double compensated = run_psnr(setup_for(exposed, dir() / "exp_affine", c));
    std::printf("exposure changes: held-out PSNR %.2f dB without, %.2f dB with appearance compensation\n", plain,
                compensated);
    // Measured: 28.4 dB without, 36.2 dB with.
    EXPECT_GT(compensated, plain + 4.0);
}

// A transient object (a bright square at a random place) in three of four training images, which
// the dataset's masks/ folder marks: with the masks it stays out of the model.
TEST_F(Extras, MasksKeepTransientObjectsOut) {
    const fs::path transient = dir() / "transient";
    write_gaussian_dataset(transient, ground_truth_gaussians(12, 5), 24, 6, 48);
    fs::create_directories(transient / "masks");
    std::mt19937 rng(6);
    std::uniform_int_distribution<int> at(2, 24);
    for (int i = 0; i < 24; ++i) {
        if (i % 4 == 3) continue;
        const fs::path p = transient / "train" / cat("r_", i, ".png");
        Image img = load_image(p);
        Image mask(img.width, img.height, 1, 1.0f);
        const int x0 = at(rng), y0 = at(rng);
        for (int y = y0; y < y0 + 22; ++y)
            for (int x = x0; x < x0 + 22; ++x) {
                const float c[3] = {1.0f, 0.1f, 0.9f};
                for (int k = 0; k < 3; ++k) img.at(x, y, k) = c[k];
                mask.at(x, y, 0) = 0.0f;
            }
        save_image(p, img);
        save_image(transient / "masks" / cat("r_", i, ".png"), mask);
    }
    EXPECT_EQ(load_dataset(transient).mask_count(), 18u);
    Json none = short_config(400);
    none["masks"] = "none";
    const double unmasked = run_psnr(setup_for(transient, dir() / "tr_none", none));
    const double masked = run_psnr(setup_for(transient, dir() / "tr_masked", short_config(400)));
    std::printf("transient objects: held-out PSNR %.2f dB without, %.2f dB with masks\n", unmasked, masked);
    // Measured: 23.6 dB without masks, 35.5 dB with (38.4 dB on the clean images).
    EXPECT_GT(masked, unmasked + 6.0);
    EXPECT_GT(masked, 32.0);
}

// A run with Mip-Splatting's filters saves the scene it evaluated: the PLY holds the 3D filter baked
// in and says how to render it, so evaluating the file gives training's figures.
TEST_F(Extras, FilteredRunSavesWhatItEvaluated) {
    Json c = short_config(300);
    c["filter_3d"] = true;
    c["antialiased"] = true;
    c["eps2d"] = 0.1;
    const fs::path run = dir() / "mip";
    const double trained = run_psnr(setup_for(data(), run, c));
    const GaussianCloud cloud = read_gaussian_ply(run / "point_cloud.ply");
    EXPECT_TRUE(cloud.antialiased);
    EXPECT_FLOAT_EQ(cloud.eps2d, 0.1f);
    const Dataset ds = load_dataset(data());
    CpuBackend backend(0);
    CloudRenderer renderer(backend, cloud);
    RenderOptions ro;
    ro.antialiased = cloud.antialiased;
    ro.eps2d = cloud.eps2d;
    const EvalResult e = evaluate_frames(
        ds, evaluation_frames(ds), [&](const Frame&, const Camera& cam) { return renderer.render(cam, ro); }, {}, {});
    std::printf("filtered run: %.3f dB in training, %.3f dB from its PLY\n", trained, e.psnr);
    EXPECT_NEAR(e.psnr, trained, 0.01);
    EXPECT_GT(trained, 32.0); // measured 36.0 dB
}

} // namespace
} // namespace splatscape::test
