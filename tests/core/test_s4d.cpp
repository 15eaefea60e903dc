// The compact 4D Gaussian file (core/io/s4d.hpp): round trips within the documented bounds for
// every pair of degrees, its size against the 4D PLY, scene-file dispatch, and malformed files
// (bad headers, lying counts, truncation, trailing data, random corruption) refused with the field
// named.
#include <cmath>
#include <cstring>
#include <random>
#include <string>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/compression.hpp"
#include "core/io/ply_4d.hpp"
#include "core/io/s4d.hpp"
#include "core/io/scene_io.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

GaussianCloud4d random_cloud(size_t n, int degree, int degree_t, uint32_t seed) {
    std::mt19937 rng(seed);
    std::normal_distribution<float> nd(0.0f, 1.0f);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    GaussianCloud4d c;
    c.resize(n, degree, degree_t);
    c.time_min = -0.5f;
    c.time_max = 1.5f;
    c.time_period = 2.5f;
    for (float& x : c.positions) x = 10.0f * u(rng) - 5.0f;
    for (float& x : c.times) x = -0.8f + 2.6f * u(rng);
    for (float& x : c.log_scales) x = -8.0f + 11.0f * u(rng);
    for (float& x : c.rotations_l) x = nd(rng);
    for (float& x : c.rotations_r) x = nd(rng);
    for (float& x : c.opacities) x = 2.0f * nd(rng);
    const int J = c.sh_coeffs();
    for (size_t i = 0; i < n; ++i)
        for (int j = 0; j < J; ++j)
            for (int ch = 0; ch < 3; ++ch) c.sh[(i * J + j) * 3 + ch] = j == 0 ? 4.0f * u(rng) - 2.0f : 0.2f * nd(rng);
    return c;
}

// Angle between the rotations of two quaternions (w x y z, any length), in degrees; q and -q agree.
double quat_angle_deg(const float* a, const float* b) {
    double na = 0, nb = 0, dot = 0;
    for (int k = 0; k < 4; ++k) {
        na += double(a[k]) * a[k];
        nb += double(b[k]) * b[k];
        dot += double(a[k]) * b[k];
    }
    const double c = std::min(1.0, std::abs(dot) / std::sqrt(na * nb));
    return 2.0 * std::acos(c) * 180.0 / M_PI;
}

TEST(S4d, RoundTripWithinTheDocumentedBounds) {
    for (int degree = 0; degree <= 3; ++degree)
        for (int degree_t = 0; degree_t <= 2; ++degree_t) {
            const GaussianCloud4d c = random_cloud(400, degree, degree_t, uint32_t(10 * degree + degree_t));
            const std::vector<uint8_t> bytes = encode_s4d(c);
            const GaussianCloud4d d = decode_s4d(bytes.data(), bytes.size(), "roundtrip.s4d");
            SCOPED_TRACE(cat("degrees ", degree, "/", degree_t));
            ASSERT_EQ(d.size(), c.size());
            EXPECT_EQ(d.sh_degree, degree);
            EXPECT_EQ(d.sh_degree_t, degree_t);
            EXPECT_EQ(d.time_min, c.time_min);
            EXPECT_EQ(d.time_max, c.time_max);
            EXPECT_EQ(d.time_period, c.time_period);
            const int J = c.sh_coeffs();
            float coeff_scale = 0.0f;
            for (size_t i = 0; i < c.size(); ++i)
                for (int j = 1; j < J; ++j)
                    for (int ch = 0; ch < 3; ++ch)
                        coeff_scale = std::max(coeff_scale, std::abs(c.sh[(i * J + j) * 3 + ch]));
            double e_pos = 0, e_time = 0, e_ls = 0, e_op = 0, e_dc = 0, e_coeff = 0, e_rot = 0;
            for (size_t i = 0; i < c.size(); ++i) {
                for (int a = 0; a < 3; ++a)
                    e_pos = std::max(e_pos, double(std::abs(d.positions[3 * i + a] - c.positions[3 * i + a])));
                e_time = std::max(e_time, double(std::abs(d.times[i] - c.times[i])));
                for (int a = 0; a < 4; ++a)
                    e_ls = std::max(e_ls, double(std::abs(d.log_scales[4 * i + a] - c.log_scales[4 * i + a])));
                e_op = std::max(e_op, double(std::abs(sigmoid(d.opacities[i]) - sigmoid(c.opacities[i]))));
                e_rot = std::max({e_rot, quat_angle_deg(&d.rotations_l[4 * i], &c.rotations_l[4 * i]),
                                  quat_angle_deg(&d.rotations_r[4 * i], &c.rotations_r[4 * i])});
                for (int ch = 0; ch < 3; ++ch) {
                    e_dc = std::max(e_dc, double(std::abs(d.sh[i * J * 3 + ch] - c.sh[i * J * 3 + ch])));
                    for (int j = 1; j < J; ++j)
                        e_coeff = std::max(e_coeff,
                                           double(std::abs(d.sh[(i * J + j) * 3 + ch] - c.sh[(i * J + j) * 3 + ch])));
                }
            }
            const double time_step = 2.6 / 65535.0;
            EXPECT_LE(e_pos, std::ldexp(1.0, -13) + 1e-6);
            EXPECT_LE(e_time, 0.5 * time_step + 1e-6);
            EXPECT_LE(e_ls, 1.0 / 32.0 + 1e-5);
            EXPECT_LE(e_op, 0.5 / 255.0 + 1e-6);
            EXPECT_LE(e_rot, 0.25);
            EXPECT_LE(e_dc, 0.5 / (0.15 * 255.0) + 1e-5);
            EXPECT_LE(e_coeff, coeff_scale / 254.0 + 1e-6);
            if (degree == 3 && degree_t == 2)
                std::printf("s4d round trip (degrees 3/2): position %.2e, time %.2e, log-scale %.4f, opacity %.4f, "
                            "rotation %.3f deg, DC %.4f, coefficients %.2e (scale %.3f)\n",
                            e_pos, e_time, e_ls, e_op, e_rot, e_dc, e_coeff, coeff_scale);
        }
}

TEST(S4d, SmallerThanThe4dPly) {
    // Coefficients as a trained model has them: small, most near zero.
    GaussianCloud4d c = random_cloud(2000, 3, 2, 7);
    for (size_t k = 0; k < c.sh.size(); ++k)
        if (k % (3 * c.sh_coeffs()) >= 3) c.sh[k] *= 0.2f;
    const size_t s4d = encode_s4d(c).size(), ply = encode_gaussian_4d_ply(c).size();
    std::printf("2000 Gaussians, degrees 3/2: 4D PLY %zu bytes, s4d %zu bytes (%.1fx smaller)\n", ply, s4d,
                double(ply) / double(s4d));
    EXPECT_LT(s4d * 4, ply);
}

TEST(S4d, EmptyAndConstantTimes) {
    GaussianCloud4d c = random_cloud(3, 1, 1, 3);
    for (float& t : c.times) t = 0.25f;
    for (float& v : c.sh) v = 0.0f;
    auto bytes = encode_s4d(c);
    GaussianCloud4d d = decode_s4d(bytes.data(), bytes.size(), "constant.s4d");
    for (float t : d.times) EXPECT_EQ(t, 0.25f);
    for (size_t k = 0; k < d.sh.size(); ++k) {
        if (k % (3 * d.sh_coeffs()) >= 3) {
            EXPECT_EQ(d.sh[k], 0.0f);
        }
    }
    GaussianCloud4d empty;
    empty.resize(0, 2, 1);
    bytes = encode_s4d(empty);
    d = decode_s4d(bytes.data(), bytes.size(), "empty.s4d");
    EXPECT_EQ(d.size(), 0u);
    EXPECT_EQ(d.sh_degree, 2);
}

TEST(S4d, SceneFilesDispatchOnTheExtension) {
    test::TempDir dir("s4d_files");
    const GaussianCloud4d c = random_cloud(50, 2, 1, 4);
    write_s4d(dir / "scene.s4d", c);
    write_gaussian_4d_ply(dir / "scene.ply", c);
    EXPECT_EQ(scene_format_for(dir / "scene.s4d"), "s4d");
    EXPECT_TRUE(is_4d_scene_file(dir / "scene.s4d"));
    EXPECT_TRUE(is_4d_scene_file(dir / "scene.ply"));
    EXPECT_EQ(read_4d_scene(dir / "scene.s4d").size(), 50u);
    EXPECT_EQ(read_4d_scene(dir / "scene.ply").positions, c.positions);
    // The 3D readers and writers refuse it with advice.
    try {
        read_scene(dir / "scene.s4d");
        ADD_FAILURE() << "a 4D file read as a 3D scene";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("--time"), std::string::npos) << e.what();
    }
    GaussianCloud flat;
    flat.resize(2, 0);
    EXPECT_THROW(write_scene(dir / "flat.s4d", flat, ""), UsageError);
}

// The uncompressed content of an encoded file.
std::vector<uint8_t> inflate_all(const std::vector<uint8_t>& gz) {
    InflateStream in(gz.data(), gz.size(), "test");
    std::vector<uint8_t> out;
    uint8_t buf[4096];
    for (size_t got; (got = in.read(buf, sizeof buf, "all")) > 0;) out.insert(out.end(), buf, buf + got);
    return out;
}

TEST(S4d, BadFilesAreRefusedWithTheFieldNamed) {
    const std::vector<uint8_t> good = encode_s4d(random_cloud(20, 1, 2, 5));
    const std::vector<uint8_t> raw = inflate_all(good);
    auto expect_error = [](const std::string& name, const std::vector<uint8_t>& bytes, const std::string& needle) {
        try {
            decode_s4d(bytes.data(), bytes.size(), name);
            ADD_FAILURE() << name << ": accepted";
        } catch (const Error& e) {
            const std::string msg = e.what();
            EXPECT_NE(msg.find(name), std::string::npos) << msg;
            EXPECT_NE(msg.find(needle), std::string::npos) << name << ": " << msg;
        }
    };
    auto patched = [&](size_t at, std::vector<uint8_t> value) {
        std::vector<uint8_t> r = raw;
        std::copy(value.begin(), value.end(), r.begin() + long(at));
        return gzip_compress(r.data(), r.size());
    };
    auto f32 = [](float v) {
        std::vector<uint8_t> b(4);
        std::memcpy(b.data(), &v, 4);
        return b;
    };
    expect_error("plain.s4d", raw, "gzip");
    expect_error("magic.s4d", patched(0, {'N', 'G', 'S', 'P'}), "magic");
    expect_error("version.s4d", patched(4, {2, 0, 0, 0}), "version");
    expect_error("degree.s4d", patched(12, {4}), "sh_degree");
    expect_error("degree_t.s4d", patched(13, {5}), "sh_degree_t");
    expect_error("bits.s4d", patched(14, {25}), "fractional_bits");
    expect_error("range.s4d", patched(16, f32(2.0f)), "time_range");
    expect_error("period.s4d", patched(24, f32(std::nanf(""))), "time_period");
    expect_error("step.s4d", patched(32, f32(-1.0f)), "time_step");
    expect_error("scale.s4d", patched(36, f32(INFINITY)), "coeff_scale");
    expect_error("lying_count.s4d", patched(8, {0xff, 0xff, 0xff, 0x0f}), "count");
    expect_error("short_count.s4d", patched(8, {19, 0, 0, 0}), "continues");
    std::vector<uint8_t> cut(raw.begin(), raw.end() - 7);
    expect_error("truncated.s4d", gzip_compress(cut.data(), cut.size()), "truncated");
    std::vector<uint8_t> cut_gz(good.begin(), good.begin() + long(good.size() / 2));
    EXPECT_THROW(decode_s4d(cut_gz.data(), cut_gz.size(), "cut.s4d"), Error);
    // Random corruption of the stored bytes: refused or decoded, never a crash.
    std::mt19937 rng(9);
    for (int trial = 0; trial < 300; ++trial) {
        std::vector<uint8_t> r = raw;
        const int flips = 1 + int(rng() % 4);
        for (int k = 0; k < flips; ++k)
            r[rng() % std::min<size_t>(r.size(), trial % 2 ? r.size() : 40)] ^= uint8_t(1 + rng() % 255);
        const auto gz = gzip_compress(r.data(), r.size());
        try {
            const GaussianCloud4d d = decode_s4d(gz.data(), gz.size(), "fuzz.s4d");
            d.validate("fuzz");
        } catch (const Error&) {
        }
    }
}

} // namespace
} // namespace splatscape
