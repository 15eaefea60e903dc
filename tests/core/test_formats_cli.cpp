// `splatscape export` and `convert` end to end, and the standalone HTML export's contents.
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/html_export.hpp"
#include "core/io/scene_io.hpp"
#include "core/io/spz.hpp"
#include "core/io/web_assets.hpp"
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
    EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("ab"), 2), "YWI=");
    EXPECT_EQ(base64_encode(reinterpret_cast<const uint8_t*>("abc"), 3), "YWJj");
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
    EXPECT_EQ(run(cat("export ", (dir / "a.ply").string(), " -o ", (dir / "b.compressed.ply").string()), &log), 2);
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

} // namespace
} // namespace splatscape
