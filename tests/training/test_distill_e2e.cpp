// `splatscape distill`: a tiny hmohe run on the built-in scene at 64x64 distilled into gs3d. The
// student is an ordinary gs3d run that `export` writes as PLY and SPZ and `eval` scores, within a
// measured margin of the teacher on the original held-out images; the teacher dataset holds no
// held-out view (its extra cameras keep clear of the held-out cameras, its test split is the
// original held-out images), its seed points lie on the scene's surfaces; and runs that cannot be
// distilled are refused with the reason.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include <glm/geometric.hpp>
#include <gtest/gtest.h>

#include "core/datasets/dataset.hpp"
#include "core/image.hpp"
#include "core/io/ply.hpp"
#include "core/io/scene_io.hpp"
#include "core/json_util.hpp"
#include "tests/support/test_support.hpp"
#include "tests/training/train_fixtures.hpp"
#include "training/distill.hpp"
#include "training/evaluation.hpp"
#include "training/presets.hpp"
#include "training/trainer.hpp"

namespace splatscape::test {
namespace {

constexpr int kTrainViews = 24;
constexpr int kExtraViews = 8;

// Distance from p to the nearest of `points`.
float nearest(const PointCloud& points, glm::vec3 p) {
    float best = 1e30f;
    for (size_t i = 0; i < points.size(); ++i)
        best = std::min(best, glm::length(p - glm::vec3(points.positions[3 * i], points.positions[3 * i + 1],
                                                        points.positions[3 * i + 2])));
    return best;
}

// The extra cameras by themselves (no NeRF needed): where the rule puts them.
TEST(DistillCameras, ExtraCamerasFollowTheRule) {
    TempDir dir("distill_cameras");
    write_small_builtin_scene(dir / "scene", kTrainViews, 4);
    const Dataset ds = load_dataset(dir / "scene");
    DistillCameraRule rule;
    rule.extra = 200;
    rule.seed = 7;
    // Wider keep-out balls than the default (the whole distance from each held-out camera to its
    // nearest training camera), so that the rule has draws to turn away: without it, 36 of these 200
    // cameras would fall inside them (measured).
    rule.holdout_clearance = 1.0f;
    const glm::vec3 centre(0.1f, -0.2f, 0.3f);
    const std::vector<TeacherView> views = teacher_views(ds, centre, rule);
    ASSERT_EQ(views.size(), size_t(kTrainViews + 200));
    const std::vector<float> keep_out = holdout_keep_out(ds, rule.holdout_clearance);
    for (size_t v = 0; v < views.size(); ++v) {
        const TeacherView& view = views[v];
        const Camera& c = view.camera;
        if (v < size_t(kTrainViews)) {
            // The training cameras themselves, first and in order.
            EXPECT_EQ(view.from, int(v));
            EXPECT_EQ(view.to, int(v));
            EXPECT_LT(glm::length(c.center() - ds.train[v].camera.center()), 1e-6f);
            continue;
        }
        EXPECT_EQ(view.name.rfind("extra/", 0), 0u) << view.name;
        ASSERT_NE(view.from, view.to);
        EXPECT_GE(view.t, rule.t_min);
        EXPECT_LE(view.t, rule.t_max);
        // Between its two training cameras: its distance to the centre interpolates theirs ...
        const Camera& a = ds.train[size_t(view.from)].camera;
        const Camera& b = ds.train[size_t(view.to)].camera;
        const float ra = glm::length(a.center() - centre), rb = glm::length(b.center() - centre);
        EXPECT_NEAR(glm::length(c.center() - centre), ra + view.t * (rb - ra), 1e-4f);
        // ... it is no farther from them than they are from each other, and looks at the centre.
        const float ab = glm::length(a.center() - b.center());
        EXPECT_LE(glm::length(c.center() - a.center()), ab + 1e-4f);
        EXPECT_GT(glm::dot(c.forward(), glm::normalize(centre - c.center())), 1.0f - 1e-5f);
        EXPECT_EQ(c.width, a.width);
        EXPECT_FLOAT_EQ(c.fx, a.fx);
        // Clear of every held-out camera.
        for (size_t h = 0; h < ds.test.size(); ++h)
            EXPECT_GE(glm::length(c.center() - ds.test[h].camera.center()), keep_out[h]) << view.name;
    }
    // Every keep-out ball is real (the held-out cameras lie between training cameras).
    for (float r : keep_out) EXPECT_GT(r, 0.0f);
    // A function of the seed.
    const std::vector<TeacherView> again = teacher_views(ds, centre, rule);
    rule.seed = 8;
    const std::vector<TeacherView> other = teacher_views(ds, centre, rule);
    EXPECT_EQ(again.back().camera.center(), views.back().camera.center());
    EXPECT_NE(other.back().camera.center(), views.back().camera.center());
}

// Runs that cannot be distilled: not a run, an unfinished NeRF run, a Gaussian run.
TEST(Distill, RefusesRunsItCannotDistill) {
    TempDir dir("distill_refuse");
    const std::string exe = splatscape_exe().string();
    auto distill = [&](const fs::path& run, std::string& out) {
        out.clear();
        return run_command(exe + " distill " + run.string() + " -o " + (dir / "out").string() + " --device cpu", &out);
    };
    auto fake_run = [&](const std::string& name, const std::string& model) {
        save_json(dir / name / "config.json", {{"model", model},
                                               {"data", (dir / "nowhere").string()},
                                               {"dataset", Json::object()},
                                               {"options", Json::object()},
                                               {"model_config", Json::object()}});
        return dir / name;
    };
    std::string out;
    fs::create_directories(dir / "empty");
    EXPECT_EQ(distill(dir / "empty", out), 1) << out;
    EXPECT_NE(out.find("not a run folder"), std::string::npos) << out;
    EXPECT_EQ(distill(fake_run("unfinished", "hmohe"), out), 1) << out;
    EXPECT_NE(out.find("model.hmohe"), std::string::npos) << out;
    EXPECT_NE(out.find("has not finished"), std::string::npos) << out;
    EXPECT_EQ(distill(fake_run("gaussians", "gs3d"), out), 1) << out;
    EXPECT_NE(out.find("a gs3d run"), std::string::npos) << out;
    EXPECT_NE(out.find("distill takes a NeRF run"), std::string::npos) << out;
    EXPECT_FALSE(fs::exists(dir / "out" / "teacher")) << "nothing is written for a run that is refused";
}

TEST(Distill, HmoheRunToGaussians) {
    TempDir dir("distill");
    const std::string exe = splatscape_exe().string();
    const fs::path scene = dir / "scene", run = dir / "nerf", run2 = dir / "gs";
    write_small_builtin_scene(scene, kTrainViews, 4);

    // The teacher: a tiny NeRF (16 dB held out), coarse steps so that it renders quickly.
    TrainSetup s;
    s.data = scene;
    s.run_dir = run;
    s.options.model = "hmohe";
    s.model_config = hmohe_small_config(100);
    s.model_config["steps_per_unit"] = 128;
    s.options.probe_every = 0;
    s.options.checkpoint_every = 0;
    s.options.seed = 3;
    const TrainOutcome t = train_now(s);
    ASSERT_TRUE(t.failure.empty()) << t.failure;
    ASSERT_TRUE(t.finished.evaluated);

    // The student: gs3d's demo preset, short.
    Json student = load_preset("gs3d", "demo");
    student["iterations"] = 300;
    save_json(dir / "student.json", student);
    std::string out;
    ASSERT_EQ(run_command(exe + " distill " + run.string() + " -o " + run2.string() + " --device cpu --config " +
                              (dir / "student.json").string() + " --extra-views " + std::to_string(kExtraViews) +
                              " --seed-points 4000 --probe-every 0 --checkpoint-every 0",
                          &out),
              0)
        << out;
    EXPECT_NE(out.find("teacher PSNR"), std::string::npos) << out;
    const Json report = load_json(run2 / "distill.json");
    const double teacher = report["teacher"]["psnr"].get<double>();
    const double distilled = report["student"]["psnr"].get<double>();
    std::printf("distill, built-in scene at 64x64: teacher %.2f dB, student %.2f dB (%.2f dB against the teacher's "
                "renders), %zu seed points, %zu Gaussians\n",
                teacher, distilled, report["student"]["psnr_vs_teacher"].get<double>(),
                report["teacher_dataset"]["points"].get<size_t>(), report["student"]["gaussians"].get<size_t>());
    // The teacher is scored as its own run was (the same renders, views and protocol).
    EXPECT_NEAR(teacher, t.finished.psnr, 1e-6);
    // The student on the original held-out images: measured 0.24 dB above the teacher (15.96 /
    // 16.20 dB); bound: 0.74 dB of noise below that.
    EXPECT_GT(distilled, teacher - 0.5);

    // RUN2 is an ordinary gs3d run: config, evaluation, export to PLY and SPZ.
    const TrainSetup student_run = read_run_config(run2);
    EXPECT_EQ(student_run.options.model, "gs3d");
    EXPECT_NEAR(load_json(run2 / "eval.json")["psnr"].get<double>(), distilled, 1e-9);
    const size_t gaussians = read_scene(run2 / "point_cloud.ply").size();
    for (const char* ext : {"ply", "spz"}) {
        const fs::path file = dir / (std::string("scene.") + ext);
        out.clear();
        ASSERT_EQ(run_command(exe + " export " + run2.string() + " -o " + file.string(), &out), 0) << out;
        EXPECT_EQ(read_scene(file).size(), gaussians) << ext;
    }
    out.clear();
    ASSERT_EQ(run_command(exe + " eval " + run2.string() + " --no-images", &out), 0) << out;
    EXPECT_NEAR(load_json(run2 / "eval.json")["psnr"].get<double>(), distilled, 1e-4) << out;

    // The teacher dataset: the training cameras and the extra ones, none of them a held-out view;
    // its test split is the original held-out images, as evaluation loads them.
    const Dataset original = load_dataset(scene);
    const Dataset taught = load_dataset(student_run.data);
    EXPECT_EQ(taught.train.size(), original.train.size() + size_t(kExtraViews));
    ASSERT_EQ(taught.test.size(), original.test.size());
    const std::vector<float> keep_out = holdout_keep_out(original, DistillCameraRule{}.holdout_clearance);
    for (const Frame& f : taught.train) {
        EXPECT_EQ(f.name.find("heldout"), std::string::npos) << f.name;
        for (size_t h = 0; h < original.test.size(); ++h)
            EXPECT_GE(glm::length(f.camera.center() - original.test[h].camera.center()), keep_out[h]) << f.name;
    }
    Dataset over = original;
    over.background = glm::vec3(1.0f); // the teacher's: the built-in scene's images are RGBA over white
    for (size_t i = 0; i < original.test.size(); ++i) {
        const Image a = quantize_8bit(over.load_image(original.test[i])), b = taught.load_image(taught.test[i]);
        ASSERT_EQ(a.data.size(), b.data.size());
        float worst = 0.0f;
        for (size_t k = 0; k < a.data.size(); ++k) worst = std::max(worst, std::abs(a.data[k] - b.data[k]));
        EXPECT_LT(worst, 1e-6f) << taught.test[i].name;
    }
    // The renders carry the NeRF's opacity as alpha (the scene's images have alpha).
    EXPECT_TRUE(taught.has_alpha);

    // The seed points lie on the scene's surfaces (20,000 points sampled on its visible surfaces; the
    // scene is 3 units across): median distance measured 0.056 for this 100-iteration NeRF, whose
    // surfaces are still soft (about 0.02 for the dense voxels of the demo's NeRF at 200x200); bound 0.08.
    const PointCloud seeds = read_point_ply(student_run.data / "points3d.ply");
    SyntheticSceneOptions dense = small_builtin_scene(kTrainViews, 4);
    dense.points = 20000;
    const PointCloud surface = sample_synthetic_points(dense, synthetic_views(dense));
    ASSERT_GT(seeds.size(), 100u);
    EXPECT_LE(seeds.size(), 4000u);
    std::vector<float> d;
    for (size_t i = 0; i < seeds.size(); i += 7)
        d.push_back(nearest(surface, {seeds.positions[3 * i], seeds.positions[3 * i + 1], seeds.positions[3 * i + 2]}));
    std::nth_element(d.begin(), d.begin() + d.size() / 2, d.end());
    std::printf("seed points: median distance to the scene's surface points %.4f\n", d[d.size() / 2]);
    EXPECT_LT(d[d.size() / 2], 0.08f);

    // A Gaussian run is not distilled, and a distilled run is not overwritten without --force.
    out.clear();
    EXPECT_EQ(run_command(exe + " distill " + run2.string() + " -o " + (dir / "again").string(), &out), 1) << out;
    EXPECT_NE(out.find("a gs3d run"), std::string::npos) << out;
    out.clear();
    EXPECT_EQ(run_command(exe + " distill " + run.string() + " -o " + run2.string(), &out), 2) << out;
    EXPECT_NE(out.find("--force"), std::string::npos) << out;
}

} // namespace
} // namespace splatscape::test
