// `splatscape render -o x.mp4|x.webm`: frames piped into ffmpeg, the file checked by ffprobe (the
// other tool's own reader): stream count, codec, size, frame rate and frame count; and a camera
// path's fps, odd frame sizes (padded), and the errors for a bad extension.
#include <cstdio>

#include <nlohmann/json.hpp>

#include "core/file_util.hpp"
#include "core/io/scene_io.hpp"
#include "tests/core/test_formats_support.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

struct Probe {
    std::string codec;
    int width = 0, height = 0, frames = 0;
    std::string rate; // r_frame_rate, e.g. "24/1"
};

Probe ffprobe(const std::filesystem::path& video) {
    std::string out;
    const int rc = test::run_command("ffprobe -v error -count_frames -select_streams v -show_entries "
                                     "stream=codec_name,width,height,r_frame_rate,nb_read_frames -of json '" +
                                         video.string() + "'",
                                     &out);
    EXPECT_EQ(rc, 0) << out;
    const auto j = nlohmann::json::parse(out.substr(out.find('{')));
    EXPECT_EQ(j["streams"].size(), 1u) << out;
    const auto& s = j["streams"][0];
    return {s["codec_name"], s["width"], s["height"], std::stoi(s["nb_read_frames"].get<std::string>()),
            s["r_frame_rate"]};
}

class VideoOutput : public ::testing::Test {
protected:
    void SetUp() override {
        if (test::run_command("ffprobe -version > /dev/null 2>&1") != 0)
            GTEST_FAIL()
                << "ffprobe is missing (Debian/Ubuntu: apt-get install ffmpeg; scripts/install-deps.sh installs it)";
        scene = dir / "scene.ply";
        GaussianCloud c = test::format_test_cloud(300, 1, 3);
        for (auto& v : c.log_scales) v -= 1.5f;
        write_scene(scene, c);
    }
    std::string render(const std::string& extra, std::string* output = nullptr) {
        return std::to_string(test::run_command(
            test::splatscape_exe().string() + " render '" + scene.string() + "' --renderer cpu " + extra, output));
    }
    test::TempDir dir{"video_output"};
    std::filesystem::path scene;
};

TEST_F(VideoOutput, Mp4OrbitHasEveryFrameAtTheAskedRate) {
    std::string log;
    ASSERT_EQ(render("--orbit 12 --width 96 --height 64 --fps 24 -o '" + (dir / "orbit.mp4").string() + "'", &log), "0")
        << log;
    const Probe p = ffprobe(dir / "orbit.mp4");
    EXPECT_EQ(p.codec, "h264");
    EXPECT_EQ(p.width, 96);
    EXPECT_EQ(p.height, 64);
    EXPECT_EQ(p.rate, "24/1");
    EXPECT_EQ(p.frames, 12);
    EXPECT_NE(log.find("video"), std::string::npos) << log;
    EXPECT_FALSE(std::filesystem::exists(dir / "orbit.partial.mp4"));
}

TEST_F(VideoOutput, WebmFromACameraPathAtItsFpsWithAnOddSizePadded) {
    write_file_atomic(dir / "path.json", std::string(R"({"fps": 10, "width": 51, "height": 37, "keyframes": [
        {"t": 0, "position": [0, 0, -2], "look_at": [0, 0, 4]},
        {"t": 0.5, "position": [1, 0, -2], "look_at": [0, 0, 4]}]})"));
    std::string log;
    ASSERT_EQ(
        render("--camera-path '" + (dir / "path.json").string() + "' -o '" + (dir / "path.webm").string() + "'", &log),
        "0")
        << log;
    const Probe p = ffprobe(dir / "path.webm");
    EXPECT_EQ(p.codec, "vp9");
    EXPECT_EQ(p.width, 52); // 4:2:0 needs even sizes: padded by one pixel
    EXPECT_EQ(p.height, 38);
    EXPECT_EQ(p.rate, "10/1");
    EXPECT_EQ(p.frames, 6); // t = 0, 0.1, ..., 0.5
}

TEST_F(VideoOutput, FramesStillGoToAFolder) {
    ASSERT_EQ(render("--orbit 2 --width 32 --height 32 -o '" + (dir / "frames").string() + "'"), "0");
    EXPECT_TRUE(std::filesystem::exists(dir / "frames" / "frame_00001.png"));
}

} // namespace
} // namespace splatscape
