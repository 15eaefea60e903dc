// Formats other tools use: SPZ frames and their record, glTF with SPZ compression, PlayCanvas SOG
// (ZIP + WebP) and GaussianSplats3D's .ksplat. Round trips within each format's stated bounds, the
// bytes each layout puts where, and bad input ending in one clear splatscape::Error.
#include <cmath>
#include <cstring>
#include <random>

#include <nlohmann/json.hpp>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/frame_convert.hpp"
#include "core/io/gltf.hpp"
#include "core/io/ksplat.hpp"
#include "core/io/scene_io.hpp"
#include "core/io/sog.hpp"
#include "core/io/spz.hpp"
#include "core/io/zip.hpp"
#include "tests/core/test_formats_support.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

using Bytes = std::vector<uint8_t>;
using test::cloud_diff;
using test::CloudDiff;
using test::format_test_cloud;

template <class F>
void expect_error(F&& f, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "an exception that is not splatscape::Error: " << e.what();
    }
}

void put_u32(Bytes& b, size_t at, uint32_t v) {
    std::memcpy(&b[at], &v, 4);
}

// Random corruption (truncations and byte changes) must end in success or splatscape::Error.
template <class Decode>
void mutation_fuzz(const Bytes& valid, Decode decode, int count, uint32_t seed) {
    std::mt19937 rng(seed);
    int errors = 0;
    for (int i = 0; i < count; ++i) {
        Bytes b = valid;
        if (i % 3 == 0) {
            b.resize(rng() % b.size());
        } else {
            for (int f = 1 + int(rng() % 8); f > 0; --f) {
                const size_t at = (rng() % 2) ? rng() % std::min<size_t>(128, b.size()) : rng() % b.size();
                b[at] = uint8_t(rng());
            }
        }
        try {
            decode(b);
        } catch (const Error&) {
            ++errors;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "mutation " << i << ": exception that is not splatscape::Error: " << e.what();
        }
    }
    EXPECT_GT(errors, count / 5) << "corruption went unnoticed suspiciously often";
}

// ---------------------------------------------------------------------------------------------
// SPZ frames

TEST(SpzFrame, DefaultsAreRdfWithARecordInV4AndRubInV3) {
    SpzOptions o;
    EXPECT_EQ(o.version, 4);
    EXPECT_EQ(spz_write_frame(o), SpzFrame::Rdf);
    o.version = 3;
    EXPECT_EQ(spz_write_frame(o), SpzFrame::Rub);
    o.version = 2;
    EXPECT_EQ(spz_write_frame(o), SpzFrame::Rub);
    EXPECT_EQ(parse_spz_frame("rub"), SpzFrame::Rub);
    EXPECT_EQ(parse_spz_frame("RDF"), SpzFrame::Rdf);
    EXPECT_FALSE(parse_spz_frame("rfu").has_value());
}

TEST(SpzFrame, RdfBytesAreThePlyFrameAndTheRecordSaysSo) {
    GaussianCloud c;
    c.resize(1, 0);
    c.positions = {1.0f, 2.0f, 3.0f};
    c.rotations = {1, 0, 0, 0};
    const Bytes bytes = encode_spz(c); // v4, RDF, record
    EXPECT_EQ(bytes[14] & 2, 2);
    uint32_t system;
    std::memcpy(&system, &bytes[40], 4);
    EXPECT_EQ(system, 6u); // spz::CoordinateSystem::RDF
    const SpzHeaderInfo info = spz_header_info(bytes.data(), bytes.size(), "mem");
    EXPECT_EQ(info.frame, SpzFrame::Rdf);
    EXPECT_NE(info.frame_source.find("recorded"), std::string::npos);
    // The record is followed when reading; naming the frame overrides it.
    const GaussianCloud r = decode_spz(bytes.data(), bytes.size(), "mem");
    EXPECT_NEAR(r.positions[1], 2.0f, 1e-3f);
    EXPECT_NEAR(r.positions[2], 3.0f, 1e-3f);
    SpzReadOptions as_rub;
    as_rub.frame = SpzFrame::Rub;
    const GaussianCloud flipped = decode_spz(bytes.data(), bytes.size(), "mem", as_rub);
    EXPECT_NEAR(flipped.positions[1], -2.0f, 1e-3f);
    EXPECT_NEAR(flipped.positions[2], -3.0f, 1e-3f);
}

TEST(SpzFrame, EveryFrameAndVersionRoundTrips) {
    const GaussianCloud c = format_test_cloud(500, 3, 41);
    for (int version : {3, 4})
        for (SpzFrame frame : {SpzFrame::Rdf, SpzFrame::Rub}) {
            SCOPED_TRACE(cat("v", version, " ", to_string(frame)));
            SpzOptions o;
            o.version = version;
            o.frame = frame;
            const Bytes bytes = encode_spz(c, o);
            SpzReadOptions r;
            if (version < 4) r.frame = frame; // v3 has no record: the reader is told
            const CloudDiff d = cloud_diff(c, decode_spz(bytes.data(), bytes.size(), "mem", r));
            EXPECT_LE(d.position, 1.0 / 8192 + 1e-6) << d;
            EXPECT_LE(d.rotation_deg, 0.25) << d;
            EXPECT_LE(d.sh_rest, 1.0 / 16 + 1.0 / 256 + 1e-6) << d;
        }
    // Without a record, v3 bytes are read as RUB.
    SpzOptions o;
    o.version = 3;
    o.frame = SpzFrame::Rdf;
    const Bytes rdf = encode_spz(c, o);
    const GaussianCloud as_default = decode_spz(rdf.data(), rdf.size(), "mem");
    EXPECT_NEAR(as_default.positions[1], -c.positions[1], 1e-3f);
    EXPECT_EQ(spz_header_info(rdf.data(), rdf.size(), "mem").frame, SpzFrame::Rub);
}

TEST(SpzFrame, BadRecordsAreClearErrors) {
    const GaussianCloud c = format_test_cloud(10, 0, 42);
    const Bytes good = encode_spz(c);
    Bytes b = good;
    put_u32(b, 40, 8); // RUF: a mirror image of RDF
    expect_error([&] { decode_spz(b.data(), b.size(), "bad.spz"); }, "mirror image");
    b = good;
    put_u32(b, 36, 4000); // record length past the TOC
    expect_error([&] { decode_spz(b.data(), b.size(), "bad.spz"); }, "runs past the table of contents");
    b = good;
    put_u32(b, 36, 2); // too short for its u32
    expect_error([&] { decode_spz(b.data(), b.size(), "bad.spz"); }, "SPZ_ADOBE_coordinate_system");
    b = good;
    put_u32(b, 16, 40); // TOC inside the record
    expect_error([&] { decode_spz(b.data(), b.size(), "bad.spz"); }, "record");
    // An unknown record type is skipped; UNSPECIFIED falls back to RUB.
    b = good;
    put_u32(b, 32, 0x12345678);
    EXPECT_EQ(spz_header_info(b.data(), b.size(), "mem").frame, SpzFrame::Rub);
    b = good;
    put_u32(b, 40, 0);
    EXPECT_EQ(spz_header_info(b.data(), b.size(), "mem").frame, SpzFrame::Rub);
}

// ---------------------------------------------------------------------------------------------
// glTF with KHR_gaussian_splatting_compression_spz_2

TEST(GltfSpz, RoundTripWithinSpzBoundsAndLayout) {
    for (int degree : {0, 3}) {
        const GaussianCloud c = format_test_cloud(400, degree, 51 + degree);
        GltfOptions o;
        o.spz = true;
        const Bytes glb = encode_glb(c, o);
        const CloudDiff d = cloud_diff(c, decode_gltf(glb.data(), glb.size(), "spz.glb"));
        SCOPED_TRACE(cat("degree ", degree));
        EXPECT_LE(d.position, 1.0 / 8192 + 1e-6) << d;
        EXPECT_LE(d.log_scale, 1.0 / 32 + 1e-4) << d;
        EXPECT_LE(d.opacity, 0.5 / 255 + 1e-5) << d;
        EXPECT_LE(d.rotation_deg, 0.25) << d;
        EXPECT_LE(d.sh_rest, 1.0 / 16 + 1.0 / 256 + 1e-5) << d;
        // Smaller than the float layout (400 splats: 8,776 against 25,566 bytes at degree 0, 2.9 x), and
        // the JSON names the extension where CesiumJS looks.
        const size_t plain = encode_glb(c).size();
        std::printf("glb with SPZ: %zu bytes, without: %zu (SH degree %d)\n", glb.size(), plain, degree);
        EXPECT_LT(glb.size() * 2, plain);
        uint32_t json_len;
        std::memcpy(&json_len, &glb[12], 4);
        const auto j = nlohmann::json::parse(std::string(glb.begin() + 20, glb.begin() + 20 + json_len));
        const auto& prim = j["meshes"][0]["primitives"][0];
        EXPECT_EQ(prim["extensions"]["KHR_gaussian_splatting"]["extensions"]["KHR_gaussian_splatting_compression_spz_2"]
                      ["bufferView"],
                  0);
        for (const char* a : {"POSITION", "COLOR_0", "KHR_gaussian_splatting:SCALE", "KHR_gaussian_splatting:ROTATION"})
            EXPECT_FALSE(j["accessors"][prim["attributes"][a].get<int>()].contains("bufferView")) << a;
        EXPECT_EQ(j["extensionsRequired"].size(), 2u);
    }
}

TEST(GltfSpz, LyingStreamsAreClearErrors) {
    const GaussianCloud c = format_test_cloud(50, 1, 53);
    GltfOptions o;
    o.spz = true;
    const Bytes good = encode_glb(c, o);
    uint32_t json_len;
    std::memcpy(&json_len, &good[12], 4);
    auto with_json = [&](const std::function<void(nlohmann::json&)>& change) {
        auto j = nlohmann::json::parse(std::string(good.begin() + 20, good.begin() + 20 + json_len));
        change(j);
        std::string text = j.dump();
        while (text.size() % 4) text += ' ';
        const size_t bin_at = 20 + json_len;
        Bytes out(good.begin(), good.begin() + 12);
        const uint32_t len = uint32_t(text.size());
        out.insert(out.end(), reinterpret_cast<const uint8_t*>(&len), reinterpret_cast<const uint8_t*>(&len) + 4);
        out.insert(out.end(), good.begin() + 16, good.begin() + 20);
        out.insert(out.end(), text.begin(), text.end());
        out.insert(out.end(), good.begin() + bin_at, good.end());
        put_u32(out, 8, uint32_t(out.size()));
        return out;
    };
    Bytes b = with_json([](nlohmann::json& j) { j["accessors"][0]["count"] = 49; });
    expect_error([&] { decode_gltf(b.data(), b.size(), "bad.glb"); }, "SPZ stream holds 50 splats");
    b = with_json([](nlohmann::json& j) {
        j["meshes"][0]["primitives"][0]["extensions"]["KHR_gaussian_splatting"]["extensions"]
         ["KHR_gaussian_splatting_compression_spz_2"]["bufferView"] = 7;
    });
    expect_error([&] { decode_gltf(b.data(), b.size(), "bad.glb"); }, "buffer view 7 does not exist");
    b = with_json([](nlohmann::json& j) {
        j["bufferViews"][0]["byteLength"] = j["bufferViews"][0]["byteLength"].get<int>() - 9;
    });
    expect_error([&] { decode_gltf(b.data(), b.size(), "bad.glb"); }, "truncated");
    b = with_json([](nlohmann::json& j) {
        j["meshes"][0]["primitives"][0]["attributes"].erase("KHR_gaussian_splatting:SH_DEGREE_1_COEF_0");
    });
    expect_error([&] { decode_gltf(b.data(), b.size(), "bad.glb"); }, "partly defined");
    mutation_fuzz(
        good, [](const Bytes& x) { return decode_gltf(x.data(), x.size(), "fuzz.glb"); }, 200, 54);
}

// ---------------------------------------------------------------------------------------------
// ZIP

TEST(Zip, StoredArchivesRoundTripAndLiesAreCaught) {
    const Bytes a = {1, 2, 3}, b(5000, 7);
    const Bytes zip = zip_store({{"a.bin", a}, {"dir/b.bin", b}});
    ASSERT_TRUE(is_zip(zip.data(), zip.size()));
    const ZipReader r(zip.data(), zip.size(), "t.zip");
    ASSERT_EQ(r.entries().size(), 2u);
    EXPECT_EQ(r.read("a.bin", 100), a);
    EXPECT_EQ(r.read("dir/b.bin", 10000), b);
    expect_error([&] { r.read("nope", 10); }, "missing");
    expect_error([&] { r.read("dir/b.bin", 100); }, "at most 100");
    expect_error([&] { ZipReader(zip.data(), zip.size() - 30, "t.zip"); }, "end-of-central-directory");
    Bytes bad = zip;
    bad[3 + 30 + 5] ^= 0xff; // a byte of a.bin's data... inside b's local header instead: CRC or signature
    bad = zip;
    bad[30 + 5] ^= 0xff; // a.bin's first data byte (local header 30 + 5-byte name)
    expect_error([&] { ZipReader(bad.data(), bad.size(), "t.zip").read("a.bin", 10); }, "CRC-32");
    mutation_fuzz(
        zip,
        [](const Bytes& x) {
            const ZipReader z(x.data(), x.size(), "fuzz.zip");
            for (const auto& e : z.entries()) z.read(e.name, 1 << 20);
            return 0;
        },
        300, 61);
}

// ---------------------------------------------------------------------------------------------
// SOG

TEST(Sog, RoundTripWithinItsQuantisation) {
    for (int degree : {0, 1, 3}) {
        const GaussianCloud c = format_test_cloud(3000, degree, 71 + degree);
        const Bytes sog = encode_sog(c);
        const GaussianCloud r = decode_sog(sog.data(), sog.size(), "t.sog");
        ASSERT_EQ(r.size(), c.size());
        ASSERT_EQ(r.sh_degree, degree);
        const CloudDiff d = cloud_diff(c, r);
        SCOPED_TRACE(cat("degree ", degree));
        std::printf("SOG round trip (3000 splats, SH %d, %zu bytes): %s\n", degree, sog.size(), cat(d).c_str());
        // Positions span +-8: t = ln(9) = 2.2 each way, 16-bit steps of 4.4 / 65535 in t, which near
        // |x| = 8 is 9 x that in x: 6.0e-4 at most; half a step when rounding.
        EXPECT_LE(d.position, 3.1e-4) << d;
        // 256-entry codebooks over 3000 x 3 uniform values in [-6, 0.5] and [-3, 3]: cells of about 0.025.
        EXPECT_LE(d.log_scale, 0.03) << d;
        EXPECT_LE(d.opacity, 0.5 / 255 + 1e-5) << d;
        // 8-bit components of sqrt2 q: up to 0.82 degrees measured on 3000 random rotations.
        EXPECT_LE(d.rotation_deg, 1.0) << d;
        EXPECT_LE(d.color, 0.03 * kShC0) << d;
        if (degree > 0) {
            EXPECT_LE(d.sh1 + d.sh_rest, 2 * 0.01) << d;
        }
    }
}

TEST(Sog, MetaJsonBesideItsTexturesAndTheScenePaths) {
    test::TempDir dir("sog_files");
    const GaussianCloud c = format_test_cloud(100, 2, 75);
    write_scene(dir / "scene" / "meta.json", c);
    for (const char* f : {"means_l.webp", "means_u.webp", "quats.webp", "scales.webp", "sh0.webp", "shN_centroids.webp",
                          "shN_labels.webp"})
        EXPECT_TRUE(std::filesystem::exists(dir / "scene" / f)) << f;
    const GaussianCloud a = read_scene(dir / "scene" / "meta.json");
    write_scene(dir / "b.sog", c);
    const GaussianCloud b = read_scene(dir / "b.sog");
    EXPECT_EQ(a.positions, b.positions);
    EXPECT_EQ(a.sh, b.sh);
    const auto meta = nlohmann::json::parse(read_file_text(dir / "scene" / "meta.json"));
    EXPECT_EQ(meta["version"], 2);
    EXPECT_EQ(meta["count"], 100);
    EXPECT_EQ(meta["shN"]["bands"], 2);
    EXPECT_EQ(scene_format_for("x/meta.json"), "sog");
}

TEST(Sog, LargeScenesShareAPaletteOfSixtyFiveThousandEntries) {
    const GaussianCloud c = format_test_cloud(70000, 1, 76);
    const Bytes sog = encode_sog(c);
    const ZipReader zip(sog.data(), sog.size(), "big.sog");
    const Bytes text = zip.read("meta.json", 1 << 20);
    const auto meta = nlohmann::json::parse(std::string(text.begin(), text.end()));
    EXPECT_EQ(meta["shN"]["count"], 65536);
    const CloudDiff d = cloud_diff(c, decode_sog(sog.data(), sog.size(), "big.sog"));
    // Median-cut cells of 70,000 uniform 9-vectors in [-0.95, 0.95]: at most 2 splats share one.
    EXPECT_LE(d.sh1, 1.0) << d;
    EXPECT_LE(d.position, 3.1e-4) << d;
}

TEST(Sog, BadInputIsAClearError) {
    const GaussianCloud c = format_test_cloud(40, 1, 77);
    const auto files_of = [&]() {
        const Bytes sog = encode_sog(c);
        const ZipReader zip(sog.data(), sog.size(), "t.sog");
        std::vector<std::pair<std::string, Bytes>> files;
        for (const auto& e : zip.entries()) files.push_back({e.name, zip.read(e.name, 1 << 24)});
        return files;
    };
    auto with_meta = [&](const std::function<void(nlohmann::json&)>& change) {
        auto files = files_of();
        auto j = nlohmann::json::parse(std::string(files[0].second.begin(), files[0].second.end()));
        change(j);
        const std::string text = j.dump();
        files[0].second.assign(text.begin(), text.end());
        return zip_store(files);
    };
    auto decode = [](const Bytes& b) { return decode_sog(b.data(), b.size(), "bad.sog"); };
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["count"] = 1e12; })); }, "count");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["count"] = 100000; })); }, "cannot hold");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j.erase("version"); })); }, "version 1");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["version"] = 3; })); }, "version");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["means"]["mins"] = {0, 0}; })); }, "means.mins");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["quats"]["files"] = {"../../etc/passwd"}; })); },
                 "not a plain file name");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["sh0"]["files"] = {"missing.webp"}; })); },
                 "missing");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["scales"]["codebook"] = {0.5}; })); }, "codebook");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["shN"]["bands"] = 2; })); }, "bands need");
    expect_error([&] { decode(with_meta([](nlohmann::json& j) { j["shN"]["count"] = 0; })); }, "palette");
    {
        auto files = files_of();
        files[1].second.resize(files[1].second.size() / 2); // a truncated texture
        expect_error([&] { decode(zip_store(files)); }, "WebP");
    }
    expect_error([&] { decode(Bytes{'P', 'K'}); }, "ZIP");
    mutation_fuzz(encode_sog(c), decode, 200, 78);
}

// ---------------------------------------------------------------------------------------------
// .ksplat

// A .ksplat as GaussianSplats3D lays it out (core/io/ksplat.hpp): one section, buckets of `capacity`
// splats for levels 1 and 2 (the last one partly filled).
Bytes make_ksplat(const GaussianCloud& c, int level, size_t capacity = 16) {
    const size_t n = c.size();
    const int degree = c.sh_degree, k = c.sh_coeffs();
    const int sh_count = degree ? 3 * (k - 1) : 0;
    const size_t sizes[3][5] = {{12, 12, 16, 4, 4}, {6, 6, 8, 4, 2}, {6, 6, 8, 4, 1}};
    const auto& L = sizes[level];
    const size_t stride = L[0] + L[1] + L[2] + L[3] + size_t(sh_count) * L[4];
    const size_t buckets = level ? (n + capacity - 1) / capacity : 0;
    const size_t full = level ? n / capacity : 0, partial = level ? buckets - full : 0;
    const float block = 5.0f, range = 32767.0f, sh_min = -1.5f, sh_max = 1.5f;
    Bytes b(4096 + 1024, 0);
    auto u16 = [&](size_t at, uint16_t v) { std::memcpy(&b[at], &v, 2); };
    auto f32 = [&](size_t at, float v) { std::memcpy(&b[at], &v, 4); };
    b[0] = 0;
    b[1] = 1;
    put_u32(b, 4, 1);
    put_u32(b, 8, 1);
    put_u32(b, 12, uint32_t(n));
    put_u32(b, 16, uint32_t(n));
    u16(20, uint16_t(level));
    f32(36, sh_min);
    f32(40, sh_max);
    const size_t h = 4096;
    put_u32(b, h, uint32_t(n));
    put_u32(b, h + 4, uint32_t(n));
    put_u32(b, h + 8, level ? uint32_t(capacity) : 0);
    put_u32(b, h + 12, uint32_t(buckets));
    f32(h + 16, level ? block : 0.0f);
    u16(h + 20, level ? 12 : 0);
    put_u32(b, h + 24, level ? uint32_t(range) : 0);
    put_u32(b, h + 32, uint32_t(full));
    put_u32(b, h + 36, uint32_t(partial));
    u16(h + 40, uint16_t(degree));
    std::vector<float> centers(3 * buckets, 0.0f);
    for (size_t bi = 0; bi < buckets; ++bi) {
        const size_t last = std::min(n, (bi + 1) * capacity);
        for (int a = 0; a < 3; ++a) {
            float sum = 0;
            for (size_t i = bi * capacity; i < last; ++i) sum += c.positions[3 * i + a];
            centers[3 * bi + a] = sum / float(last - bi * capacity);
        }
    }
    if (partial) {
        const uint32_t left = uint32_t(n - full * capacity);
        b.insert(b.end(), reinterpret_cast<const uint8_t*>(&left), reinterpret_cast<const uint8_t*>(&left) + 4);
    }
    for (float v : centers)
        b.insert(b.end(), reinterpret_cast<const uint8_t*>(&v), reinterpret_cast<const uint8_t*>(&v) + 4);
    auto half = [](float v) { // round to nearest half float (normal range)
        if (v == 0.0f) return uint16_t(0);
        const uint16_t sign = v < 0 ? 0x8000 : 0;
        int e;
        const float m = std::frexp(std::abs(v), &e); // v = m 2^e, m in [0.5, 1)
        int exponent = e + 14;
        long mant = std::lround((m * 2.0f - 1.0f) * 1024.0f);
        if (mant == 1024) mant = 0, ++exponent;
        if (exponent <= 0) return sign; // flush tiny values
        return uint16_t(sign | exponent << 10 | mant);
    };
    for (size_t i = 0; i < n; ++i) {
        Bytes r(stride, 0);
        size_t at = 0;
        auto put_float = [&](float v, size_t bytes) {
            if (bytes == 4)
                std::memcpy(&r[at], &v, 4);
            else {
                const uint16_t hv = half(v);
                std::memcpy(&r[at], &hv, 2);
            }
            at += bytes;
        };
        for (int a = 0; a < 3; ++a) {
            if (level == 0) {
                put_float(c.positions[3 * i + a], 4);
            } else {
                const float q =
                    (c.positions[3 * i + a] - centers[3 * (i / capacity) + a]) / (block / 2 / range) + range;
                const uint16_t v = uint16_t(std::clamp(std::lround(q), 0L, 65535L));
                std::memcpy(&r[at], &v, 2);
                at += 2;
            }
        }
        for (int a = 0; a < 3; ++a) put_float(std::exp(c.log_scales[3 * i + a]), L[1] / 3);
        float q[4], norm = 0;
        for (int a = 0; a < 4; ++a) norm += c.rotations[4 * i + a] * c.rotations[4 * i + a];
        for (int a = 0; a < 4; ++a) q[a] = c.rotations[4 * i + a] / std::sqrt(norm);
        for (int a = 0; a < 4; ++a) put_float(q[a], L[2] / 4);
        for (int a = 0; a < 3; ++a)
            r[at++] = uint8_t(std::clamp(std::lround(rgb_from_sh_dc(c.sh[(i * k) * 3 + a]) * 255.0f), 0L, 255L));
        r[at++] = uint8_t(std::clamp(std::lround(sigmoid(c.opacities[i]) * 255.0f), 0L, 255L));
        for (int band = 1; band <= degree; ++band)
            for (int ch = 0; ch < 3; ++ch)
                for (int j = 0; j < 2 * band + 1; ++j) {
                    const float v = c.sh[(i * k + band * band + j) * 3 + ch];
                    if (level < 2)
                        put_float(v, L[4]);
                    else
                        r[at++] = uint8_t(std::clamp(std::lround((v - sh_min) / (sh_max - sh_min) * 255.0f), 0L, 255L));
                }
        b.insert(b.end(), r.begin(), r.end());
    }
    return b;
}

TEST(Ksplat, ReadsEveryCompressionLevel) {
    GaussianCloud c = format_test_cloud(100, 2, 81);
    for (size_t i = 0; i < c.size(); ++i)
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] *= 0.2f; // within the test writer's bucket blocks
            c.sh[(i * 9) * 3 + a] *= 0.5f;  // colours within [0, 1]: .ksplat stores them as 8-bit RGB
        }
    for (int level : {0, 1, 2}) {
        SCOPED_TRACE(cat("level ", level));
        const Bytes b = make_ksplat(c, level);
        const GaussianCloud r = decode_ksplat(b.data(), b.size(), "t.ksplat");
        ASSERT_EQ(r.size(), c.size());
        ASSERT_EQ(r.sh_degree, 2);
        const CloudDiff d = cloud_diff(c, r);
        std::printf(".ksplat level %d: %s\n", level, cat(d).c_str());
        // Level 0 is float; 1 and 2 quantise positions to block / 2 / 32767 = 7.6e-5 around each bucket's
        // centre and scales, rotations to half floats (11 significant bits); 2 quantises SH to 3 / 255.
        EXPECT_LE(d.position, level ? 4e-5 : 1e-6) << d;
        EXPECT_LE(d.log_scale, level ? 1e-3 : 1e-6) << d;
        EXPECT_LE(d.rotation_deg, level ? 0.2 : 1e-3) << d;
        EXPECT_LE(d.opacity, 0.5 / 255 + 1e-6) << d;
        EXPECT_LE(d.color, 0.5 / 255 + 1e-6) << d;
        EXPECT_LE(d.sh1 + d.sh_rest, level == 2 ? 2 * (1.5 / 255 + 1e-6) : level == 1 ? 2e-3 : 1e-6) << d;
    }
}

TEST(Ksplat, BadInputIsAClearError) {
    const GaussianCloud c = format_test_cloud(40, 1, 82);
    const Bytes good = make_ksplat(c, 1);
    auto decode = [](const Bytes& b) { return decode_ksplat(b.data(), b.size(), "bad.ksplat"); };
    ASSERT_EQ(decode(good).size(), 40u);
    expect_error([&] { decode(Bytes(good.begin(), good.begin() + 1000)); }, "truncated");
    expect_error([&] { decode(Bytes(good.begin(), good.end() - 7)); }, "run past the end");
    Bytes b = good;
    b[0] = 1;
    expect_error([&] { decode(b); }, "version");
    b = good;
    b[20] = 3;
    expect_error([&] { decode(b); }, "compression level");
    b = good;
    put_u32(b, 4, 1u << 30);
    expect_error([&] { decode(b); }, "section headers do not fit");
    b = good;
    put_u32(b, 16, 41);
    expect_error([&] { decode(b); }, "sections hold 40");
    b = good;
    put_u32(b, 4096, 41); // section splat count above its room
    expect_error([&] { decode(b); }, "in room for");
    b = good;
    b[4096 + 40] = 5; // SH degree
    expect_error([&] { decode(b); }, "SH degree");
    b = good;
    put_u32(b, 4096 + 36, 0); // bucket counts disagree
    expect_error([&] { decode(b); }, "buckets");
    mutation_fuzz(good, decode, 300, 83);
}

} // namespace
} // namespace splatscape
