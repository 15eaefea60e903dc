// `splatscape export` and `convert` end to end, and the standalone HTML export's contents.
#include <cstring>
#include <random>
#include <sstream>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "core/io/html_export.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/scene_io.hpp"
#include "core/io/spz.hpp"
#include "core/io/web_assets.hpp"
#include "core/json_util.hpp"
#include "core/tiles/tileset.hpp"
#include "tests/core/test_formats_support.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

std::vector<uint8_t> base64_decode(const std::string& s) {
    static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::vector<uint8_t> out;
    uint32_t acc = 0;
    int bits = 0;
    for (char ch : s) {
        const size_t v = alphabet.find(ch);
        if (v == std::string::npos) continue;
        acc = acc << 6 | uint32_t(v);
        bits += 6;
        if (bits >= 8) out.push_back(uint8_t(acc >> (bits -= 8)));
    }
    return out;
}

TEST(HtmlExport, BundlesTheViewerAndTheScene) {
    const GaussianCloud c = test::format_test_cloud(200, 2, 1);
    const std::string page = make_viewer_html(c, "demo <scene>");
    // No module loads from disk: no src= module tag, no import statements left in the bundle.
    EXPECT_EQ(page.find("src=\"./main.js\""), std::string::npos);
    // (Line by line: std::regex recurses per character and overflows the stack on a whole page.)
    std::istringstream lines(page);
    for (std::string line; std::getline(lines, line);) {
        const size_t first = line.find_first_not_of(" \t");
        if (first == std::string::npos) continue;
        EXPECT_FALSE(line.compare(first, 7, "import ") == 0 && line.find(" from ") != std::string::npos) << line;
        EXPECT_FALSE(line.starts_with("export ")) << line;
    }
    // Every module of the viewer made it in, once.
    for (const auto& asset : web_assets()) {
        if (!std::string(asset.name).ends_with(".js")) continue;
        // Module workers load by URL from a served folder (tiled scenes), never from a standalone page.
        if (std::string(asset.name).ends_with("_worker.js")) continue;
        const std::string marker = cat("// ---- ", asset.name, " ----");
        const size_t at = page.find(marker);
        EXPECT_NE(at, std::string::npos) << asset.name;
        EXPECT_EQ(page.find(marker, at + 1), std::string::npos) << asset.name;
    }
    EXPECT_NE(page.find("<title>demo &lt;scene&gt; - Splatscape viewer</title>"), std::string::npos);
    // The scene is the SPZ of the cloud, in base64.
    const size_t tag = page.find("id=\"splatscape-scene\"");
    ASSERT_NE(tag, std::string::npos);
    const size_t begin = page.find('>', tag) + 1, end = page.find("</script>", begin);
    ASSERT_NE(end, std::string::npos);
    const std::string b64 = page.substr(begin, end - begin);
    EXPECT_EQ(b64.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/="),
              std::string::npos);
    const auto spz = base64_decode(b64);
    const GaussianCloud back = decode_spz(spz.data(), spz.size(), "embedded");
    ASSERT_EQ(back.size(), c.size());
    EXPECT_LE(test::cloud_diff(c, back).position, 1.0 / 8192 + 1e-6);
    // The zstd decoder is bundled inside its own scope; only its exports are top-level names.
    EXPECT_NE(page.find("// ---- fzstd.js ----\nconst { ZstdErrorCode, decompress, Decompress } = (() => {"),
              std::string::npos);
    EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("ab"), 2), "YWI=");
    EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("abc"), 3), "YWJj");
}

TEST(HtmlExport, CarriesTheViewsItIsGiven) {
    const GaussianCloud c = test::format_test_cloud(20, 0, 5);
    const Json views = {{"up", {0, 0, 1}},
                        {"cameras",
                         {{{"name", "held-out </script><b>"},
                           {"R", {1, 0, 0, 0, 1, 0, 0, 0, 1}},
                           {"t", {0, 0, 0}},
                           {"fx", 100},
                           {"fy", 100},
                           {"cx", 50},
                           {"cy", 40},
                           {"width", 100},
                           {"height", 80},
                           {"focus", 3}}}}};
    const std::string page = make_viewer_html(c, "t", views);
    const size_t tag = page.find("<script id=\"splatscape-views\" type=\"application/json\">");
    ASSERT_NE(tag, std::string::npos);
    const size_t begin = page.find('>', tag) + 1, end = page.find("</script>", begin);
    // A "</" inside the JSON would end the element early: it is written "<\/", which JSON reads back.
    EXPECT_EQ(Json::parse(page.substr(begin, end - begin)), views);
    EXPECT_EQ(make_viewer_html(c, "t").find("<script id=\"splatscape-views\""), std::string::npos);
}

class Cli : public ::testing::Test {
protected:
    void SetUp() override {
        if (!std::filesystem::exists(test::splatscape_exe()))
            GTEST_SKIP() << "the splatscape executable is not built (" << test::splatscape_exe() << ")";
    }
    int run(const std::string& args, std::string* out = nullptr) {
        return test::run_command(test::splatscape_exe().string() + " " + args, out);
    }
};

TEST_F(Cli, ExportsARunFolderToEveryFormat) {
    test::TempDir dir("cli_export");
    const GaussianCloud c = test::format_test_cloud(120, 3, 2);
    write_scene(dir / "run" / "point_cloud" / "iteration_500" / "point_cloud.ply", c);
    write_scene(dir / "run" / "point_cloud" / "iteration_3000" / "point_cloud.ply", test::format_test_cloud(77, 0, 3));
    for (const char* fmt : {"ply", "splat", "spz", "glb", "gltf", "html"}) {
        const auto out = dir / cat("out.", fmt);
        std::string log;
        ASSERT_EQ(run(cat("export ", (dir / "run").string(), " --format ", fmt, " -o ", out.string()), &log), 0) << log;
        EXPECT_NE(log.find("iteration_3000"), std::string::npos) << log; // the highest iteration
        if (std::string(fmt) != "html") {
            EXPECT_EQ(read_scene(out).size(), 77u) << fmt;
            // And back through `convert`.
            ASSERT_EQ(run(cat("convert ", out.string(), " ", (dir / cat("back_", fmt, ".ply")).string()), &log), 0)
                << log;
            EXPECT_EQ(read_scene(dir / cat("back_", fmt, ".ply")).size(), 77u);
        }
    }
    // run/point_cloud.ply takes precedence over iterations.
    write_scene(dir / "run" / "point_cloud.ply", c);
    ASSERT_EQ(run(cat("export ", (dir / "run").string(), " -o ", (dir / "x.spz").string(), " --spz-version 4")), 0);
    const auto bytes = read_file_bytes(dir / "x.spz");
    EXPECT_EQ(spz_version(bytes.data(), bytes.size(), "x.spz"), 4);
    EXPECT_EQ(read_scene(dir / "x.spz").size(), 120u);
}

TEST_F(Cli, ReportsBadInputAndUsage) {
    test::TempDir dir("cli_errors");
    const GaussianCloud c = test::format_test_cloud(10, 0, 4);
    write_scene(dir / "a.ply", c);
    std::string log;
    EXPECT_EQ(run(cat("convert ", (dir / "a.ply").string(), " ", (dir / "a.xyz").string()), &log), 2);
    EXPECT_NE(log.find("--format"), std::string::npos) << log;
    // A tiled scene is a folder (docs/tiles.md); a bad leaf size is a usage error.
    EXPECT_EQ(run(cat("export ", (dir / "a.ply").string(), " --format tiles -o ", (dir / "t").string()), &log), 0);
    EXPECT_TRUE(fs::is_regular_file(dir / "t" / "tileset.json"));
    EXPECT_EQ(run(cat("export ", (dir / "a.ply").string(), " --format tiles --leaf-splats 3 -o ", (dir / "u").string()),
                  &log),
              2);
    EXPECT_EQ(run(cat("export ", (dir / "a.ply").string(), " -o ", (dir / "b.ksplat").string()), &log), 2);
    EXPECT_NE(log.find("cannot write format 'ksplat'"), std::string::npos) << log;
    EXPECT_EQ(run(cat("convert ", (dir / "a.ply").string(), " ", (dir / "b.spz").string(), " --spz-frame up"), &log),
              2);
    EXPECT_NE(log.find("rub or rdf"), std::string::npos) << log;
    EXPECT_EQ(run(cat("convert ", (dir / "a.ply").string(), " ", (dir / "b.spz").string(), " --spz-version 7"), &log),
              2);
    test::write_bytes(dir / "bad.spz", "NGSP\x04\0\0\0garbage");
    log.clear();
    EXPECT_EQ(run(cat("convert ", (dir / "bad.spz").string(), " ", (dir / "b.ply").string()), &log), 1);
    EXPECT_NE(log.find("bad.spz"), std::string::npos) << log;
    EXPECT_EQ(run(cat("export ", (dir / "missing").string(), " -o ", (dir / "m.spz").string()), &log), 1);
    EXPECT_NE(log.find("no such file"), std::string::npos) << log;
    EXPECT_EQ(run(cat("info ", (dir / "a.ply").string()), &log), 0);
}

TEST_F(Cli, SpzFramesAreWrittenReadAndReported) {
    test::TempDir dir("cli_spz_frames");
    const GaussianCloud c = test::format_test_cloud(30, 1, 6);
    write_scene(dir / "a.ply", c);
    std::string log;
    ASSERT_EQ(run(cat("convert ", (dir / "a.ply").string(), " ", (dir / "v4.spz").string()), &log), 0) << log;
    EXPECT_NE(log.find("RDF with a frame record"), std::string::npos) << log;
    ASSERT_EQ(run(cat("convert ", (dir / "a.ply").string(), " ", (dir / "v3.spz").string(), " --spz-version 3"), &log),
              0);
    EXPECT_NE(log.find("upside down in SuperSplat"), std::string::npos) << log;
    ASSERT_EQ(run(cat("info ", (dir / "v4.spz").string()), &log), 0);
    EXPECT_NE(log.find("spz frame   RDF (recorded in the file"), std::string::npos) << log;
    ASSERT_EQ(run(cat("info ", (dir / "v3.spz").string()), &log), 0);
    EXPECT_NE(log.find("spz frame   RUB (assumed"), std::string::npos) << log;
    ASSERT_EQ(run(cat("info ", (dir / "v3.spz").string(), " --spz-frame rdf"), &log), 0);
    EXPECT_NE(log.find("spz frame   RDF (given)"), std::string::npos) << log;
    // Both files hold the scene upright; read as the other frame, v3 comes out turned over.
    EXPECT_LE(test::cloud_diff(c, read_scene(dir / "v4.spz")).position, 1.0 / 8192 + 1e-6);
    EXPECT_LE(test::cloud_diff(c, read_scene(dir / "v3.spz")).position, 1.0 / 8192 + 1e-6);
    ASSERT_EQ(run(cat("convert ", (dir / "v3.spz").string(), " ", (dir / "as_rdf.ply").string(), " --spz-frame rdf")),
              0);
    const GaussianCloud turned = read_scene(dir / "as_rdf.ply");
    EXPECT_NEAR(turned.positions[1], -c.positions[1], 1e-3f);
    EXPECT_NEAR(turned.positions[2], -c.positions[2], 1e-3f);
    // SOG, compressed PLY and SPZ-compressed glTF through the command line.
    for (const char* name : {"a.sog", "a.compressed.ply", "a_spz.glb"}) {
        ASSERT_EQ(run(cat("convert ", (dir / "a.ply").string(), " ", (dir / name).string(),
                          std::string(name) == "a_spz.glb" ? " --glb-spz" : ""),
                      &log),
                  0)
            << log;
        EXPECT_EQ(read_scene(dir / name).size(), 30u) << name;
    }
}

// `--format tiles` beside the options export and convert share: --glb-spz compresses the tiles (and
// tileset.json requires both glTF extensions, as CesiumJS needs), --sh-degree drops bands before
// tiling, --input-spz-frame reads a .spz input; `info` reads a tiled scene and one SPZ-compressed tile.
TEST_F(Cli, TilesLiveBesideTheSharedOptions) {
    test::TempDir dir("cli_tiles");
    const GaussianCloud c = test::format_test_cloud(300, 3, 8);
    write_scene(dir / "a.ply", c);
    std::string log;
    ASSERT_EQ(run(cat("export ", (dir / "a.ply").string(), " --format tiles --glb-spz --sh-degree 1 --leaf-splats 64 -o ",
                      (dir / "t").string()),
                  &log),
              0)
        << log;
    EXPECT_NE(log.find("SH degree   3 -> 1"), std::string::npos) << log;
    EXPECT_NE(log.find("SPZ-compressed"), std::string::npos) << log;
    const TileTree tree = read_tiled_scene(dir / "t");
    EXPECT_EQ(tree.sh_degree, 1);
    EXPECT_GE(tree.depth(), 2);
    const GaussianCloud leaves = read_tiled_scene_leaves(dir / "t");
    EXPECT_EQ(leaves.size(), c.size());
    EXPECT_EQ(leaves.sh_degree, 1);
    const Json tileset = load_json(dir / "t" / "tileset.json");
    const Json& required = tileset["extensions"]["3DTILES_content_gltf"]["extensionsRequired"];
    EXPECT_NE(required.dump().find("\"KHR_gaussian_splatting\""), std::string::npos) << required.dump();
    EXPECT_NE(required.dump().find("KHR_gaussian_splatting_compression_spz_2"), std::string::npos) << required.dump();
    // One tile is a .glb like any other: `info` reads the SPZ-compressed one.
    ASSERT_EQ(run(cat("info ", (dir / "t" / "tiles" / "0.glb").string()), &log), 0) << log;
    EXPECT_NE(log.find("KHR_gaussian_splatting_compression_spz_2"), std::string::npos) << log;
    EXPECT_NE(log.find(cat("gaussians   ", load_tile(tree, 0).size())), std::string::npos) << log;
    ASSERT_EQ(run(cat("info ", (dir / "t").string()), &log), 0) << log;
    EXPECT_NE(log.find("tiled scene"), std::string::npos) << log;
    // A tiled scene as input: its leaves.
    ASSERT_EQ(run(cat("convert ", (dir / "t").string(), " ", (dir / "back.ply").string()), &log), 0) << log;
    EXPECT_EQ(read_scene(dir / "back.ply").size(), c.size());
    // An .spz input read as another frame: the tiles hold the scene turned over (y and z negated).
    ASSERT_EQ(run(cat("convert ", (dir / "a.ply").string(), " ", (dir / "a.spz").string(), " --spz-version 3"), &log),
              0);
    ASSERT_EQ(run(cat("export ", (dir / "a.spz").string(), " --format tiles --input-spz-frame rdf -o ",
                      (dir / "turned").string()),
                  &log),
              0)
        << log;
    const Bounds want = c.bounds(), got = read_tiled_scene_leaves(dir / "turned").bounds();
    EXPECT_NEAR(got.min.x, want.min.x, 1e-3f);
    EXPECT_NEAR(got.min.y, -want.max.y, 1e-3f);
    EXPECT_NEAR(got.max.z, -want.min.z, 1e-3f);
}

// `convert` and `export --sh-degree N` keep the coefficients up to degree N, unchanged, and drop the
// rest (for 4D scenes: the spatial degree of every temporal frequency); they never raise a degree.
TEST_F(Cli, ShDegreeDropsTheHigherCoefficients) {
    test::TempDir dir("cli_sh_degree");
    const GaussianCloud c = test::format_test_cloud(50, 3, 5);
    write_scene(dir / "in.ply", c);
    std::string log;
    ASSERT_EQ(run(cat("convert ", (dir / "in.ply").string(), " ", (dir / "one.ply").string(), " --sh-degree 1"), &log),
              0)
        << log;
    EXPECT_NE(log.find("SH degree   3 -> 1"), std::string::npos) << log;
    const GaussianCloud one = read_scene(dir / "one.ply");
    ASSERT_EQ(one.size(), c.size());
    ASSERT_EQ(one.sh_degree, 1);
    for (size_t i = 0; i < c.size(); ++i)
        for (int k = 0; k < 4 * 3; ++k) ASSERT_EQ(one.sh[i * 12 + k], c.sh[i * 48 + k]) << i << " " << k;
    EXPECT_EQ(one.positions, c.positions);
    // A degree at or above the scene's keeps it; one above 3 is a usage error.
    ASSERT_EQ(
        run(cat("export ", (dir / "one.ply").string(), " -o ", (dir / "same.spz").string(), " --sh-degree 3"), &log), 0)
        << log;
    EXPECT_EQ(read_scene(dir / "same.spz").sh_degree, 1);
    EXPECT_EQ(run(cat("convert ", (dir / "in.ply").string(), " ", (dir / "x.ply").string(), " --sh-degree 4"), &log),
              2);
    // Smaller files for the web: SPZ at degree 0 against degree 3.
    ASSERT_EQ(run(cat("convert ", (dir / "in.ply").string(), " ", (dir / "d3.spz").string())), 0);
    ASSERT_EQ(run(cat("convert ", (dir / "in.ply").string(), " ", (dir / "d0.spz").string(), " --sh-degree 0")), 0);
    EXPECT_LT(std::filesystem::file_size(dir / "d0.spz"), std::filesystem::file_size(dir / "d3.spz"));

    // A 4D scene: spatial degree 3 -> 1, temporal degree 2 kept, as a 4D PLY and as one time's slice.
    GaussianCloud4d c4;
    c4.resize(20, 3, 2);
    std::mt19937 rng(3);
    std::uniform_real_distribution<float> u(-1.0f, 1.0f);
    for (size_t i = 0; i < c4.size(); ++i) {
        for (int a = 0; a < 3; ++a) c4.positions[3 * i + a] = u(rng);
        c4.times[i] = 0.5f + 0.4f * u(rng);
        for (int a = 0; a < 4; ++a) c4.log_scales[4 * i + a] = -2.0f + 0.3f * u(rng);
        c4.rotations_l[4 * i] = c4.rotations_r[4 * i] = 1.0f;
        c4.opacities[i] = u(rng);
    }
    for (float& v : c4.sh) v = u(rng);
    write_gaussian_4d_ply(dir / "in4d.ply", c4);
    ASSERT_EQ(
        run(cat("export ", (dir / "in4d.ply").string(), " -o ", (dir / "out4d.ply").string(), " --sh-degree 1"), &log),
        0)
        << log;
    const GaussianCloud4d back = read_gaussian_4d_ply(dir / "out4d.ply");
    ASSERT_EQ(back.size(), c4.size());
    ASSERT_EQ(back.sh_degree, 1);
    ASSERT_EQ(back.sh_degree_t, 2);
    for (size_t i = 0; i < c4.size(); ++i)
        for (int f = 0; f < 3; ++f)
            for (int k = 0; k < 4 * 3; ++k)
                ASSERT_EQ(back.sh[(i * 12 + size_t(f) * 4) * 3 + size_t(k)],
                          c4.sh[(i * 48 + size_t(f) * 16) * 3 + size_t(k)])
                    << i << " " << f << " " << k;
    ASSERT_EQ(run(cat("export ", (dir / "in4d.ply").string(), " --time 0.5 -o ", (dir / "slice.ply").string(),
                      " --sh-degree 0"),
                  &log),
              0)
        << log;
    EXPECT_EQ(read_scene(dir / "slice.ply").sh_degree, 0);
}

} // namespace
} // namespace splatscape
