// Dataset loaders on small datasets the tests write themselves: every format, the shared helpers,
// and bad input (each must be one Error naming the file and the field, never a crash).
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>

#include <glm/geometric.hpp>
#include <glm/gtc/matrix_transform.hpp>

#include "core/datasets/dataset.hpp"
#include "core/datasets/loader_common.hpp"
#include "core/datasets/loaders.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/colmap.hpp"
#include "core/io/npy.hpp"
#include "core/io/ply.hpp"
#include "core/json_util.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

namespace fs = std::filesystem;

void write_test_image(const fs::path& path, int w, int h, int channels, float seed = 0.0f) {
    Image img(w, h, channels);
    for (int y = 0; y < h; ++y)
        for (int x = 0; x < w; ++x)
            for (int c = 0; c < channels; ++c)
                img.at(x, y, c) = c == 3 ? (x == 0 && y == 0 ? 0.0f : 1.0f) // one transparent pixel
                                         : std::fmod(seed + 0.1f * x + 0.07f * y + 0.3f * c, 1.0f);
    fs::create_directories(path.parent_path());
    save_image(path, img);
}

// A camera-to-world matrix looking from `centre` at the origin, in OpenGL axes (x right, y up, -z forward).
glm::mat4 gl_look_at(glm::vec3 centre) {
    glm::vec3 back = glm::normalize(centre);
    glm::vec3 right = glm::normalize(glm::cross(glm::vec3(0, 0, 1), back));
    glm::vec3 up = glm::cross(back, right);
    glm::mat4 m(1.0f);
    m[0] = glm::vec4(right, 0);
    m[1] = glm::vec4(up, 0);
    m[2] = glm::vec4(back, 0);
    m[3] = glm::vec4(centre, 1);
    return m;
}

Json json_matrix(const glm::mat4& m) {
    Json rows = Json::array();
    for (int r = 0; r < 4; ++r) rows.push_back({m[0][r], m[1][r], m[2][r], m[3][r]});
    return rows;
}

glm::vec3 ring(int i, int n, float radius = 4.0f) {
    float a = 6.2831853f * float(i) / float(n);
    return {radius * std::cos(a), radius * std::sin(a), 1.5f};
}

void expect_near(glm::vec3 a, glm::vec3 b, float tol = 1e-5f) {
    EXPECT_NEAR(a.x, b.x, tol);
    EXPECT_NEAR(a.y, b.y, tol);
    EXPECT_NEAR(a.z, b.z, tol);
}

// Runs `f`, expecting one Error whose message contains every string of `parts`.
template <class F>
std::string expect_error(F&& f, std::initializer_list<std::string> parts) {
    try {
        f();
        ADD_FAILURE() << "expected an error";
    } catch (const UsageError& e) {
        ADD_FAILURE() << "expected a data error, got a usage error: " << e.what();
    } catch (const Error& e) {
        for (auto& p : parts)
            EXPECT_NE(std::string(e.what()).find(p), std::string::npos) << "'" << p << "' in: " << e.what();
        return e.what();
    }
    return {};
}

// A Blender / D-NeRF folder: RGBA 8x6 PNGs, 3 train, 1 val, 2 test frames.
void write_blender(const fs::path& root, bool times, float angle = 0.8f) {
    int index = 0;
    for (auto [split, count] : {std::pair{"train", 3}, {"val", 1}, {"test", 2}}) {
        Json j;
        j["camera_angle_x"] = angle;
        j["frames"] = Json::array();
        for (int i = 0; i < count; ++i, ++index) {
            Json f;
            f["file_path"] = cat("./", split, "/r_", i);
            f["transform_matrix"] = json_matrix(gl_look_at(ring(index, 6)));
            if (times) f["time"] = double(index) / 5.0;
            j["frames"].push_back(f);
            write_test_image(root / split / cat("r_", i, ".png"), 8, 6, 4, 0.1f * index);
        }
        save_json(root / cat("transforms_", split, ".json"), j);
    }
}

// ---- shared helpers --------------------------------------------------------------------------

TEST(DatasetHelpers, LoadSizeCapsWidthAndDownscales) {
    DatasetOptions o;
    auto s = loaders::load_size(4032, 3024, o, false);
    EXPECT_EQ(s.width, 1600);
    EXPECT_EQ(s.height, 1200);
    s = loaders::load_size(1080, 1920, o, false); // portrait under the cap: unchanged
    EXPECT_EQ(s.width, 1080);
    EXPECT_EQ(s.height, 1920);
    o.downscale = 4;
    s = loaders::load_size(1080, 1920, o, false);
    EXPECT_EQ(s.width, 270);
    EXPECT_EQ(s.height, 480);
    s = loaders::load_size(270, 480, o, true); // already an images_4 file
    EXPECT_EQ(s.width, 270);
    o.downscale = 2;
    s = loaders::load_size(4032, 3024, o, false); // 2016 wide is still over the cap
    EXPECT_EQ(s.width, 1600);
    EXPECT_EQ(s.height, 1200);
    o.max_width = 0;
    s = loaders::load_size(4032, 3024, o, false);
    EXPECT_EQ(s.width, 2016);
    EXPECT_EQ(s.height, 1512);
}

TEST(DatasetHelpers, SplitEveryNthSortsByName) {
    std::vector<Frame> frames(20);
    for (int i = 0; i < 20; ++i) frames[size_t(i)].name = cat("img_", char('a' + (i * 7) % 20));
    Dataset d;
    loaders::split_every_nth(d, frames, 8);
    ASSERT_EQ(d.test.size(), 3u);
    EXPECT_EQ(d.test[0].name, "img_a");
    EXPECT_EQ(d.test[1].name, "img_i");
    EXPECT_EQ(d.test[2].name, "img_q");
    EXPECT_EQ(d.train.size(), 17u);
    EXPECT_TRUE(std::is_sorted(d.train.begin(), d.train.end(), [](auto& a, auto& b) { return a.name < b.name; }));
    Dataset none;
    loaders::split_every_nth(none, frames, 0);
    EXPECT_EQ(none.test.size(), 0u);
    EXPECT_EQ(none.train.size(), 20u);
}

TEST(DatasetHelpers, BoundsFromPointsDropOutliersElseCameras) {
    Dataset d;
    for (int i = 0; i < 1000; ++i)
        for (int a = 0; a < 3; ++a) d.points.positions.push_back(float(i % 10) - 4.5f);
    d.points.positions[0] = 1e6f; // one wild SfM point
    d.points.colors.assign(d.points.positions.size(), 0.5f);
    loaders::compute_bounds(d);
    EXPECT_LE(d.bounds.max.x, 4.5f);
    EXPECT_GE(d.bounds.min.x, -4.5f);

    Dataset c;
    for (int i = 0; i < 4; ++i) {
        Frame f;
        f.camera.set_camera_to_world(glm::translate(glm::mat4(1.0f), ring(i, 4)));
        (i == 3 ? c.test : c.train).push_back(f);
    }
    loaders::compute_bounds(c);
    expect_near(c.bounds.min, glm::vec3(-4, -4, 1.0f));
    expect_near(c.bounds.max, glm::vec3(4, 4, 2.0f));
}

TEST(DatasetHelpers, ResolverMatchesCaseAndExtension) {
    test::TempDir dir("resolver");
    write_test_image(dir / "images" / "IMG_0001.JPG", 4, 4, 3);
    write_test_image(dir / "images" / "r_0.png", 4, 4, 3);
    write_test_image(dir / "images" / "r_0_depth.png", 4, 4, 3);
    write_test_image(dir / "images_2" / "IMG_0001.png", 2, 2, 3);
    loaders::ImageResolver r;
    EXPECT_EQ(r.find(dir.path(), "images/IMG_0001.JPG"), dir / "images" / "IMG_0001.JPG");
    EXPECT_EQ(r.find(dir.path(), "Images/img_0001.jpg"), dir / "images" / "IMG_0001.JPG");
    EXPECT_EQ(r.find(dir.path(), "./images/r_0"), dir / "images" / "r_0.png");
    EXPECT_EQ(r.find(dir / "images_2", "IMG_0001.JPG"), dir / "images_2" / "IMG_0001.png");
    EXPECT_TRUE(r.find(dir.path(), "images/r_1").empty());
    EXPECT_TRUE(r.find(dir.path(), "nowhere/r_0.png").empty());
    EXPECT_EQ(r.list_images(dir / "images").size(), 3u);
    EXPECT_EQ(loaders::downscaled_folder(dir / "images", 2), dir / "images_2");
    EXPECT_TRUE(loaders::downscaled_folder(dir / "images", 4).empty());
    EXPECT_TRUE(loaders::downscaled_folder(dir / "images", 1).empty());
}

// ---- Blender / D-NeRF ------------------------------------------------------------------------

TEST(Blender, LoadsSplitsIntrinsicsAndConvertsPoses) {
    test::TempDir dir("blender");
    write_blender(dir.path(), false);
    PointCloud pc;
    pc.positions = {0, 0, 0, 1, 1, 1};
    pc.colors = {1, 0, 0, 0, 1, 0};
    write_point_ply(dir / "points3d.ply", pc);

    DatasetOptions o;
    o.background = glm::vec3(0.25f, 0.5f, 0.75f);
    Dataset d = load_dataset(dir.path(), o);
    EXPECT_EQ(d.format, "blender");
    EXPECT_EQ(d.train.size(), 3u);
    EXPECT_EQ(d.val.size(), 1u);
    EXPECT_EQ(d.test.size(), 2u);
    EXPECT_EQ(d.frame_count(), 6u);
    EXPECT_TRUE(d.has_alpha);
    EXPECT_FALSE(d.dynamic);
    EXPECT_EQ(d.points.size(), 2u);

    const Frame& f = d.train[1];
    EXPECT_EQ(f.name, "./train/r_1");
    EXPECT_EQ(f.image, dir / "train" / "r_1.png");
    EXPECT_EQ(f.camera.width, 8);
    EXPECT_EQ(f.camera.height, 6);
    EXPECT_FLOAT_EQ(f.camera.fx, float(0.5 * 8 / std::tan(0.4)));
    EXPECT_FLOAT_EQ(f.camera.fy, f.camera.fx);
    EXPECT_FLOAT_EQ(f.camera.cx, 4.0f);
    EXPECT_FLOAT_EQ(f.camera.cy, 3.0f);
    // OpenGL -> OpenCV: same centre, looking along GL's -z, image y along GL's -y.
    const glm::mat4 gl = gl_look_at(ring(1, 6));
    expect_near(f.camera.center(), glm::vec3(gl[3]));
    expect_near(f.camera.forward(), -glm::vec3(gl[2]));
    expect_near(glm::transpose(f.camera.R)[1], -glm::vec3(gl[1]));
    // The scene centre (origin) projects to the image centre.
    float depth = 0;
    glm::vec2 px = f.camera.project(glm::vec3(0), &depth);
    EXPECT_GT(depth, 0.0f);
    EXPECT_NEAR(px.x, 4.0f, 1e-4f);
    EXPECT_NEAR(px.y, 3.0f, 1e-4f);

    Image img = d.load_image(d.train[0]);
    EXPECT_EQ(img.channels, 3);
    EXPECT_NEAR(img.at(0, 0, 0), 0.25f, 1e-6f); // the transparent pixel shows the background
    EXPECT_NEAR(img.at(0, 0, 2), 0.75f, 1e-6f);
}

TEST(Blender, DNerfTimesMakeItDynamic) {
    test::TempDir dir("dnerf");
    write_blender(dir.path(), true);
    Dataset d = load_dataset(dir.path());
    EXPECT_EQ(d.format, "dnerf");
    EXPECT_TRUE(d.dynamic);
    ASSERT_TRUE(d.train[2].time.has_value());
    EXPECT_FLOAT_EQ(*d.train[2].time, 0.4f);
    EXPECT_FLOAT_EQ(*d.val[0].time, 0.6f);
    EXPECT_FLOAT_EQ(*d.test[1].time, 1.0f);

    // One frame without a time is an error naming that frame; a time outside [0, 1] too.
    Json j = load_json(dir / "transforms_val.json");
    j["frames"][0].erase("time");
    save_json(dir / "transforms_val.json", j);
    expect_error([&] { load_dataset(dir.path()); }, {"transforms_val.json: frames[0]", "time", "missing"});
    j["frames"][0]["time"] = 1.5;
    save_json(dir / "transforms_val.json", j);
    expect_error([&] { load_dataset(dir.path()); }, {"transforms_val.json", "frames[0].time", "[0, 1]"});

    test::TempDir stat("dnerf_static");
    write_blender(stat.path(), false);
    DatasetOptions o;
    o.format = "dnerf";
    expect_error([&] { load_dataset(stat.path(), o); }, {"no frame has a \"time\""});
}

// A frame's own intrinsics win over the file's (frames of different cameras in one split, as
// `splatscape distill` writes its renders); bad ones name the frame's field.
TEST(Blender, PerFrameIntrinsicsWinOverTheFiles) {
    test::TempDir dir("blender_per_frame");
    write_blender(dir.path(), false);
    const fs::path tj = dir / "transforms_train.json";
    Json j = load_json(tj);
    j["frames"][1]["fl_x"] = 11.0;
    j["frames"][1]["fl_y"] = 12.0;
    j["frames"][1]["cx"] = 3.5;
    j["frames"][1]["cy"] = 2.75;
    j["frames"][1]["w"] = 8;
    j["frames"][1]["h"] = 6;
    save_json(tj, j);
    Dataset d = load_dataset(dir.path());
    const Camera& own = d.train[1].camera;
    EXPECT_FLOAT_EQ(own.fx, 11.0f);
    EXPECT_FLOAT_EQ(own.fy, 12.0f);
    EXPECT_FLOAT_EQ(own.cx, 3.5f);
    EXPECT_FLOAT_EQ(own.cy, 2.75f);
    // The other frames keep the file's camera_angle_x.
    EXPECT_FLOAT_EQ(d.train[0].camera.fx, float(0.5 * 8 / std::tan(0.4)));
    EXPECT_FLOAT_EQ(d.train[0].camera.cx, 4.0f);

    // Every frame with its own focal length: the file needs no camera_angle_x.
    for (auto& f : j["frames"]) f["fl_x"] = 10.0;
    j.erase("camera_angle_x");
    save_json(tj, j);
    d = load_dataset(dir.path());
    EXPECT_FLOAT_EQ(d.train[2].camera.fx, 10.0f);
    EXPECT_FLOAT_EQ(d.train[2].camera.fy, 10.0f);
    // Without it, a frame lacking fl_x is an error.
    j["frames"][2].erase("fl_x");
    save_json(tj, j);
    expect_error([&] { load_dataset(dir.path()); }, {"camera_angle_x", "missing"});
    j["frames"][2]["fl_x"] = -1.0;
    save_json(tj, j);
    expect_error([&] { load_dataset(dir.path()); }, {tj.string(), "frames[2].fl_x", "positive"});
    j["frames"][2]["fl_x"] = 10.0;
    j["frames"][0]["cy"] = "middle";
    save_json(tj, j);
    expect_error([&] { load_dataset(dir.path()); }, {"frames[0].cy", "expected a number"});
    j["frames"][0].erase("cy");
    j["frames"][0].erase("h");
    j["frames"][0]["w"] = 8;
    save_json(tj, j);
    expect_error([&] { load_dataset(dir.path()); }, {"frames[0].w, h", "both"});
}

TEST(Blender, BadJsonNamesFileAndField) {
    test::TempDir dir("blender_bad");
    write_blender(dir.path(), false);
    const fs::path tj = dir / "transforms_train.json";
    const Json good = load_json(tj);
    auto with = [&](auto edit) {
        Json j = good;
        edit(j);
        save_json(tj, j);
    };
    with([](Json& j) { j["camera_angle_x"] = "wide"; });
    expect_error([&] { load_dataset(dir.path()); }, {tj.string(), "camera_angle_x", "expected a number, found string"});
    with([](Json& j) { j.erase("camera_angle_x"); });
    expect_error([&] { load_dataset(dir.path()); }, {"camera_angle_x", "missing"});
    with([](Json& j) { j["camera_angle_x"] = 4.0; });
    expect_error([&] { load_dataset(dir.path()); }, {"camera_angle_x", "(0, pi)"});
    with([](Json& j) { j["frames"] = 3; });
    expect_error([&] { load_dataset(dir.path()); }, {"frames", "expected an array"});
    with([](Json& j) { j["frames"][1]["transform_matrix"][2] = {1, 2, 3}; });
    expect_error([&] { load_dataset(dir.path()); }, {"frames[1].transform_matrix[2]", "row of 4 numbers"});
    with([](Json& j) { j["frames"][1]["transform_matrix"][0][3] = nullptr; });
    expect_error([&] { load_dataset(dir.path()); }, {"frames[1].transform_matrix[0][3]", "expected a number"});
    with([](Json& j) { j["frames"][0]["transform_matrix"] = json_matrix(glm::mat4(0.0f)); });
    expect_error([&] { load_dataset(dir.path()); }, {"frames[0].transform_matrix", "degenerate"});
    with([](Json& j) { j["frames"][2].erase("file_path"); });
    expect_error([&] { load_dataset(dir.path()); }, {"frames[2].file_path", "missing"});
    with([](Json& j) { j["frames"][2]["file_path"] = "./train/r_9"; });
    expect_error([&] { load_dataset(dir.path()); },
                 {"frames[2].file_path", (dir / "train" / "r_9").string(), "not found"});
    // Numbers JSON cannot hold: NaN is not JSON at all; 1e999 overflows to infinity.
    write_file_atomic(tj, std::string("{\"camera_angle_x\": NaN, \"frames\": []}"));
    expect_error([&] { load_dataset(dir.path()); }, {tj.string(), "invalid JSON"});
    write_file_atomic(tj, std::string("{\"camera_angle_x\": 1e999, \"frames\": []}"));
    expect_error([&] { load_dataset(dir.path()); }, {tj.string()});
    write_file_atomic(tj, std::string("[1, 2]"));
    expect_error([&] { load_dataset(dir.path()); }, {tj.string(), "expected an object"});
}

// ---- instant-ngp / nerfstudio ----------------------------------------------------------------

Json ngp_json(int n, const std::string& ext = ".png") {
    Json j;
    j["fl_x"] = 30.0;
    j["fl_y"] = 31.0;
    j["cx"] = 19.5;
    j["cy"] = 15.25;
    j["w"] = 40;
    j["h"] = 32;
    j["k1"] = 0.05;
    j["k2"] = -0.01;
    j["p1"] = 0.001;
    j["p2"] = -0.002;
    j["aabb_scale"] = 2;
    j["frames"] = Json::array();
    for (int k = 0; k < n; ++k) {
        int i = (k * 7) % n; // listed out of order: the split goes by sorted name
        Json f;
        f["file_path"] = cat("images/f_", i < 10 ? "0" : "", i, ext);
        f["transform_matrix"] = json_matrix(gl_look_at(ring(i, n)));
        j["frames"].push_back(f);
    }
    return j;
}

void write_ngp(const fs::path& root, int n, int w = 40, int h = 32) {
    for (int i = 0; i < n; ++i) write_test_image(root / "images" / cat("f_", i < 10 ? "0" : "", i, ".png"), w, h, 3);
    save_json(root / "transforms.json", ngp_json(n));
}

TEST(Ngp, GlobalAndPerFrameIntrinsicsDistortionAndSplit) {
    test::TempDir dir("ngp");
    write_ngp(dir.path(), 10);
    Json j = load_json(dir / "transforms.json");
    for (auto& f : j["frames"])
        if (f["file_path"] == "images/f_03.png") {
            f["fl_x"] = 40.0;
            f["camera_model"] = "OPENCV_FISHEYE";
            f["k3"] = 0.5;
            f["p1"] = 0;
            f["p2"] = 0;
        }
    save_json(dir / "transforms.json", j);

    Dataset d = load_dataset(dir.path());
    EXPECT_EQ(d.format, "ngp");
    ASSERT_EQ(d.test.size(), 2u);
    EXPECT_EQ(d.test[0].name, "images/f_00.png");
    EXPECT_EQ(d.test[1].name, "images/f_08.png");
    ASSERT_EQ(d.train.size(), 8u);
    EXPECT_FALSE(d.has_alpha);
    const Camera& c = d.train[0].camera; // f_01
    EXPECT_FLOAT_EQ(c.fx, 30.0f);
    EXPECT_FLOAT_EQ(c.fy, 31.0f);
    EXPECT_FLOAT_EQ(c.cx, 19.5f);
    EXPECT_FLOAT_EQ(c.cy, 15.25f);
    EXPECT_EQ(c.distortion.model, DistortionModel::RadialTangential);
    EXPECT_FLOAT_EQ(c.distortion.k[0], 0.05f);
    EXPECT_FLOAT_EQ(c.distortion.k[1], -0.01f);
    EXPECT_FLOAT_EQ(c.distortion.p1, 0.001f);
    EXPECT_FLOAT_EQ(c.distortion.p2, -0.002f);
    expect_near(c.center(), ring(1, 10));
    const Camera& fish = d.train[2].camera; // f_03 with its own keys
    EXPECT_EQ(d.train[2].name, "images/f_03.png");
    EXPECT_FLOAT_EQ(fish.fx, 40.0f);
    EXPECT_EQ(fish.distortion.model, DistortionModel::Fisheye);
    EXPECT_FLOAT_EQ(fish.distortion.k[2], 0.5f);
    // aabb_scale 2 with instant-ngp's default scale 0.33 and offset 0.5: a cube of half-size 1/0.33.
    EXPECT_NEAR(d.bounds.max.x, 1.0f / 0.33f, 1e-4f);
    EXPECT_NEAR(d.bounds.min.z, -1.0f / 0.33f, 1e-4f);

    // A distorted image loads undistorted to the pinhole render camera.
    EXPECT_TRUE(d.render_camera(d.train[0]).distortion.is_identity());
    Image img = d.load_image(d.train[0]);
    EXPECT_EQ(img.width, 40);
    EXPECT_EQ(img.height, 32);
}

TEST(Ngp, FieldOfViewKeysAndImageSizeFromHeader) {
    test::TempDir dir("ngp_fov");
    write_ngp(dir.path(), 3, 40, 20);
    Json j = load_json(dir / "transforms.json");
    for (const char* k : {"fl_x", "fl_y", "cx", "cy", "w", "h", "k1", "k2", "p1", "p2"}) j.erase(k);
    j["x_fov"] = 90.0;
    j["camera_model"] = "PINHOLE";
    save_json(dir / "transforms.json", j);
    Dataset d = load_dataset(dir.path());
    const Camera& c = d.train[0].camera;
    EXPECT_NEAR(c.fx, 20.0f, 1e-4f); // 0.5 * 40 / tan(45 deg)
    EXPECT_NEAR(c.fy, 20.0f, 1e-4f); // fl_y falls back to fl_x
    EXPECT_FLOAT_EQ(c.cx, 20.0f);
    EXPECT_FLOAT_EQ(c.cy, 10.0f);
    EXPECT_TRUE(c.distortion.is_identity());

    j["camera_model"] = "EQUIRECTANGULAR";
    save_json(dir / "transforms.json", j);
    expect_error([&] { load_dataset(dir.path()); }, {"camera_model", "unsupported camera_model 'EQUIRECTANGULAR'"});
    j["camera_model"] = "PINHOLE";
    j["k1"] = 0.1;
    save_json(dir / "transforms.json", j);
    expect_error([&] { load_dataset(dir.path()); }, {"camera_model", "has no distortion"});
    j.erase("k1");
    j.erase("x_fov");
    save_json(dir / "transforms.json", j);
    expect_error([&] { load_dataset(dir.path()); }, {"frames[0]", "no focal length"});
}

TEST(Ngp, DownscaleUsesImagesNFolderElseResizes) {
    test::TempDir dir("ngp_ds");
    write_ngp(dir.path(), 3);
    DatasetOptions o;
    o.downscale = 2;
    Dataset resized = load_dataset(dir.path(), o); // no images_2: resized on load
    EXPECT_EQ(resized.train[0].image, dir / "images" / "f_01.png");
    EXPECT_EQ(resized.train[0].source_width, 40);
    EXPECT_EQ(resized.train[0].camera.width, 20);
    EXPECT_FLOAT_EQ(resized.train[0].camera.fx, 15.0f);
    EXPECT_FLOAT_EQ(resized.train[0].camera.cx, 9.75f);
    EXPECT_EQ(resized.load_image(resized.train[0]).width, 20);

    for (int i = 0; i < 3; ++i) write_test_image(dir / "images_2" / cat("f_0", i, ".png"), 20, 16, 3);
    Dataset ds = load_dataset(dir.path(), o);
    EXPECT_EQ(ds.train[0].image, dir / "images_2" / "f_01.png");
    EXPECT_EQ(ds.train[0].source_width, 20);
    EXPECT_EQ(ds.train[0].camera.width, 20);
    EXPECT_EQ(ds.train[0].camera.height, 16);
    EXPECT_FLOAT_EQ(ds.train[0].camera.fx, 15.0f);
    EXPECT_FLOAT_EQ(ds.train[0].camera.fy, 15.5f);
    EXPECT_EQ(ds.load_image(ds.train[0]).height, 16);

    DatasetOptions capped;
    capped.max_width = 10;
    Dataset c = load_dataset(dir.path(), capped);
    EXPECT_EQ(c.train[0].camera.width, 10);
    EXPECT_EQ(c.train[0].camera.height, 8);
    EXPECT_FLOAT_EQ(c.train[0].camera.fx, 7.5f);
}

TEST(Ngp, MissingAndMismatchedImages) {
    test::TempDir dir("ngp_missing");
    write_ngp(dir.path(), 4);
    fs::remove(dir / "images" / "f_02.png");
    // Missing images fail when the dataset is loaded, naming the file.
    expect_error([&] { load_dataset(dir.path()); },
                 {"transforms.json", "file_path", (dir / "images" / "f_02.png").string(), "not found"});
    // A photo of another aspect ratio than the declared size fails at load, naming the image.
    write_test_image(dir / "images" / "f_02.png", 32, 40, 3);
    Json j = load_json(dir / "transforms.json");
    for (size_t i = 0; i < j["frames"].size(); ++i)
        if (j["frames"][i]["file_path"] == "images/f_02.png") std::swap(j["frames"][i], j["frames"][0]);
    save_json(dir / "transforms.json", j);
    expect_error([&] { load_dataset(dir.path()); }, {(dir / "images" / "f_02.png").string(), "image size", "32x40"});
    // Only the first image of a size is read at load; another one that differs fails when used.
    save_json(dir / "transforms.json", ngp_json(4));
    Dataset d = load_dataset(dir.path());
    const Frame* bad = nullptr;
    for (auto* frames : {&d.train, &d.test})
        for (auto& f : *frames)
            if (f.name == "images/f_02.png") bad = &f;
    ASSERT_NE(bad, nullptr);
    expect_error([&] { d.load_image(*bad); }, {(dir / "images" / "f_02.png").string(), "image size", "40x32", "32x40"});
}

// ---- COLMAP ----------------------------------------------------------------------------------

ColmapModel colmap_scene(int n) {
    ColmapModel m;
    m.cameras.push_back({1, "PINHOLE", 40, 30, {35.5, 36.25, 20.125, 14.875}});
    m.cameras.push_back({2, "OPENCV", 40, 30, {33.0, 34.0, 19.0, 16.0, 0.02, -0.003, 0.0005, -0.0007}});
    std::mt19937 rng(5);
    std::uniform_real_distribution<double> u(-1, 1);
    for (int i = 0; i < n; ++i) {
        ColmapImage im;
        im.id = uint32_t(i + 1);
        double q[4] = {1.0 + u(rng), 0.3 * u(rng), 0.3 * u(rng), 0.3 * u(rng)};
        double s = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        for (int k = 0; k < 4; ++k) im.qvec[size_t(k)] = q[k] / s;
        im.tvec = {u(rng), u(rng), 4.0 + u(rng)};
        im.camera_id = uint32_t(1 + i % 2);
        im.name = cat("Photo_", i, ".PNG");
        m.images.push_back(im);
    }
    for (int i = 0; i < 50; ++i) {
        ColmapPoint3D p;
        p.id = uint64_t(i + 1);
        p.xyz = {u(rng), u(rng), u(rng)};
        p.rgb = {uint8_t(i), 128, 255};
        m.points.push_back(p);
    }
    return m;
}

void write_colmap_dataset(const fs::path& root, const ColmapModel& m, bool binary,
                          const fs::path& sub = fs::path("sparse") / "0") {
    fs::create_directories(root / sub);
    if (binary)
        write_colmap_binary(root / sub, m);
    else
        write_colmap_text(root / sub, m);
    for (auto& im : m.images) write_test_image(root / "images" / loaders::to_lower(im.name), 40, 30, 3);
}

TEST(ColmapLoader, SyntheticRoundTripIsExact) {
    for (bool binary : {false, true}) {
        test::TempDir dir(binary ? "colmap_bin" : "colmap_txt");
        const ColmapModel m = colmap_scene(9);
        write_colmap_dataset(dir.path(), m, binary);
        Dataset d = load_dataset(dir.path());
        EXPECT_EQ(d.format, "colmap");
        ASSERT_EQ(d.frame_count(), 9u);
        ASSERT_EQ(d.test.size(), 2u); // Photo_0 and Photo_8 by sorted name
        EXPECT_EQ(d.test[1].name, "Photo_8.PNG");
        ASSERT_EQ(d.points.size(), 50u);
        EXPECT_FLOAT_EQ(d.points.positions[3], float(m.points[1].xyz[0]));
        EXPECT_FLOAT_EQ(d.points.colors[3 * 7], 7.0f / 255.0f);
        for (auto* frames : {&d.train, &d.test})
            for (const Frame& f : *frames) {
                const ColmapImage* im = nullptr;
                for (auto& x : m.images)
                    if (x.name == f.name) im = &x;
                ASSERT_NE(im, nullptr) << f.name;
                // The file was written lower-case; the model's name still finds it.
                EXPECT_EQ(f.image.filename().string(), loaders::to_lower(im->name));
                auto r = loaders::colmap_rotation(im->qvec);
                for (int row = 0; row < 3; ++row)
                    for (int col = 0; col < 3; ++col)
                        EXPECT_EQ(f.camera.R[col][row], float(r[size_t(row)][size_t(col)])) << f.name;
                for (int k = 0; k < 3; ++k) EXPECT_EQ(f.camera.t[k], float(im->tvec[size_t(k)]));
                const ColmapCamera& cam = *m.find_camera(im->camera_id);
                EXPECT_EQ(f.camera.width, 40);
                EXPECT_EQ(f.camera.height, 30);
                EXPECT_EQ(f.camera.fx, float(cam.params[0]));
                EXPECT_EQ(f.camera.fy, float(cam.params[1]));
                EXPECT_EQ(f.camera.cx, float(cam.params[2]));
                EXPECT_EQ(f.camera.cy, float(cam.params[3]));
                if (cam.model == "OPENCV") {
                    EXPECT_EQ(f.camera.distortion.model, DistortionModel::RadialTangential);
                    EXPECT_EQ(f.camera.distortion.k[1], float(cam.params[5]));
                    EXPECT_EQ(f.camera.distortion.p2, float(cam.params[7]));
                } else {
                    EXPECT_TRUE(f.camera.distortion.is_identity());
                }
                // COLMAP's own projection: x_cam = R X + t, pixel = f * x/z + c.
                const auto& X = m.points[3].xyz;
                double xc[3];
                for (int row = 0; row < 3; ++row)
                    xc[row] = r[size_t(row)][0] * X[0] + r[size_t(row)][1] * X[1] + r[size_t(row)][2] * X[2] +
                              im->tvec[size_t(row)];
                if (cam.model == "PINHOLE") {
                    glm::vec2 px = f.camera.project(glm::vec3(float(X[0]), float(X[1]), float(X[2])));
                    EXPECT_NEAR(px.x, cam.params[0] * xc[0] / xc[2] + cam.params[2], 1e-3);
                    EXPECT_NEAR(px.y, cam.params[1] * xc[1] / xc[2] + cam.params[3], 1e-3);
                }
            }
    }
}

glm::vec2 colmap_reference_distort(const std::string& model, const std::vector<double>& p, double u, double v) {
    // COLMAP's distortion formulas, written out independently of core/camera.cpp.
    double r2 = u * u + v * v, r = std::sqrt(r2);
    auto fisheye = [&](double k1, double k2, double k3, double k4) {
        double th = std::atan(r), t2 = th * th;
        double thd = th * (1 + k1 * t2 + k2 * t2 * t2 + k3 * t2 * t2 * t2 + k4 * t2 * t2 * t2 * t2);
        return glm::vec2(float(u * thd / r), float(v * thd / r));
    };
    if (model == "SIMPLE_RADIAL") return glm::vec2(float(u * (1 + p[3] * r2)), float(v * (1 + p[3] * r2)));
    if (model == "RADIAL") {
        double s = 1 + p[3] * r2 + p[4] * r2 * r2;
        return glm::vec2(float(u * s), float(v * s));
    }
    if (model == "OPENCV" || model == "FULL_OPENCV") {
        double k1 = p[4], k2 = p[5], p1 = p[6], p2 = p[7];
        double s = 1 + k1 * r2 + k2 * r2 * r2;
        if (model == "FULL_OPENCV")
            s = (1 + k1 * r2 + k2 * r2 * r2 + p[8] * r2 * r2 * r2) /
                (1 + p[9] * r2 + p[10] * r2 * r2 + p[11] * r2 * r2 * r2);
        return glm::vec2(float(u * s + 2 * p1 * u * v + p2 * (r2 + 2 * u * u)),
                         float(v * s + 2 * p2 * u * v + p1 * (r2 + 2 * v * v)));
    }
    if (model == "OPENCV_FISHEYE") return fisheye(p[4], p[5], p[6], p[7]);
    if (model == "SIMPLE_RADIAL_FISHEYE") return fisheye(p[3], 0, 0, 0);
    if (model == "RADIAL_FISHEYE") return fisheye(p[3], p[4], 0, 0);
    if (model == "SIMPLE_FISHEYE" || model == "FISHEYE") return fisheye(0, 0, 0, 0);
    return glm::vec2(float(u), float(v));
}

TEST(ColmapLoader, EverySupportedModelProjectsAsColmapDoes) {
    const std::vector<ColmapCamera> cams = {
        {1, "SIMPLE_PINHOLE", 100, 80, {90, 50, 40}},
        {2, "PINHOLE", 100, 80, {90, 95, 50, 40}},
        {3, "SIMPLE_RADIAL", 100, 80, {90, 50, 40, 0.05}},
        {4, "RADIAL", 100, 80, {90, 50, 40, 0.05, -0.02}},
        {5, "OPENCV", 100, 80, {90, 95, 50, 40, 0.05, -0.02, 0.001, 0.002}},
        {6, "FULL_OPENCV", 100, 80, {90, 95, 50, 40, 0.05, -0.02, 0.001, 0.002, 0.01, 0.03, -0.01, 0.005}},
        {7, "OPENCV_FISHEYE", 100, 80, {90, 95, 50, 40, 0.05, -0.02, 0.01, -0.004}},
        {8, "SIMPLE_RADIAL_FISHEYE", 100, 80, {90, 50, 40, 0.05}},
        {9, "RADIAL_FISHEYE", 100, 80, {90, 50, 40, 0.05, -0.02}},
        {10, "SIMPLE_FISHEYE", 100, 80, {90, 50, 40}},
        {11, "FISHEYE", 100, 80, {90, 95, 50, 40}},
    };
    for (const ColmapCamera& c : cams) {
        loaders::Intrinsics in = loaders::colmap_intrinsics(c, "cameras.bin");
        const bool one = c.model.rfind("SIMPLE_", 0) == 0 || c.model == "RADIAL" || c.model == "RADIAL_FISHEYE";
        EXPECT_EQ(in.fx, c.params[0]) << c.model;
        EXPECT_EQ(in.fy, one ? c.params[0] : c.params[1]) << c.model;
        EXPECT_EQ(in.cx, c.params[one ? 1 : 2]) << c.model;
        const bool fisheye = c.model.find("FISHEYE") != std::string::npos;
        EXPECT_EQ(in.distortion.model, c.model.find("PINHOLE") != std::string::npos ? DistortionModel::None
                                       : fisheye                                    ? DistortionModel::Fisheye
                                                                                    : DistortionModel::RadialTangential)
            << c.model;
        EXPECT_EQ(fisheye, !in.distortion.is_identity() && in.distortion.model == DistortionModel::Fisheye) << c.model;
        for (auto [u, v] : {std::pair{0.1, -0.2}, {-0.3, 0.25}, {0.4, 0.35}}) {
            glm::vec2 ours = in.distortion.distort(glm::vec2(float(u), float(v)));
            glm::vec2 ref = colmap_reference_distort(c.model, c.params, u, v);
            EXPECT_NEAR(ours.x, ref.x, 1e-6f) << c.model;
            EXPECT_NEAR(ours.y, ref.y, 1e-6f) << c.model;
        }
    }
    for (const char* unsupported : {"FOV", "THIN_PRISM_FISHEYE", "RAD_TAN_THIN_PRISM_FISHEYE", "EUCM", "DIVISION",
                                    "SIMPLE_DIVISION", "EQUIRECTANGULAR"}) {
        ColmapCamera c{3, unsupported, 10, 10, {}};
        c.params.assign(size_t(colmap_camera_model(unsupported)->num_params), 1.0);
        expect_error([&] { loaders::colmap_intrinsics(c, "cameras.bin"); },
                     {"cameras.bin: camera 3 model", cat("camera model ", unsupported, " is not supported")});
    }
}

TEST(ColmapLoader, UnsupportedModelMissingImageAndBadSizes) {
    test::TempDir dir("colmap_bad");
    ColmapModel m = colmap_scene(3);
    m.cameras[1] = {2, "FOV", 40, 30, {33, 34, 19, 16, 0.9}};
    write_colmap_dataset(dir.path(), m, true);
    expect_error([&] { load_dataset(dir.path()); }, {"cameras.bin", "camera 2 model", "FOV is not supported"});

    m = colmap_scene(3);
    write_colmap_dataset(dir.path(), m, true);
    fs::remove(dir / "images" / "photo_1.png");
    expect_error([&] { load_dataset(dir.path()); }, {"images.bin", "image 2 name", "Photo_1.PNG", "not found"});

    // A camera that refers to an id the model lacks.
    m.images[1].camera_id = 9;
    write_colmap_dataset(dir.path(), m, false);
    fs::remove(dir / "sparse" / "0" / "images.bin");
    expect_error([&] { load_dataset(dir.path()); }, {"images.txt", "image 2 camera_id", "camera 9"});

    // Portrait photo for a landscape camera: caught at load.
    m = colmap_scene(3);
    for (auto& f : fs::directory_iterator(dir / "sparse" / "0")) fs::remove(f.path());
    write_colmap_dataset(dir.path(), m, true);
    write_test_image(dir / "images" / "photo_0.png", 30, 40, 3);
    expect_error([&] { load_dataset(dir.path()); }, {"photo_0.png", "image size", "30x40", "40x30"});

    // A truncated images.bin and a lying count are one Error naming the file.
    write_test_image(dir / "images" / "photo_0.png", 40, 30, 3);
    auto bytes = read_file_bytes(dir / "sparse" / "0" / "images.bin");
    bytes.resize(bytes.size() - 3);
    write_file_atomic(dir / "sparse" / "0" / "images.bin", bytes);
    expect_error([&] { load_dataset(dir.path()); }, {"images.bin", "truncated"});
    bytes = encode_colmap_points3d_binary(m.points);
    const uint64_t huge = uint64_t(1) << 44;
    std::memcpy(bytes.data(), &huge, 8);
    write_colmap_binary(dir / "sparse" / "0", m);
    write_file_atomic(dir / "sparse" / "0" / "points3D.bin", bytes);
    expect_error([&] { load_dataset(dir.path()); }, {"points3D.bin", "number of points", "lying count"});
}

TEST(ColmapLoader, FindsModelFoldersAndDownscaledImages) {
    test::TempDir dir("colmap_layouts");
    const ColmapModel m = colmap_scene(2);
    write_colmap_dataset(dir.path(), m, true, fs::path("colmap") / "sparse" / "0");
    DatasetOptions o;
    o.format = "colmap";
    EXPECT_EQ(detect_dataset_format(dir.path()), "colmap");
    Dataset d = load_dataset(dir.path(), o);
    EXPECT_EQ(d.frame_count(), 2u);

    for (auto& im : m.images) write_test_image(dir / "images_2" / loaders::to_lower(im.name), 20, 15, 3);
    o.downscale = 2;
    d = load_dataset(dir.path(), o);
    const Frame& f = d.train[0];
    EXPECT_EQ(f.image.parent_path().filename(), "images_2");
    EXPECT_EQ(f.camera.width, 20);
    EXPECT_EQ(f.camera.height, 15);
    EXPECT_FLOAT_EQ(f.camera.fx, float(m.find_camera(m.images[1].camera_id)->params[0] * 0.5));
}

// ---- LLFF ------------------------------------------------------------------------------------

// LLFF rows for OpenCV camera-to-world poses: columns (down, right, back), centre, hwf.
std::vector<double> llff_row(const glm::mat4& c2w_cv, double h, double w, double f, double near, double far) {
    glm::vec3 x(c2w_cv[0]), y(c2w_cv[1]), z(c2w_cv[2]), c(c2w_cv[3]);
    std::vector<double> row;
    for (int r = 0; r < 3; ++r) {
        row.push_back(y[r]);
        row.push_back(x[r]);
        row.push_back(-z[r]);
        row.push_back(c[r]);
        row.push_back(r == 0 ? h : r == 1 ? w : f);
    }
    row.push_back(near);
    row.push_back(far);
    return row;
}

void write_llff(const fs::path& root, int n, NpyDtype dtype = NpyDtype::Float64) {
    std::vector<double> values;
    for (int i = 0; i < n; ++i) {
        glm::mat4 c2w = opengl_to_opencv_c2w(gl_look_at(ring(i, 2 * n)));
        auto row = llff_row(c2w, 24, 32, 30, 1.0 + i, 20.0);
        values.insert(values.end(), row.begin(), row.end());
        write_test_image(root / "images" / cat("IMG_", 100 + i, ".JPG"), 16, 12, 3);
    }
    write_npy(root / "poses_bounds.npy", {uint64_t(n), 17}, values, dtype);
}

TEST(Llff, ConvertsAxesAndScalesFocalFromHwf) {
    test::TempDir dir("llff");
    write_llff(dir.path(), 9, NpyDtype::Float32);
    Dataset d = load_dataset(dir.path());
    EXPECT_EQ(d.format, "llff");
    ASSERT_EQ(d.test.size(), 2u);
    EXPECT_EQ(d.test[0].name, "IMG_100.JPG");
    EXPECT_EQ(d.test[1].name, "IMG_108.JPG");
    ASSERT_EQ(d.train.size(), 7u);
    const Frame& f = d.train[0]; // IMG_101
    const glm::mat4 expected = opengl_to_opencv_c2w(gl_look_at(ring(1, 18)));
    expect_near(f.camera.center(), glm::vec3(expected[3]));
    expect_near(f.camera.forward(), glm::vec3(expected[2]));
    expect_near(glm::transpose(f.camera.R)[0], glm::vec3(expected[0]));
    // hwf (24, 32, 30) describes photos twice the size of these: focal and centre scale by 1/2.
    EXPECT_EQ(f.camera.width, 16);
    EXPECT_EQ(f.camera.height, 12);
    EXPECT_FLOAT_EQ(f.camera.fx, 15.0f);
    EXPECT_FLOAT_EQ(f.camera.fy, 15.0f);
    EXPECT_FLOAT_EQ(f.camera.cx, 8.0f);
    EXPECT_FLOAT_EQ(f.camera.cy, 6.0f);
    // No points: the bounds reach out to the far plane in front of the cameras.
    EXPECT_GT(glm::length(d.bounds.size()), 20.0f);
}

TEST(Llff, BadPosesBoundsFiles) {
    test::TempDir dir("llff_bad");
    write_llff(dir.path(), 3);
    const fs::path npy = dir / "poses_bounds.npy";
    write_test_image(dir / "images" / "IMG_999.JPG", 16, 12, 3);
    expect_error([&] { load_dataset(dir.path()); }, {npy.string(), "shape", "3 poses, but", "holds 4 images"});
    fs::remove(dir / "images" / "IMG_999.JPG");

    write_npy(npy, {3, 15}, std::vector<double>(45, 1.0));
    expect_error([&] { load_dataset(dir.path()); }, {npy.string(), "shape", "expected (N, 17)", "found (3, 15)"});
    std::vector<double> v(51, 0.0);
    write_npy(npy, {3, 17}, v);
    expect_error([&] { load_dataset(dir.path()); }, {npy.string(), "row 0 hwf", "must be positive"});
    write_llff(dir.path(), 3);
    auto good = read_npy(npy);
    good.values[17 + 3] = std::nan("");
    write_npy(npy, {3, 17}, good.values);
    expect_error([&] { load_dataset(dir.path()); }, {npy.string(), "row 1", "not a finite number"});

    write_file_atomic(npy, std::string("this is not an npy file at all"));
    expect_error([&] { load_dataset(dir.path()); }, {npy.string(), "magic", "not a NumPy .npy file"});
    auto fortran = encode_npy({3, 17}, std::vector<double>(51, 1.0));
    std::string text(fortran.begin(), fortran.end());
    text.replace(text.find("False"), 5, "True ");
    write_file_atomic(npy, text);
    expect_error([&] { load_dataset(dir.path()); }, {npy.string(), "fortran_order"});
    auto f16 = encode_npy({3, 17}, std::vector<double>(51, 1.0), NpyDtype::Float32);
    std::string t16(f16.begin(), f16.end());
    t16.replace(t16.find("<f4"), 3, "<f2");
    write_file_atomic(npy, t16);
    expect_error([&] { load_dataset(dir.path()); }, {npy.string(), "descr", "unsupported dtype '<f2'"});
}

// ---- format detection and the CLI ------------------------------------------------------------

TEST(Datasets, DetectionAndUsageErrors) {
    test::TempDir dir("detect");
    expect_error([&] { load_dataset(dir.path()); }, {dir.path().string(), "no known dataset layout"});
    DatasetOptions o;
    o.format = "mystery";
    EXPECT_THROW(load_dataset(dir.path(), o), UsageError);
    o.format = "auto";
    o.downscale = 0;
    EXPECT_THROW(load_dataset(dir.path(), o), UsageError);
    expect_error([&] { load_dataset(dir / "nothing"); }, {"not a folder"});
}

TEST(Datasets, CliInfoReportsAndFailsCleanly) {
    const fs::path exe = test::splatscape_exe();
    if (!fs::exists(exe)) GTEST_SKIP() << "the splatscape executable is not built (" << exe << "); skipping";
    test::TempDir dir("cli_info");
    write_blender(dir / "good", true);
    std::string out;
    ASSERT_EQ(test::run_command(cat("'", exe.string(), "' info '", (dir / "good").string(), "'"), &out), 0) << out;
    EXPECT_NE(out.find("dnerf"), std::string::npos) << out;
    EXPECT_NE(out.find("6"), std::string::npos) << out;

    write_colmap_dataset(dir / "bad", colmap_scene(2), true);
    auto bytes = read_file_bytes(dir / "bad" / "sparse" / "0" / "cameras.bin");
    bytes.resize(20);
    write_file_atomic(dir / "bad" / "sparse" / "0" / "cameras.bin", bytes);
    out.clear();
    EXPECT_EQ(test::run_command(cat("'", exe.string(), "' info '", (dir / "bad").string(), "'"), &out), 1) << out;
    EXPECT_NE(out.find("cameras.bin"), std::string::npos) << out;
    EXPECT_NE(out.find("truncated"), std::string::npos) << out;
}

} // namespace
} // namespace splatscape
