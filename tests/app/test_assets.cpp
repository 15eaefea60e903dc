// What a user may edit without recompiling (assets/): the training presets of every model family,
// found at run time beside the executable in a build tree and in an installed tree, or through
// SPLATSCAPE_ASSETS; a missing asset is an error naming where it was looked for.
#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <string>

#include <gtest/gtest.h>

#include "core/assets.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "tests/support/test_support.hpp"
#include "training/config.hpp"
#include "training/models/gs4d_config.hpp"
#include "training/models/hmohe_config.hpp"
#include "training/models/model.hpp"
#include "training/models/sags_config.hpp"
#include "training/presets.hpp"
#include "training/trainable.hpp"

namespace splatscape::test {
namespace {

// The build tree's copy of assets/ (CMake copies it beside the `splatscape` executable); the test
// executables live elsewhere in the tree, so they are pointed at it.
class Presets : public ::testing::Test {
protected:
    void SetUp() override {
        const fs::path assets = binary_dir() / "assets";
        ASSERT_TRUE(fs::is_directory(assets)) << assets << " is missing: build the splatscape_assets target";
        setenv("SPLATSCAPE_ASSETS", assets.c_str(), 1);
    }
    void TearDown() override { unsetenv("SPLATSCAPE_ASSETS"); }
};

TEST_F(Presets, EveryModelFamilyHasDefaultAndDemo) {
    for (const std::string& model : model_types()) {
        const auto names = preset_names(model);
        EXPECT_NE(std::find(names.begin(), names.end(), "default"), names.end()) << model;
        EXPECT_NE(std::find(names.begin(), names.end(), "demo"), names.end()) << model;
        for (const std::string& name : names) {
            Json j;
            EXPECT_NO_THROW(j = load_preset(model, name)) << model << "/" << name;
            EXPECT_FALSE(j.contains("description")) << "the description is not a setting";
        }
    }
}

// default.json is the config struct's defaults, value for value (as floats), so the file a user
// copies is what training without --config does.
TEST_F(Presets, DefaultIsTheConfigDefaults) {
    Gs3dConfig c3;
    update_from_json(c3, load_preset("gs3d", "default"), "gs3d default");
    EXPECT_EQ(to_json(c3), to_json(Gs3dConfig{}));
    Gs4dConfig c4;
    update_from_json(c4, load_preset("gs4d", "default"), "gs4d default");
    EXPECT_EQ(to_json(c4), to_json(Gs4dConfig{}));
    HmoheConfig ch;
    update_from_json(ch, load_preset("hmohe", "default"), "hmohe default");
    EXPECT_EQ(to_json(ch), to_json(HmoheConfig{}));
    SagsConfig cs;
    update_from_json(cs, load_preset("sags", "default"), "sags default");
    EXPECT_EQ(to_json(cs), to_json(SagsConfig{}));
    // The demo file is the built-in demo preset.
    SagsConfig demo;
    update_from_json(demo, load_preset("sags", "demo"), "sags demo");
    EXPECT_EQ(to_json(demo), to_json(sags_preset("demo")));
    SagsConfig lite_demo;
    update_from_json(lite_demo, load_preset("sags-lite", "demo"), "sags-lite demo");
    EXPECT_EQ(to_json(lite_demo), to_json(sags_preset("lite-demo")));
}

// The demo presets' schedules (what `splatscape demo` has always trained with).
TEST_F(Presets, DemoSchedules) {
    Gs3dConfig c3;
    update_from_json(c3, load_preset("gs3d", "demo"), "gs3d demo");
    EXPECT_EQ(c3.iterations, 2000);
    EXPECT_EQ(c3.position_lr_max_steps, 2000);
    EXPECT_EQ(c3.sh_increase_every, 200);
    EXPECT_EQ(c3.densify.densify_from, 150);
    EXPECT_EQ(c3.densify.densify_until, 1200);
    EXPECT_EQ(c3.densify.opacity_reset_every, 600);
    Gs4dConfig c4;
    update_from_json(c4, load_preset("gs4d", "demo"), "gs4d demo");
    EXPECT_EQ(c4.iterations, 3000);
    EXPECT_EQ(c4.sh_increase_every, 300);
    EXPECT_EQ(c4.densify.densify_until, 2000);
    EXPECT_EQ(c4.densify.opacity_reset_every, 900);
    HmoheConfig ch;
    update_from_json(ch, load_preset("hmohe", "demo"), "hmohe demo");
    EXPECT_EQ(ch.iterations, 2500);
    EXPECT_EQ(ch.experts, 4);
    EXPECT_EQ(ch.target_samples, 16384);
}

TEST_F(Presets, ConfigTakesANameOrAFile) {
    TempDir dir("presets");
    write_bytes(dir / "mine.json", R"({"description": "mine", "iterations": 77})");
    EXPECT_EQ(load_model_config("gs3d", (dir / "mine.json").string()), Json({{"iterations", 77}}));
    EXPECT_EQ(load_model_config("gs3d", "demo")["iterations"], 2000);
    // A name that is no preset lists those there are.
    try {
        load_model_config("gs3d", "fast");
        ADD_FAILURE() << "no error";
    } catch (const UsageError& e) {
        EXPECT_NE(std::string(e.what()).find("default, demo"), std::string::npos) << e.what();
    }
    // A bad setting in a file names the file and the field.
    write_bytes(dir / "bad.json", R"({"densify": {"densify_every": 0}})");
    try {
        load_model_config("gs3d", (dir / "bad.json").string());
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("bad.json"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("densify.densify_every"), std::string::npos) << e.what();
    }
}

TEST(Assets, AMissingAssetNamesWhereItLooked) {
    setenv("SPLATSCAPE_ASSETS", "/nonexistent/assets", 1);
    try {
        find_asset("presets/gs3d/demo.json");
        ADD_FAILURE() << "no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("/nonexistent/assets/presets/gs3d/demo.json"), std::string::npos)
            << e.what();
        EXPECT_NE(std::string(e.what()).find("SPLATSCAPE_ASSETS"), std::string::npos) << e.what();
    }
    unsetenv("SPLATSCAPE_ASSETS");
}

// The executable finds its assets from where it lies: an installed tree (bin/ and
// share/splatscape/assets/), a folder holding both (assets/ beside it), and neither (the error names
// both places). `train --config demo` on a folder that is no dataset reads the preset first.
TEST(Assets, FoundBesideTheExecutable) {
    const fs::path exe = splatscape_exe();
    if (!fs::exists(exe)) GTEST_SKIP() << "the splatscape executable is not built (" << exe << ")";
    const fs::path assets = binary_dir() / "assets";
    ASSERT_TRUE(fs::is_directory(assets));
    TempDir dir("assets_layout");
    fs::create_directories(dir / "prefix" / "bin");
    // A hard link keeps the executable's own path (a symbolic link would lead back to the build tree).
    std::error_code ec;
    fs::create_hard_link(exe, dir / "prefix" / "bin" / "splatscape", ec);
    if (ec) fs::copy_file(exe, dir / "prefix" / "bin" / "splatscape");
    fs::create_directories(dir / "prefix" / "share" / "splatscape");
    fs::copy(assets, dir / "prefix" / "share" / "splatscape" / "assets", fs::copy_options::recursive);
    const std::string train =
        cat("env -u SPLATSCAPE_ASSETS ", (dir / "prefix" / "bin" / "splatscape").string(), " train ",
            (dir / "no_dataset").string(), " --config demo -o ", (dir / "run").string());
    std::string out;
    EXPECT_NE(run_command(train, &out), 0);
    EXPECT_EQ(out.find("asset not found"), std::string::npos) << out;
    EXPECT_NE(out.find("no_dataset"), std::string::npos) << out;

    fs::rename(dir / "prefix" / "share" / "splatscape" / "assets", dir / "prefix" / "bin" / "assets");
    out.clear();
    EXPECT_NE(run_command(train, &out), 0);
    EXPECT_EQ(out.find("asset not found"), std::string::npos) << out;

    fs::remove_all(dir / "prefix" / "bin" / "assets");
    out.clear();
    EXPECT_EQ(run_command(train, &out), 1);
    EXPECT_NE(out.find("asset not found"), std::string::npos) << out;
    EXPECT_NE(out.find((dir / "prefix" / "bin" / "assets" / "presets" / "gs3d" / "demo.json").string()),
              std::string::npos)
        << out;
    EXPECT_NE(out.find((dir / "prefix" / "share" / "splatscape" / "assets" / "presets").string()), std::string::npos)
        << out;
}

} // namespace
} // namespace splatscape::test
