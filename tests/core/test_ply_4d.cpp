// The 4D Gaussian PLY (core/io/ply_4d.hpp) and the 4D cloud container: bit-exact round trips for
// every pair of degrees, the documented property names, detection, and bad files refused with the
// file and property named.
#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/ply.hpp"
#include "core/io/ply_4d.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

GaussianCloud4d random_cloud_4d(size_t n, int degree, int degree_t, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    GaussianCloud4d c;
    c.resize(n, degree, degree_t);
    for (auto* v : {&c.positions, &c.times, &c.rotations_l, &c.rotations_r, &c.opacities, &c.sh})
        for (float& x : *v) x = nd(rng);
    for (float& x : c.log_scales) x = nd(rng) * 0.5f - 3.0f;
    c.time_min = -0.25f;
    c.time_max = 2.5f;
    c.time_period = 3.0f;
    return c;
}

bool same_floats(const std::vector<float>& a, const std::vector<float>& b) {
    return a.size() == b.size() && std::memcmp(a.data(), b.data(), a.size() * sizeof(float)) == 0;
}

std::string header_of(const fs::path& path) {
    const auto bytes = read_file_bytes(path);
    const std::string text(bytes.begin(), bytes.end());
    return text.substr(0, text.find("end_header"));
}

TEST(Ply4d, RoundTripIsBitExact) {
    test::TempDir dir("ply4d_roundtrip");
    for (int degree = 0; degree <= 3; ++degree)
        for (int degree_t = 0; degree_t <= 2; ++degree_t) {
            const GaussianCloud4d c = random_cloud_4d(131, degree, degree_t, uint32_t(10 * degree + degree_t));
            const fs::path path = dir / cat("g", degree, "_", degree_t, ".ply");
            write_gaussian_4d_ply(path, c);
            ASSERT_TRUE(is_gaussian_4d_ply(path));
            const GaussianCloud4d r = read_gaussian_4d_ply(path);
            EXPECT_EQ(r.sh_degree, degree);
            EXPECT_EQ(r.sh_degree_t, degree_t);
            EXPECT_EQ(r.time_min, c.time_min);
            EXPECT_EQ(r.time_max, c.time_max);
            EXPECT_EQ(r.time_period, c.time_period);
            EXPECT_TRUE(same_floats(r.positions, c.positions));
            EXPECT_TRUE(same_floats(r.times, c.times));
            EXPECT_TRUE(same_floats(r.log_scales, c.log_scales));
            EXPECT_TRUE(same_floats(r.rotations_l, c.rotations_l));
            EXPECT_TRUE(same_floats(r.rotations_r, c.rotations_r));
            EXPECT_TRUE(same_floats(r.opacities, c.opacities));
            EXPECT_TRUE(same_floats(r.sh, c.sh)) << degree << "/" << degree_t;
        }
}

TEST(Ply4d, DocumentedPropertyNames) {
    test::TempDir dir("ply4d_names");
    GaussianCloud4d c = random_cloud_4d(3, 1, 2, 1);
    // Mark a temporal coefficient: frequency 2, channel 1 (green), spatial coefficient 3.
    const int K = 4, J = c.sh_coeffs();
    c.sh[(0 * J + 2 * K + 3) * 3 + 1] = 42.0f;
    write_gaussian_4d_ply(dir / "c.ply", c);
    const std::string h = header_of(dir / "c.ply");
    for (const char* p : {"property float x\n", "property float t\n", "property float f_dc_2\n",
                          "property float f_rest_8\n", "property float f_t1_11\n", "property float f_t2_0\n",
                          "property float opacity\n", "property float scale_3\n", "property float rot_3\n",
                          "property float rotr_0\n", "comment time_range -0.25 2.5\n", "comment time_period 3\n"})
        EXPECT_NE(h.find(p), std::string::npos) << p;
    EXPECT_EQ(h.find("f_rest_9"), std::string::npos);
    EXPECT_EQ(h.find("f_t3_"), std::string::npos);
    // f_t<n>_{c * K + k}: channel-major within a frequency.
    PlyHeader header;
    const PlyTable t = read_ply_element(dir / "c.ply", "vertex", &header);
    EXPECT_EQ(t.column("f_t2_" + std::to_string(1 * K + 3), "c.ply")[0], 42.0f);
    // A 3DGS reader sees the frequency-0 Gaussians (it ignores the 4D properties).
    const GaussianCloud flat = read_gaussian_ply(dir / "c.ply");
    EXPECT_EQ(flat.size(), 3u);
    EXPECT_EQ(flat.sh_degree, 1);
}

TEST(Ply4d, DetectionAndDefaults) {
    test::TempDir dir("ply4d_detect");
    GaussianCloud g;
    g.resize(2, 0);
    for (auto& r : g.rotations) r = 1.0f;
    write_gaussian_ply(dir / "flat.ply", g);
    EXPECT_FALSE(is_gaussian_4d_ply(dir / "flat.ply"));
    test::write_bytes(dir / "junk.ply", "not a ply at all");
    EXPECT_FALSE(is_gaussian_4d_ply(dir / "junk.ply"));
    EXPECT_FALSE(is_gaussian_4d_ply(dir / "junk.txt"));
    EXPECT_THROW(read_gaussian_4d_ply(dir / "flat.ply"), Error);

    // Without the comments: time range [0, 1] and a period of its length.
    const std::string body(3 * 24 * 4, '\0');
    std::string text = "ply\nformat binary_little_endian 1.0\nelement vertex 3\n";
    for (const char* p : {"x",       "y",       "z",       "t",       "f_dc_0", "f_dc_1", "f_dc_2", "opacity",
                          "scale_0", "scale_1", "scale_2", "scale_3", "rot_0",  "rot_1",  "rot_2",  "rot_3",
                          "rotr_0",  "rotr_1",  "rotr_2",  "rotr_3",  "f_t1_0", "f_t1_1", "f_t1_2", "f_t2_0"})
        text += cat("property float ", p, "\n");
    // f_t2 is incomplete: refused, naming the missing property.
    test::write_bytes(dir / "partial.ply", text + "end_header\n" + body);
    try {
        read_gaussian_4d_ply(dir / "partial.ply");
        FAIL() << "an incomplete temporal frequency was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("f_t2_1"), std::string::npos) << e.what();
    }
}

TEST(Ply4d, BadFilesAreRefusedWithTheFieldNamed) {
    test::TempDir dir("ply4d_bad");
    const GaussianCloud4d c = random_cloud_4d(4, 1, 1, 2);
    write_gaussian_4d_ply(dir / "good.ply", c);
    const auto good = read_file_bytes(dir / "good.ply");
    const std::string text(good.begin(), good.end());
    auto expect_error = [&](const std::string& name, const std::string& bytes, const std::string& needle) {
        test::write_bytes(dir / name, bytes);
        try {
            read_gaussian_4d_ply(dir / name);
            ADD_FAILURE() << name << ": accepted";
        } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(name), std::string::npos) << msg;
            EXPECT_NE(msg.find(needle), std::string::npos) << name << ": " << msg;
        }
    };
    auto replace = [&](std::string s, const std::string& from, const std::string& to) {
        const size_t at = s.find(from);
        EXPECT_NE(at, std::string::npos) << from;
        return s.replace(at, from.size(), to);
    };
    expect_error("no_rotr.ply", replace(text, "property float rotr_2\n", "property float rotx_2\n"), "rotr_2");
    expect_error("no_t.ply", replace(text, "property float t\n", "property float u\n"), "property t");
    expect_error("bad_range.ply", replace(text, "comment time_range -0.25 2.5", "comment time_range -0.25 abc"),
                 "time_range");
    expect_error("inverted_range.ply", replace(text, "comment time_range -0.25 2.5", "comment time_range 2.5 -0.25"),
                 "time range");
    expect_error("zero_period.ply", replace(text, "comment time_period 3", "comment time_period 0"), "time period");
    expect_error("stray_frequency.ply", replace(text, "property float f_t1_11\n", "property float f_t3_0\n"), "f_t3_0");
    expect_error("truncated.ply", text.substr(0, text.size() - 10), "truncated");
    // A NaN in the body.
    std::string nan = text;
    const float bad = std::nanf("");
    std::memcpy(&nan[nan.size() - 4], &bad, 4);
    expect_error("nan.ply", nan, "non-finite");
}

TEST(GaussianCloud4d, ValidateAndAppend) {
    GaussianCloud4d c = random_cloud_4d(5, 2, 1, 3);
    EXPECT_NO_THROW(c.validate("c"));
    GaussianCloud4d d;
    d.resize(0, 2, 1);
    d.push_back_from(c, 3);
    d.push_back_from(c, 1);
    ASSERT_EQ(d.size(), 2u);
    EXPECT_EQ(d.times[0], c.times[3]);
    EXPECT_EQ(d.sh[size_t(d.sh_coeffs()) * 3 + 5], c.sh[size_t(c.sh_coeffs()) * 3 + 5]);
    d.times.pop_back();
    EXPECT_THROW(d.validate("d"), Error);
    EXPECT_THROW(c.resize(1, 2, kMaxShDegreeT + 1), Error);
    GaussianCloud4d e = random_cloud_4d(2, 0, 0, 4);
    e.time_period = -1.0f;
    EXPECT_THROW(e.validate("e"), Error);
    const Bounds b = random_cloud_4d(100, 0, 0, 5).bounds();
    EXPECT_LT(b.min.x, b.max.x);
}

} // namespace
} // namespace splatscape
