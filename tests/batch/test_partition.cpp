// Partition plans (core/partition): cells, visibility, crops, the plan files and the subset
// datasets the cells train on.
#include <cmath>
#include <set>

#include <glm/geometric.hpp>
#include <glm/gtc/matrix_transform.hpp>
#include <gtest/gtest.h>

#include "core/datasets/subset.hpp"
#include "core/io/ply.hpp"
#include "core/partition/partition_plan.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

// A camera at `eye` looking at `target`, +z up, OpenCV axes.
Camera look_at(glm::vec3 eye, glm::vec3 target, int size = 64) {
    const glm::vec3 f = glm::normalize(target - eye);
    const glm::vec3 r = glm::normalize(glm::cross(f, glm::vec3(0, 0, 1)));
    const glm::vec3 d = glm::cross(f, r); // camera +y (down)
    glm::mat4 c2w(1.0f);
    c2w[0] = glm::vec4(r, 0);
    c2w[1] = glm::vec4(d, 0);
    c2w[2] = glm::vec4(f, 0);
    c2w[3] = glm::vec4(eye, 1);
    return Camera::from_camera_to_world(c2w, size, size, float(size), float(size), size * 0.5f, size * 0.5f);
}

// Cameras on a street (a line along x at y = -3, looking at +y) over a ground strip of points
// x in [-10, 10], y in [-1, 1]: the long scene that partitioning is for.
Dataset street_dataset(int cameras) {
    Dataset d;
    d.root = "/nonexistent/street";
    for (int i = 0; i < cameras; ++i) {
        const float x = -9.0f + 18.0f * float(i) / float(cameras - 1);
        Frame f;
        f.name = "cam_" + std::to_string(i);
        f.camera = look_at({x, -3.0f, 1.0f}, {x, 0.0f, 0.0f});
        (i % 8 == 3 ? d.test : d.train).push_back(f);
    }
    for (int i = 0; i <= 200; ++i)
        for (int j = 0; j <= 10; ++j) {
            d.points.positions.insert(d.points.positions.end(),
                                      {-10.0f + 0.1f * float(i), -1.0f + 0.2f * float(j), 0.0f});
            d.points.colors.insert(d.points.colors.end(), {0.5f, 0.5f, 0.5f});
        }
    d.bounds = {{-10, -1, 0}, {10, 1, 0}};
    return d;
}

TEST(Partition, CellsSplitTheCamerasEvenlyAndTileThePlane) {
    const Dataset d = street_dataset(64);
    PartitionOptions o;
    o.cells = 4;
    const PartitionPlan plan = make_partition_plan(d, o);
    ASSERT_EQ(plan.cells.size(), 4u);
    // Up is +z (mean camera up); the street runs along plan x.
    EXPECT_NEAR(std::abs(plan.frame.to_plan({0, 0, 1}).z - plan.frame.to_plan({0, 0, 0}).z), 1.0f, 1e-4f);
    // Every ground point lies in exactly one cell's own bounds.
    for (float x = -12.0f; x <= 12.0f; x += 0.37f)
        for (float y = -4.0f; y <= 4.0f; y += 0.53f) {
            int owners = 0;
            for (const PlanCell& c : plan.cells) owners += c.bounds.contains(plan.frame.ground({x, y, 0.3f})) ? 1 : 0;
            EXPECT_EQ(owners, 1) << x << ", " << y;
        }
    // 56 training cameras standing along the street: 14 in each cell, plus neighbours that see it.
    for (const PlanCell& c : plan.cells) {
        EXPECT_GE(c.cameras_inside, 14u) << c.index;
        EXPECT_LE(c.cameras_inside, 22u) << c.index; // 14 + the cameras in its 20% margins
        EXPECT_GE(c.train.size(), c.cameras_inside);
        EXPECT_LT(c.train.size(), d.train.size()) << "a cell at one end of the street must not see all of it";
        EXPECT_GT(c.points, 0u);
    }
    // The expanded bounds contain the own bounds.
    for (const PlanCell& c : plan.cells)
        for (int a = 0; a < 2; ++a) {
            EXPECT_LE(c.expanded.min[a], c.bounds.min[a]);
            EXPECT_GE(c.expanded.max[a], c.bounds.max[a]);
        }
}

TEST(Partition, CellsBalancedByPoints) {
    // Cameras along the whole street, content only at its east end: balancing the points puts
    // every cell where the content is.
    Dataset d = street_dataset(40);
    PointCloud east;
    for (size_t i = 0; i < d.points.size(); ++i)
        if (d.points.positions[3 * i] > 4.0f) {
            east.positions.insert(east.positions.end(), &d.points.positions[3 * i], &d.points.positions[3 * i + 3]);
            east.colors.insert(east.colors.end(), {0.5f, 0.5f, 0.5f});
        }
    d.points = east;
    PartitionOptions o;
    o.cells = 3;
    o.balance = "points";
    const PartitionPlan plan = make_partition_plan(d, o);
    ASSERT_EQ(plan.cells.size(), 3u);
    std::vector<size_t> own(3, 0);
    for (size_t i = 0; i < d.points.size(); ++i)
        ++own[size_t(plan.cell_of({d.points.positions[3 * i], d.points.positions[3 * i + 1], 0.0f}))];
    for (size_t c = 0; c < 3; ++c) EXPECT_NEAR(double(own[c]), d.points.size() / 3.0, d.points.size() * 0.05) << c;
    o.balance = "cameras";
    const PartitionPlan by_cameras = make_partition_plan(d, o);
    size_t empty = 0;
    for (const PlanCell& c : by_cameras.cells) empty += c.points == 0 ? 1 : 0;
    EXPECT_GE(empty, 1u) << "balancing cameras leaves the west of the street without content";
    o.balance = "both";
    EXPECT_THROW(make_partition_plan(d, o), UsageError);
}

TEST(Partition, UpFromANadirCameraGridInATiltedFrame) {
    // Aerial cameras on a 6 x 6 grid looking straight down at ground tilted 35 degrees from the
    // world's z: their up vectors lie in the ground plane, so only the plane they fly in tells up.
    const float tilt = glm::radians(35.0f);
    const glm::vec3 n{std::sin(tilt), 0.0f, std::cos(tilt)};
    const glm::vec3 u = glm::normalize(glm::cross(glm::vec3(0, 1, 0), n)), v = glm::cross(n, u);
    Dataset d;
    d.root = "/nonexistent/aerial";
    for (int i = 0; i < 6; ++i)
        for (int j = 0; j < 6; ++j) {
            const glm::vec3 ground = u * (float(i) * 4.0f) + v * (float(j) * 4.0f);
            Frame f;
            f.name = "cam_" + std::to_string(i * 6 + j);
            f.camera = look_at(ground + 10.0f * n, ground);
            d.train.push_back(f);
        }
    for (int k = 0; k < 400; ++k) {
        const glm::vec3 p = u * (float(k % 20) * 1.2f) + v * (float(k / 20) * 1.2f);
        d.points.positions.insert(d.points.positions.end(), {p.x, p.y, p.z});
        d.points.colors.insert(d.points.colors.end(), {0.5f, 0.5f, 0.5f});
    }
    PartitionOptions o;
    o.cells = 4;
    const PartitionPlan plan = make_partition_plan(d, o);
    const glm::vec3 up = plan.frame.to_plan(plan.frame.origin + n);
    EXPECT_NEAR(up.z, 1.0f, 1e-3f) << "plan z is the ground's normal";
    for (const PlanCell& c : plan.cells) EXPECT_EQ(c.cameras_inside >= 9, true) << c.index;
    o.up = "z"; // told otherwise, it obeys
    EXPECT_NEAR(make_partition_plan(d, o).frame.to_plan(glm::vec3(0, 0, 1) + plan.frame.origin).z, 1.0f, 1e-5f);
}

TEST(Partition, GridCellsAndBadOptions) {
    const Dataset d = street_dataset(40);
    PartitionOptions o;
    o.cell_size = 5.0f;
    const PartitionPlan plan = make_partition_plan(d, o);
    // The street is 18 m of cameras and 20 m of points, 5 m cells along it, one row across.
    EXPECT_GE(plan.cells.size(), 4u);
    EXPECT_LE(plan.cells.size(), 5u);
    PartitionOptions both;
    both.cells = 2;
    both.cell_size = 3;
    EXPECT_THROW(make_partition_plan(d, both), UsageError);
    PartitionOptions none;
    EXPECT_THROW(make_partition_plan(d, none), UsageError);
    PartitionOptions too_many;
    too_many.cells = 1000;
    EXPECT_THROW(make_partition_plan(d, too_many), UsageError);
    PartitionOptions up;
    up.cells = 2;
    up.up = "w";
    EXPECT_THROW(make_partition_plan(d, up), UsageError);
}

TEST(Partition, ViewSharesCountOnlyTheNearestPointPerBlock) {
    const Camera cam = look_at({0, -5, 0}, {0, 0, 0});
    PointCloud pts;
    std::vector<int> owner;
    // A wall of cell-0 points at y = -1 hides a wall of cell-1 points at y = +1 behind it.
    for (int i = -20; i <= 20; ++i)
        for (int k = -20; k <= 20; ++k) {
            pts.positions.insert(pts.positions.end(), {0.05f * float(i), -1.0f, 0.05f * float(k)});
            owner.push_back(0);
            pts.positions.insert(pts.positions.end(), {0.05f * float(i), 1.0f, 0.05f * float(k)});
            owner.push_back(1);
        }
    const std::vector<float> s = view_shares(cam, pts, owner, 2, 16);
    EXPECT_GT(s[0], 0.99f);
    EXPECT_LT(s[1], 0.01f);
    // Without the near wall the far one is seen.
    std::vector<int> far_only = owner;
    for (size_t i = 0; i < far_only.size(); ++i)
        if (far_only[i] == 0) far_only[i] = -1;
    EXPECT_GT(view_shares(cam, pts, far_only, 2, 16)[1], 0.99f);
}

TEST(Partition, CropsKeepEachGaussianOnce) {
    const Dataset d = street_dataset(32);
    PartitionOptions o;
    o.cells = 3;
    const PartitionPlan plan = make_partition_plan(d, o);
    GaussianCloud cloud;
    cloud.resize(0, 1);
    GaussianCloud one;
    one.resize(1, 1);
    for (int i = 0; i < 500; ++i) {
        one.positions = {-12.0f + 0.048f * float(i), std::sin(float(i)) * 3.0f, 0.1f * float(i % 7)};
        cloud.push_back_from(one, 0);
    }
    size_t kept = 0, kept_expanded = 0;
    for (const PlanCell& c : plan.cells) {
        kept += crop_to_cell(cloud, plan, c.index).size();
        kept_expanded += crop_to_cell(cloud, plan, c.index, true).size();
    }
    EXPECT_EQ(kept, cloud.size());
    EXPECT_GT(kept_expanded, cloud.size()); // the margins overlap
    EXPECT_EQ(crop_to_cell(cloud, plan, 0).sh_degree, 1);
    EXPECT_THROW(crop_to_cell(cloud, plan, 3), UsageError);
}

TEST(Partition, PlanRoundTripsAndRejectsBadFiles) {
    const Dataset d = street_dataset(24);
    PartitionOptions o;
    o.cells = 2;
    const PartitionPlan plan = make_partition_plan(d, o);
    const PartitionPlan back = PartitionPlan::from_json(plan.to_json(), "plan.json");
    ASSERT_EQ(back.cells.size(), plan.cells.size());
    for (size_t i = 0; i < plan.cells.size(); ++i) {
        EXPECT_EQ(back.cells[i].train, plan.cells[i].train);
        EXPECT_EQ(back.cells[i].test, plan.cells[i].test);
        EXPECT_EQ(back.cells[i].bounds.min.x, plan.cells[i].bounds.min.x); // -inf survives as null
        EXPECT_EQ(back.cells[i].bounds.max.x, plan.cells[i].bounds.max.x);
    }
    for (int k = -5; k <= 5; ++k) EXPECT_EQ(back.cell_of({float(k), 0.2f, 0.0f}), plan.cell_of({float(k), 0.2f, 0.0f}));

    auto expect_error = [&](Json j, const std::string& field) {
        try {
            PartitionPlan::from_json(j, "bad.json");
            ADD_FAILURE() << "accepted a plan with a bad " << field;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(field), std::string::npos) << e.what();
        }
    };
    Json j = plan.to_json();
    j["version"] = 7;
    expect_error(j, "version");
    j = plan.to_json();
    j["cells"][0]["bounds"]["min"] = {1.0, "a"};
    expect_error(j, "cells[0].bounds");
    j = plan.to_json();
    j["cells"][1]["index"] = 5;
    expect_error(j, "cells[1].index");
    j = plan.to_json();
    j["frame"]["axes"][0] = {2.0, 0.0, 0.0};
    expect_error(j, "frame.axes[0]");
    j = plan.to_json();
    j["cells"][0]["train"] = Json::array();
    expect_error(j, "cells[0].train");
}

TEST(Partition, CellDatasetsAreSubsetsOfTheScene) {
    test::TempDir dir("partition_subset");
    SyntheticSceneOptions so;
    so.width = so.height = 32;
    so.train_views = 16;
    so.test_views = 4;
    so.samples_per_axis = 1;
    so.points = 800;
    generate_synthetic_scene(so, dir / "scene");
    const Dataset whole = load_dataset(dir / "scene");
    PartitionOptions o;
    o.cells = 2;
    o.min_cameras = 4;
    const PartitionPlan plan = make_partition_plan(whole, o);
    write_partition_plan(dir / "plan", plan);
    ASSERT_TRUE(std::filesystem::exists(dir / "plan" / "plan.md"));
    ASSERT_TRUE(std::filesystem::exists(dir / "plan" / "jobs.json"));
    const PartitionPlan read = read_partition_plan(dir / "plan");
    ASSERT_EQ(read.cells.size(), 2u);

    size_t points = 0;
    for (const PlanCell& c : read.cells) {
        const Dataset cell = load_dataset(cell_dataset_folder(dir / "plan", c.index));
        EXPECT_EQ(cell.format, "subset");
        EXPECT_EQ(cell.train.size(), c.train.size());
        EXPECT_EQ(cell.test.size(), c.test.size());
        EXPECT_EQ(cell.points.size(), c.points);
        for (size_t i = 0; i < cell.points.size(); ++i)
            EXPECT_TRUE(c.expanded.contains(read.frame.ground(
                {cell.points.positions[3 * i], cell.points.positions[3 * i + 1], cell.points.positions[3 * i + 2]})));
        points += cell.points.size();
        // The images load as the scene's.
        EXPECT_EQ(cell.load_image(cell.train.front()).width, 32);
    }
    EXPECT_GE(points, whole.points.size()); // every point in some cell, those in the margins twice

    // A subset naming a frame the scene lacks, or of a bad format, is refused with the field named.
    Json bad = load_json(cell_dataset_folder(dir / "plan", 0) / kSubsetFile);
    bad["train"].push_back("no_such_frame");
    std::filesystem::create_directories(dir / "bad");
    save_json(dir / "bad" / kSubsetFile, bad);
    try {
        load_dataset(dir / "bad");
        ADD_FAILURE() << "accepted a subset with an unknown frame";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("no_such_frame"), std::string::npos) << e.what();
    }
    bad = load_json(cell_dataset_folder(dir / "plan", 0) / kSubsetFile);
    bad["points_region"]["min"] = {0.0};
    save_json(dir / "bad" / kSubsetFile, bad);
    EXPECT_THROW(load_dataset(dir / "bad"), Error);
    // A subset that names itself as its source is stopped, not followed forever.
    bad = load_json(cell_dataset_folder(dir / "plan", 0) / kSubsetFile);
    bad["source"] = ".";
    save_json(dir / "bad" / kSubsetFile, bad);
    EXPECT_THROW(load_dataset(dir / "bad"), Error);
}

} // namespace
} // namespace splatscape
