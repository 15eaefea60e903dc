// Tiled level-of-detail scenes: the hierarchy and its merging, the files (3D Tiles frame, SPZ tiles,
// the one-file index), bad tilesets, and the selection's rules and budgets.
#include <algorithm>
#include <cmath>
#include <fstream>
#include <map>
#include <mutex>
#include <random>

#include <glm/geometric.hpp>
#include <gtest/gtest.h>

#include "core/datasets/dataset.hpp"
#include "core/file_util.hpp"
#include "core/io/frame_convert.hpp"
#include "core/io/spz.hpp"
#include "core/json_util.hpp"
#include "core/scene/city.hpp"
#include "core/tiles/lod_build.hpp"
#include "core/tiles/lod_selection.hpp"
#include "core/tiles/tile_content.hpp"
#include "core/tiles/tileset.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

using test::TempDir;

GaussianCloud random_cloud(size_t n, int degree, uint32_t seed, float extent = 10.0f) {
    std::mt19937 rng(seed);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    GaussianCloud c;
    c.resize(n, degree);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = extent * u(rng);
            c.log_scales[3 * i + a] = -3.0f + 0.5f * u(rng);
        }
        for (int a = 0; a < 4; ++a) c.rotations[4 * i + a] = u(rng) + (a == 0 ? 1.5f : 0.0f);
        c.opacities[i] = 2.0f * u(rng);
        for (int k = 0; k < c.sh_coeffs() * 3; ++k) c.sh[i * c.sh_coeffs() * 3 + k] = 0.5f * u(rng);
    }
    return c;
}

Camera camera_at(glm::vec3 eye, glm::vec3 target, int w = 320, int h = 240) {
    const glm::vec3 f = glm::normalize(target - eye);
    glm::vec3 r = glm::normalize(glm::cross(f, glm::vec3(0, 0, 1)));
    const glm::vec3 d = glm::cross(f, r);
    glm::mat4 c2w(1.0f);
    c2w[0] = glm::vec4(r, 0);
    c2w[1] = glm::vec4(d, 0);
    c2w[2] = glm::vec4(f, 0);
    c2w[3] = glm::vec4(eye, 1);
    return Camera::from_camera_to_world(c2w, w, h, 250.0f, 250.0f, 0.5f * float(w), 0.5f * float(h));
}

bool inside(const Bounds& inner, const Bounds& outer, float eps) {
    for (int a = 0; a < 3; ++a)
        if (inner.min[a] < outer.min[a] - eps || inner.max[a] > outer.max[a] + eps) return false;
    return true;
}

TEST(LodBuild, LeavesPartitionTheInputAndTilesStayWithinTheLeafSize) {
    const GaussianCloud c = random_cloud(5000, 1, 1);
    LodBuildOptions o;
    o.leaf_splats = 300;
    std::map<int, GaussianCloud> contents;
    std::mutex mutex; // emit is called from several threads
    const auto nodes = build_lod_hierarchy(c, o, [&](const LodNodeInfo& n, const GaussianCloud& content) {
        std::lock_guard lock(mutex);
        contents[n.id] = content;
    });
    size_t leaf_total = 0;
    for (const LodNodeInfo& n : nodes) {
        EXPECT_LE(n.splats, o.leaf_splats) << "tile " << n.id;
        EXPECT_EQ(contents.at(n.id).size(), n.splats);
        EXPECT_LE(n.children.size(), 4u);
        if (n.children.empty()) {
            leaf_total += n.splats;
            EXPECT_EQ(n.geometric_error, 0.0);
        } else {
            for (int ch : n.children) {
                EXPECT_EQ(nodes[size_t(ch)].parent, n.id);
                EXPECT_GT(n.geometric_error, nodes[size_t(ch)].geometric_error) << "errors grow towards the root";
                EXPECT_TRUE(inside(nodes[size_t(ch)].box, n.box, 1e-4f)) << "child box inside the parent's";
            }
        }
    }
    EXPECT_EQ(leaf_total, c.size()) << "every Gaussian in exactly one leaf";
    EXPECT_GE(nodes.size(), 5000u / 300u);
}

TEST(LodBuild, MomentMatchingKeepsTheMixturesMeanAndCovariance) {
    // Two axis-aligned Gaussians of equal weight at +-d on x: the merged mean is 0 and its x variance
    // s^2 + d^2, its y and z variances s^2.
    GaussianCloud c;
    c.resize(2, 0);
    const float d = 0.5f, s = 0.1f;
    for (int i = 0; i < 2; ++i) {
        c.positions[3 * i] = i == 0 ? -d : d;
        for (int a = 0; a < 3; ++a) c.log_scales[3 * i + a] = std::log(s);
        c.rotations[4 * i] = 1.0f;
        c.opacities[i] = 0.0f;
        c.sh[3 * i] = i == 0 ? 1.0f : -1.0f;
    }
    double error = 0;
    const GaussianCloud m = merge_gaussians(c, 1, &error);
    ASSERT_EQ(m.size(), 1u);
    EXPECT_NEAR(m.positions[0], 0.0f, 1e-6f);
    std::vector<float> var = {std::exp(2 * m.log_scales[0]), std::exp(2 * m.log_scales[1]),
                              std::exp(2 * m.log_scales[2])};
    std::sort(var.begin(), var.end());
    EXPECT_NEAR(var[2], s * s + d * d, 1e-5f);
    EXPECT_NEAR(var[0], s * s, 1e-6f);
    EXPECT_NEAR(var[1], s * s, 1e-6f);
    EXPECT_NEAR(m.sh[0], 0.0f, 1e-6f) << "colour averaged with equal weights";
    EXPECT_NEAR(error, 2.0 * d, 1e-5) << "the detail dropped: the members' spread";
    // Coverage kept: alpha * area = sum alpha_i area_i (both 0.5 * 3 s^2 here).
    const double area = std::exp(m.log_scales[0] + m.log_scales[1]) + std::exp(m.log_scales[1] + m.log_scales[2]) +
                        std::exp(m.log_scales[0] + m.log_scales[2]);
    EXPECT_NEAR(sigmoid(m.opacities[0]) * area, 2 * 0.5 * 3 * s * s, 1e-5);
}

// Positions sorted, to compare clouds regardless of order.
std::vector<std::array<float, 3>> sorted_positions(const GaussianCloud& c) {
    std::vector<std::array<float, 3>> p(c.size());
    for (size_t i = 0; i < c.size(); ++i) p[i] = {c.positions[3 * i], c.positions[3 * i + 1], c.positions[3 * i + 2]};
    std::sort(p.begin(), p.end());
    return p;
}

TEST(Tileset, RoundTripThroughHierarchyAndTilesetJson) {
    TempDir dir("tiles_roundtrip");
    const GaussianCloud c = random_cloud(3000, 2, 2);
    TiledSceneOptions o;
    o.lod.leaf_splats = 200;
    o.subtree_levels = 1; // exercise external tilesets
    const TiledSceneSummary s = write_tiled_scene(c, dir.path(), o);
    EXPECT_GE(s.levels, 3);
    const TileTree a = read_tiled_scene(dir.path());
    EXPECT_TRUE(a.from_hierarchy);
    EXPECT_TRUE(a.problems.empty());
    EXPECT_EQ(a.nodes.size(), s.tiles);
    fs::remove(dir / kHierarchyFile);
    const TileTree b = read_tiled_scene(dir.path());
    EXPECT_FALSE(b.from_hierarchy);
    EXPECT_TRUE(b.problems.empty()) << b.problems.front();
    ASSERT_EQ(b.nodes.size(), a.nodes.size()) << "tileset.json with its external tilesets holds the same tree";
    // Same tiles (the tileset walk may order siblings the same way: it follows the writer's order).
    std::map<std::string, int> by_uri;
    for (size_t i = 0; i < a.nodes.size(); ++i) by_uri[a.nodes[i].uri] = int(i);
    for (const TileNode& n : b.nodes) {
        ASSERT_TRUE(by_uri.count(n.uri)) << n.uri;
        const TileNode& m = a.nodes[size_t(by_uri[n.uri])];
        EXPECT_NEAR(n.geometric_error, m.geometric_error, 1e-9 * (1 + m.geometric_error));
        EXPECT_EQ(n.level, m.level);
        EXPECT_EQ(n.children.size(), m.children.size());
        for (int k = 0; k < 3; ++k) {
            EXPECT_NEAR(n.box.min[k], m.box.min[k], 1e-3f);
            EXPECT_NEAR(n.box.max[k], m.box.max[k], 1e-3f);
        }
        EXPECT_FALSE(n.transformed);
    }
    // The leaves hold the input exactly.
    const GaussianCloud leaves = read_tiled_scene_leaves(dir.path());
    EXPECT_EQ(sorted_positions(leaves), sorted_positions(c));
}

TEST(Tileset, FrameIsThreeDTilesZUpWithTheGltfContentTransform) {
    TempDir dir("tiles_frame");
    GaussianCloud c = random_cloud(64, 0, 3);
    // A scene whose up is +z (as the built-in scenes): a point high above the others.
    c.positions[0] = 0, c.positions[1] = 0, c.positions[2] = 100;
    TiledSceneOptions o;
    o.lod.leaf_splats = 1000;
    o.up = {0, 0, 1};
    o.encoding.spz = true;
    write_tiled_scene(c, dir.path(), o);
    const Json ts = load_json(dir / kTilesetFile);
    // Boxes are M p with M = (-x, -z, -y); the root transform turns M up = (0, -1, 0) onto +z.
    const Json& box = ts["root"]["boundingVolume"]["box"];
    const Bounds b = c.bounds();
    const glm::dvec3 center = glm::dvec3(internal_to_tileset_frame() * glm::dvec3(b.center()));
    // The box bounds the splats' 3-sigma extents: its centre is near the positions' centre.
    EXPECT_NEAR(box[0].get<double>(), center.x, 0.2);
    EXPECT_NEAR(box[1].get<double>(), center.y, 0.2);
    EXPECT_NEAR(box[2].get<double>(), center.z, 0.2);
    const Json& t = ts["root"]["transform"];
    ASSERT_EQ(t.size(), 16u);
    glm::dmat3 T;
    for (int col = 0; col < 3; ++col)
        for (int row = 0; row < 3; ++row) T[col][row] = t[size_t(4 * col + row)].get<double>();
    const glm::dvec3 up_world = T * (internal_to_tileset_frame() * glm::dvec3(0, 0, 1));
    EXPECT_NEAR(up_world.z, 1.0, 1e-9) << "the scene's up is +z for 3D Tiles viewers";
    // The content: an SPZ payload holding glTF-frame values (-x, -y, z) as they are (as CesiumJS reads it).
    const auto bytes = read_file_bytes(dir / "tiles/0.glb");
    const uint32_t json_len =
        uint32_t(bytes[12]) | uint32_t(bytes[13]) << 8 | uint32_t(bytes[14]) << 16 | uint32_t(bytes[15]) << 24;
    const Json doc = parse_json(std::string(bytes.begin() + 20, bytes.begin() + 20 + json_len), "tile");
    EXPECT_TRUE(doc["extensionsRequired"].dump().find(kSpzCompressionExtension) != std::string::npos);
    const size_t bin = 20 + json_len + 8;
    const size_t len = doc["bufferViews"][0]["byteLength"].get<size_t>();
    GaussianCloud raw = decode_spz(bytes.data() + bin, len, "payload");
    apply_axis_flip(raw, kColmapToSpz); // back to the values as stored
    // The tile at the root is a merge; the decoded tile in the internal frame matches its content.
    const GaussianCloud tile = read_tiles(read_tiled_scene(dir.path()), {0});
    ASSERT_EQ(raw.size(), tile.size());
    for (size_t i = 0; i < raw.size(); ++i) {
        EXPECT_NEAR(raw.positions[3 * i], -tile.positions[3 * i], 1e-3f);
        EXPECT_NEAR(raw.positions[3 * i + 1], -tile.positions[3 * i + 1], 1e-3f);
        EXPECT_NEAR(raw.positions[3 * i + 2], tile.positions[3 * i + 2], 1e-3f);
    }
    // And the tree read back is in the frame it was written in.
    const TileTree tree = read_tiled_scene(dir.path());
    EXPECT_NEAR(tree.up.z, 1.0f, 1e-6f);
    EXPECT_GE(tree.nodes[0].box.max.z, 99.0f);
}

TEST(Tileset, SpzTilesMatchTheirSourceWithinSpzQuantisation) {
    const GaussianCloud c = random_cloud(500, 1, 4);
    for (int version : {2, 3}) {
        const auto bytes = encode_tile(c, {true, version});
        const GaussianCloud d = decode_tile(bytes.data(), bytes.size(), "tile.glb");
        ASSERT_EQ(d.size(), c.size());
        for (size_t i = 0; i < c.size(); ++i)
            for (int a = 0; a < 3; ++a) EXPECT_NEAR(d.positions[3 * i + a], c.positions[3 * i + a], 2.5e-4f);
        const auto plain = encode_tile(c, {false, 2});
        const GaussianCloud e = decode_tile(plain.data(), plain.size(), "tile.glb");
        EXPECT_EQ(e.positions, c.positions);
        EXPECT_LT(bytes.size() * 3, plain.size()) << "compressed tiles are several times smaller";
    }
}

// --- Bad tilesets ---------------------------------------------------------------------------------

class BadTileset : public ::testing::Test {
protected:
    void SetUp() override {
        dir = std::make_unique<TempDir>("tiles_bad");
        TiledSceneOptions o;
        o.lod.leaf_splats = 100;
        o.subtree_levels = 0;
        write_tiled_scene(random_cloud(1200, 0, 5), dir->path(), o);
        fs::remove(dir->path() / kHierarchyFile);
        tileset = load_json(dir->path() / kTilesetFile);
    }
    void save() { write_file_atomic(dir->path() / kTilesetFile, tileset.dump()); }
    std::string problems(const TileTree& t) {
        std::string s;
        for (auto& p : t.problems) s += p + "\n";
        return s;
    }
    std::unique_ptr<TempDir> dir;
    Json tileset;
};

TEST_F(BadTileset, MissingTileFailsAloneWithAMessage) {
    fs::remove(dir->path() / "tiles/1.glb");
    const TileTree t = read_tiled_scene(dir->path());
    EXPECT_THROW(
        {
            try {
                load_tile(t, 1);
            } catch (const Error& e) {
                EXPECT_NE(std::string(e.what()).find("1.glb"), std::string::npos) << e.what();
                throw;
            }
        },
        Error);
    EXPECT_NO_THROW(load_tile(t, 0));
    // The full-detail read skips it with a warning.
    EXPECT_NO_THROW(read_tiled_scene_leaves(dir->path()));
}

TEST_F(BadTileset, CycleOfExternalTilesetsIsSkipped) {
    tileset["root"]["children"][0] = {{"boundingVolume", tileset["root"]["boundingVolume"]},
                                      {"geometricError", 1.0},
                                      {"content", {{"uri", "tileset.json"}}}};
    save();
    const TileTree t = read_tiled_scene(dir->path());
    EXPECT_NE(problems(t).find("cycle"), std::string::npos) << problems(t);
    EXPECT_GT(t.nodes.size(), 1u) << "the rest is read";
}

TEST_F(BadTileset, AbsurdBoxesCountsAndVolumesAreSkipped) {
    tileset["root"]["children"][0]["boundingVolume"]["box"][3] = 1e30;
    tileset["root"]["children"][1]["boundingVolume"] = {{"region", {0, 0, 1, 1, 0, 10}}};
    tileset["root"]["children"][2]["geometricError"] = -1;
    save();
    TileTree t = read_tiled_scene(dir->path());
    const std::string p = problems(t);
    EXPECT_NE(p.find("absurd"), std::string::npos) << p;
    EXPECT_NE(p.find("region"), std::string::npos) << p;
    EXPECT_NE(p.find("geometricError"), std::string::npos) << p;
    EXPECT_EQ(t.nodes[0].children.size(), tileset["root"]["children"].size() - 3);
    // An index with an absurd count is refused for tileset.json.
    write_tiled_scene(random_cloud(300, 0, 6), dir->path(), {});
    Json h = load_json(dir->path() / kHierarchyFile);
    h["nodes"][0]["splats"] = 1e15;
    write_file_atomic(dir->path() / kHierarchyFile, h.dump());
    t = read_tiled_scene(dir->path());
    EXPECT_FALSE(t.from_hierarchy);
    EXPECT_NE(problems(t).find("absurd"), std::string::npos) << problems(t);
}

TEST_F(BadTileset, UndecodableTileAndBrokenJsonGiveOneClearError) {
    test::write_bytes(dir->path() / "tiles/0.glb", "glTF\x02\x00\x00\x00garbage");
    const TileTree t = read_tiled_scene(dir->path());
    try {
        load_tile(t, 0);
        ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("0.glb"), std::string::npos) << e.what();
    }
    test::write_bytes(dir->path() / kTilesetFile, "{\"asset\": {\"version\": \"1.1\"}, \"root\": [");
    EXPECT_THROW(read_tiled_scene(dir->path()), Error);
    test::write_bytes(dir->path() / kTilesetFile, "{\"asset\": {\"version\": \"1.1\"}, \"root\": {}}");
    EXPECT_THROW(read_tiled_scene(dir->path()), Error) << "no tile could be read";
}

// --- Selection -------------------------------------------------------------------------------------

struct SelectionFixture {
    TempDir dir{"tiles_selection"};
    TileTree tree;
    explicit SelectionFixture(size_t count = 200000) {
        CityOptions city;
        city.blocks = 3;
        TiledSceneOptions o;
        o.lod.leaf_splats = 4096;
        o.up = {0, 0, 1};
        write_tiled_scene(city_gaussians(city, count), dir.path(), o);
        tree = read_tiled_scene(dir.path());
    }
};

uint64_t page_cost(uint64_t splats) {
    return (splats + 1023) / 1024 * 1024 * 60;
}

TEST(LodSelection, BudgetsHoldEveryFrameAlongAFlightWithLoadsArrivingLate) {
    SelectionFixture f;
    CityOptions city;
    city.blocks = 3;
    SelectionBudget budget;
    budget.max_splats = 60000;
    budget.max_bytes = page_cost(1) * 150; // 150 pages of 1024 splats
    budget.tau_px = 1.0;
    budget.fade_frames = 4;
    LodSelector s(f.tree, budget, page_cost);
    std::mt19937 rng(7);
    std::vector<std::pair<int, int>> in_flight; // tile, frames until it arrives
    size_t frames_with_draws = 0, max_drawn = 0;
    for (int frame = 0; frame < 240; ++frame) {
        const Camera cam = city_flight_camera(city, float(frame) / 240.0f, 320, 240, 60.0f);
        // Arrivals after 1-5 frames, in any order.
        for (auto it = in_flight.begin(); it != in_flight.end();) {
            if (--it->second <= 0) {
                s.set_state(it->first, TileResidency::Resident, f.tree.nodes[size_t(it->first)].splats);
                it = in_flight.erase(it);
            } else {
                ++it;
            }
        }
        const SelectionPlan p = s.plan(cam, 4);
        for (int t : p.load) in_flight.push_back({t, 1 + int(rng() % 5)});
        uint64_t drawn = 0;
        std::vector<char> seen(f.tree.nodes.size(), 0);
        for (const DrawnTile& d : p.draw) {
            ASSERT_EQ(s.state(d.tile), TileResidency::Resident) << "frame " << frame;
            drawn += f.tree.nodes[size_t(d.tile)].splats;
            EXPECT_FALSE(seen[size_t(d.tile)]);
            seen[size_t(d.tile)] = 1;
        }
        ASSERT_EQ(drawn, p.drawn_splats);
        ASSERT_LE(drawn, budget.max_splats) << "frame " << frame;
        ASSERT_LE(s.resident_bytes(), budget.max_bytes) << "frame " << frame;
        uint64_t resident = 0;
        for (size_t t = 0; t < f.tree.nodes.size(); ++t)
            if (s.state(int(t)) == TileResidency::Resident || s.state(int(t)) == TileResidency::Loading)
                resident += page_cost(f.tree.nodes[t].splats);
        ASSERT_EQ(resident, s.resident_bytes()) << "frame " << frame;
        frames_with_draws += !p.draw.empty();
        max_drawn = std::max<size_t>(max_drawn, drawn);
    }
    EXPECT_GT(frames_with_draws, 230u);
    EXPECT_GT(max_drawn, budget.max_splats / 3) << "the budget is used";
}

TEST(LodSelection, ParentIsDrawnUntilItsChildrenArriveAndNoDescendantOfADrawnTileIsDropped) {
    SelectionFixture f(60000);
    SelectionBudget budget;
    budget.tau_px = 0.5;
    budget.fade_frames = 0;
    LodSelector s(f.tree, budget, page_cost);
    const Camera cam = camera_at({0, -150, 60}, {0, 0, 0});
    // Load the root alone first.
    SelectionPlan p = s.plan(cam, 1);
    ASSERT_EQ(p.load, std::vector<int>{0});
    s.set_state(0, TileResidency::Resident, f.tree.nodes[0].splats);
    p = s.plan(cam, 2);
    ASSERT_FALSE(p.draw.empty());
    EXPECT_EQ(p.draw[0].tile, 0) << "the root stands in while its children load";
    for (int t : p.load) s.set_state(t, TileResidency::Resident, f.tree.nodes[size_t(t)].splats);
    // Until every child has arrived the root is still what is drawn.
    p = s.plan(cam, 0);
    bool all_children = true;
    for (int c : f.tree.nodes[0].children) all_children = all_children && s.state(c) == TileResidency::Resident;
    if (!all_children) {
        EXPECT_EQ(p.draw.size(), 1u);
        EXPECT_EQ(p.draw[0].tile, 0);
    }
    // Load everything wanted; the view refines fully.
    for (int i = 0; i < 100 && !p.refined; ++i) {
        p = s.plan(cam, 64);
        for (int t : p.load) s.set_state(t, TileResidency::Resident, f.tree.nodes[size_t(t)].splats);
    }
    EXPECT_TRUE(p.refined);
    for (const DrawnTile& d : p.draw) EXPECT_NE(d.tile, 0) << "refined past the root";
}

TEST(LodSelection, ErrorThresholdAndSplatBudgetBoundTheCut) {
    SelectionFixture f(60000);
    const Camera cam = camera_at({0, -150, 60}, {0, 0, 0});
    std::vector<uint64_t> desired;
    for (uint64_t budget : {8192ull, 20000ull, 40000ull, 1000000ull}) {
        SelectionBudget b;
        b.max_splats = budget;
        b.tau_px = 0.0;
        b.fade_frames = 0;
        LodSelector s(f.tree, b, page_cost);
        const SelectionPlan p = s.plan(cam, 0);
        EXPECT_LE(p.desired_splats, budget);
        desired.push_back(p.desired_splats);
    }
    EXPECT_TRUE(std::is_sorted(desired.begin(), desired.end())) << "more budget, a finer cut";
    EXPECT_GT(desired.back(), desired.front());
}

} // namespace
} // namespace splatscape

namespace splatscape {
namespace {

TEST(City, DatasetWithAFlightLoadsAsABlenderDataset) {
    test::TempDir dir("city_dataset");
    CityDatasetOptions o;
    o.width = 48;
    o.height = 36;
    o.train_views = 4;
    o.test_views = 1;
    o.samples_per_axis = 1;
    o.points = 500;
    o.flight_frames = 30;
    const CityDatasetStats s = generate_city_dataset(o, dir.path());
    EXPECT_EQ(s.images, 5u);
    const Dataset d = load_dataset(dir.path(), {});
    EXPECT_EQ(d.train.size(), 4u);
    EXPECT_EQ(d.test.size(), 1u);
    EXPECT_EQ(d.points.size(), 500u);
    const Json flight = load_json(dir / "flight.json");
    EXPECT_EQ(flight["keyframes"].size(), 30u);
    // The flight stays over the city, between 12 and 60 m up, and its cameras look down ahead.
    for (float u : {0.0f, 0.3f, 0.62f, 0.9f}) {
        const Camera c = city_flight_camera(o.city, u, 64, 48, 60.0f);
        EXPECT_GE(c.center().z, 11.9f);
        EXPECT_LE(c.center().z, 60.1f);
        EXPECT_LT(std::abs(c.center().x), 0.5f * o.city.extent());
        EXPECT_LT(c.forward().z, 0.0f);
    }
    // Gaussians lie on the surfaces: none below the ground, none above the tallest building.
    const GaussianCloud g = city_gaussians(o.city, 20000);
    const Bounds b = g.bounds();
    EXPECT_GE(b.min.z, -1e-3f);
    EXPECT_LE(b.max.z, 90.0f);
}

} // namespace
} // namespace splatscape
