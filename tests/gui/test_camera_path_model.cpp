// The camera-path editor writes the file `splatscape render --camera-path` reads, reads such files
// back (rotation and look_at keys), and previews exactly the frames the renderer would render.
#include <cmath>
#include <fstream>

#include <glm/geometric.hpp>
#include <gtest/gtest.h>

#include "app/cli/camera_path.hpp"
#include "app/gui/camera_path_model.hpp"
#include "core/error.hpp"
#include "core/image.hpp"
#include "core/io/scene_io.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::gui {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

glm::mat4 pose_looking(glm::vec3 from, glm::vec3 to) {
    return cli::look_at_camera(from, to, {0, 0, 1}, 4, 4, 50.0f).camera_to_world();
}

CameraPathModel three_keys() {
    CameraPathModel m;
    m.width = 48;
    m.height = 32;
    m.fps = 10.0;
    m.add(pose_looking({3, 0, 1}, {0, 0, 0}), 50.0f);
    m.add(pose_looking({0, 3, 1}, {0, 0, 0}), 40.0f, 0.5f);
    m.add(pose_looking({-3, 0, 1}, {0, 0, 0}), 60.0f, 1.5f);
    return m;
}

TEST(CameraPathModel, KeysAndTimes) {
    CameraPathModel m = three_keys();
    ASSERT_EQ(m.keys().size(), 3u);
    EXPECT_FLOAT_EQ(m.keys()[1].t, 0.5f);
    EXPECT_FLOAT_EQ(m.keys()[2].t, 2.0f);
    EXPECT_FLOAT_EQ(m.duration(), 2.0f);
    m.set_time(1, 5.0f); // past the next key: held just before it
    EXPECT_LT(m.keys()[1].t, m.keys()[2].t);
    EXPECT_GT(m.keys()[1].t, 1.99f);
    m.set_time(1, -1.0f);
    EXPECT_GT(m.keys()[1].t, m.keys()[0].t);
    m.remove(0);
    EXPECT_EQ(m.keys().size(), 2u);
    m.remove(7); // out of range: nothing
    EXPECT_EQ(m.keys().size(), 2u);
}

TEST(CameraPathModel, FramesAreTheRenderersFramesThroughTheKeys) {
    const CameraPathModel m = three_keys();
    const std::vector<cli::PathFrame> frames = m.frames();
    // 2 s at 10 fps, both ends included.
    ASSERT_EQ(frames.size(), 21u);
    const std::vector<cli::PathFrame> parsed = cli::camera_path_frames(m.to_json(), "editor", {});
    ASSERT_EQ(parsed.size(), frames.size());
    for (size_t i = 0; i < frames.size(); ++i)
        EXPECT_LT(glm::length(frames[i].camera.center() - parsed[i].camera.center()), 1e-6f);
    EXPECT_EQ(frames.front().camera.width, 48);
    EXPECT_LT(glm::length(frames.front().camera.center() - glm::vec3(3, 0, 1)), 1e-4f);
    EXPECT_LT(glm::length(frames[5].camera.center() - glm::vec3(0, 3, 1)), 1e-4f) << "t = 0.5 s is key 1";
    EXPECT_LT(glm::length(frames.back().camera.center() - glm::vec3(-3, 0, 1)), 1e-4f);
    // The keys' orientation: the first frame looks at the origin.
    EXPECT_GT(glm::dot(frames.front().camera.forward(), glm::normalize(glm::vec3(-3, 0, -1))), 0.99999f);
    EXPECT_NEAR(frames.front().camera.fov_y() * 180.0f / 3.14159265f, 50.0f, 1e-3f);
}

TEST(CameraPathModel, SavesAndLoadsItsOwnFiles) {
    TempDir dir("gui_camera_path_roundtrip");
    const CameraPathModel m = three_keys();
    m.save(dir / "path.json");
    const CameraPathModel back = CameraPathModel::load(dir / "path.json");
    ASSERT_EQ(back.keys().size(), 3u);
    EXPECT_EQ(back.width, 48);
    EXPECT_EQ(back.height, 32);
    EXPECT_DOUBLE_EQ(back.fps, 10.0);
    for (size_t i = 0; i < 3; ++i) {
        EXPECT_FLOAT_EQ(back.keys()[i].t, m.keys()[i].t);
        EXPECT_FLOAT_EQ(back.keys()[i].fov_y, m.keys()[i].fov_y);
        EXPECT_LT(glm::length(back.keys()[i].position - m.keys()[i].position), 1e-6f);
        EXPECT_GT(std::abs(glm::dot(back.keys()[i].rotation, m.keys()[i].rotation)), 0.999999f);
    }
    EXPECT_THROW(CameraPathModel().save(dir / "empty.json"), Error) << "nothing to save";
}

TEST(CameraPathModel, LoadsLookAtKeysAndRejectsBadFilesWithTheParsersMessage) {
    TempDir dir("gui_camera_path_load");
    {
        std::ofstream f(dir / "look.json");
        f << R"({"fps": 5, "up": [0, 0, 1], "keyframes": [
                 {"t": 0, "position": [2, 0, 0], "look_at": [0, 0, 0], "fov_y": 30},
                 {"t": 1, "position": [0, 2, 0], "look_at": [0, 0, 0]}]})";
    }
    const CameraPathModel m = CameraPathModel::load(dir / "look.json");
    ASSERT_EQ(m.keys().size(), 2u);
    EXPECT_FLOAT_EQ(m.keys()[1].fov_y, 30.0f) << "a key without fov_y keeps the previous one";
    const glm::mat3 r = glm::mat3_cast(m.keys()[0].rotation);
    EXPECT_GT(glm::dot(r[2], glm::vec3(-1, 0, 0)), 0.99999f) << "looks at the origin";
    EXPECT_LT(r[1].z, 0.0f) << "image down is world down";
    {
        std::ofstream f(dir / "bad.json");
        f << R"({"keyframes": [{"t": 1, "position": [0, 0, 0], "look_at": [1, 0, 0]},
                               {"t": 0, "position": [1, 1, 0], "look_at": [1, 0, 0]}]})";
    }
    try {
        CameraPathModel::load(dir / "bad.json");
        FAIL() << "decreasing key times were accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("keyframes[1].t"), std::string::npos) << e.what();
    }
}

TEST(CameraPathModel, RenderAcceptsTheSavedFile) {
    TempDir dir("gui_camera_path_render");
    GaussianCloud cloud;
    cloud.resize(3, 0);
    for (int i = 0; i < 3; ++i) {
        cloud.positions[3 * i] = 0.3f * float(i - 1);
        for (int a = 0; a < 3; ++a) {
            cloud.log_scales[3 * i + a] = std::log(0.2f);
            cloud.sh[3 * i + a] = sh_dc_from_rgb(a == i ? 0.9f : 0.2f);
        }
        cloud.rotations[4 * i] = 1.0f;
        cloud.opacities[i] = 2.0f;
    }
    write_scene(dir / "scene.ply", cloud);
    CameraPathModel m = three_keys();
    m.fps = 2.0; // 2 s: 5 frames
    m.save(dir / "path.json");
    std::string output;
    const int rc = test::run_command(cat(test::splatscape_exe().string(), " render ", (dir / "scene.ply").string(),
                                         " --camera-path ", (dir / "path.json").string(),
                                         " --renderer cpu --threads 1 -o ", (dir / "frames").string()),
                                     &output);
    ASSERT_EQ(rc, 0) << output;
    for (int i = 0; i < 5; ++i) {
        char name[32];
        std::snprintf(name, sizeof name, "frame_%05d.png", i);
        const fs::path frame = dir / "frames" / name;
        ASSERT_TRUE(fs::exists(frame)) << frame;
        const ImageInfo info = read_image_info(frame);
        EXPECT_EQ(info.width, 48) << "the path's frame size";
        EXPECT_EQ(info.height, 32);
    }
    EXPECT_FALSE(fs::exists(dir / "frames" / "frame_00005.png"));
}

} // namespace
} // namespace splatscape::gui
