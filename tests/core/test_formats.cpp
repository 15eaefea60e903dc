// Scene formats: round trips within each format's stated quantisation bounds, frame conventions at
// each boundary, and the real files in ../shared/datasets (skipped without them).
#include <cmath>
#include <cstring>
#include <random>

#include <glm/geometric.hpp>
#include <glm/gtc/quaternion.hpp>
#include <glm/mat3x3.hpp>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/compression.hpp"
#include "core/io/frame_convert.hpp"
#include "core/io/gltf.hpp"
#include "core/io/playcanvas_ply.hpp"
#include "core/io/ply.hpp"
#include "core/io/scene_io.hpp"
#include "core/io/splat_format.hpp"
#include "core/io/spz.hpp"
#include "core/io/tinygltf_config.hpp"
#include "tests/core/test_formats_support.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

using test::cloud_diff;
using test::CloudDiff;
using test::format_test_cloud;

// SPZ bounds from core/io/spz.hpp (12 fractional bits), plus float rounding.
constexpr double kSpzPosition = 1.0 / 8192 + 1e-6;
constexpr double kSpzLogScale = 1.0 / 32 + 1e-5;
constexpr double kSpzOpacity = 0.5 / 255 + 1e-6;
constexpr double kSpzColor = 0.5 / (0.15 * 255) * kShC0 + 1e-6;
constexpr double kSpzSh1 = 1.0 / 32 + 1.0 / 256 + 1e-6;
constexpr double kSpzShRest = 1.0 / 16 + 1.0 / 256 + 1e-6;

glm::mat3 quat_matrix(const float* q) { // w x y z
    return glm::mat3_cast(glm::normalize(glm::quat(q[0], q[1], q[2], q[3])));
}

// ---------------------------------------------------------------------------------------------
// Frames

TEST(FrameConvert, GltfShSignsAreMinusOneToTheOrder) {
    const auto s = sh_flip_signs(kColmapToGltf);
    for (int l = 0; l <= 3; ++l)
        for (int m = -l; m <= l; ++m)
            EXPECT_EQ(s[l * l + l + m], (m % 2 == 0) ? 1.0f : -1.0f) << "l " << l << " m " << m;
}

TEST(FrameConvert, FlipsPreserveColourRotationAndAreTheirOwnInverse) {
    GaussianCloud c = format_test_cloud(20, 3, 1);
    for (AxisFlip f : {kColmapToSpz, kColmapToGltf}) {
        GaussianCloud g = c;
        apply_axis_flip(g, f);
        const glm::mat3 F(glm::vec3(f.x, 0, 0), glm::vec3(0, f.y, 0), glm::vec3(0, 0, f.z));
        std::mt19937 rng(3);
        std::normal_distribution<float> nd;
        for (size_t i = 0; i < c.size(); ++i) {
            EXPECT_NEAR(glm::length(F * c.position(i) - g.position(i)), 0.0f, 1e-6f);
            // The rotation seen in the new frame is F R F.
            const glm::mat3 expected = F * quat_matrix(&c.rotations[4 * i]) * F;
            const glm::mat3 got = quat_matrix(&g.rotations[4 * i]);
            for (int a = 0; a < 3; ++a) EXPECT_NEAR(glm::length(expected[a] - got[a]), 0.0f, 1e-5f);
            // Colour along F d in the new frame equals colour along d in the old one.
            for (int t = 0; t < 4; ++t) {
                const glm::vec3 d = glm::normalize(glm::vec3(nd(rng), nd(rng), nd(rng)));
                const glm::vec3 before = sh_eval(&c.sh[i * 16 * 3], 3, d);
                const glm::vec3 after = sh_eval(&g.sh[i * 16 * 3], 3, F * d);
                EXPECT_NEAR(glm::length(before - after), 0.0f, 1e-5f);
            }
        }
        apply_axis_flip(g, f);
        EXPECT_EQ(g.positions, c.positions);
        EXPECT_EQ(g.rotations, c.rotations);
        EXPECT_EQ(g.sh, c.sh);
    }
}

TEST(FrameConvert, ShRotationMatchesEvaluation) {
    std::mt19937 rng(5);
    std::normal_distribution<float> nd;
    for (int trial = 0; trial < 5; ++trial) {
        const glm::quat q = glm::normalize(glm::quat(nd(rng), nd(rng), nd(rng), nd(rng)));
        const glm::mat3 R = glm::mat3_cast(q);
        const auto bands = sh_rotation(R, 3);
        ASSERT_EQ(bands.size(), 3u);
        std::vector<float> c(48), r(48);
        for (float& v : c) v = nd(rng);
        for (int ch = 0; ch < 3; ++ch) {
            r[ch] = c[ch];
            for (int l = 1; l <= 3; ++l) {
                const int m = 2 * l + 1;
                for (int p = 0; p < m; ++p) {
                    float acc = 0;
                    for (int k = 0; k < m; ++k) acc += bands[l - 1][p * m + k] * c[(l * l + k) * 3 + ch];
                    r[(l * l + p) * 3 + ch] = acc;
                }
            }
        }
        for (int t = 0; t < 10; ++t) {
            const glm::vec3 d = glm::normalize(glm::vec3(nd(rng), nd(rng), nd(rng)));
            EXPECT_NEAR(glm::length(sh_eval(c.data(), 3, d) - sh_eval(r.data(), 3, R * d)), 0.0f, 2e-4f);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// SPZ

void expect_within_spz_bounds(const CloudDiff& d, int version) {
    EXPECT_LE(d.position, kSpzPosition) << d;
    EXPECT_LE(d.log_scale, kSpzLogScale) << d;
    EXPECT_LE(d.opacity, kSpzOpacity) << d;
    EXPECT_LE(d.color, kSpzColor) << d;
    EXPECT_LE(d.sh1, kSpzSh1) << d;
    EXPECT_LE(d.sh_rest, kSpzShRest) << d;
    // v3/v4: smallest three with 9-bit magnitudes. v2: x y z to 1/255, w derived from them, so near
    // w = 0 an error of 0.0136 in |xyz|^2 becomes up to 0.117 in w: 13.4 degrees at worst.
    EXPECT_LE(d.rotation_deg, version >= 3 ? 0.25 : 13.5) << d;
}

TEST(Spz, RoundTripWithinStatedBounds) {
    for (int version : {2, 3, 4})
        for (int degree = 0; degree <= 3; ++degree) {
            SCOPED_TRACE(cat("version ", version, " degree ", degree));
            const GaussianCloud c = format_test_cloud(3000, degree, 11 + degree);
            SpzOptions o;
            o.version = version;
            const auto bytes = encode_spz(c, o);
            EXPECT_EQ(spz_version(bytes.data(), bytes.size(), "mem"), version);
            const GaussianCloud r = decode_spz(bytes.data(), bytes.size(), "mem");
            ASSERT_EQ(r.size(), c.size());
            ASSERT_EQ(r.sh_degree, degree);
            const CloudDiff d = cloud_diff(c, r);
            expect_within_spz_bounds(d, version);
            if (degree == 3) std::printf("SPZ v%d round trip (3000 splats, SH 3): %s\n", version, cat(d).c_str());
        }
}

TEST(Spz, RequantisingDecodedDataIsLossless) {
    const GaussianCloud c = format_test_cloud(2000, 3, 21);
    for (int version : {3, 4}) {
        SpzOptions o;
        o.version = version;
        const auto first = encode_spz(c, o);
        const GaussianCloud once = decode_spz(first.data(), first.size(), "once");
        const auto second = encode_spz(once, o);
        const GaussianCloud twice = decode_spz(second.data(), second.size(), "twice");
        const CloudDiff d = cloud_diff(once, twice);
        EXPECT_LE(d.position, 1e-6) << d;
        EXPECT_LE(d.log_scale, 1e-6) << d;
        EXPECT_LE(d.opacity, 1e-6) << d;
        EXPECT_LE(d.color, 1e-6) << d;
        EXPECT_LE(d.sh1 + d.sh_rest, 1e-6) << d;
        // Rotations whose two largest components (nearly) tie may be re-quantised once more.
        EXPECT_LE(d.rotation_deg, 0.25) << d;
    }
}

TEST(Spz, StoresRubFrameAndXyzwQuaternions) {
    GaussianCloud c;
    c.resize(1, 1);
    c.positions = {1.0f, 2.0f, 3.0f};
    c.rotations = {0.8f, 0.6f, 0.0f, 0.0f}; // w x y z: 73.7 degrees about x
    c.log_scales = {-1, -2, -3};
    c.opacities = {0};
    c.sh = {0, 0, 0, 0.5f, 0.5f, 0.5f, 0.25f, 0.25f, 0.25f, 0.125f, 0.125f, 0.125f};
    SpzOptions o;
    o.version = 4;
    o.frame = SpzFrame::Rub;
    const auto bytes = encode_spz(c, o);
    // v4: 32-byte header, the frame record (type 0xADBE0003, 4 bytes, RUB = 4), 6 TOC entries, then
    // zstd streams in the order of the TOC.
    constexpr size_t kToc = 32 + 12;
    ASSERT_GE(bytes.size(), kToc + 6 * 16);
    EXPECT_EQ(std::memcmp(bytes.data(), "NGSP", 4), 0);
    EXPECT_EQ(bytes[14], 2); // flags: extension records
    EXPECT_EQ(bytes[15], 6); // numStreams
    uint32_t toc, type, length, system;
    std::memcpy(&toc, &bytes[16], 4);
    std::memcpy(&type, &bytes[32], 4);
    std::memcpy(&length, &bytes[36], 4);
    std::memcpy(&system, &bytes[40], 4);
    EXPECT_EQ(toc, kToc);
    EXPECT_EQ(type, 0xADBE0003u);
    EXPECT_EQ(length, 4u);
    EXPECT_EQ(system, 4u);
    size_t offset = kToc + 6 * 16;
    std::vector<std::vector<uint8_t>> streams;
    for (int s = 0; s < 6; ++s) {
        uint64_t comp, raw;
        std::memcpy(&comp, &bytes[kToc + 16 * s], 8);
        std::memcpy(&raw, &bytes[kToc + 16 * s + 8], 8);
        streams.push_back(zstd_decompress_exact(&bytes[offset], comp, raw, "mem", "stream"));
        offset += comp;
    }
    auto fixed = [&](int axis) {
        const uint8_t* p = &streams[0][3 * axis];
        int32_t v = int32_t(p[0] | p[1] << 8 | p[2] << 16);
        return v & 0x800000 ? v - 0x1000000 : v;
    };
    // RUB: y and z negated; 12 fractional bits.
    EXPECT_EQ(fixed(0), 4096);
    EXPECT_EQ(fixed(1), -8192);
    EXPECT_EQ(fixed(2), -12288);
    // Rotation about x is unchanged by a 180-degree turn about x: largest component is w (index 3
    // in x y z w order), the stored x is 0.6 / sqrt(1/2) of full scale.
    uint32_t rot;
    std::memcpy(&rot, streams[4].data(), 4);
    EXPECT_EQ(rot >> 30, 3u);
    EXPECT_EQ((rot >> 20) & 511u, uint32_t(std::lround(511 * 0.6 / std::sqrt(0.5))));
    // SH band 1 (m = -1: y, m = 0: z, m = 1: x): the y and z terms change sign in RUB.
    const auto& sh = streams[5];
    EXPECT_EQ(sh[0], 128 - 64); // -0.5
    EXPECT_EQ(sh[3], 128 - 32); // -0.25
    EXPECT_EQ(sh[6], 128 + 16); // +0.125
}

TEST(Spz, WritesV3AsGzipWithTheHeaderInside) {
    const GaussianCloud c = format_test_cloud(10, 2, 3);
    SpzOptions o;
    o.version = 3;
    const auto bytes = encode_spz(c, o);
    ASSERT_TRUE(is_gzip(bytes.data(), bytes.size()));
    InflateStream in(bytes.data(), bytes.size(), "mem");
    uint8_t h[16];
    ASSERT_EQ(in.read(h, 16, "header"), 16u);
    uint32_t magic, version, count;
    std::memcpy(&magic, h, 4);
    std::memcpy(&version, h + 4, 4);
    std::memcpy(&count, h + 8, 4);
    EXPECT_EQ(magic, kSpzMagic);
    EXPECT_EQ(version, 3u);
    EXPECT_EQ(count, 10u);
    EXPECT_EQ(h[12], 2);  // SH degree
    EXPECT_EQ(h[13], 12); // fractional bits
}

TEST(Spz, LargeScenesUseFewerFractionalBits) {
    GaussianCloud c = format_test_cloud(100, 0, 4);
    c.positions[0] = 5000.0f;
    c.positions[4] = -3000.5f;
    const auto bytes = encode_spz(c);
    const GaussianCloud r = decode_spz(bytes.data(), bytes.size(), "mem");
    // 5000 needs 13 integer bits plus sign: 10 fractional bits remain.
    EXPECT_LE(cloud_diff(c, r).position, 1.0 / 2048 + 1e-6);
    EXPECT_NEAR(r.positions[0], 5000.0f, 1e-3f);
}

TEST(Spz, ReadsUncompressedLegacyPayloads) {
    // Some tools write v2/v3 without the gzip wrapper: the same header and arrays, plain.
    const GaussianCloud c = format_test_cloud(50, 1, 8);
    SpzOptions o;
    o.version = 3;
    const auto gz = encode_spz(c, o);
    InflateStream in(gz.data(), gz.size(), "mem");
    std::vector<uint8_t> plain;
    uint8_t buf[4096];
    for (size_t n; (n = in.read(buf, sizeof(buf), "all")) > 0;) plain.insert(plain.end(), buf, buf + n);
    const GaussianCloud a = decode_spz(gz.data(), gz.size(), "gz");
    const GaussianCloud b = decode_spz(plain.data(), plain.size(), "plain");
    EXPECT_EQ(a.positions, b.positions);
    EXPECT_EQ(a.sh, b.sh);
}

// ---------------------------------------------------------------------------------------------
// glTF

TEST(Gltf, RoundTripIsExactUpToFloatRounding) {
    for (int degree = 0; degree <= 3; ++degree) {
        const GaussianCloud c = format_test_cloud(500, degree, 31 + degree);
        const auto glb = encode_glb(c);
        const std::string text = encode_gltf_embedded(c);
        for (int pass = 0; pass < 2; ++pass) {
            const GaussianCloud r =
                pass == 0 ? decode_gltf(glb.data(), glb.size(), "mem.glb")
                          : decode_gltf(reinterpret_cast<const uint8_t*>(text.data()), text.size(), "mem.gltf");
            ASSERT_EQ(r.size(), c.size());
            ASSERT_EQ(r.sh_degree, degree);
            const CloudDiff d = cloud_diff(c, r);
            EXPECT_EQ(d.position, 0.0) << d;
            EXPECT_LE(d.log_scale, 2e-6) << d;
            EXPECT_LE(d.opacity, 1e-6) << d;
            EXPECT_EQ(d.color, 0.0) << d;
            EXPECT_EQ(d.sh1 + d.sh_rest, 0.0) << d;
            EXPECT_LE(d.rotation_deg, 0.02) << d; // float rounding of acos near 1
        }
    }
}

TEST(Gltf, WritesTheExtensionInGltfFrame) {
    GaussianCloud c = format_test_cloud(3, 1, 41);
    const auto glb = encode_glb(c);
    tinygltf::TinyGLTF loader;
    tinygltf::Model m;
    std::string err, warn;
    ASSERT_TRUE(loader.LoadBinaryFromMemory(&m, &err, &warn, glb.data(), unsigned(glb.size()))) << err;
    ASSERT_EQ(m.extensionsUsed, std::vector<std::string>{"KHR_gaussian_splatting"});
    const auto& prim = m.meshes.at(0).primitives.at(0);
    EXPECT_EQ(prim.mode, TINYGLTF_MODE_POINTS);
    const auto& ext = prim.extensions.at("KHR_gaussian_splatting");
    EXPECT_EQ(ext.Get("kernel").Get<std::string>(), "ellipse");
    EXPECT_EQ(ext.Get("colorSpace").Get<std::string>(), "srgb_rec709_display");
    auto floats = [&](const std::string& name) {
        const auto& a = m.accessors.at(prim.attributes.at(name));
        EXPECT_EQ(a.componentType, TINYGLTF_COMPONENT_TYPE_FLOAT) << name;
        const auto& v = m.bufferViews.at(a.bufferView);
        const float* p = reinterpret_cast<const float*>(m.buffers[v.buffer].data.data() + v.byteOffset + a.byteOffset);
        return std::vector<float>(p, p + a.count * tinygltf::GetNumComponentsInType(a.type));
    };
    const auto pos = floats("POSITION"), rot = floats("KHR_gaussian_splatting:ROTATION"),
               scale = floats("KHR_gaussian_splatting:SCALE"), opacity = floats("KHR_gaussian_splatting:OPACITY"),
               sh10 = floats("KHR_gaussian_splatting:SH_DEGREE_1_COEF_0"),
               sh11 = floats("KHR_gaussian_splatting:SH_DEGREE_1_COEF_1");
    for (size_t i = 0; i < 3; ++i) {
        // 180 degrees about z: (x, y, z) -> (-x, -y, z).
        EXPECT_EQ(pos[3 * i], -c.positions[3 * i]);
        EXPECT_EQ(pos[3 * i + 1], -c.positions[3 * i + 1]);
        EXPECT_EQ(pos[3 * i + 2], c.positions[3 * i + 2]);
        const float* q = &c.rotations[4 * i];
        const float n = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        EXPECT_NEAR(rot[4 * i + 0], -q[1] / n, 1e-6f); // x y z w
        EXPECT_NEAR(rot[4 * i + 1], -q[2] / n, 1e-6f);
        EXPECT_NEAR(rot[4 * i + 2], q[3] / n, 1e-6f);
        EXPECT_NEAR(rot[4 * i + 3], q[0] / n, 1e-6f);
        for (int a = 0; a < 3; ++a) {
            EXPECT_NEAR(scale[3 * i + a], std::exp(c.log_scales[3 * i + a]), 1e-6f); // linear, not log
            EXPECT_GE(scale[3 * i + a], 0.0f);
            EXPECT_EQ(sh10[3 * i + a], -c.sh[(i * 4 + 1) * 3 + a]); // m = -1 flips
            EXPECT_EQ(sh11[3 * i + a], c.sh[(i * 4 + 2) * 3 + a]);  // m = 0 keeps
        }
        EXPECT_NEAR(opacity[i], sigmoid(c.opacities[i]), 1e-6f);
    }
}

TEST(Gltf, ReadsDraftFilesWithLogScales) {
    test::GlbBuilder b;
    b.add<float>("POSITION", {0, 0, 0, 1, 1, 1}, test::kGlFloat, "VEC3", 2);
    b.add<float>("KHR_gaussian_splatting:ROTATION", {0, 0, 0, 1, 0, 0, 0, 1}, test::kGlFloat, "VEC4", 2);
    b.add<float>("KHR_gaussian_splatting:SCALE", {-3, -2, -1, 0.5f, -4, 0}, test::kGlFloat, "VEC3", 2);
    b.add<float>("KHR_gaussian_splatting:OPACITY", {0.5f, 0.9f}, test::kGlFloat, "SCALAR", 2);
    b.add<float>("KHR_gaussian_splatting:SH_DEGREE_0_COEF_0", {0, 0, 0, 1, 1, 1}, test::kGlFloat, "VEC3", 2);
    const auto glb = b.build();
    const GaussianCloud c = decode_gltf(glb.data(), glb.size(), "draft.glb");
    ASSERT_EQ(c.size(), 2u);
    const float expected[6] = {-3, -2, -1, 0.5f, -4, 0};
    for (int k = 0; k < 6; ++k) EXPECT_FLOAT_EQ(c.log_scales[k], expected[k]);
    EXPECT_NEAR(sigmoid(c.opacities[1]), 0.9f, 1e-6f);
}

TEST(Gltf, ReadsQuantisedAttributeTypes) {
    test::GlbBuilder b;
    b.add<float>("POSITION", {1, 2, 3}, test::kGlFloat, "VEC3", 1);
    b.add<int16_t>("KHR_gaussian_splatting:ROTATION", {0, 0, 23170, 23170}, test::kGlShort, "VEC4", 1, true);
    b.add<uint8_t>("KHR_gaussian_splatting:SCALE", {51, 102, 255, 0}, test::kGlUByte, "VEC3", 1, true);
    b.add<uint16_t>("KHR_gaussian_splatting:OPACITY", {49151}, test::kGlUShort, "SCALAR", 1, true);
    b.add<float>("KHR_gaussian_splatting:SH_DEGREE_0_COEF_0", {0.1f, 0.2f, 0.3f}, test::kGlFloat, "VEC3", 1);
    const auto glb = b.build();
    const GaussianCloud c = decode_gltf(glb.data(), glb.size(), "q.glb");
    ASSERT_EQ(c.size(), 1u);
    EXPECT_NEAR(std::exp(c.log_scales[0]), 0.2f, 1e-6f);
    EXPECT_NEAR(std::exp(c.log_scales[2]), 1.0f, 1e-6f);
    EXPECT_NEAR(sigmoid(c.opacities[0]), 49151.0f / 65535.0f, 1e-6f);
    // (x y z w) = (0, 0, s, s) in glTF is 90 degrees about z; about z it survives the flip unchanged.
    const float expected_wxyz[4] = {std::sqrt(0.5f), 0, 0, std::sqrt(0.5f)};
    EXPECT_LT(test::rotation_angle_deg(&c.rotations[0], expected_wxyz), 0.01);
    EXPECT_FLOAT_EQ(c.positions[0], -1.0f);
    EXPECT_FLOAT_EQ(c.positions[1], -2.0f);
    EXPECT_FLOAT_EQ(c.positions[2], 3.0f);
}

TEST(Gltf, AppliesNodeTransformsToSplats) {
    // Node: translate (1, 2, 3), rotate 90 degrees about y, scale 2.
    const GaussianCloud local = format_test_cloud(40, 2, 51);
    test::GlbBuilder b;
    const size_t n = local.size();
    std::vector<float> pos(local.positions), rot(n * 4), scale(n * 3), opacity(n);
    for (size_t i = 0; i < n; ++i) {
        const float* q = &local.rotations[4 * i];
        const float nq = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        rot[4 * i] = q[1] / nq, rot[4 * i + 1] = q[2] / nq, rot[4 * i + 2] = q[3] / nq, rot[4 * i + 3] = q[0] / nq;
        for (int a = 0; a < 3; ++a) scale[3 * i + a] = std::exp(local.log_scales[3 * i + a]);
        opacity[i] = sigmoid(local.opacities[i]);
    }
    b.add("POSITION", pos, test::kGlFloat, "VEC3", n);
    b.add("KHR_gaussian_splatting:ROTATION", rot, test::kGlFloat, "VEC4", n);
    b.add("KHR_gaussian_splatting:SCALE", scale, test::kGlFloat, "VEC3", n);
    b.add("KHR_gaussian_splatting:OPACITY", opacity, test::kGlFloat, "SCALAR", n);
    const int k = local.sh_coeffs();
    for (int l = 0; l <= 2; ++l)
        for (int j = 0; j < 2 * l + 1; ++j) {
            std::vector<float> coef(n * 3);
            for (size_t i = 0; i < n; ++i)
                for (int ch = 0; ch < 3; ++ch) coef[3 * i + ch] = local.sh[(i * k + l * l + j) * 3 + ch];
            b.add(cat("KHR_gaussian_splatting:SH_DEGREE_", l, "_COEF_", j), coef, test::kGlFloat, "VEC3", n);
        }
    const float s = std::sqrt(0.5f);
    const auto glb = b.build({{"translation", {1, 2, 3}}, {"rotation", {0, s, 0, s}}, {"scale", {2, 2, 2}}});
    const GaussianCloud c = decode_gltf(glb.data(), glb.size(), "node.glb");
    ASSERT_EQ(c.size(), n);
    const glm::mat3 Ry = glm::mat3_cast(glm::quat(s, 0, s, 0));
    const glm::mat3 F(glm::vec3(-1, 0, 0), glm::vec3(0, -1, 0), glm::vec3(0, 0, 1)); // glTF -> internal
    std::mt19937 rng(9);
    std::normal_distribution<float> nd;
    for (size_t i = 0; i < n; ++i) {
        const glm::vec3 world = Ry * (2.0f * local.position(i)) + glm::vec3(1, 2, 3);
        EXPECT_NEAR(glm::length(F * world - c.position(i)), 0.0f, 1e-5f);
        for (int a = 0; a < 3; ++a)
            EXPECT_NEAR(c.log_scales[3 * i + a], local.log_scales[3 * i + a] + std::log(2.0f), 1e-5f);
        const glm::mat3 expected = F * Ry * quat_matrix(&local.rotations[4 * i]) * F;
        const glm::mat3 got = quat_matrix(&c.rotations[4 * i]);
        for (int a = 0; a < 3; ++a) EXPECT_NEAR(glm::length(expected[a] - got[a]), 0.0f, 1e-5f);
        // View-dependent colour turns with the node: along F R d it is what it was along d.
        for (int t = 0; t < 3; ++t) {
            const glm::vec3 d = glm::normalize(glm::vec3(nd(rng), nd(rng), nd(rng)));
            const glm::vec3 before = sh_eval(&local.sh[i * k * 3], 2, d);
            const glm::vec3 after = sh_eval(&c.sh[i * k * 3], 2, F * (Ry * d));
            EXPECT_NEAR(glm::length(before - after), 0.0f, 2e-4f);
        }
    }
}

TEST(Gltf, ReadsExternalBuffersInsideTheAssetFolderOnly) {
    test::TempDir dir("gltf_external");
    const GaussianCloud c = format_test_cloud(5, 0, 61);
    const std::string text = encode_gltf_embedded(c);
    auto doc = nlohmann::json::parse(text);
    const std::string uri = doc["buffers"][0]["uri"];
    const std::string b64 = uri.substr(uri.find(',') + 1);
    // Decode the embedded buffer with a plain base64 decoder and store it beside the .gltf.
    std::vector<uint8_t> bin;
    uint32_t acc = 0;
    int bits = 0;
    for (char ch : b64) {
        const char* alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
        const char* p = std::strchr(alphabet, ch);
        if (!p || ch == '\0') continue;
        acc = acc << 6 | uint32_t(p - alphabet);
        bits += 6;
        if (bits >= 8) bin.push_back(uint8_t(acc >> (bits -= 8)));
    }
    write_file_atomic(dir / "scene.bin", bin);
    doc["buffers"][0]["uri"] = "scene.bin";
    test::write_bytes(dir / "scene.gltf", doc.dump());
    const GaussianCloud r = read_gltf(dir / "scene.gltf");
    EXPECT_EQ(cloud_diff(c, r).position, 0.0);
    doc["buffers"][0]["uri"] = "../outside.bin";
    write_file_atomic(dir.path().parent_path() / "outside.bin", bin);
    test::write_bytes(dir / "escape.gltf", doc.dump());
    EXPECT_THROW(read_gltf(dir / "escape.gltf"), Error);
    std::filesystem::remove(dir.path().parent_path() / "outside.bin");
}

// ---------------------------------------------------------------------------------------------
// Scene IO dispatch and the formats together

TEST(SceneIo, EveryWritableFormatReadsBack) {
    test::TempDir dir("scene_io_all");
    const GaussianCloud c = format_test_cloud(300, 3, 71);
    for (const char* name : {"a.ply", "a.splat", "a.spz", "a.glb", "a.gltf"}) {
        write_scene(dir / name, c);
        const GaussianCloud r = read_scene(dir / name);
        ASSERT_EQ(r.size(), c.size()) << name;
        EXPECT_EQ(scene_format_for(dir / name), lower_extension(dir / name).substr(1)) << name;
    }
    SceneWriteOptions o;
    o.spz_version = 4;
    write_scene(dir / "b.spz", c, "", o);
    auto bytes = read_file_bytes(dir / "b.spz");
    EXPECT_EQ(spz_version(bytes.data(), bytes.size(), "b.spz"), 4);
    EXPECT_EQ(scene_format_for("x/y.compressed.ply"), "compressed-ply");
    EXPECT_THROW(write_scene(dir / "a.xyz", c), Error);
    EXPECT_THROW(read_scene(dir / "nothing.ply"), Error);
}

TEST(SceneIo, ResolvesRunFolders) {
    test::TempDir dir("scene_io_run");
    const GaussianCloud c = format_test_cloud(10, 0, 81);
    write_scene(dir / "run1" / "point_cloud.ply", c);
    EXPECT_EQ(resolve_scene_path(dir / "run1"), dir / "run1" / "point_cloud.ply");
    write_scene(dir / "run2" / "point_cloud" / "iteration_7000" / "point_cloud.ply", c);
    write_scene(dir / "run2" / "point_cloud" / "iteration_30000" / "point_cloud.ply", c);
    write_scene(dir / "run2" / "point_cloud" / "iteration_900" / "point_cloud.ply", c);
    EXPECT_EQ(resolve_scene_path(dir / "run2"), dir / "run2" / "point_cloud" / "iteration_30000" / "point_cloud.ply");
    EXPECT_EQ(read_scene(dir / "run2").size(), 10u);
    std::filesystem::create_directories(dir / "empty");
    EXPECT_THROW(resolve_scene_path(dir / "empty"), Error);
}

// ---------------------------------------------------------------------------------------------
// Real files from ../shared/datasets

TEST(RealData, BikerSpzV4MatchesTheCompressedPly) {
    SPLATSCAPE_REQUIRE_SHARED(dir, "gs_splats_playcanvas");
    const GaussianCloud spz = read_scene(dir / "biker.spz");
    const GaussianCloud pc = read_scene(dir / "biker.compressed.ply");
    ASSERT_EQ(spz.size(), 152746u);
    ASSERT_EQ(pc.size(), spz.size());
    // Both were exported from the same splats in the same order, each quantised its own way; after
    // converting SPZ's RUB frame they agree splat by splat.
    const CloudDiff d = cloud_diff(spz, pc);
    std::printf("biker.spz vs biker.compressed.ply: %s\n", cat(d).c_str());
    EXPECT_LE(d.position, 2e-3) << d;
    EXPECT_LE(d.rotation_deg, 0.5) << d;
    EXPECT_LE(d.opacity, 1.0 / 255) << d;
    EXPECT_LE(d.color, kSpzColor + 1.0 / 255) << d;
    // Log-scales agree within SPZ's step except where SPZ clamped them to its range [-10, 5.94].
    size_t clamped = 0;
    for (size_t i = 0; i < 3 * spz.size(); ++i) {
        if (std::abs(spz.log_scales[i] - pc.log_scales[i]) <= kSpzLogScale + 0.01) continue;
        ++clamped;
        EXPECT_TRUE((spz.log_scales[i] == -10.0f && pc.log_scales[i] < -10.0f) ||
                    (spz.log_scales[i] == 5.9375f && pc.log_scales[i] > 5.9375f))
            << "splat " << i / 3 << ": spz " << spz.log_scales[i] << ", compressed ply " << pc.log_scales[i];
    }
    std::printf("biker: %zu of %zu log-scales clamped by SPZ's range\n", clamped, 3 * spz.size());
}

TEST(RealData, BikerSpzThroughV3AndV4IsLossless) {
    SPLATSCAPE_REQUIRE_SHARED(dir, "gs_splats_playcanvas/biker.spz");
    const GaussianCloud original = read_scene(dir);
    for (int version : {3, 4}) {
        SpzOptions o;
        o.version = version;
        const auto bytes = encode_spz(original, o);
        const GaussianCloud back = decode_spz(bytes.data(), bytes.size(), "biker");
        const CloudDiff d = cloud_diff(original, back);
        EXPECT_LE(d.position, 1e-6) << d;
        EXPECT_LE(d.log_scale, 1e-6) << d;
        EXPECT_LE(d.opacity, 1e-6) << d;
        EXPECT_LE(d.color, 1e-6) << d;
        // Rotations whose two largest components (nearly) tie may be re-quantised once more.
        EXPECT_LE(d.rotation_deg, 0.25) << d;
    }
}

TEST(RealData, GuitarCompressedPlyDecodes) {
    SPLATSCAPE_REQUIRE_SHARED(path, "gs_splats_playcanvas/guitar.compressed.ply");
    const GaussianCloud c = read_scene(path);
    EXPECT_EQ(c.size(), 90854u);
    const Bounds b = c.bounds(0.01f);
    EXPECT_GT(glm::length(b.size()), 0.1f);
    EXPECT_LT(glm::length(b.size()), 100.0f);
}

TEST(RealData, DonutPlyThroughEveryFormat) {
    SPLATSCAPE_REQUIRE_SHARED(path, "gs_ply_donut/point_cloud/iteration_30000/fused.ply");
    const GaussianCloud donut = read_scene(path);
    ASSERT_EQ(donut.size(), 45624u);
    {
        const auto glb = encode_glb(donut);
        const CloudDiff d = cloud_diff(donut, decode_gltf(glb.data(), glb.size(), "donut.glb"));
        EXPECT_EQ(d.position, 0.0) << d;
        EXPECT_LE(d.log_scale, 2e-6) << d;
        EXPECT_LE(d.opacity, 1e-6) << d;
        EXPECT_EQ(d.color, 0.0) << d;
        EXPECT_LE(d.rotation_deg, 0.02) << d;
    }
    for (int version : {2, 3, 4}) {
        SpzOptions o;
        o.version = version;
        const auto bytes = encode_spz(donut, o);
        const CloudDiff d = cloud_diff(donut, decode_spz(bytes.data(), bytes.size(), "donut.spz"));
        SCOPED_TRACE(cat("SPZ v", version));
        EXPECT_LE(d.position, kSpzPosition) << d;
        EXPECT_LE(d.opacity, kSpzOpacity) << d;
        EXPECT_LE(d.rotation_deg, version >= 3 ? 0.25 : 13.5) << d;
        // The donut holds colours and scales outside SPZ's range in a few splats: bound the typical one.
        EXPECT_LE(d.log_scale, 1.0) << d;
    }
    {
        // .splat reorders splats by size times opacity; its own tests cover values.
        const auto bytes = encode_splat(donut);
        EXPECT_EQ(decode_splat(bytes.data(), bytes.size(), "donut.splat").size(), donut.size());
    }
}

} // namespace
} // namespace splatscape
