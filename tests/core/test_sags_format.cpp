// The .sags file (core/io/sags.hpp): round trips at every precision, half-precision conversion, and
// malformed files refused with the field named (lying counts, mismatched network shapes, NaN
// weights, truncation, a newer version), never a crash.
#include <cmath>
#include <cstring>
#include <limits>
#include <random>

#include <gtest/gtest.h>

#include "core/error.hpp"
#include "core/io/byte_writer.hpp"
#include "core/io/sags.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::test {
namespace {

SagsNetwork network(int in, int hidden, int layers, int out, int activation, std::mt19937& rng) {
    SagsNetwork n;
    n.inputs = in;
    n.hidden = hidden;
    n.hidden_layers = layers;
    n.outputs = out;
    n.hidden_activation = 1;
    n.output_activation = activation;
    std::normal_distribution<float> g(0.0f, 0.3f);
    n.params.resize(n.expected_params());
    for (float& v : n.params) v = g(rng);
    return n;
}

// A small valid scene: 3-level hash grid (its table rows are not checked in core), 5 points.
SagsScene small_scene(bool learned = true) {
    std::mt19937 rng(1);
    std::normal_distribution<float> g(0.0f, 1.0f);
    SagsScene s;
    s.feature_dim = 4;
    s.neighbours = 3;
    s.learned_edges = learned;
    s.hash_levels = 3;
    s.hash_features = 2;
    s.hash_log2_table = 6;
    s.hash_base_resolution = 2;
    s.hash_growth = 1.5f;
    s.voxel_size = 0.01f;
    s.frame[3] = 2.0f;
    const size_t n = 5;
    for (size_t i = 0; i < n * 3; ++i) s.points.push_back(g(rng));
    for (size_t i = 0; i < n * 4; ++i) s.features.push_back(g(rng));
    for (size_t i = 0; i < n * 6; ++i) s.scales.push_back(g(rng) - 3.0f);
    for (size_t i = 0; i < 100 * 2; ++i) s.hash_table.push_back(0.01f * g(rng));
    const int E = s.encoded_width();
    for (int e = 0; e < E; ++e) s.affine.insert(s.affine.end(), {1.0f + 0.1f * g(rng), 0.1f * g(rng)});
    s.opacity = network(E + 4, 8, 2, 1, 3, rng);
    s.color = network(E + 4, 8, 2, 3, 2, rng);
    s.covariance = network(E + 4, 8, 2, 7, 0, rng);
    s.offset = network(E, 6, 1, 3, 0, rng);
    if (learned) s.edge = network(8, 5, 1, 4, 0, rng);
    for (int v = 0; v < 2; ++v) {
        float c[kSagsCameraFloats] = {1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 4, 100, 100, 50, 50, 100, 100};
        c[11] += float(v);
        s.cameras.insert(s.cameras.end(), c, c + kSagsCameraFloats);
    }
    return s;
}

// Recomputes the checksum after a test edits the payload (so that the edit, not the checksum, is
// what the reader meets).
void reseal(std::vector<uint8_t>& bytes) {
    const uint64_t h = fnv1a64(bytes.data() + 24, bytes.size() - 32);
    std::memcpy(bytes.data() + bytes.size() - 8, &h, 8);
}

std::string decode_error(const std::vector<uint8_t>& bytes) {
    try {
        decode_sags(bytes.data(), bytes.size(), "bad.sags");
    } catch (const Error& e) {
        return e.what();
    }
    return "";
}

// Offset of the first value of a section in an encoded file.
size_t section_data(const std::vector<uint8_t>& bytes, const std::string& name) {
    const std::string key(name);
    for (size_t i = 24; i + key.size() + 16 < bytes.size(); ++i) {
        uint32_t len;
        std::memcpy(&len, &bytes[i], 4);
        if (len == key.size() && std::memcmp(&bytes[i + 4], key.data(), key.size()) == 0)
            return i + 4 + key.size() + 16;
    }
    return 0;
}

TEST(SagsFormat, RoundTripInFullPrecisionIsExact) {
    for (bool learned : {true, false}) {
        SagsScene s = small_scene(learned);
        s.local_residual = learned; // both values of each flag
        s.point_frames = !learned;
        const auto bytes = encode_sags(s, SagsFileOptions::named("full"));
        const SagsScene r = decode_sags(bytes.data(), bytes.size(), "x.sags");
        EXPECT_EQ(r.points, s.points);
        EXPECT_EQ(r.features, s.features);
        EXPECT_EQ(r.scales, s.scales);
        EXPECT_EQ(r.hash_table, s.hash_table);
        EXPECT_EQ(r.affine, s.affine);
        EXPECT_EQ(r.opacity.params, s.opacity.params);
        EXPECT_EQ(r.edge.params, s.edge.params);
        EXPECT_EQ(r.cameras, s.cameras);
        EXPECT_EQ(r.learned_edges, learned);
        EXPECT_EQ(r.local_residual, learned);
        EXPECT_EQ(r.point_frames, !learned);
        EXPECT_EQ(r.voxel_size, s.voxel_size);
        EXPECT_EQ(r.hash_growth, s.hash_growth);
    }
}

TEST(SagsFormat, HalfPrecisionWithinItsRounding) {
    const SagsScene s = small_scene();
    const auto half = encode_sags(s, SagsFileOptions::named("half")),
               full = encode_sags(s, SagsFileOptions::named("full"));
    EXPECT_LT(half.size(), full.size());
    const SagsScene r = decode_sags(half.data(), half.size(), "x.sags");
    EXPECT_EQ(r.points, s.points); // positions stay float32
    for (size_t i = 0; i < s.features.size(); ++i)
        EXPECT_NEAR(r.features[i], s.features[i], std::abs(s.features[i]) * 4.9e-4f + 1e-7f);
    for (size_t i = 0; i < s.scales.size(); ++i) EXPECT_NEAR(r.scales[i], s.scales[i], std::abs(s.scales[i]) * 4.9e-4f);
    EXPECT_EQ(r.opacity.params, s.opacity.params); // networks stay float32
    // Version 1 files (float32 and float16 sections only) read as before.
    std::vector<uint8_t> v1 = half;
    v1[8] = 1;
    reseal(v1);
    EXPECT_EQ(decode_sags(v1.data(), v1.size(), "v1.sags").features, r.features);
}

// Each value within half a step of its column's code grid, a column's extremes exact (to float
// rounding), a constant column exact; networks untouched.
TEST(SagsFormat, CompactCodesWithinHalfAStep) {
    SagsScene s = small_scene();
    std::mt19937 rng(7);
    std::normal_distribution<float> g(0.0f, 1.0f);
    for (int i = 0; i < 195; ++i) { // 200 points: the column ranges are then worth their bytes
        for (int a = 0; a < 3; ++a) s.points.push_back(g(rng));
        for (int c = 0; c < 4; ++c) s.features.push_back(g(rng));
        for (int c = 0; c < 6; ++c) s.scales.push_back(g(rng) - 3.0f);
    }
    for (size_t i = 0; i < s.size(); ++i) s.features[i * 4 + 2] = 0.25f; // a constant column
    const auto compact = encode_sags(s), half = encode_sags(s, SagsFileOptions::named("half"));
    EXPECT_LT(compact.size(), half.size());
    EXPECT_EQ(decode_sags(compact.data(), compact.size(), "x.sags").points, s.points); // float32 by default
    SagsFileOptions codes = SagsFileOptions::uniform(SagsPrecision::Linear8);
    codes.points = SagsPrecision::Linear16;
    const auto coded = encode_sags(s, codes);
    const SagsScene r = decode_sags(coded.data(), coded.size(), "x.sags");
    auto check = [](const std::vector<float>& got, const std::vector<float>& want, size_t cols, float levels,
                    const char* what) {
        ASSERT_EQ(got.size(), want.size()) << what;
        const size_t rows = want.size() / cols;
        for (size_t c = 0; c < cols; ++c) {
            float lo = want[c], hi = want[c];
            for (size_t i = 0; i < rows; ++i) {
                lo = std::min(lo, want[i * cols + c]);
                hi = std::max(hi, want[i * cols + c]);
            }
            const float step = (hi - lo) / (levels - 1.0f);
            for (size_t i = 0; i < rows; ++i) {
                const float w = want[i * cols + c], g = got[i * cols + c];
                EXPECT_LE(std::abs(g - w), 0.5f * step + 1e-6f * (1.0f + std::abs(w))) << what << " " << i << "," << c;
                if (w == lo || step == 0.0f) EXPECT_NEAR(g, w, 1e-6f * (1.0f + std::abs(w))) << what;
                if (w == hi) EXPECT_NEAR(g, w, 1e-5f * (1.0f + std::abs(w))) << what;
            }
        }
    };
    check(r.points, s.points, 3, 65536.0f, "points");
    check(r.features, s.features, 4, 256.0f, "features");
    check(r.scales, s.scales, 6, 256.0f, "scales");
    check(r.hash_table, s.hash_table, 2, 256.0f, "hash");
    for (size_t i = 0; i < s.size(); ++i) EXPECT_EQ(r.features[i * 4 + 2], 0.25f);
    EXPECT_EQ(r.opacity.params, s.opacity.params);
    EXPECT_EQ(r.cameras, s.cameras);
    EXPECT_THROW(SagsFileOptions::named("tiny"), Error);
}

TEST(SagsFormat, HalfConversion) {
    for (float v : {0.0f, 1.0f, -2.5f, 65504.0f, 6.103515625e-05f, 5.9604645e-08f, 0.333251953125f})
        EXPECT_EQ(half_to_float(float_to_half(v)), v) << v;
    EXPECT_EQ(float_to_half(1.0f + 1.0f / 2048.0f), float_to_half(1.0f));                  // tie to even
    EXPECT_EQ(half_to_float(float_to_half(1.0f + 3.0f / 2048.0f)), 1.0f + 2.0f / 1024.0f); // tie to even, up
    EXPECT_TRUE(std::isinf(half_to_float(float_to_half(1e6f))));
    EXPECT_TRUE(std::isnan(half_to_float(float_to_half(std::numeric_limits<float>::quiet_NaN()))));
    EXPECT_EQ(half_to_float(float_to_half(1e-9f)), 0.0f);
}

TEST(SagsFormat, FilesOnDisk) {
    TempDir dir("sags_format");
    const SagsScene s = small_scene();
    write_sags(dir / "a.sags", s);
    EXPECT_TRUE(is_sags_file(dir / "a.sags"));
    EXPECT_EQ(read_sags(dir / "a.sags").size(), 5u);
    write_bytes(dir / "b.sags", "SPLTSAG");
    EXPECT_FALSE(is_sags_file(dir / "b.sags"));
    EXPECT_FALSE(is_sags_file(dir / "missing.sags"));
    // The writer refuses what the reader would.
    SagsScene bad = s;
    bad.features.pop_back();
    EXPECT_THROW(write_sags(dir / "c.sags", bad), Error);
    EXPECT_FALSE(std::filesystem::exists(dir / "c.sags"));
}

// Files written before `local_residual` existed encode without it.
TEST(SagsFormat, FilesWithoutTheResidualKeyDecodeWithoutIt) {
    std::vector<uint8_t> b = encode_sags(small_scene());
    std::string text(b.begin(), b.end());
    const std::string key = "\"local_residual\":true";
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos);
    const std::string other = "\"local_residuaX\":true"; // an unknown key of the same length
    std::memcpy(&b[at], other.data(), other.size());
    reseal(b);
    EXPECT_FALSE(decode_sags(b.data(), b.size(), "old.sags").local_residual);
    const std::vector<uint8_t> now = encode_sags(small_scene());
    EXPECT_TRUE(decode_sags(now.data(), now.size(), "new.sags").local_residual);
}

// Files written before `point_frames` existed decode the rotations without point frames; a value of
// the wrong type is refused with the key named.
TEST(SagsFormat, FilesWithoutThePointFramesKeyDecodeWithoutThem) {
    std::vector<uint8_t> b = encode_sags(small_scene());
    std::string text(b.begin(), b.end());
    const std::string key = "\"point_frames\":true";
    const size_t at = text.find(key);
    ASSERT_NE(at, std::string::npos);
    std::vector<uint8_t> old = b;
    const std::string other = "\"point_frameX\":true";
    std::memcpy(&old[at], other.data(), other.size());
    reseal(old);
    EXPECT_FALSE(decode_sags(old.data(), old.size(), "old.sags").point_frames);
    EXPECT_TRUE(decode_sags(b.data(), b.size(), "new.sags").point_frames);
    std::vector<uint8_t> bad = b;
    const std::string number = "\"point_frames\":1234";
    std::memcpy(&bad[at], number.data(), number.size());
    reseal(bad);
    try {
        decode_sags(bad.data(), bad.size(), "bad.sags");
        ADD_FAILURE() << "a number for point_frames was accepted";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find("point_frames"), std::string::npos) << e.what();
    }
}

TEST(SagsFormat, BadFilesAreRefusedWithTheFieldNamed) {
    const std::vector<uint8_t> good = encode_sags(small_scene());
    ASSERT_EQ(decode_error(good), "");
    struct Case {
        const char* what;
        std::vector<uint8_t> bytes;
        const char* field;
    };
    std::vector<Case> cases;
    auto edit = [&](const char* what, const char* field, auto&& change) {
        std::vector<uint8_t> b = good;
        change(b);
        cases.push_back({what, std::move(b), field});
    };
    edit("magic", "magic", [](auto& b) { b[0] = 'X'; });
    edit("newer version", "newer Splatscape", [](auto& b) { b[8] = 3; });
    edit("truncated", "payload size", [](auto& b) { b.resize(b.size() - 100); });
    edit("empty", "magic", [](auto& b) { b.resize(3); });
    edit("flipped byte", "checksum", [](auto& b) { b[200] ^= 1; });
    edit("flags", "flags", [](auto& b) {
        b[12] = 1;
        reseal(b);
    });
    // A header that lies about the point count: the sections' rows disagree.
    auto header_replace = [&](const char* what, const char* field, const std::string& from, const std::string& to) {
        edit(what, field, [&](auto& b) {
            std::string s(b.begin(), b.end());
            const size_t at = s.find(from);
            ASSERT_NE(at, std::string::npos) << from;
            ASSERT_EQ(from.size(), to.size());
            std::memcpy(&b[at], to.data(), to.size());
            reseal(b);
        });
    };
    header_replace("lying point count", "section points", "\"points\":5", "\"points\":7");
    header_replace("lying camera count", "section cameras", "\"cameras\":2", "\"cameras\":9");
    header_replace("mismatched network inputs", "section mlp.offset", "\"inputs\":14", "\"inputs\":15");
    header_replace("network widths unlike its parameters", "section mlp.color", "\"outputs\":3", "\"outputs\":4");
    header_replace("opacity activation", "networks.opacity.output_activation", "\"output_activation\":3",
                   "\"output_activation\":1");
    header_replace("feature_dim out of range", "feature_dim", "\"feature_dim\":4", "\"feature_dim\":0");
    header_replace("local_residual not a boolean", "local_residual", "\"local_residual\":true",
                   "\"local_residual\":1234");
    // A section whose rows claim more values than the file holds.
    edit("huge section", "section features", [&](auto& b) {
        const size_t at = section_data(b, "features");
        ASSERT_GT(at, 0u);
        const uint64_t rows = uint64_t(1) << 40;
        std::memcpy(&b[at - 16], &rows, 8);
        reseal(b);
    });
    edit("NaN weight", "networks.covariance", [&](auto& b) {
        const size_t at = section_data(b, "mlp.covariance");
        ASSERT_GT(at, 0u);
        const float nan = std::numeric_limits<float>::quiet_NaN();
        std::memcpy(&b[at + 40], &nan, 4);
        reseal(b);
    });
    cases.push_back({"infinite scale", encode_sags(small_scene(), SagsFileOptions::named("half")), "scales"});
    {
        auto& b = cases.back().bytes;
        const size_t at = section_data(b, "scales");
        ASSERT_GT(at, 0u);
        const uint16_t inf = 0x7c00;
        std::memcpy(&b[at + 6], &inf, 2);
        reseal(b);
    }
    // Compact sections: a column's range must be finite with a step >= 0.
    edit("NaN column low", "section features", [&](auto& b) {
        const size_t at = section_data(b, "features");
        ASSERT_GT(at, 0u);
        const float nan = std::numeric_limits<float>::quiet_NaN();
        std::memcpy(&b[at + 8], &nan, 4); // column 1's low
        reseal(b);
    });
    edit("negative step", "section scales", [&](auto& b) {
        const size_t at = section_data(b, "scales");
        ASSERT_GT(at, 0u);
        const float step = -1.0f;
        std::memcpy(&b[at + 4], &step, 4);
        reseal(b);
    });
    edit("codes in a version 1 file", "unknown encoding", [&](auto& b) {
        b[8] = 1;
        reseal(b);
    });
    edit("unknown section", "unknown section", [&](auto& b) {
        const size_t at = section_data(b, "affine");
        ASSERT_GT(at, 0u);
        b[at - 16 - 6] = 'X'; // "affine" -> "Xffine"
        reseal(b);
    });
    edit("unknown encoding", "unknown encoding", [&](auto& b) {
        const size_t at = section_data(b, "points");
        b[at - 4] = 7;
        reseal(b);
    });
    for (const Case& c : cases) {
        const std::string e = decode_error(c.bytes);
        EXPECT_NE(e.find("bad.sags"), std::string::npos) << c.what << ": " << e;
        EXPECT_NE(e.find(c.field), std::string::npos) << c.what << ": " << e;
    }
    // Every truncation of a valid file is refused, never read out of bounds.
    for (size_t n = 0; n < good.size(); n += 37) {
        const std::vector<uint8_t> cut(good.begin(), good.begin() + long(n));
        EXPECT_NE(decode_error(cut), "") << n;
    }
}

TEST(SagsFormat, ValidateNamesTheField) {
    SagsScene s = small_scene();
    s.cameras[12] = 0.0f;
    try {
        s.validate("v.sags");
        FAIL() << "a camera without focal length passed";
    } catch (const Error& e) {
        EXPECT_EQ(e.field(), "cameras");
    }
    s = small_scene(false);
    s.edge = small_scene(true).edge;
    try {
        s.validate("v.sags");
        FAIL() << "an edge network without learned edges passed";
    } catch (const Error& e) {
        EXPECT_EQ(e.field(), "networks.edge");
    }
}

} // namespace
} // namespace splatscape::test
