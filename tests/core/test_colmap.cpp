#include <cmath>
#include <cstring>
#include <random>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/colmap.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

// A model with one camera of every model COLMAP documents, images with keypoints and points with
// tracks, all values awkward enough that a lossy writer would show.
ColmapModel sample_model() {
    ColmapModel m;
    std::mt19937 rng(7);
    std::uniform_real_distribution<double> u(-1.0, 1.0);
    for (int id = 0; id <= 17; ++id) {
        const ColmapCameraModelInfo* info = colmap_camera_model(id);
        EXPECT_NE(info, nullptr) << id;
        ColmapCamera c;
        c.id = uint32_t(100 + id);
        c.model = info->name;
        c.width = 640 + uint64_t(id);
        c.height = 480;
        for (int k = 0; k < info->num_params; ++k) c.params.push_back(k < 2 ? 500.0 + u(rng) : u(rng) / 3.0);
        m.cameras.push_back(c);
    }
    for (uint32_t i = 0; i < 5; ++i) {
        ColmapImage im;
        im.id = 10 * i + 1;
        double q[4] = {u(rng), u(rng), u(rng), u(rng)};
        double n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        for (int k = 0; k < 4; ++k) im.qvec[k] = q[k] / n;
        for (double& t : im.tvec) t = u(rng) * 10.0;
        im.camera_id = m.cameras[i].id;
        im.name = i == 3 ? "sub dir/frame " + std::to_string(i) + ".JPG" : "frame_" + std::to_string(i) + ".png";
        for (int k = 0; k < int(i) * 3; ++k) {
            im.xys.push_back({u(rng) * 300.0 + 320.0, u(rng) * 200.0 + 240.0});
            im.point3d_ids.push_back(k % 2 ? -1 : int64_t(k));
        }
        m.images.push_back(im);
    }
    for (uint64_t i = 0; i < 7; ++i) {
        ColmapPoint3D p;
        p.id = 1000 + i * 3;
        for (double& x : p.xyz) x = u(rng) * 5.0;
        p.rgb = {uint8_t(i * 30), uint8_t(255 - i), uint8_t(i)};
        p.error = std::abs(u(rng));
        for (uint32_t k = 0; k < i; ++k) p.track.push_back({uint32_t(k * 10 + 1), k});
        m.points.push_back(p);
    }
    return m;
}

void expect_same(const ColmapModel& a, const ColmapModel& b) {
    ASSERT_EQ(a.cameras.size(), b.cameras.size());
    for (size_t i = 0; i < a.cameras.size(); ++i) {
        EXPECT_EQ(a.cameras[i].id, b.cameras[i].id);
        EXPECT_EQ(a.cameras[i].model, b.cameras[i].model);
        EXPECT_EQ(a.cameras[i].width, b.cameras[i].width);
        EXPECT_EQ(a.cameras[i].height, b.cameras[i].height);
        EXPECT_EQ(a.cameras[i].params, b.cameras[i].params); // bit-exact
    }
    ASSERT_EQ(a.images.size(), b.images.size());
    for (size_t i = 0; i < a.images.size(); ++i) {
        EXPECT_EQ(a.images[i].id, b.images[i].id);
        EXPECT_EQ(a.images[i].qvec, b.images[i].qvec);
        EXPECT_EQ(a.images[i].tvec, b.images[i].tvec);
        EXPECT_EQ(a.images[i].camera_id, b.images[i].camera_id);
        EXPECT_EQ(a.images[i].name, b.images[i].name);
        EXPECT_EQ(a.images[i].xys, b.images[i].xys);
        EXPECT_EQ(a.images[i].point3d_ids, b.images[i].point3d_ids);
    }
    ASSERT_EQ(a.points.size(), b.points.size());
    for (size_t i = 0; i < a.points.size(); ++i) {
        EXPECT_EQ(a.points[i].id, b.points[i].id);
        EXPECT_EQ(a.points[i].xyz, b.points[i].xyz);
        EXPECT_EQ(a.points[i].rgb, b.points[i].rgb);
        EXPECT_EQ(a.points[i].error, b.points[i].error);
        ASSERT_EQ(a.points[i].track.size(), b.points[i].track.size());
        for (size_t k = 0; k < a.points[i].track.size(); ++k) {
            EXPECT_EQ(a.points[i].track[k].image_id, b.points[i].track[k].image_id);
            EXPECT_EQ(a.points[i].track[k].point2d_idx, b.points[i].track[k].point2d_idx);
        }
    }
}

template <class F>
void expect_error(F&& f, const std::string& file, const std::string& field_part, const std::string& text) {
    try {
        f();
        ADD_FAILURE() << "expected an error mentioning '" << text << "'";
    } catch (const Error& e) {
        EXPECT_EQ(e.file(), file) << e.what();
        EXPECT_NE(e.field().find(field_part), std::string::npos) << "field '" << e.field() << "': " << e.what();
        EXPECT_NE(std::string(e.what()).find(text), std::string::npos) << e.what();
    }
}

TEST(Colmap, ModelTableMatchesColmapIds) {
    EXPECT_EQ(colmap_camera_model(0)->name, std::string("SIMPLE_PINHOLE"));
    EXPECT_EQ(colmap_camera_model("SIMPLE_RADIAL")->id, 2);
    EXPECT_EQ(colmap_camera_model("FULL_OPENCV")->num_params, 12);
    EXPECT_EQ(colmap_camera_model("OPENCV_FISHEYE")->id, 5);
    EXPECT_EQ(colmap_camera_model("THIN_PRISM_FISHEYE")->num_params, 12);
    EXPECT_EQ(colmap_camera_model(18), nullptr);
    EXPECT_EQ(colmap_camera_model("PANORAMA"), nullptr);
}

TEST(Colmap, TextAndBinaryRoundTripsAreExact) {
    test::TempDir dir("colmap_roundtrip");
    const ColmapModel m = sample_model();
    write_colmap_text(dir / "text", m);
    write_colmap_binary(dir / "bin", m);
    ColmapModel t = read_colmap_model(dir / "text");
    ColmapModel b = read_colmap_model(dir / "bin");
    expect_same(m, t);
    expect_same(m, b);
    // Binary -> text -> binary reproduces the bytes.
    EXPECT_EQ(encode_colmap_images_binary(t.images), encode_colmap_images_binary(m.images));
    EXPECT_EQ(encode_colmap_points3d_binary(t.points), encode_colmap_points3d_binary(m.points));

    ColmapModel light = read_colmap_model(dir / "bin", /*with_observations=*/false);
    EXPECT_TRUE(light.images[2].xys.empty());
    EXPECT_TRUE(light.points[3].track.empty());
    EXPECT_EQ(light.images[2].name, m.images[2].name);
    EXPECT_TRUE(is_colmap_model_folder(dir / "bin"));
    EXPECT_FALSE(is_colmap_model_folder(dir.path()));
}

TEST(Colmap, ReadsTextAsColmapWritesIt) {
    // Comments, CRLF line ends, an image whose keypoint line is empty, and one with keypoints.
    const std::string cameras =
        "# Camera list with one line of data per camera:\r\n#   CAMERA_ID, MODEL, WIDTH, HEIGHT, PARAMS[]\r\n"
        "# Number of cameras: 2\r\n1 SIMPLE_RADIAL 3072 2304 2559.81 1536 1152 -0.0204997\r\n"
        "2 PINHOLE 3072 2304 2560.56 2560.56 1536 1152\r\n";
    auto cams = parse_colmap_cameras_text(cameras, "cameras.txt");
    ASSERT_EQ(cams.size(), 2u);
    EXPECT_EQ(cams[0].model, "SIMPLE_RADIAL");
    EXPECT_EQ(cams[0].params[3], -0.0204997);
    EXPECT_EQ(cams[1].params[1], 2560.56);

    const std::string images =
        "# Image list with two lines of data per image:\n"
        "#   IMAGE_ID, QW, QX, QY, QZ, TX, TY, TZ, CAMERA_ID, NAME\n#   POINTS2D[] as (X, Y, POINT3D_ID)\n"
        "1 0.851773 0.0165051 0.503764 -0.142941 -0.737434 1.02973 3.74354 1 P1180141.JPG\n"
        "\n"
        "2 0.851773 0.0165051 0.503764 -0.142941 -0.737434 1.02973 3.74354 2 P1180142.JPG\n"
        "2362.39 248.498 58396 1784.7 268.254 59027 1784.7 268.254 -1\n";
    auto ims = parse_colmap_images_text(images, "images.txt");
    ASSERT_EQ(ims.size(), 2u);
    EXPECT_EQ(ims[0].name, "P1180141.JPG");
    EXPECT_TRUE(ims[0].xys.empty());
    ASSERT_EQ(ims[1].xys.size(), 3u);
    EXPECT_EQ(ims[1].point3d_ids[2], -1);
    EXPECT_EQ(ims[1].camera_id, 2u);

    const std::string points = "# 3D point list\n63390 1.67241 0.292931 0.609726 115 121 122 1.33927 16 6542 15 7345\n";
    auto pts = parse_colmap_points3d_text(points, "points3D.txt");
    ASSERT_EQ(pts.size(), 1u);
    EXPECT_EQ(pts[0].rgb[1], 121);
    ASSERT_EQ(pts[0].track.size(), 2u);
    EXPECT_EQ(pts[0].track[1].point2d_idx, 7345u);
}

TEST(Colmap, TruncatedBinariesFailAtEveryLength) {
    const ColmapModel m = sample_model();
    const auto cams = encode_colmap_cameras_binary(m.cameras);
    const auto ims = encode_colmap_images_binary(m.images);
    const auto pts = encode_colmap_points3d_binary(m.points);
    for (size_t len = 0; len < cams.size(); ++len)
        EXPECT_THROW(parse_colmap_cameras_binary(cams.data(), len, "cameras.bin"), Error) << len;
    for (size_t len = 0; len < ims.size(); ++len)
        EXPECT_THROW(parse_colmap_images_binary(ims.data(), len, "images.bin"), Error) << len;
    for (size_t len = 0; len < pts.size(); ++len)
        EXPECT_THROW(parse_colmap_points3d_binary(pts.data(), len, "points3D.bin"), Error) << len;
    expect_error([&] { parse_colmap_images_binary(ims.data(), ims.size() - 5, "images.bin"); }, "images.bin", "",
                 "truncated");
}

TEST(Colmap, LyingCountsAreRejectedByTheBytesPresent) {
    auto with_count = [](std::vector<uint8_t> bytes, uint64_t count) {
        std::memcpy(bytes.data(), &count, 8);
        return bytes;
    };
    const ColmapModel m = sample_model();
    // 2^40 cameras / images / points claimed by files of a few hundred bytes: no terabyte allocation.
    auto cams = with_count(encode_colmap_cameras_binary(m.cameras), uint64_t(1) << 40);
    expect_error([&] { parse_colmap_cameras_binary(cams.data(), cams.size(), "cameras.bin"); }, "cameras.bin",
                 "number of cameras", "lying count");
    auto ims = with_count(encode_colmap_images_binary(m.images), uint64_t(1) << 40);
    expect_error([&] { parse_colmap_images_binary(ims.data(), ims.size(), "images.bin"); }, "images.bin",
                 "number of images", "lying count");
    auto pts = with_count(encode_colmap_points3d_binary(m.points), ~uint64_t(0));
    expect_error([&] { parse_colmap_points3d_binary(pts.data(), pts.size(), "points3D.bin"); }, "points3D.bin",
                 "number of points", "lying count");

    // A lying keypoint count inside one image record.
    ColmapImage one;
    one.id = 1;
    one.camera_id = 1;
    one.name = "a.jpg";
    auto bytes = encode_colmap_images_binary({one});
    const uint64_t huge = uint64_t(1) << 50;
    std::memcpy(bytes.data() + bytes.size() - 8, &huge, 8);
    expect_error([&] { parse_colmap_images_binary(bytes.data(), bytes.size(), "images.bin"); }, "images.bin",
                 "points2D", "lying count");
    // A lying track length.
    ColmapPoint3D p;
    auto pbytes = encode_colmap_points3d_binary({p});
    std::memcpy(pbytes.data() + pbytes.size() - 8, &huge, 8);
    expect_error([&] { parse_colmap_points3d_binary(pbytes.data(), pbytes.size(), "points3D.bin"); }, "points3D.bin",
                 "track", "lying count");
}

TEST(Colmap, RejectsBadRecordsNamingTheField) {
    // Unknown model id in a binary file.
    ColmapCamera c{7, "PINHOLE", 10, 10, {1, 1, 5, 5}};
    auto cams = encode_colmap_cameras_binary({c});
    const int32_t bad_id = 42;
    std::memcpy(cams.data() + 8 + 4, &bad_id, 4);
    expect_error([&] { parse_colmap_cameras_binary(cams.data(), cams.size(), "cameras.bin"); }, "cameras.bin",
                 "camera 7 model_id", "unknown camera model id 42");
    // Unknown model name, wrong parameter count, NaN and non-numbers in text.
    expect_error([] { parse_colmap_cameras_text("1 PANORAMA 10 10 1 2 3\n", "cameras.txt"); }, "cameras.txt",
                 "line 1 MODEL", "unknown camera model 'PANORAMA'");
    expect_error([] { parse_colmap_cameras_text("# c\n1 PINHOLE 10 10 1 2 3\n", "cameras.txt"); }, "cameras.txt",
                 "line 2 PARAMS", "PINHOLE takes 4 parameters (fx, fy, cx, cy), found 3");
    expect_error([] { parse_colmap_cameras_text("1 PINHOLE 10 10 1 2 3 4 5\n", "cameras.txt"); }, "cameras.txt",
                 "PARAMS", "found more");
    expect_error([] { parse_colmap_cameras_text("1 PINHOLE 10 10 nan 2 3 4\n", "cameras.txt"); }, "cameras.txt",
                 "line 1", "expected a finite number");
    expect_error([] { parse_colmap_cameras_text("1 PINHOLE 10 10 1e999 2 3 4\n", "cameras.txt"); }, "cameras.txt",
                 "line 1", "expected a finite number");
    expect_error([] { parse_colmap_cameras_text("1 PINHOLE ten 10 1 2 3 4\n", "cameras.txt"); }, "cameras.txt",
                 "line 1", "WIDTH: expected an integer");
    expect_error([] { parse_colmap_cameras_text("1 PINHOLE 10 10 1 2 3 4\n1 PINHOLE 10 10 1 2 3 4\n", "cameras.txt"); },
                 "cameras.txt", "line 2", "duplicate camera id 1");
    expect_error([] { parse_colmap_images_text("1 0 0 0 0 0 0 0 1 a.jpg\n\n", "images.txt"); }, "images.txt",
                 "line 1 QW QX QY QZ", "zero length");
    expect_error([] { parse_colmap_images_text("1 1 0 0 0 0 0 0 1\n\n", "images.txt"); }, "images.txt", "line 1 NAME",
                 "missing image name");
    expect_error([] { parse_colmap_images_text("1 1 0 0 0 0 0 0\n\n", "images.txt"); }, "images.txt", "line 1",
                 "missing CAMERA_ID");
    expect_error([] { parse_colmap_images_text("1 1 0 0 0 0 0 0 1 a.jpg\n1 2\n", "images.txt"); }, "images.txt",
                 "line 2", "missing POINTS2D POINT3D_ID");
    expect_error([] { parse_colmap_points3d_text("5 1 2 3 300 0 0 0.5\n", "points3D.txt"); }, "points3D.txt", "R G B",
                 "outside 0..255");
    expect_error([] { parse_colmap_points3d_text("5 1 inf 3 30 0 0 0.5\n", "points3D.txt"); }, "points3D.txt", "line 1",
                 "finite");
    // An image name with no terminating NUL before the end of the file.
    ColmapImage im;
    im.id = 3;
    im.camera_id = 1;
    im.name = std::string(40, 'n');
    auto ims = encode_colmap_images_binary({im});
    ims.resize(8 + 4 + 56 + 4 + 30); // more than a minimal record, but cut inside the name
    expect_error([&] { parse_colmap_images_binary(ims.data(), ims.size(), "images.bin"); }, "images.bin", "name",
                 "unterminated");
    // Missing files in a model folder.
    test::TempDir dir("colmap_missing");
    write_file_atomic(dir / "cameras.txt", std::string("1 PINHOLE 10 10 1 1 5 5\n"));
    expect_error([&] { read_colmap_model(dir.path()); }, dir.path().string(), "images", "no images.bin or images.txt");
}

TEST(Colmap, RandomCorruptionOnlyEverThrowsError) {
    const ColmapModel m = sample_model();
    const std::vector<std::vector<uint8_t>> files = {encode_colmap_cameras_binary(m.cameras),
                                                     encode_colmap_images_binary(m.images),
                                                     encode_colmap_points3d_binary(m.points)};
    const std::string texts[3] = {encode_colmap_cameras_text(m.cameras), encode_colmap_images_text(m.images),
                                  encode_colmap_points3d_text(m.points)};
    std::mt19937 rng(99);
    int parsed = 0, rejected = 0;
    for (int trial = 0; trial < 1500; ++trial) {
        const int which = trial % 3;
        auto bytes = files[size_t(which)];
        std::string text = texts[which];
        for (int e = 0; e < 1 + int(rng() % 3); ++e) {
            bytes[rng() % bytes.size()] = uint8_t(rng());
            text[rng() % text.size()] = char("0123456789 .-\n#enaxAZ"[rng() % 21]);
        }
        try {
            if (which == 0) parse_colmap_cameras_binary(bytes.data(), bytes.size(), "f");
            if (which == 1) parse_colmap_images_binary(bytes.data(), bytes.size(), "f");
            if (which == 2) parse_colmap_points3d_binary(bytes.data(), bytes.size(), "f");
            ++parsed;
        } catch (const Error&) {
            ++rejected;
        }
        try {
            if (which == 0) parse_colmap_cameras_text(text, "f");
            if (which == 1) parse_colmap_images_text(text, "f");
            if (which == 2) parse_colmap_points3d_text(text, "f");
            ++parsed;
        } catch (const Error&) {
            ++rejected;
        }
    }
    EXPECT_GT(rejected, 0);
    EXPECT_EQ(parsed + rejected, 3000);
}

} // namespace
} // namespace splatscape
