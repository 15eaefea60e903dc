// `splatscape view DIR` on a tiled scene in a real window (Xvfb, lavapipe, validation layer on): the
// scene streams in under a budget until the view settles, and a missing tile is reported, not fatal.
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <regex>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/image.hpp"
#include "core/scene/city.hpp"
#include "core/tiles/tileset.hpp"
#include "renderer/offscreen_renderer.hpp"
#include "tests/renderer/vk_test_support.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::test {
namespace {

class GuiTilesTest : public ::testing::Test {
protected:
    void SetUp() override {
        prepare_vulkan_environment();
        const char* display = std::getenv("DISPLAY");
        if (!display || !*display) GTEST_SKIP() << "no DISPLAY (CI runs the tests under xvfb-run)";
        std::string why;
        if (!OffscreenRenderer::available(&why)) GTEST_SKIP() << "no usable Vulkan device: " << why;
        CityOptions city;
        city.blocks = 2;
        TiledSceneOptions o;
        o.lod.leaf_splats = 4096;
        o.up = {0, 0, 1};
        write_tiled_scene(city_gaussians(city, 40000), dir.path() / "city", o);
    }
    int view(const std::string& args, std::string* output) {
        return run_command(cat("XDG_CONFIG_HOME=", (dir / "config").string(),
                               " SPLATSCAPE_VK_VALIDATION=", validation_wanted() ? 1 : 0, " ",
                               splatscape_exe().string(), " view ", args, validation_wanted() ? " --validation" : ""),
                           output);
    }
    TempDir dir{"gui_tiles"};
};

// Fraction of the window's right half (the viewport) that is not the black background.
double lit_fraction(const Image& img) {
    size_t lit = 0, n = 0;
    for (int y = 0; y < img.height; ++y)
        for (int x = img.width / 2; x < img.width; ++x, ++n)
            lit += img.at(x, y, 0) + img.at(x, y, 1) + img.at(x, y, 2) > 0.1f;
    return double(lit) / double(n);
}

TEST_F(GuiTilesTest, StreamsUnderABudgetAndSettles) {
    std::string output;
    const fs::path shot = dir / "tiles.png";
    ASSERT_EQ(view(cat((dir / "city").string(), " --window-size 640x400 --exit-after-frames 2 --budget-splats 20000",
                       " --screenshot ", shot.string()),
                   &output),
              0)
        << output;
    EXPECT_EQ(output.find("error: Vulkan validation"), std::string::npos) << output;
    if (validation_wanted()) {
        EXPECT_NE(output.find("Vulkan validation: 0 errors"), std::string::npos) << output;
    }
    // The budget reached the streamer (DrawOptions): the last render drew at most 20,000 splats.
    std::smatch m;
    ASSERT_TRUE(std::regex_search(output, m, std::regex(R"((\d+) of (\d+) Gaussians visible)"))) << output;
    const long visible = std::stol(m[1].str());
    std::printf("last render: %ld Gaussians visible\n", visible);
    EXPECT_GT(visible, 0);
    EXPECT_LE(visible, 20000) << output;
    const Image img = load_image(shot, 3);
    std::printf("lit fraction of the viewport side: %.3f\n", lit_fraction(img));
    // Measured: 25% of the window's right half shows the city (the rest is the black sky).
    EXPECT_GT(lit_fraction(img), 0.12) << "the city is drawn";
}

TEST_F(GuiTilesTest, MissingTileIsReportedAndTheRestShown) {
    fs::remove(dir.path() / "city" / "tiles" / "0.glb");
    std::string output;
    const fs::path shot = dir / "missing.png";
    ASSERT_EQ(
        view(cat((dir / "city").string(), " --window-size 640x400 --exit-after-frames 2 --screenshot ", shot.string()),
             &output),
        0)
        << output;
    EXPECT_NE(output.find("0.glb"), std::string::npos) << output;
    EXPECT_GT(lit_fraction(load_image(shot, 3)), 0.12) << "the other tiles are drawn";
}

} // namespace
} // namespace splatscape::test
