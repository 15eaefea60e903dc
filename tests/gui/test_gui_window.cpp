// `splatscape view` and `splatscape train --gui` in a real window (Xvfb and lavapipe in CI), run as a
// user runs them, with the Khronos validation layer on (unless SPLATSCAPE_VK_VALIDATION=0): any
// validation error fails the run.
//
// Screenshots are compared with the offscreen renderer at the camera the viewer wrote beside the
// screenshot. The window shows the renderer's own 8-bit output copied 1:1 (a nearest-filter blit of
// the same size), and the offscreen colour image is the same rasterisation as floats, rounded here
// the way the compose pass rounds: so the pixels must agree to within one 8-bit level (an exact .5
// can round either way), and at least 99.9 % of them exactly.
#include <cmath>
#include <cstdlib>
#include <random>

#include <glm/mat4x4.hpp>

#include "app/gui/scene_source.hpp"
#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "core/image.hpp"
#include "core/io/nerf_file.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/scene_io.hpp"
#include "core/json_util.hpp"
#include "core/metrics.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/renderer/nerf_fixture.hpp"
#include "tests/renderer/vk_test_support.hpp"
#include "tests/support/test_support.hpp"
#include "training/cpu/cpu_backend.hpp"

namespace splatscape::test {
namespace {

GaussianCloud blob_scene() {
    std::mt19937 rng(11);
    std::normal_distribution<float> g(0.0f, 1.0f);
    GaussianCloud c;
    c.resize(2500, 1);
    for (size_t i = 0; i < c.size(); ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = 0.5f * g(rng);
            c.log_scales[3 * i + a] = -3.0f + 0.4f * g(rng);
        }
        for (int a = 0; a < 4; ++a) c.rotations[4 * i + a] = g(rng);
        c.opacities[i] = 0.5f + g(rng);
        for (int k = 0; k < 12; ++k) c.sh[i * 12 + k] = (k < 3 ? 1.0f : 0.3f) * g(rng);
    }
    return c;
}

// A 4D scene whose Gaussians live at different times over [0, 2]: half of them near the start.
GaussianCloud4d blob_scene_4d() {
    std::mt19937 rng(12);
    std::normal_distribution<float> g(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    GaussianCloud4d c;
    c.resize(2000, 1, 1);
    c.time_min = 0.0f;
    c.time_max = 2.0f;
    c.time_period = 2.0f;
    for (size_t i = 0; i < c.size(); ++i) {
        for (int a = 0; a < 3; ++a) c.positions[3 * i + a] = 0.5f * g(rng);
        c.times[i] = i % 2 == 0 ? 0.1f * u(rng) : 1.0f + u(rng);
        for (int a = 0; a < 4; ++a) {
            c.log_scales[4 * i + a] = a == 3 ? std::log(0.2f) : -3.0f + 0.4f * g(rng);
            c.rotations_l[4 * i + a] = a == 0 ? 1.0f : 0.1f * g(rng);
            c.rotations_r[4 * i + a] = a == 0 ? 1.0f : 0.1f * g(rng);
        }
        c.opacities[i] = 0.5f + g(rng);
        for (int k = 0; k < c.sh_coeffs() * 3; ++k)
            c.sh[size_t(i) * size_t(c.sh_coeffs()) * 3 + size_t(k)] = (k < 3 ? 1.0f : 0.3f) * g(rng);
    }
    return c;
}

struct Crop {
    int x = 0, y = 0, w = 0, h = 0;
};

Crop crop_of(const Json& j, const char* key) {
    const Json& r = j.at(key);
    return {r[0].get<int>(), r[1].get<int>(), r[2].get<int>(), r[3].get<int>()};
}

Image crop(const Image& image, const Crop& c) {
    Image out(c.w, c.h, image.channels);
    for (int y = 0; y < c.h; ++y)
        for (int x = 0; x < c.w; ++x)
            for (int ch = 0; ch < image.channels; ++ch) out.at(x, y, ch) = image.at(c.x + x, c.y + y, ch);
    return out;
}

Camera camera_of(const Json& j) {
    const Json& c = j.at("camera");
    glm::mat4 m(1.0f);
    for (int r = 0; r < 4; ++r)
        for (int col = 0; col < 4; ++col) m[col][r] = c.at("camera_to_world")[r][col].get<float>();
    return Camera::from_camera_to_world(m, c.at("width").get<int>(), c.at("height").get<int>(), c.at("fx").get<float>(),
                                        c.at("fy").get<float>(), c.at("cx").get<float>(), c.at("cy").get<float>());
}

RenderSettings settings_of(const Json& j) {
    RenderSettings s;
    s.mode = parse_render_mode(j.at("render_mode").get<std::string>());
    s.sh_degree = j.at("sh_degree").get<int>();
    for (int c = 0; c < 3; ++c) s.background[c] = j.at("background")[c].get<float>();
    s.scale_modifier = j.at("scale_modifier").get<float>();
    s.antialiased = j.at("antialiased").get<bool>();
    return s;
}

struct Agreement {
    double max_levels = 0.0;
    double exact_fraction = 0.0;
    double lit_fraction = 0.0; // pixels away from the background: the picture is not empty
};

// `time`: for a 4D scene, the time the window showed.
template <class Cloud>
Agreement compare_to_offscreen(const Image& window, const Cloud& cloud, const Json& sidecar, float time = 0.0f) {
    OffscreenRenderer* renderer = shared_offscreen();
    const Camera camera = camera_of(sidecar);
    RenderSettings settings = settings_of(sidecar);
    settings.time = time;
    renderer->set_scene(cloud);
    const Image expected = quantize_8bit(renderer->render(camera, settings).image);
    EXPECT_EQ(renderer->validation_errors(), 0u);
    Agreement a;
    EXPECT_EQ(window.width, expected.width);
    EXPECT_EQ(window.height, expected.height);
    if (window.width != expected.width || window.height != expected.height) return a;
    size_t exact = 0, lit = 0;
    for (size_t p = 0; p < expected.pixel_count(); ++p) {
        bool same = true, background = true;
        for (int c = 0; c < 3; ++c) {
            const double d = std::abs(double(window.data[p * 3 + c]) - double(expected.data[p * 3 + c])) * 255.0;
            a.max_levels = std::max(a.max_levels, d);
            same = same && d < 0.5;
            background = background && std::abs(expected.data[p * 3 + c] - settings.background[c]) < 0.02f;
        }
        exact += same;
        lit += !background;
    }
    a.exact_fraction = double(exact) / double(expected.pixel_count());
    a.lit_fraction = double(lit) / double(expected.pixel_count());
    return a;
}

class GuiWindowTest : public ::testing::Test {
protected:
    // `train DATA -o DIR/run EXTRA --threads 1 --gui`, closed when done with a screenshot
    // (DIR/shot.png and its sidecar): checks that it ran to the end, evaluated and that snapshots
    // reached the window. Returns the output.
    std::string train_in_window(const TempDir& dir, const fs::path& data, const std::string& extra) {
        std::string output;
        const int rc = splatscape(dir,
                                  cat("-v train ", data.string(), " -o ", (dir / "run").string(), extra,
                                      " --threads 1 --gui --exit-when-done --hide-ui", validation_flag(),
                                      " --window-size 320x240 --screenshot ", (dir / "shot.png").string()),
                                  &output);
        [&] { ASSERT_EQ(rc, 0) << output; }(); // fatal: the caller checks HasFatalFailure()
        if (rc != 0) return output;
        expect_clean_validation(output);
        EXPECT_NE(output.find("held-out     PSNR"), std::string::npos) << "the run completed and evaluated\n"
                                                                        << output;
        EXPECT_NE(output.find("live view: the model at iteration"), std::string::npos)
            << "snapshots reached the window during training\n"
            << output;
        return output;
    }

    void SetUp() override {
        prepare_vulkan_environment();
        const char* display = std::getenv("DISPLAY");
        if (!display || !*display) GTEST_SKIP() << "no DISPLAY (CI runs the tests under xvfb-run)";
        std::string why;
        if (!OffscreenRenderer::available(&why)) GTEST_SKIP() << "no usable Vulkan device: " << why;
    }

    // Runs splatscape with a private config folder (recent files) and the validation layer on
    // (unless SPLATSCAPE_VK_VALIDATION=0, for machines without the layer).
    int splatscape(const TempDir& dir, const std::string& args, std::string* output) {
        return run_command(cat("XDG_CONFIG_HOME=", (dir / "config").string(), " SPLATSCAPE_VK_VALIDATION=",
                               validation_wanted() ? 1 : 0, " ", splatscape_exe().string(), " ", args),
                           output);
    }
    // The command-line flag, exercised where validation is wanted.
    static const char* validation_flag() { return validation_wanted() ? " --validation" : ""; }

    static fs::path generate_dataset(const fs::path& dir) {
        SyntheticSceneOptions o;
        o.width = 64;
        o.height = 48;
        o.train_views = 10;
        o.test_views = 2;
        o.samples_per_axis = 1;
        o.points = 2000;
        generate_synthetic_scene(o, dir);
        return dir;
    }

    // The run says whether the layer was on; with it on, it must have counted no errors.
    static void expect_clean_validation(const std::string& output) {
        EXPECT_EQ(output.find("error: Vulkan validation"), std::string::npos) << output;
        if (!validation_wanted()) return;
        ASSERT_NE(output.find("validation layer on"), std::string::npos)
            << "the Khronos validation layer did not load (install vulkan-validationlayers)\n"
            << output;
        EXPECT_NE(output.find("Vulkan validation: 0 errors"), std::string::npos) << output;
    }
};

TEST_F(GuiWindowTest, ViewScreenshotMatchesTheOffscreenRender) {
    TempDir dir("gui_view_screenshot");
    const GaussianCloud cloud = blob_scene();
    write_scene(dir / "blob.ply", cloud);
    std::string output;
    const int rc = splatscape(dir,
                              cat("view ", (dir / "blob.ply").string(), " --window-size 480x320 --exit-after-frames 3",
                                  " --screenshot ", (dir / "shot.png").string()),
                              &output);
    ASSERT_EQ(rc, 0) << output;
    expect_clean_validation(output);
    const Json sidecar = load_json(dir / "shot.json");
    const Image shot = load_image(dir / "shot.png", 3);
    EXPECT_EQ(shot.width, 480);
    EXPECT_EQ(shot.height, 320);
    const Crop vp = crop_of(sidecar, "viewport");
    ASSERT_GT(vp.x, 0) << "the panels sit left of the viewport";
    ASSERT_EQ(vp.x + vp.w, shot.width);
    ASSERT_EQ(vp.h, shot.height);
    const Agreement a = compare_to_offscreen(crop(shot, vp), cloud, sidecar);
    EXPECT_LE(a.max_levels, 1.0 + 1e-6);
    EXPECT_GE(a.exact_fraction, 0.999);
    EXPECT_GT(a.lit_fraction, 0.05) << "the view shows the scene";
    // The panels were drawn: the sidebar is not a flat colour.
    const Image side = crop(shot, {0, 0, vp.x, shot.height});
    float lo = 1.0f, hi = 0.0f;
    for (float v : side.data) lo = std::min(lo, v), hi = std::max(hi, v);
    EXPECT_GT(hi - lo, 0.3f) << "no UI in the sidebar";
    // The file opened went into the recent list.
    const Json recent = load_json(dir / "config" / "splatscape" / "recent.json");
    ASSERT_EQ(recent.at("recent").size(), 1u);
    EXPECT_EQ(fs::path(recent["recent"][0].get<std::string>()).filename(), "blob.ply");
    // The camera in the sidecar is a camera path `splatscape render` accepts.
    ASSERT_EQ(
        run_command(cat(splatscape_exe().string(), " render ", (dir / "blob.ply").string(), " --camera-path ",
                        (dir / "shot.json").string(), " --renderer cpu --threads 1 -o ", (dir / "frames").string()),
                    &output),
        0)
        << output;
    const Image frame = load_image(dir / "frames" / "frame_00000.png", 3);
    EXPECT_EQ(frame.width, vp.w);
    EXPECT_GT(psnr(frame, crop(shot, vp)), 35.0) << "the CPU renderer sees the same view";
}

// A 4D scene is drawn by its own kind (app/gui/gaussians_4d_vk.hpp): sliced on the GPU at the start
// of its time range (paused), as the offscreen renderer slices it.
TEST_F(GuiWindowTest, FourDSceneShowsItsSliceAtTheStart) {
    TempDir dir("gui_view_4d");
    const GaussianCloud4d cloud = blob_scene_4d();
    write_gaussian_4d_ply(dir / "blob4d.ply", cloud);
    std::string output;
    const int rc =
        splatscape(dir,
                   cat("view ", (dir / "blob4d.ply").string(), validation_flag(),
                       " --window-size 480x320 --exit-after-frames 3 --screenshot ", (dir / "shot.png").string()),
                   &output);
    ASSERT_EQ(rc, 0) << output;
    expect_clean_validation(output);
    const Json sidecar = load_json(dir / "shot.json");
    const Image shown = crop(load_image(dir / "shot.png", 3), crop_of(sidecar, "viewport"));
    const Agreement a = compare_to_offscreen(shown, cloud, sidecar, cloud.time_min);
    EXPECT_LE(a.max_levels, 1.0 + 1e-6); // measured 0: the same passes as the offscreen renderer
    EXPECT_GE(a.exact_fraction, 0.999);  // measured 1.0
    EXPECT_GT(a.lit_fraction, 0.05) << "the view shows the scene"; // measured 0.56
    // At a later time other Gaussians are drawn: the window did not show that.
    const Agreement later = compare_to_offscreen(shown, cloud, sidecar, 1.5f);
    EXPECT_LT(later.exact_fraction, 0.9); // measured 0.30
}

TEST_F(GuiWindowTest, CameraPathPreviewPlaysToItsLastKey) {
    TempDir dir("gui_view_path");
    const GaussianCloud cloud = blob_scene();
    write_scene(dir / "blob.ply", cloud);
    // 1.5 s of path, previewed while the view renders smaller (it counts as motion), then settled.
    save_json(dir / "path.json", Json::parse(R"({"fps": 20, "width": 160, "height": 120, "up": [0, 0, 1],
        "keyframes": [{"t": 0, "position": [2.5, 0, 0.5], "look_at": [0, 0, 0], "fov_y": 45},
                      {"t": 0.75, "position": [0, 2.5, 0.5], "look_at": [0, 0, 0]},
                      {"t": 1.5, "position": [-2.5, 0, 1.0], "look_at": [0, 0, 0], "fov_y": 35}]})"));
    std::string output;
    const int rc = splatscape(dir,
                              cat("view ", (dir / "blob.ply").string(), " --window-size 400x300 --exit-after-frames 2",
                                  " --camera-path ", (dir / "path.json").string(), " --play --screenshot ",
                                  (dir / "shot.png").string()),
                              &output);
    ASSERT_EQ(rc, 0) << output;
    expect_clean_validation(output);
    const Json sidecar = load_json(dir / "shot.json");
    const Camera cam = camera_of(sidecar);
    EXPECT_LT(glm::length(cam.center() - glm::vec3(-2.5f, 0.0f, 1.0f)), 1e-3f) << "ends at the last key";
    EXPECT_NEAR(cam.fov_y() * 180.0 / 3.14159265, 35.0, 0.05);
    const Agreement a =
        compare_to_offscreen(crop(load_image(dir / "shot.png", 3), crop_of(sidecar, "viewport")), cloud, sidecar);
    EXPECT_GT(a.exact_fraction, 0.95) << "the path's key frustum is drawn over the view";
    EXPECT_GT(a.lit_fraction, 0.05);
}

// The camera-path editor's "Render video", driven by the commands its buttons push (--commands):
// keys from a file plus one added from the view, Save, then the video rendered on its own thread
// while the window keeps drawing. ffprobe checks the file; a middle frame decoded by ffmpeg must
// match the same frame of `splatscape render` run on the saved path (the same renderer and encoder:
// measured PSNR inf, identical frames, for the three scenes below; bound 40 dB).
class GuiVideoTest : public GuiWindowTest {
protected:
    void expect_video_matches_render(const TempDir& dir, const fs::path& scene) {
        if (run_command("ffprobe -version > /dev/null 2>&1") != 0)
            GTEST_FAIL() << "ffprobe is missing (apt-get install ffmpeg; scripts/install-deps.sh installs it)";
        save_json(dir / "path.json", Json::parse(R"({"fps": 20, "width": 160, "height": 120, "up": [0, 0, 1],
            "keyframes": [{"t": 0, "position": [2.5, 0, 0.5], "look_at": [0, 0, 0], "fov_y": 45},
                          {"t": 0.5, "position": [0, 2.5, 0.5], "look_at": [0, 0, 0]}]})"));
        const fs::path saved = dir / "saved.json", gui_video = dir / "gui.mp4", cli_video = dir / "cli.mp4";
        // A third key from the framed view (t = 1.5), 96x64 at 12 fps: t = 0, 1/12, ..., 1.5 is 19 frames.
        save_json(
            dir / "commands.json",
            Json::array({{{"command", "path_add_key"}},
                         {{"command", "path_settings"}, {"width", 96}, {"height", 64}, {"fps", 12}, {"smooth", true}},
                         {{"command", "path_save"}, {"file", saved.string()}},
                         {{"command", "path_render_video"}, {"file", (dir / "bad.avi").string()}},
                         {{"command", "path_render_video"}, {"file", gui_video.string()}}}));
        std::string output;
        const int rc =
            splatscape(dir,
                       cat("view ", scene.string(), " --window-size 400x300 --exit-after-frames 2", " --camera-path ",
                           (dir / "path.json").string(), " --commands ", (dir / "commands.json").string()),
                       &output);
        ASSERT_EQ(rc, 0) << output;
        expect_clean_validation(output);
        EXPECT_NE(output.find("bad.avi: a video must be .mp4 or .webm"), std::string::npos) << output;
        EXPECT_FALSE(fs::exists(dir / "bad.avi"));
        const size_t wrote = output.find("video: wrote " + gui_video.string() + ": ");
        ASSERT_NE(wrote, std::string::npos) << output;
        const int panel_frames = std::atoi(output.c_str() + wrote + gui_video.string().size() + 15);
        EXPECT_EQ(panel_frames, 19) << output;
        EXPECT_FALSE(fs::exists(dir / "gui.partial.mp4"));

        const Json path = load_json(saved);
        ASSERT_EQ(path.at("keyframes").size(), 3u) << "two keys loaded, one added";
        EXPECT_EQ(path.at("width").get<int>(), 96);
        EXPECT_EQ(path.at("fps").get<double>(), 12.0);
        ASSERT_EQ(run_command(cat(splatscape_exe().string(), " render ", scene.string(), " --camera-path ",
                                  saved.string(), " -o ", cli_video.string()),
                              &output),
                  0)
            << output;

        struct Probe {
            int width = 0, height = 0, frames = 0;
            std::string rate;
        };
        auto probe = [&](const fs::path& video) {
            std::string out;
            EXPECT_EQ(run_command(cat("ffprobe -v error -count_frames -select_streams v -show_entries "
                                      "stream=width,height,r_frame_rate,nb_read_frames -of json '",
                                      video.string(), "'"),
                                  &out),
                      0)
                << out;
            const Json s = Json::parse(out.substr(out.find('{'))).at("streams").at(0);
            return Probe{s.at("width").get<int>(), s.at("height").get<int>(),
                         std::stoi(s.at("nb_read_frames").get<std::string>()), s.at("r_frame_rate").get<std::string>()};
        };
        for (const fs::path& video : {gui_video, cli_video}) {
            const Probe p = probe(video);
            EXPECT_EQ(p.width, 96) << video;
            EXPECT_EQ(p.height, 64) << video;
            EXPECT_EQ(p.rate, "12/1") << video;
            EXPECT_EQ(p.frames, panel_frames) << video;
        }
        // The middle frame, decoded by ffmpeg.
        const int middle = panel_frames / 2;
        auto decode = [&](const fs::path& video, const fs::path& png) {
            std::string out;
            EXPECT_EQ(run_command(cat("ffmpeg -v error -y -i '", video.string(), "' -vf 'select=eq(n\\,", middle,
                                      ")' -frames:v 1 '", png.string(), "'"),
                                  &out),
                      0)
                << out;
            return load_image(png, 3);
        };
        const Image gui_frame = decode(gui_video, dir / "gui_middle.png");
        const Image cli_frame = decode(cli_video, dir / "cli_middle.png");
        ASSERT_EQ(gui_frame.width, 96);
        ASSERT_EQ(gui_frame.height, 64);
        size_t lit = 0;
        for (size_t p = 0; p < gui_frame.pixel_count(); ++p)
            lit += gui_frame.data[p * 3] + gui_frame.data[p * 3 + 1] + gui_frame.data[p * 3 + 2] > 0.1f;
        EXPECT_GT(double(lit) / double(gui_frame.pixel_count()), 0.05) << "the frame shows the scene";
        const double db = psnr(gui_frame, cli_frame);
        std::printf("GUI vs CLI video, frame %d of %d: PSNR %.2f dB\n", middle, panel_frames, db);
        EXPECT_GE(db, 40.0);
    }
};

TEST_F(GuiVideoTest, CameraPathVideoOfA3dSceneIsTheVideoRenderMakes) {
    TempDir dir("gui_view_video");
    write_scene(dir / "blob.ply", blob_scene());
    expect_video_matches_render(dir, dir / "blob.ply");
}

TEST_F(GuiVideoTest, CameraPathVideoOfA4dSceneIsTheVideoRenderMakes) {
    TempDir dir("gui_view_video_4d");
    write_gaussian_4d_ply(dir / "blob4d.ply", blob_scene_4d());
    expect_video_matches_render(dir, dir / "blob4d.ply");
}

// A sags run: the window holds its point skeleton, the video decodes the model for each frame's
// camera as `render` does.
TEST_F(GuiVideoTest, CameraPathVideoOfASagsRunIsTheVideoRenderMakes) {
    TempDir dir("gui_view_video_sags");
    std::string output;
    ASSERT_EQ(run_command(cat(splatscape_exe().string(), " generate -o ", (dir / "scene").string(),
                              " --width 48 --height 48 --train 12 --test 2 --points 800"),
                          &output),
              0)
        << output;
    ASSERT_EQ(run_command(cat(splatscape_exe().string(), " train ", (dir / "scene").string(), " -o ",
                              (dir / "run").string(),
                              " --model sags --config demo --iters 40 --probe-every 0 --device cpu"),
                          &output),
              0)
        << output;
    ASSERT_TRUE(fs::exists(dir / "run" / "model.sags")) << output;
    expect_video_matches_render(dir, dir / "run");
}

// Cancel (the button shown while the video renders) stops the worker between frames: no video, no
// partial file, and the window closes normally.
TEST_F(GuiWindowTest, CameraPathVideoCancelledLeavesNoFile) {
    TempDir dir("gui_view_video_cancel");
    write_scene(dir / "blob.ply", blob_scene());
    save_json(dir / "path.json", Json::parse(R"({"fps": 30, "width": 96, "height": 64, "keyframes": [
        {"t": 0, "position": [2.5, 0, 0.5], "look_at": [0, 0, 0]},
        {"t": 2, "position": [0, 2.5, 0.5], "look_at": [0, 0, 0]}]})"));
    save_json(dir / "commands.json",
              Json::array({{{"command", "path_render_video"}, {"file", (dir / "v.webm").string()}},
                           {{"command", "path_cancel_video"}}}));
    std::string output;
    const int rc = splatscape(dir,
                              cat("view ", (dir / "blob.ply").string(), " --window-size 320x240 --exit-after-frames 1",
                                  " --camera-path ", (dir / "path.json").string(), " --commands ",
                                  (dir / "commands.json").string()),
                              &output);
    ASSERT_EQ(rc, 0) << output;
    expect_clean_validation(output);
    EXPECT_NE(output.find("video: cancelled"), std::string::npos) << output;
    EXPECT_FALSE(fs::exists(dir / "v.webm"));
    EXPECT_FALSE(fs::exists(dir / "v.partial.webm"));
}

// A NeRF (hmohe) model is ray-marched on the GPU by its own kind (app/gui/nerf_scene_vk.hpp): the
// window shows what the offscreen ray marcher renders at the sidecar's camera, in colour and in the
// experts mode, over the model's own background.
TEST_F(GuiWindowTest, NerfModelMatchesTheOffscreenRayMarcher) {
    TempDir dir("gui_view_nerf");
    CpuBackend backend(1);
    const NerfScene model = random_nerf_scene(backend);
    write_nerf_scene(dir / "model.hmohe", model);
    for (const char* mode : {"color", "experts"}) {
        std::string output;
        const fs::path shot = dir / cat(mode, ".png");
        const int rc = splatscape(dir,
                                  cat("-v view ", (dir / "model.hmohe").string(), validation_flag(),
                                      " --hide-ui --window-size 96x72 --exit-after-frames 2 --mode ", mode,
                                      " --screenshot ", shot.string()),
                                  &output);
        ASSERT_EQ(rc, 0) << output;
        expect_clean_validation(output);
        EXPECT_NE(output.find("NeRF samples"), std::string::npos) << "the ray marcher drew it\n" << output;
        const Json sidecar = load_json(dir / cat(mode, ".json"));
        EXPECT_EQ(sidecar.at("render_mode").get<std::string>(), mode);
        for (int c = 0; c < 3; ++c) EXPECT_FLOAT_EQ(sidecar.at("background")[c].get<float>(), model.background[c]);
        const Agreement a =
            compare_to_offscreen(crop(load_image(shot, 3), crop_of(sidecar, "viewport")), model, sidecar);
        EXPECT_LE(a.max_levels, 1.0 + 1e-6) << mode;
        EXPECT_GE(a.exact_fraction, 0.999) << mode;
        EXPECT_GT(a.lit_fraction, 0.05) << mode << ": the view shows the model";
    }
}

// hmohe trains in the window too: its snapshots are ray-marched as they come, and the window ends on
// the model the run saved (the offscreen ray marcher's picture of model.hmohe).
TEST_F(GuiWindowTest, TrainNerfWithGuiShowsItsSnapshotsAndTheSavedModel) {
    TempDir dir("gui_train_nerf");
    SyntheticSceneOptions o;
    o.width = o.height = 48;
    o.train_views = 12;
    o.test_views = 2;
    o.samples_per_axis = 1;
    o.points = 800;
    generate_synthetic_scene(o, dir / "data");
    // Small networks, coarse steps and short rays: the untrained model fills the whole grid, and
    // lavapipe marches it at about 150,000 samples a second.
    write_bytes(dir / "config.json", R"({"iterations": 10, "experts": 2, "gate_levels": 2, "expert_levels": 4,
        "expert_log2_table_size": [12, 12], "occupancy_resolution": 32, "occupancy_warmup": 4,
        "occupancy_update_every": 2, "steps_per_unit": 128, "max_samples_per_ray": 48, "target_samples": 4096,
        "initial_rays": 128, "colour_hidden_layers": 1})");
    std::string output;
    const int rc =
        splatscape(dir,
                   cat("-v train ", (dir / "data").string(), " -o ", (dir / "run").string(), " --model hmohe --config ",
                       (dir / "config.json").string(), " --threads 1 --gui --exit-when-done --hide-ui",
                       validation_flag(), " --window-size 64x64 --screenshot ", (dir / "shot.png").string()),
                   &output);
    ASSERT_EQ(rc, 0) << output;
    expect_clean_validation(output);
    EXPECT_NE(output.find("live view: the NeRF at iteration"), std::string::npos)
        << "snapshots reached the window during training\n"
        << output;
    EXPECT_NE(output.find("model        " + (dir / "run").string() + "/model.hmohe"), std::string::npos) << output;
    const Json sidecar = load_json(dir / "shot.json");
    const NerfScene model = read_nerf_scene(dir / "run" / "model.hmohe");
    const Agreement a =
        compare_to_offscreen(crop(load_image(dir / "shot.png", 3), crop_of(sidecar, "viewport")), model, sidecar);
    // Measured: 96.9 % of the pixels the same, the others 1 or 2 levels apart, along the image's left
    // and right edges, where the rays graze the side of the grid (this untrained model fills every
    // cell): the camera the sidecar gives back is the window's to the last bit or so, which moves
    // such a ray's entry by a step. Bounds: 2 levels, 93 %.
    EXPECT_LE(a.max_levels, 2.0 + 1e-6) << "the saved model is what the window shows";
    EXPECT_GE(a.exact_fraction, 0.93);
}

TEST_F(GuiWindowTest, DonutScreenshotMatchesTheOffscreenRender) {
    SPLATSCAPE_REQUIRE_SHARED(donut_dir, "gs_ply_donut");
    const fs::path donut = donut_dir / "point_cloud" / "iteration_30000" / "fused.ply";
    TempDir dir("gui_view_donut");
    std::string output;
    const int rc = splatscape(dir,
                              cat("view ", donut.string(), " --hide-ui --window-size 240x180 --exit-after-frames 1",
                                  " --screenshot ", (dir / "shot.png").string()),
                              &output);
    ASSERT_EQ(rc, 0) << output;
    expect_clean_validation(output);
    const Json sidecar = load_json(dir / "shot.json");
    const Agreement a = compare_to_offscreen(crop(load_image(dir / "shot.png", 3), crop_of(sidecar, "viewport")),
                                             read_scene(donut), sidecar);
    EXPECT_LE(a.max_levels, 1.0 + 1e-6);
    EXPECT_GE(a.exact_fraction, 0.999);
    EXPECT_GT(a.lit_fraction, 0.15) << "the donut fills a good part of the first view";
}

TEST_F(GuiWindowTest, RunFolderAtADatasetViewWithTheGroundTruthBeside) {
    TempDir dir("gui_view_compare");
    const fs::path data = generate_dataset(dir / "data");
    std::string output;
    ASSERT_EQ(run_command(cat(splatscape_exe().string(), " train ", data.string(), " -o ", (dir / "run").string(),
                              " --iters 30 --threads 1 --no-eval"),
                          &output),
              0)
        << output;
    save_json(dir / "path.json", Json::parse(R"({"fps": 4, "up": [0, 0, 1], "keyframes": [
        {"t": 0, "position": [3, 0, 1], "look_at": [0, 0, 0]},
        {"t": 1, "position": [0, 3, 1], "look_at": [0, 0, 0]}]})"));
    const int view = 11; // the second test view (10 train views come first)
    const int rc = splatscape(dir,
                              cat("view ", (dir / "run").string(), validation_flag(), " --window-size 640x300",
                                  " --exit-after-frames 3 --camera ", view, " --compare --camera-path ",
                                  (dir / "path.json").string(), " --screenshot ", (dir / "shot.png").string()),
                              &output);
    ASSERT_EQ(rc, 0) << output;
    expect_clean_validation(output);
    const Json sidecar = load_json(dir / "shot.json");
    ASSERT_TRUE(sidecar.contains("reference")) << "the ground truth is shown";
    const Image shot = load_image(dir / "shot.png", 3);
    const Crop vp = crop_of(sidecar, "viewport"), ref = crop_of(sidecar, "reference");
    EXPECT_GT(ref.x, vp.x + vp.w - 1) << "beside the render, to its right";
    EXPECT_EQ(ref.w, vp.w);
    EXPECT_EQ(ref.h, vp.h);
    // The render is the dataset camera's view at the shown size (same aspect as the photo).
    const Camera cam = camera_of(sidecar);
    EXPECT_NEAR(double(cam.width) / cam.height, 64.0 / 48.0, 0.02);
    // The photo shown is the view's image, scaled.
    const Image photo = load_image(sidecar.at("reference_image").get<std::string>(), 3);
    const Image shown = crop(shot, ref);
    EXPECT_GT(psnr(resize_area(
                       composite_over(load_image(sidecar.at("reference_image").get<std::string>(), 4), glm::vec3(1.0f)),
                       shown.width, shown.height),
                   shown),
              22.0);
    EXPECT_EQ(photo.width, 64);
    // The rendered half is the model from that camera (the other views' frusta are drawn over it, so
    // it is checked loosely here; the exact check is the test above).
    const GaussianCloud model = read_scene(dir / "run" / "point_cloud.ply");
    const Agreement a = compare_to_offscreen(crop(shot, vp), model, sidecar);
    EXPECT_GT(a.exact_fraction, 0.8);
}

TEST_F(GuiWindowTest, DatasetFolderShowsItsPointsAndCameras) {
    TempDir dir("gui_view_dataset");
    const fs::path data = generate_dataset(dir / "data");
    std::string output;
    const int rc =
        splatscape(dir,
                   cat("view ", data.string(), validation_flag(), " --window-size 400x300 --exit-after-frames 2",
                       " --mode centers --screenshot ", (dir / "shot.png").string()),
                   &output);
    ASSERT_EQ(rc, 0) << output;
    expect_clean_validation(output);
    const Json sidecar = load_json(dir / "shot.json");
    EXPECT_EQ(sidecar.at("render_mode"), "centers");
    // The first view is the dataset's first training camera (at the viewport's aspect).
    const Dataset dataset = load_dataset(data);
    const glm::mat4 expected = dataset.train.front().camera.camera_to_world();
    const glm::mat4 shown = camera_of(sidecar).camera_to_world();
    for (int c = 0; c < 4; ++c)
        for (int r = 0; r < 3; ++r) EXPECT_NEAR(shown[c][r], expected[c][r], 1e-4f) << c << "," << r;
    // Its points are drawn, as the viewer turns them into Gaussians (the other cameras' frusta are
    // drawn over them, so most pixels, not all, must agree).
    const Image shot = load_image(dir / "shot.png", 3);
    const GaussianCloud points = gui::cloud_from_points(dataset.points);
    const Agreement a = compare_to_offscreen(crop(shot, crop_of(sidecar, "viewport")), points, sidecar);
    EXPECT_GT(a.exact_fraction, 0.9);
    EXPECT_GT(a.lit_fraction, 0.01);
}

TEST_F(GuiWindowTest, TrainWithGuiRunsToTheEndAndShowsTheModel) {
    TempDir dir("gui_train");
    const fs::path data = generate_dataset(dir / "data");
    train_in_window(dir, data, " --iters 40");
    if (HasFatalFailure()) return;
    const Json sidecar = load_json(dir / "shot.json");
    const Image shot = load_image(dir / "shot.png", 3);
    const Crop vp = crop_of(sidecar, "viewport");
    const GaussianCloud model = read_scene(dir / "run" / "point_cloud.ply");
    const Agreement a = compare_to_offscreen(crop(shot, vp), model, sidecar);
    EXPECT_LE(a.max_levels, 1.0 + 1e-6) << "the final model is what the window shows";
    EXPECT_GE(a.exact_fraction, 0.999);
    EXPECT_GT(a.lit_fraction, 0.05);
}

// A sags run trained in the window: the live view follows training, and at the end the window shows
// the saved model decoded for its camera on the GPU, as `render --renderer cpu` decodes the saved
// model.sags for the screenshot's camera (the sidecar is a camera path). Measured: 86.8-87.6 dB; bound
// 40 dB.
TEST_F(GuiWindowTest, TrainSagsWithGuiShowsTheDecodedModel) {
    TempDir dir("gui_train_sags");
    std::string output;
    ASSERT_EQ(run_command(cat(splatscape_exe().string(), " generate -o ", (dir / "scene").string(),
                              " --width 48 --height 48 --train 12 --test 2 --points 800"),
                          &output),
              0)
        << output;
    output = train_in_window(dir, dir / "scene", " --model sags --config demo --iters 40 --device cpu");
    if (HasFatalFailure()) return;
    ASSERT_TRUE(fs::exists(dir / "run" / "model.sags")) << output;
    const Json sidecar = load_json(dir / "shot.json");
    const Crop vp = crop_of(sidecar, "viewport");
    const Image shot = crop(load_image(dir / "shot.png", 3), vp);
    ASSERT_EQ(run_command(cat(splatscape_exe().string(), " render ", (dir / "run").string(), " --camera-path ",
                              (dir / "shot.json").string(), " --renderer cpu --threads 1 -o ", (dir / "frames").string()),
                          &output),
              0)
        << output;
    const Image frame = load_image(dir / "frames" / "frame_00000.png", 3);
    ASSERT_EQ(frame.width, shot.width);
    ASSERT_EQ(frame.height, shot.height);
    size_t lit = 0;
    for (size_t p = 0; p < shot.pixel_count(); ++p)
        lit += std::abs(shot.data[p * 3] - shot.data[p * 3 + 2]) + std::abs(shot.data[p * 3 + 1] - shot.data[p * 3]) >
               0.02f;
    EXPECT_GT(double(lit) / double(shot.pixel_count()), 0.05) << "the window shows the coloured scene";
    const double db = psnr(frame, shot);
    std::printf("sags trained in the window vs render of model.sags: PSNR %.2f dB\n", db);
    EXPECT_GE(db, 40.0) << "the window shows the final model, decoded for its camera";
}

TEST(GuiCommand, WithoutADisplayTheViewerSaysWhatToDo) {
    TempDir dir("gui_no_display");
    GaussianCloud c;
    c.resize(1, 0);
    c.rotations[0] = 1.0f;
    write_scene(dir / "one.ply", c);
    std::string output;
    const int rc = run_command(cat("env -u DISPLAY -u WAYLAND_DISPLAY XDG_CONFIG_HOME=", dir.path().string(), " ",
                                   splatscape_exe().string(), " view ", (dir / "one.ply").string()),
                               &output);
    EXPECT_EQ(rc, 1) << output;
    EXPECT_NE(output.find("cannot open a window"), std::string::npos) << output;
    EXPECT_NE(output.find("splatscape render"), std::string::npos) << "points to the headless path\n" << output;

    test::write_bytes(dir / "bad.ply", "ply\nformat binary_little_endian 1.0\nelement vertex 9\nproperty float x\n");
    const int bad = run_command(cat(splatscape_exe().string(), " view ", (dir / "bad.ply").string()), &output);
    EXPECT_EQ(bad, 1) << output;
    EXPECT_NE(output.find("bad.ply"), std::string::npos) << "names the file\n" << output;
}

} // namespace
} // namespace splatscape::test
