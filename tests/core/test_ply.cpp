#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>
#include <tuple>
#include <random>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/ply.hpp"
#include "core/io/splat_format.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

GaussianCloud random_cloud(size_t n, int degree, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    GaussianCloud c;
    c.resize(n, degree);
    for (auto* v : {&c.positions, &c.rotations, &c.opacities, &c.sh})
        for (float& x : *v) x = nd(rng);
    for (float& x : c.log_scales) x = nd(rng) * 0.5f - 3.0f;
    return c;
}

TEST(Ply, RoundTripIsBitExact) {
    test::TempDir dir("ply_roundtrip");
    for (int degree = 0; degree <= 3; ++degree) {
        GaussianCloud c = random_cloud(257, degree, 7 + degree);
        auto path = dir / ("g" + std::to_string(degree) + ".ply");
        write_gaussian_ply(path, c);
        GaussianCloud r = read_gaussian_ply(path);
        ASSERT_EQ(r.sh_degree, degree);
        ASSERT_EQ(r.size(), c.size());
        EXPECT_EQ(0, std::memcmp(r.positions.data(), c.positions.data(), c.positions.size() * 4));
        EXPECT_EQ(0, std::memcmp(r.log_scales.data(), c.log_scales.data(), c.log_scales.size() * 4));
        EXPECT_EQ(0, std::memcmp(r.rotations.data(), c.rotations.data(), c.rotations.size() * 4));
        EXPECT_EQ(0, std::memcmp(r.opacities.data(), c.opacities.data(), c.opacities.size() * 4));
        EXPECT_EQ(0, std::memcmp(r.sh.data(), c.sh.data(), c.sh.size() * 4));
    }
}

TEST(Ply, ReadsAsciiAndBigEndianByName) {
    test::TempDir dir("ply_formats");
    // Properties in a non-reference order, with extra ones, as other tools write them.
    std::string ascii =
        "ply\nformat ascii 1.0\ncomment made by hand\nelement vertex 2\n"
        "property float opacity\nproperty float z\nproperty float y\nproperty float x\n"
        "property float rot_0\nproperty float rot_1\nproperty float rot_2\nproperty float rot_3\n"
        "property float scale_0\nproperty float scale_1\nproperty float scale_2\n"
        "property float f_dc_0\nproperty float f_dc_1\nproperty float f_dc_2\nproperty uchar extra\n"
        "element face 1\nproperty list uchar int vertex_indices\nend_header\n"
        "0.5 3 2 1 1 0 0 0 -1 -2 -3 0.1 0.2 0.3 7\n"
        "-0.5 6 5 4 0 1 0 0 -4 -5 -6 0.4 0.5 0.6 9\n3 0 1 1\n";
    test::write_bytes(dir / "a.ply", ascii);
    GaussianCloud a = read_gaussian_ply(dir / "a.ply");
    ASSERT_EQ(a.size(), 2u);
    EXPECT_EQ(a.sh_degree, 0);
    EXPECT_FLOAT_EQ(a.positions[0], 1.0f);
    EXPECT_FLOAT_EQ(a.positions[5], 6.0f);
    EXPECT_FLOAT_EQ(a.opacities[1], -0.5f);
    EXPECT_FLOAT_EQ(a.log_scales[4], -5.0f);
    EXPECT_FLOAT_EQ(a.sh[5], 0.6f);

    // The same first vertex, binary big-endian.
    std::string be = "ply\nformat binary_big_endian 1.0\nelement vertex 1\n";
    const char* names[] = {"x", "y", "z", "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2",
                           "rot_3", "f_dc_0", "f_dc_1", "f_dc_2"};
    float values[] = {1, 2, 3, 0.5f, -1, -2, -3, 1, 0, 0, 0, 0.1f, 0.2f, 0.3f};
    for (auto* n : names) be += std::string("property float ") + n + "\n";
    be += "end_header\n";
    for (float v : values) {
        uint32_t u;
        std::memcpy(&u, &v, 4);
        for (int s = 24; s >= 0; s -= 8) be.push_back(char((u >> s) & 0xff));
    }
    test::write_bytes(dir / "b.ply", be);
    GaussianCloud b = read_gaussian_ply(dir / "b.ply");
    ASSERT_EQ(b.size(), 1u);
    EXPECT_FLOAT_EQ(b.positions[2], 3.0f);
    EXPECT_FLOAT_EQ(b.sh[1], 0.2f);
}

// Every malformed file gives one Error naming the file; none crashes or allocates absurdly.
TEST(Ply, RejectsMalformedInput) {
    test::TempDir dir("ply_bad");
    GaussianCloud c = random_cloud(10, 1, 3);
    auto good = encode_gaussian_ply(c);
    std::string g(good.begin(), good.end());
    auto header_end = g.find("end_header\n") + 11;

    struct Case {
        std::string name, bytes, expect;
    };
    std::vector<Case> cases = {
        {"empty", "", "not a PLY"},
        {"magic", "plx\nformat ascii 1.0\nend_header\n", "not a PLY"},
        {"no_end", "ply\nformat ascii 1.0\nelement vertex 1\n", "end_header"},
        {"truncated", g.substr(0, header_end + 100), "truncated"},
        {"lying_count", std::string(g).replace(g.find("vertex 10"), 9, "vertex 11"), "truncated"},
        {"absurd_count", std::string(g).replace(g.find("vertex 10"), 9, "vertex 99999999999999"), "truncated"},
        {"bad_format", "ply\nformat binary_middle_endian 1.0\nend_header\n", "unknown format"},
        {"bad_version", "ply\nformat ascii 2.0\nend_header\n", "version"},
        {"bad_type", "ply\nformat ascii 1.0\nelement vertex 1\nproperty quad x\nend_header\n1\n", "unknown property type"},
        {"not_gaussian", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\nproperty float z\nend_header\n1 2 3\n", "missing"},
        {"ascii_short", "ply\nformat ascii 1.0\nelement vertex 3\nproperty float x\nend_header\n1 2\n", "truncated"},
        {"ascii_garbage", "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nend_header\nabc\n", "not a number"},
        {"rest_count", std::string(g).replace(g.find("property float f_rest_8\n"), 24, ""), "f_rest"},
    };
    for (auto& k : cases) {
        auto path = dir / (k.name + ".ply");
        test::write_bytes(path, k.bytes);
        try {
            read_gaussian_ply(path);
            ADD_FAILURE() << k.name << ": no error";
        } catch (const Error& e) {
            std::string msg = e.what();
            EXPECT_NE(msg.find(path.string()), std::string::npos) << k.name << ": " << msg;
            EXPECT_NE(msg.find(k.expect), std::string::npos) << k.name << ": " << msg;
        }
    }
    try {
        read_gaussian_ply(dir / "does_not_exist.ply");
        ADD_FAILURE() << "missing file: no error";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("not found"), std::string::npos);
    }
}

TEST(Ply, ReadsSharedDonut) {
    SPLATSCAPE_REQUIRE_SHARED(donut, "gs_ply_donut/point_cloud/iteration_30000/fused.ply");
    GaussianCloud c = read_gaussian_ply(donut);
    EXPECT_EQ(c.size(), 45624u);
    EXPECT_EQ(c.sh_degree, 0);
}

// .splat stores 8-bit colour, opacity and rotation: the round trip is within those steps.
TEST(Splat, RoundTripWithinQuantisation) {
    test::TempDir dir("splat_roundtrip");
    GaussianCloud c = random_cloud(500, 0, 11);
    for (size_t i = 0; i < c.size(); ++i)
        for (int a = 0; a < 3; ++a) c.sh[3 * i + a] = sh_dc_from_rgb(0.05f + 0.9f * float((i * 7 + a * 13) % 100) / 100.0f);
    write_splat(dir / "c.splat", c);
    GaussianCloud r = read_splat(dir / "c.splat");
    ASSERT_EQ(r.size(), c.size());
    // The file is sorted by size * opacity: match records by position (exact in float32).
    std::map<std::tuple<float, float, float>, size_t> index;
    for (size_t i = 0; i < c.size(); ++i) index[{c.positions[3 * i], c.positions[3 * i + 1], c.positions[3 * i + 2]}] = i;
    double prev_key = 1e30;
    for (size_t j = 0; j < r.size(); ++j) {
        auto it = index.find({r.positions[3 * j], r.positions[3 * j + 1], r.positions[3 * j + 2]});
        ASSERT_NE(it, index.end());
        size_t i = it->second;
        for (int a = 0; a < 3; ++a) {
            EXPECT_NEAR(r.log_scales[3 * j + a], c.log_scales[3 * i + a], 1e-5f);
            EXPECT_NEAR(rgb_from_sh_dc(r.sh[3 * j + a]), rgb_from_sh_dc(c.sh[3 * i + a]), 0.5f / 255.0f + 1e-6f);
        }
        EXPECT_NEAR(sigmoid(r.opacities[j]), std::clamp(sigmoid(c.opacities[i]), 0.5f / 255, 1 - 0.5f / 255), 0.5f / 255.0f + 1e-6f);
        // Rotation: same unit quaternion up to sign, each component within 1/128 (plus renormalisation).
        const float* q = &c.rotations[4 * i];
        float n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        for (int a = 0; a < 4; ++a) EXPECT_NEAR(r.rotations[4 * j + a], q[a] / n, 1.5f / 128.0f);
        double key = std::exp(double(r.log_scales[3 * j]) + r.log_scales[3 * j + 1] + r.log_scales[3 * j + 2]) *
                     sigmoid(c.opacities[i]);
        EXPECT_LE(key, prev_key * (1 + 1e-5));
        prev_key = key;
    }
}

TEST(Splat, RejectsMalformedInput) {
    test::TempDir dir("splat_bad");
    test::write_bytes(dir / "short.splat", std::string(33, '\0'));
    EXPECT_THROW(read_splat(dir / "short.splat"), Error);
    std::string zero_scale(32, '\0');
    test::write_bytes(dir / "zero.splat", zero_scale);
    try {
        read_splat(dir / "zero.splat");
        ADD_FAILURE() << "zero scale accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("scale"), std::string::npos);
    }
}

}  // namespace
}  // namespace splatscape

namespace splatscape {
namespace {

// Found by tests/fuzz/fuzz_ply: a repeated property name filled one column with twice the values.
TEST(Ply, RejectsRepeatedPropertyNames) {
    const std::string text = "ply\nformat ascii 1.0\nelement vertex 1\nproperty float x\nproperty float y\n"
                             "property float y\nend_header\n1 2 3\n";
    const auto* bytes = reinterpret_cast<const uint8_t*>(text.data());
    try {
        read_ply_element(bytes, text.size(), "dup.ply", "vertex");
        ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
        EXPECT_EQ(e.field(), "header line 6") << e.what();
        EXPECT_NE(std::string(e.what()).find("duplicate property 'y'"), std::string::npos) << e.what();
    }
}

// Found by tests/fuzz/fuzz_ply: rows without properties take no bytes, so a huge count was walked forever.
TEST(Ply, RejectsCountsOfElementsWithoutProperties) {
    for (const char* format : {"ascii", "binary_little_endian"}) {
        const std::string text = cat("ply\nformat ", format, " 1.0\nelement junk 10000000000000\nelement vertex 1\n",
                                     "property float x\nend_header\n1234");
        try {
            read_ply_element(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "empty.ply", "vertex");
            ADD_FAILURE() << "expected an error";
        } catch (const Error& e) {
            EXPECT_EQ(e.field(), "element junk") << e.what();
            EXPECT_NE(std::string(e.what()).find("no properties"), std::string::npos) << e.what();
        }
    }
}

}  // namespace
}  // namespace splatscape
