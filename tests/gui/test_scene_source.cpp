// What `view X` opens: scene files, dataset folders (cameras, points as small Gaussians), run
// folders (Gaussians with the run's cameras and background), and a scene file inside a run folder.
#include <cmath>

#include <glm/geometric.hpp>
#include <gtest/gtest.h>

#include "app/gui/scene_source.hpp"
#include "core/error.hpp"
#include "core/io/nerf_file.hpp"
#include "core/io/sags.hpp"
#include "core/io/scene_io.hpp"
#include "core/json_util.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/renderer/nerf_fixture.hpp"
#include "tests/support/test_support.hpp"
#include "training/cpu/cpu_backend.hpp"
#include "training/models/sags.hpp"
#include "training/trainer.hpp"

namespace splatscape::gui {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

GaussianCloud small_cloud(size_t n) {
    GaussianCloud c;
    c.resize(n, 1);
    for (size_t i = 0; i < n; ++i) {
        c.positions[3 * i] = 0.1f * float(i);
        c.rotations[4 * i] = 1.0f;
        c.log_scales[3 * i] = c.log_scales[3 * i + 1] = c.log_scales[3 * i + 2] = -3.0f;
    }
    return c;
}

fs::path make_dataset(const fs::path& dir) {
    SyntheticSceneOptions o;
    o.width = 24;
    o.height = 16;
    o.train_views = 5;
    o.test_views = 2;
    o.samples_per_axis = 1;
    o.points = 300;
    generate_synthetic_scene(o, dir);
    return dir;
}

TEST(SceneSource, PointsBecomeGaussiansAboutHalfTheirSpacing) {
    PointCloud p;
    for (int x = 0; x < 10; ++x)
        for (int y = 0; y < 10; ++y) {
            p.positions.insert(p.positions.end(), {0.2f * float(x), 0.2f * float(y), 1.0f});
            p.colors.insert(p.colors.end(), {1.0f, 0.5f, 0.0f});
        }
    const GaussianCloud c = cloud_from_points(p);
    ASSERT_EQ(c.size(), 100u);
    EXPECT_NO_THROW(c.validate("points"));
    EXPECT_NEAR(std::exp(c.log_scales[0]), 0.1f, 1e-4f);
    EXPECT_NEAR(rgb_from_sh_dc(c.sh[0]), 1.0f, 1e-5f);
    EXPECT_NEAR(rgb_from_sh_dc(c.sh[1]), 0.5f, 1e-5f);
    EXPECT_GT(sigmoid(c.opacities[0]), 0.9f);
}

TEST(SceneSource, OpensSceneFilesDatasetsAndRunFolders) {
    TempDir dir("gui_scene_source");
    write_scene(dir / "plain.ply", small_cloud(10));
    const LoadedScene file = load_scene_source(dir / "plain.ply");
    EXPECT_EQ(file.kind, SourceKind::SceneFile);
    ASSERT_TRUE(file.cloud);
    EXPECT_EQ(file.cloud->size(), 10u);
    EXPECT_FALSE(file.dataset);
    EXPECT_TRUE(file.views.empty());

    const fs::path data = make_dataset(dir / "data");
    const LoadedScene ds = load_scene_source(data);
    EXPECT_EQ(ds.kind, SourceKind::Dataset);
    ASSERT_TRUE(ds.dataset);
    EXPECT_EQ(ds.views.size(), 7u) << "train views, then test views";
    EXPECT_EQ(ds.views.front().label.rfind("train 0", 0), 0u) << ds.views.front().label;
    EXPECT_EQ(ds.views.back().label.rfind("test 1", 0), 0u) << ds.views.back().label;
    ASSERT_TRUE(ds.cloud) << "the dataset's points are shown";
    EXPECT_TRUE(ds.cloud_from_points);
    EXPECT_EQ(ds.cloud->size(), ds.dataset->points.size());
    EXPECT_EQ(ds.background, ds.dataset->background) << "RGBA images: what they were composited on";

    // A run folder as `splatscape train` leaves it.
    const fs::path run = dir / "run";
    fs::create_directories(run / "point_cloud" / "iteration_5");
    write_scene(run / "point_cloud.ply", small_cloud(12));
    write_scene(run / "point_cloud" / "iteration_5" / "point_cloud.ply", small_cloud(5));
    save_json(run / "config.json", Json{{"data", data.string()},
                                        {"dataset", to_json(DatasetOptions{})},
                                        {"options", to_json(TrainOptions{})},
                                        {"model", "gs3d"},
                                        {"model_config", {{"background", {0.25, 0.5, 0.75}}, {"antialiased", true}}}});
    const LoadedScene r = load_scene_source(run);
    EXPECT_EQ(r.kind, SourceKind::RunFolder);
    ASSERT_TRUE(r.cloud);
    EXPECT_EQ(r.cloud->size(), 12u) << "RUN/point_cloud.ply";
    ASSERT_TRUE(r.dataset);
    EXPECT_EQ(r.views.size(), 7u);
    EXPECT_EQ(r.background, glm::vec3(0.25f, 0.5f, 0.75f));
    EXPECT_TRUE(r.antialiased);

    // A scene file of that run brings the run's cameras along.
    const LoadedScene it = load_scene_source(run / "point_cloud" / "iteration_5" / "point_cloud.ply");
    EXPECT_EQ(it.kind, SourceKind::SceneFile);
    EXPECT_EQ(it.cloud->size(), 5u);
    EXPECT_EQ(it.views.size(), 7u);

    // A run whose dataset moved away still opens, without cameras, and says why.
    fs::rename(data, dir / "moved");
    const LoadedScene lost = load_scene_source(run);
    EXPECT_TRUE(lost.views.empty());
    EXPECT_FALSE(lost.warnings.empty());
}

// A .sags file opens as a sags scene: the decode cache for the GPU (every point, with its graph and
// curvature for the skeleton modes) and its skeleton as small Gaussians for framing.
TEST(SceneSource, OpensSagsModels) {
    TempDir dir("source_sags");
    CpuBackend backend(2);
    SagsConfig c;
    c.hash_log2_table = 10;
    c.upsample_max_pairs = 0;
    SagsModel model(backend, c, 1.0f);
    PointCloud p;
    for (int i = 0; i < 200; ++i)
        p.positions.insert(p.positions.end(), {0.01f * float(i % 20), 0.01f * float(i / 20), 0.002f * float(i % 7)});
    p.colors.assign(p.positions.size(), 0.5f);
    model.initialize(p, Bounds{}, 1);
    write_sags(dir / "m.sags", model.to_scene());
    const LoadedScene s = load_scene_source(dir / "m.sags");
    ASSERT_TRUE(s.sags);
    EXPECT_EQ(s.sags->size(), model.size());
    EXPECT_EQ(s.sags->neighbour_count, c.neighbours);
    EXPECT_EQ(s.sags->curvature.size(), model.size());
    ASSERT_TRUE(s.cloud);
    EXPECT_EQ(s.cloud->size(), model.size());
    EXPECT_FALSE(s.cloud_4d);
}

// A .hmohe file opens as a NeRF for the ray marcher, over its own background, with its occupied
// cells as small Gaussians for framing (one per cell: the fixture has one cascade).
TEST(SceneSource, OpensNerfModels) {
    TempDir dir("source_nerf");
    CpuBackend backend(1);
    const NerfScene model = test::random_nerf_scene(backend);
    write_nerf_scene(dir / "m.hmohe", model);
    const LoadedScene s = load_scene_source(dir / "m.hmohe");
    ASSERT_TRUE(s.nerf);
    EXPECT_EQ(s.nerf->experts(), model.experts());
    EXPECT_EQ(s.background, model.background);
    ASSERT_TRUE(s.cloud);
    EXPECT_EQ(s.cloud->size(), model.occupied_cells());
    const Bounds cells = s.cloud->bounds(), inner = model.inner_bounds();
    for (int a = 0; a < 3; ++a) {
        EXPECT_GE(cells.min[a], inner.min[a]);
        EXPECT_LE(cells.max[a], inner.max[a]);
    }
    EXPECT_FALSE(s.sags);
    EXPECT_FALSE(s.cloud_4d);
}

TEST(SceneSource, ClearErrorsForWhatCannotBeOpened) {
    TempDir dir("gui_scene_source_errors");
    EXPECT_THROW(load_scene_source(dir / "missing.ply"), Error);
    fs::create_directories(dir / "empty");
    try {
        load_scene_source(dir / "empty");
        FAIL() << "an empty folder opened";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("nor a dataset"), std::string::npos) << e.what();
    }
    test::write_bytes(dir / "bad.ply", "ply\nformat ascii 1.0\nelement vertex 2\nproperty float x\nend_header\n1\n");
    EXPECT_THROW(load_scene_source(dir / "bad.ply"), Error);
}

} // namespace
} // namespace splatscape::gui
