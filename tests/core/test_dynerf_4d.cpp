// The DyNeRF / Neural 3D Video loader on a small multi-view video made here: the built-in dynamic
// scene rendered from three fixed cameras over six frames, each camera's frames encoded into
// camXX.mp4 by the ffmpeg command-line tool, with poses_bounds.npy in the LLFF layout. Skipped
// when ffmpeg is not installed.
#include <cmath>
#include <cstdlib>

#include <gtest/gtest.h>

#include <glm/geometric.hpp>

#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "core/image.hpp"
#include "core/io/npy.hpp"
#include "core/metrics.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

namespace fs = std::filesystem;

constexpr int kCameras = 3, kFrames = 6, kWidth = 64, kHeight = 48;

bool have_ffmpeg() {
    return test::run_command("ffmpeg -version > /dev/null 2>&1") == 0 &&
           test::run_command("ffprobe -version > /dev/null 2>&1") == 0;
}

struct VideoScene {
    std::vector<Camera> cameras;
    std::vector<std::vector<Image>> frames; // [camera][frame], RGB over black
};

// Renders the scene and writes DIR/camNN.mp4 and DIR/poses_bounds.npy.
VideoScene write_video_dataset(const fs::path& dir) {
    SyntheticSceneOptions o;
    o.kind = SyntheticSceneKind::Dynamic;
    o.width = kWidth;
    o.height = kHeight;
    o.train_views = kCameras;
    o.test_views = 1;
    const auto views = synthetic_views(o);
    VideoScene s;
    std::vector<double> rows;
    for (int c = 0; c < kCameras; ++c) {
        const Camera& cam = views[size_t(c)].camera;
        s.cameras.push_back(cam);
        const fs::path png_dir = dir / "png" / cat("cam", c);
        fs::create_directories(png_dir);
        s.frames.emplace_back();
        for (int k = 0; k < kFrames; ++k) {
            const float time = float(k) / float(kFrames - 1);
            const Image rgb = composite_over(render_synthetic_view(o.kind, cam, time, 2), glm::vec3(0.0f));
            s.frames.back().push_back(rgb);
            save_image(png_dir / cat("f", k, ".png"), rgb);
        }
        const std::string cmd = cat("ffmpeg -nostdin -v error -y -framerate 30 -i ", (png_dir / "f%d.png").string(),
                                    " -c:v libx264 -qp 0 -pix_fmt yuv444p ", (dir / cat("cam0", c, ".mp4")).string());
        std::string out;
        EXPECT_EQ(test::run_command(cmd, &out), 0) << out;
        // LLFF row: [down | right | back | centre | (h, w, focal)] row-major 3x5, then near, far.
        const glm::mat4 c2w = cam.camera_to_world();
        for (int r = 0; r < 3; ++r) {
            rows.push_back(c2w[1][r]);
            rows.push_back(c2w[0][r]);
            rows.push_back(-c2w[2][r]);
            rows.push_back(c2w[3][r]);
            rows.push_back(r == 0 ? double(kHeight) : r == 1 ? double(kWidth) : double(cam.fx));
        }
        rows.push_back(1.0);
        rows.push_back(8.0);
    }
    fs::remove_all(dir / "png");
    write_npy(dir / "poses_bounds.npy", {uint64_t(kCameras), 17}, rows);
    return s;
}

class DynerfLoader : public ::testing::Test {
protected:
    static void SetUpTestSuite() {
        if (!have_ffmpeg()) return;
        s_dir = new test::TempDir("dynerf_loader");
        setenv("SPLATSCAPE_CACHE_DIR", (s_dir->path() / "cache").c_str(), 1);
        s_scene = new VideoScene(write_video_dataset(s_dir->path() / "data"));
    }
    static void TearDownTestSuite() {
        delete s_scene;
        delete s_dir;
        s_scene = nullptr;
        s_dir = nullptr;
    }
    void SetUp() override {
        if (!s_dir) GTEST_SKIP() << "ffmpeg/ffprobe not installed (Debian: apt install ffmpeg); skipping";
    }
    static fs::path data() { return s_dir->path() / "data"; }
    static test::TempDir* s_dir;
    static VideoScene* s_scene;
};
test::TempDir* DynerfLoader::s_dir = nullptr;
VideoScene* DynerfLoader::s_scene = nullptr;

TEST_F(DynerfLoader, LoadsCamerasTimesAndFrames) {
    EXPECT_EQ(detect_dataset_format(data()), "dynerf");
    const Dataset d = load_dataset(data());
    EXPECT_EQ(d.format, "dynerf");
    EXPECT_TRUE(d.dynamic);
    // cam00 is held out; the other cameras train.
    ASSERT_EQ(d.test.size(), size_t(kFrames));
    ASSERT_EQ(d.train.size(), size_t((kCameras - 1) * kFrames));
    for (int k = 0; k < kFrames; ++k) {
        ASSERT_TRUE(d.test[size_t(k)].time.has_value());
        EXPECT_NEAR(*d.test[size_t(k)].time, float(k) / (kFrames - 1), 1e-6f);
        EXPECT_NEAR(*d.train[size_t(kFrames + k)].time, float(k) / (kFrames - 1), 1e-6f);
    }
    EXPECT_EQ(d.test.front().name.rfind("cam00/", 0), 0u) << d.test.front().name;
    // Cameras where the poses put them, at the decoded size.
    for (int c = 0; c < kCameras; ++c) {
        const Frame& f = c == 0 ? d.test.front() : d.train[size_t((c - 1) * kFrames)];
        EXPECT_LT(glm::length(f.camera.center() - s_scene->cameras[size_t(c)].center()), 1e-4f) << c;
        EXPECT_LT(glm::length(f.camera.forward() - s_scene->cameras[size_t(c)].forward()), 1e-4f) << c;
        EXPECT_EQ(f.camera.width, kWidth);
        EXPECT_NEAR(f.camera.fx, s_scene->cameras[size_t(c)].fx, 1e-3f);
    }
    // Frames decode to what was rendered (x264 at qp 0 in 4:4:4, up to colour conversion rounding).
    for (int k = 0; k < kFrames; k += 2) {
        const Image img = d.load_image(d.train[size_t(kFrames + k)]);
        EXPECT_GT(psnr(img, s_scene->frames[2][size_t(k)]), 35.0) << k;
    }
    // The motion is in the frames: the first and last frame of a camera differ.
    EXPECT_LT(psnr(d.load_image(d.test.front()), d.load_image(d.test.back())), 30.0);
}

TEST_F(DynerfLoader, ReusesTheFrameCacheAndDownscales) {
    const Dataset a = load_dataset(data());
    const fs::path frame = a.train.front().image;
    const auto written = fs::last_write_time(frame);
    const Dataset b = load_dataset(data());
    EXPECT_EQ(b.train.front().image, frame);
    EXPECT_EQ(fs::last_write_time(frame), written) << "the cached frames were decoded again";

    DatasetOptions half;
    half.downscale = 2;
    const Dataset h = load_dataset(data(), half);
    EXPECT_EQ(h.train.front().camera.width, kWidth / 2);
    EXPECT_NEAR(h.train.front().camera.fx, a.train.front().camera.fx / 2, 1e-3f);
    EXPECT_EQ(h.load_image(h.train.front()).width, kWidth / 2);
}

TEST_F(DynerfLoader, BadInputIsRefusedWithTheFileNamed) {
    const fs::path bad = s_dir->path() / "bad";
    auto fresh = [&](const std::string& name) {
        const fs::path d = bad / name;
        fs::create_directories(d);
        for (int c = 0; c < kCameras; ++c) fs::copy_file(data() / cat("cam0", c, ".mp4"), d / cat("cam0", c, ".mp4"));
        fs::copy_file(data() / "poses_bounds.npy", d / "poses_bounds.npy");
        return d;
    };
    auto expect_error = [](const fs::path& dir, const std::string& needle) {
        DatasetOptions o;
        o.format = "dynerf";
        try {
            load_dataset(dir, o);
            ADD_FAILURE() << dir << ": accepted";
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
        }
    };
    {
        const fs::path d = fresh("extra_video");
        fs::copy_file(d / "cam01.mp4", d / "cam03.mp4");
        expect_error(d, "3 camera poses, but");
    }
    {
        const fs::path d = fresh("broken_video");
        test::write_bytes(d / "cam01.mp4", "this is not a video");
        expect_error(d, "cam01.mp4");
    }
    {
        const fs::path d = fresh("nan_pose");
        NpyArray a = read_npy(d / "poses_bounds.npy");
        a.values[17 + 3] = std::nan("");
        write_npy(d / "poses_bounds.npy", a.shape, a.values);
        expect_error(d, "row 1");
    }
    {
        const fs::path d = fresh("wrong_shape");
        write_npy(d / "poses_bounds.npy", {3, 15}, std::vector<double>(45, 1.0));
        expect_error(d, "poses_bounds.npy: shape");
    }
    {
        const fs::path d = fresh("wrong_aspect");
        NpyArray a = read_npy(d / "poses_bounds.npy");
        a.values[4] = 2.0 * kHeight; // h of camera 0
        write_npy(d / "poses_bounds.npy", a.shape, a.values);
        expect_error(d, "aspect ratio");
    }
    {
        const fs::path d = fresh("no_poses");
        fs::remove(d / "poses_bounds.npy");
        expect_error(d, "poses_bounds.npy");
    }
}

} // namespace
} // namespace splatscape
