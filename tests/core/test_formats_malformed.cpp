// Malformed input for every scene reader: truncated files, lying counts and offsets, bad magic,
// unknown versions, compression bombs, and random corruption. Each must end in a clear
// splatscape::Error (no crash, no hang, no other exception); these tests also run under ASan/UBSan.
#include <chrono>
#include <cstdio>
#include <cstring>
#include <random>

#include <zstd.h>

#include "core/error.hpp"
#include "core/io/compression.hpp"
#include "core/io/gltf.hpp"
#include "core/io/playcanvas_ply.hpp"
#include "core/io/ply.hpp"
#include "core/io/splat_format.hpp"
#include "core/io/spz.hpp"
#include "tests/core/test_formats_support.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

using Bytes = std::vector<uint8_t>;
using Decoder = GaussianCloud (*)(const uint8_t*, size_t, const std::string&);

// Expects an Error whose message contains `needle` (case-sensitive).
template <class F>
void expect_error(F&& f, const std::string& needle) {
    try {
        f();
        ADD_FAILURE() << "no error; expected one mentioning '" << needle << "'";
    } catch (const Error& e) {
        EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << "message: " << e.what();
    }
}

void put_u32(Bytes& b, size_t at, uint32_t v) {
    std::memcpy(&b[at], &v, 4);
}
void put_u64(Bytes& b, size_t at, uint64_t v) {
    std::memcpy(&b[at], &v, 8);
}
void append_u32(Bytes& b, uint32_t v) {
    for (int s = 0; s < 32; s += 8) b.push_back(uint8_t(v >> s));
}
void append_u64(Bytes& b, uint64_t v) {
    append_u32(b, uint32_t(v));
    append_u32(b, uint32_t(v >> 32));
}

// A valid version 3 file (gzip).
Bytes spz_v3(const GaussianCloud& c) {
    SpzOptions o;
    o.version = 3;
    return encode_spz(c, o);
}

// The uncompressed v2/v3 payload (header + arrays) of a valid file.
Bytes spz_plain(const GaussianCloud& c) {
    const Bytes gz = spz_v3(c);
    InflateStream in(gz.data(), gz.size(), "mem");
    Bytes plain;
    uint8_t buf[4096];
    for (size_t n; (n = in.read(buf, sizeof(buf), "all")) > 0;) plain.insert(plain.end(), buf, buf + n);
    return plain;
}

Bytes gzip(const Bytes& b) {
    return gzip_compress(b.data(), b.size());
}

GaussianCloud decode_spz_bytes(const Bytes& b) {
    return decode_spz(b.data(), b.size(), "bad.spz");
}

// How many corrupted copies a decoder was given and how many it refused with an Error.
struct FuzzResult {
    int truncations = 0, truncations_refused = 0;
    int edits = 0, edits_refused = 0;
};

// Feeds `count` corrupted copies of `valid` to `decode`: truncations (every third) and random byte
// changes. Anything but success or splatscape::Error fails the test.
FuzzResult mutation_fuzz(const Bytes& valid, Decoder decode, int count, uint32_t seed) {
    std::mt19937 rng(seed);
    FuzzResult r;
    for (int i = 0; i < count; ++i) {
        Bytes b = valid;
        const bool truncation = i % 3 == 0;
        if (truncation) {
            b.resize(rng() % b.size());
        } else {
            const int flips = 1 + int(rng() % 8);
            for (int f = 0; f < flips; ++f) {
                // Headers hold the interesting fields: bias half the changes to the first 64 bytes.
                const size_t at = (rng() % 2) ? rng() % std::min<size_t>(64, b.size()) : rng() % b.size();
                b[at] = uint8_t(rng());
            }
        }
        (truncation ? r.truncations : r.edits)++;
        try {
            decode(b.data(), b.size(), "fuzz");
        } catch (const Error&) {
            (truncation ? r.truncations_refused : r.edits_refused)++;
        } catch (const std::exception& e) {
            ADD_FAILURE() << "mutation " << i << ": exception that is not splatscape::Error: " << e.what();
        }
    }
    return r;
}

// At least `min_truncations` of the truncated copies and `min_edits` of the edited ones refused
// (each test states the figures measured with its seeds; the bounds leave a small margin, so that
// a check lost from a decoder shows).
void expect_refused(const FuzzResult& r, const char* what, int min_truncations, int min_edits) {
    std::printf("%s: refused %d of %d truncated and %d of %d edited copies\n", what, r.truncations_refused,
                r.truncations, r.edits_refused, r.edits);
    EXPECT_GE(r.truncations_refused, min_truncations) << what << ": truncations that went unnoticed";
    EXPECT_GE(r.edits_refused, min_edits) << what << ": byte changes that went unnoticed";
}

// ---------------------------------------------------------------------------------------------
// SPZ

TEST(SpzMalformed, TruncatedAndBadMagic) {
    const GaussianCloud c = test::format_test_cloud(200, 1, 1);
    const Bytes gz = spz_v3(c);
    expect_error([&] { decode_spz_bytes({}); }, "truncated");
    expect_error([&] { decode_spz_bytes({'N', 'G'}); }, "truncated");
    for (size_t cut : {size_t(10), size_t(30), gz.size() / 2, gz.size() - 9})
        expect_error([&] { decode_spz_bytes(Bytes(gz.begin(), gz.begin() + cut)); }, "truncated");
    Bytes plain = spz_plain(c);
    Bytes bad = plain;
    bad[0] = 'X';
    expect_error([&] { decode_spz_bytes(bad); }, "magic");
    expect_error([&] { decode_spz_bytes(gzip(bad)); }, "magic");
    // Truncated inside the arrays, uncompressed.
    expect_error([&] { decode_spz_bytes(Bytes(plain.begin(), plain.end() - 5)); }, "truncated");
}

TEST(SpzMalformed, UnknownVersionsAndFields) {
    const Bytes plain = spz_plain(test::format_test_cloud(20, 0, 2));
    for (uint32_t version : {0u, 1u, 5u, 99u}) {
        Bytes b = plain;
        put_u32(b, 4, version);
        expect_error([&] { decode_spz_bytes(gzip(b)); }, "version");
        expect_error([&] { decode_spz_bytes(b); }, "version");
    }
    Bytes b = plain;
    b[12] = 7; // SH degree
    expect_error([&] { decode_spz_bytes(gzip(b)); }, "SH degree");
    b = plain;
    b[13] = 30; // fractional bits
    expect_error([&] { decode_spz_bytes(gzip(b)); }, "fractional");
}

TEST(SpzMalformed, LyingCountsAreRejectedBeforeInflating) {
    const Bytes plain = spz_plain(test::format_test_cloud(20, 3, 3));
    Bytes b = plain;
    put_u32(b, 8, 100000000); // 100M splats from a few kilobytes
    expect_error([&] { decode_spz_bytes(gzip(b)); }, "more than a");
    put_u32(b, 8, 0xffffffffu);
    expect_error([&] { decode_spz_bytes(gzip(b)); }, "supported");
    // A count a little larger than the data: the stream ends early.
    b = plain;
    put_u32(b, 8, 21);
    expect_error([&] { decode_spz_bytes(gzip(b)); }, "truncated");
}

TEST(SpzMalformed, GzipBombStopsAtTheHeadersCount) {
    // A valid 1000-splat file followed by 32 MiB of zeros inside the same gzip stream: inflation
    // must stop after the arrays the header promises instead of expanding the rest.
    Bytes b = spz_plain(test::format_test_cloud(1000, 0, 4));
    const size_t valid = b.size();
    b.resize(valid + (size_t(32) << 20), 0);
    const Bytes bomb = gzip(b);
    b = Bytes();
    ASSERT_LT(bomb.size(), size_t(1) << 20);
    EXPECT_EQ(decode_spz_bytes(bomb).size(), 1000u);
    // The stream reader hands out exactly what is asked for and leaves the rest compressed.
    InflateStream in(bomb.data(), bomb.size(), "bomb");
    Bytes out;
    in.read_exact(out, valid, "arrays");
    EXPECT_EQ(out.size(), valid);
    EXPECT_FALSE(in.finished());
}

struct V4Parts {
    Bytes header;                   // 32 bytes (without the frame record, so the TOC is at 32)
    std::vector<Bytes> raw, packed; // per stream
    Bytes assemble() const {
        Bytes out = header;
        for (size_t s = 0; s < packed.size(); ++s) {
            append_u64(out, packed[s].size());
            append_u64(out, raw[s].size());
        }
        for (const auto& p : packed) out.insert(out.end(), p.begin(), p.end());
        return out;
    }
};

V4Parts v4_parts(const GaussianCloud& c) {
    SpzOptions o;
    o.version = 4;
    const Bytes v4 = encode_spz(c, o);
    V4Parts p;
    p.header.assign(v4.begin(), v4.begin() + 32);
    p.header[14] &= uint8_t(~2u); // no extension records
    put_u32(p.header, 16, 32);
    uint32_t toc;
    std::memcpy(&toc, &v4[16], 4);
    const size_t streams = v4[15];
    size_t offset = toc + streams * 16;
    for (size_t s = 0; s < streams; ++s) {
        uint64_t comp, raw;
        std::memcpy(&comp, &v4[toc + 16 * s], 8);
        std::memcpy(&raw, &v4[toc + 16 * s + 8], 8);
        p.packed.emplace_back(v4.begin() + offset, v4.begin() + offset + comp);
        p.raw.push_back(zstd_decompress_exact(&v4[offset], comp, raw, "mem", "s"));
        offset += comp;
    }
    return p;
}

TEST(SpzMalformed, V4LyingTableOfContents) {
    const GaussianCloud c = test::format_test_cloud(300, 1, 5);
    const V4Parts parts = v4_parts(c);
    const Bytes good = parts.assemble();
    ASSERT_EQ(decode_spz_bytes(good).size(), 300u);
    expect_error([&] { decode_spz_bytes(Bytes(good.begin(), good.begin() + 20)); }, "truncated");
    Bytes b = good;
    put_u32(b, 16, uint32_t(good.size() + 100)); // TOC offset past the end
    expect_error([&] { decode_spz_bytes(b); }, "tocByteOffset");
    b = good;
    put_u32(b, 16, 8); // inside the header
    expect_error([&] { decode_spz_bytes(b); }, "tocByteOffset");
    b = good;
    b[15] = 5; // stream count that does not fit SH degree 1
    expect_error([&] { decode_spz_bytes(b); }, "numStreams");
    b = good;
    put_u64(b, 32 + 8, 300 * 9 + 1); // uncompressed size of positions disagrees with the count
    expect_error([&] { decode_spz_bytes(b); }, "positions");
    b = good;
    put_u64(b, 32 + 16 * 3, uint64_t(1) << 40); // compressed size of scales runs past the end
    expect_error([&] { decode_spz_bytes(b); }, "scales");
    b = good;
    put_u32(b, 8, 301); // count no longer matches any stream
    expect_error([&] { decode_spz_bytes(b); }, "need");
    // Truncated file: the last stream is cut.
    expect_error([&] { decode_spz_bytes(Bytes(good.begin(), good.end() - 10)); }, "sh");
}

TEST(SpzMalformed, ZstdBombsAndCorruptStreams) {
    const GaussianCloud c = test::format_test_cloud(300, 0, 6);
    V4Parts parts = v4_parts(c);
    // A stream whose frame declares more content than the TOC: rejected before decompressing.
    {
        V4Parts p = parts;
        Bytes big = p.raw[1];
        big.resize(big.size() + (size_t(16) << 20), 0);
        p.packed[1] = zstd_compress(big.data(), big.size());
        expect_error([&] { decode_spz_bytes(p.assemble()); }, "frame holds");
    }
    // The same bomb without a content size in the frame header: stopped while decompressing.
    {
        V4Parts p = parts;
        Bytes big = p.raw[1];
        big.resize(big.size() + (size_t(16) << 20), 0);
        ZSTD_CCtx* cctx = ZSTD_createCCtx();
        ZSTD_CCtx_setParameter(cctx, ZSTD_c_contentSizeFlag, 0);
        Bytes out(ZSTD_compressBound(big.size()));
        ZSTD_inBuffer in{big.data(), big.size(), 0};
        ZSTD_outBuffer ob{out.data(), out.size(), 0};
        ASSERT_EQ(ZSTD_compressStream2(cctx, &ob, &in, ZSTD_e_end), 0u);
        ZSTD_freeCCtx(cctx);
        out.resize(ob.pos);
        ASSERT_EQ(ZSTD_getFrameContentSize(out.data(), out.size()), ZSTD_CONTENTSIZE_UNKNOWN);
        p.packed[1] = out;
        const auto start = std::chrono::steady_clock::now();
        expect_error([&] { decode_spz_bytes(p.assemble()); }, "more than");
        EXPECT_LT(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(), 1.0);
    }
    // Garbage instead of a zstd frame, and a frame with a corrupted body.
    {
        V4Parts p = parts;
        std::fill(p.packed[2].begin(), p.packed[2].end(), 0x5a);
        expect_error([&] { decode_spz_bytes(p.assemble()); }, "zstd");
        p = parts;
        for (size_t i = 12; i < p.packed[0].size(); i += 7) p.packed[0][i] ^= 0xa5;
        expect_error([&] { decode_spz_bytes(p.assemble()); }, "positions");
    }
}

TEST(SpzMalformed, RandomCorruption) {
    const GaussianCloud c = test::format_test_cloud(64, 2, 7);
    // Measured: every truncation refused; 196, 157 and 65 of the 200 byte changes (the gzip and zstd
    // streams catch most; uncompressed, only header and count checks can). Bounds: 10 fewer each.
    const auto spz = [](const uint8_t* d, size_t n, const std::string& f) { return decode_spz(d, n, f); };
    expect_refused(mutation_fuzz(spz_v3(c), spz, 300, 1), "spz v3", 100, 186);
    SpzOptions o;
    o.version = 4;
    expect_refused(mutation_fuzz(encode_spz(c, o), spz, 300, 2), "spz v4", 100, 147);
    o.version = 2;
    expect_refused(mutation_fuzz(spz_plain(c), spz, 300, 3), "spz v2 uncompressed", 100, 55);
}

// ---------------------------------------------------------------------------------------------
// PlayCanvas compressed PLY

// A small valid file in the compressed layout (chunk colours included), built field by field.
Bytes compressed_ply(size_t n, bool sh) {
    const size_t chunks = (n + 255) / 256;
    std::string h = cat("ply\nformat binary_little_endian 1.0\nelement chunk ", chunks, "\n");
    for (const char* p :
         {"min_x", "min_y", "min_z", "max_x", "max_y", "max_z", "min_scale_x", "min_scale_y", "min_scale_z",
          "max_scale_x", "max_scale_y", "max_scale_z", "min_r", "min_g", "min_b", "max_r", "max_g", "max_b"})
        h += cat("property float ", p, "\n");
    h += cat("element vertex ", n,
             "\nproperty uint packed_position\nproperty uint packed_rotation\n"
             "property uint packed_scale\nproperty uint packed_color\n");
    if (sh) {
        h += cat("element sh ", n, "\n");
        for (int i = 0; i < 9; ++i) h += cat("property uchar f_rest_", i, "\n");
    }
    h += "end_header\n";
    Bytes b(h.begin(), h.end());
    for (size_t c = 0; c < chunks; ++c) {
        const float v[18] = {-1, -2, -3, 1, 2, 3, -5, -5, -5, -1, -1, -1, 0, 0, 0, 1, 1, 1};
        const auto* p = reinterpret_cast<const uint8_t*>(v);
        b.insert(b.end(), p, p + sizeof(v));
    }
    std::mt19937 rng(3);
    for (size_t i = 0; i < 4 * n; ++i) append_u32(b, uint32_t(rng()));
    if (sh)
        for (size_t i = 0; i < 9 * n; ++i) b.push_back(uint8_t(rng()));
    return b;
}

TEST(CompressedPlyMalformed, ValidFileDecodes) {
    const Bytes b = compressed_ply(300, true);
    ASSERT_TRUE(is_playcanvas_ply(b.data(), b.size()));
    const GaussianCloud c = decode_playcanvas_ply(b.data(), b.size(), "pc.ply");
    EXPECT_EQ(c.size(), 300u);
    EXPECT_EQ(c.sh_degree, 1);
    for (size_t i = 0; i < c.size(); ++i) {
        EXPECT_GE(c.positions[3 * i + 1], -2.0f);
        EXPECT_LE(c.positions[3 * i + 2], 3.0f);
        EXPECT_GE(c.log_scales[3 * i], -5.0f);
    }
}

TEST(CompressedPlyMalformed, TruncatedLyingAndMistyped) {
    const Bytes good = compressed_ply(300, true);
    auto decode = [](const Bytes& b) { return decode_playcanvas_ply(b.data(), b.size(), "pc.ply"); };
    expect_error([&] { decode(Bytes(good.begin(), good.end() - 3)); }, "truncated");
    std::string text(good.begin(), good.end());
    auto edited = [&](const std::string& from, const std::string& to) {
        std::string t = text;
        t.replace(t.find(from), from.size(), to);
        return Bytes(t.begin(), t.end());
    };
    expect_error([&] { decode(edited("element vertex 300", "element vertex 3000000")); }, "element");
    expect_error([&] { decode(edited("element chunk 2", "element chunk 1")); }, "chunk");
    expect_error([&] { decode(edited("property uint packed_position", "property float packed_position")); }, "type");
    expect_error([&] { decode(edited("property float max_scale_z", "property float max_scale_w")); }, "max_scale_z");
    expect_error([&] { decode(edited("binary_little_endian", "binary_big_endian   ")); }, "format");
    expect_error([&] { decode(edited("element sh 300", "element sh 299")); }, "sh");
    // Measured: 100 of 100 truncations and 179 of 200 byte changes refused; bounds 100 and 169.
    expect_refused(mutation_fuzz(good, &decode_playcanvas_ply, 300, 4), "compressed ply", 100, 169);
}

// ---------------------------------------------------------------------------------------------
// glTF

GaussianCloud decode_glb_bytes(const Bytes& b) {
    return decode_gltf(b.data(), b.size(), "bad.glb");
}
GaussianCloud decode_gltf_plain(const uint8_t* d, size_t n, const std::string& f) {
    return decode_gltf(d, n, f);
}

test::GlbBuilder valid_builder(size_t n) {
    test::GlbBuilder b;
    std::vector<float> pos(n * 3, 0.5f), rot(n * 4, 0.0f), scale(n * 3, 0.1f), op(n, 0.5f), dc(n * 3, 0.2f);
    for (size_t i = 0; i < n; ++i) rot[4 * i + 3] = 1.0f;
    b.add("POSITION", pos, test::kGlFloat, "VEC3", n);
    b.add("KHR_gaussian_splatting:ROTATION", rot, test::kGlFloat, "VEC4", n);
    b.add("KHR_gaussian_splatting:SCALE", scale, test::kGlFloat, "VEC3", n);
    b.add("KHR_gaussian_splatting:OPACITY", op, test::kGlFloat, "SCALAR", n);
    b.add("KHR_gaussian_splatting:SH_DEGREE_0_COEF_0", dc, test::kGlFloat, "VEC3", n);
    return b;
}

TEST(GltfMalformed, ContainerErrors) {
    const Bytes good = encode_glb(test::format_test_cloud(20, 1, 8));
    expect_error([&] { decode_glb_bytes({}); }, "empty");
    expect_error([&] { decode_glb_bytes(Bytes(good.begin(), good.begin() + 12)); }, "truncated");
    expect_error([&] { decode_glb_bytes(Bytes(good.begin(), good.end() - 40)); }, "truncated");
    Bytes b = good;
    put_u32(b, 4, 1);
    expect_error([&] { decode_glb_bytes(b); }, "version");
    b = good;
    put_u32(b, 12, uint32_t(good.size())); // JSON chunk longer than the file
    expect_error([&] { decode_glb_bytes(b); }, "JSON chunk");
    b = good;
    b[0] = 'x'; // not GLB: parsed as JSON text, which it is not
    expect_error([&] { decode_glb_bytes(b); }, "not a valid glTF");
    std::string deep(100000, '[');
    expect_error([&] { decode_glb_bytes(Bytes(deep.begin(), deep.end())); }, "nested");
    std::string not_splats = R"({"asset": {"version": "2.0"}})";
    expect_error([&] { decode_glb_bytes(Bytes(not_splats.begin(), not_splats.end())); }, "no Gaussian splat");
}

TEST(GltfMalformed, LyingAccessorsAndViews) {
    {
        auto b = valid_builder(4);
        b.doc["accessors"][0]["count"] = 5000; // POSITION claims more than its view holds
        expect_error([&] { decode_glb_bytes(b.build()); }, "run past");
    }
    {
        auto b = valid_builder(4);
        b.doc["accessors"][1]["count"] = 3;
        expect_error([&] { decode_glb_bytes(b.build()); }, "POSITION has 4");
    }
    {
        auto b = valid_builder(4);
        b.doc["bufferViews"][2]["byteOffset"] = 1u << 30; // view past the end of the buffer
        expect_error([&] { decode_glb_bytes(b.build()); }, "buffer view");
    }
    {
        auto b = valid_builder(4);
        b.doc["bufferViews"][0]["byteStride"] = 4; // smaller than a VEC3 of floats
        expect_error([&] { decode_glb_bytes(b.build()); }, "stride");
    }
    {
        auto b = valid_builder(4);
        b.doc["accessors"][0]["componentType"] = test::kGlUByte;
        expect_error([&] { decode_glb_bytes(b.build()); }, "component type");
    }
    {
        auto b = valid_builder(4);
        b.doc["accessors"][3]["type"] = "VEC2";
        expect_error([&] { decode_glb_bytes(b.build()); }, "components");
    }
    {
        auto b = valid_builder(4);
        b.attributes["KHR_gaussian_splatting:ROTATION"] = 42;
        expect_error([&] { decode_glb_bytes(b.build()); }, "accessor 42");
    }
    {
        auto b = valid_builder(4);
        b.attributes.erase("KHR_gaussian_splatting:OPACITY");
        expect_error([&] { decode_glb_bytes(b.build()); }, "OPACITY");
    }
    {
        auto b = valid_builder(4);
        b.doc["accessors"][0]["sparse"] = {
            {"count", 1}, {"indices", {{"bufferView", 0}, {"componentType", 5125}}}, {"values", {{"bufferView", 0}}}};
        expect_error([&] { decode_glb_bytes(b.build()); }, "");
    }
}

TEST(GltfMalformed, StructureErrors) {
    {
        auto b = valid_builder(2);
        expect_error([&] { decode_glb_bytes(b.build({}, 4)); }, "POINTS"); // TRIANGLES
    }
    {
        auto b = valid_builder(2);
        b.add<float>("KHR_gaussian_splatting:SH_DEGREE_1_COEF_0", std::vector<float>(6, 0.0f), test::kGlFloat, "VEC3",
                     2);
        expect_error([&] { decode_glb_bytes(b.build()); }, "partly defined");
    }
    {
        auto b = valid_builder(2);
        b.doc["extensionsRequired"] = {"KHR_draco_mesh_compression"};
        expect_error([&] { decode_glb_bytes(b.build()); }, "KHR_draco_mesh_compression");
    }
    {
        auto b = valid_builder(2);
        expect_error([&] { decode_glb_bytes(b.build({{"children", {0}}})); }, "twice"); // node is its own child
    }
    {
        auto b = valid_builder(2);
        expect_error([&] { decode_glb_bytes(b.build({{"scale", {1, 2, 1}}})); }, "unevenly");
    }
    {
        auto b = valid_builder(2);
        expect_error([&] { decode_glb_bytes(b.build({{"scale", {-1, -1, -1}}})); }, "mirrors");
    }
}

TEST(GltfMalformed, RandomCorruption) {
    // Measured: 100 of 100 truncations and 187 of 200 byte changes refused; bounds 100 and 177.
    expect_refused(mutation_fuzz(encode_glb(test::format_test_cloud(16, 1, 9)), &decode_gltf_plain, 300, 5), "glb", 100,
                   177);
}

// ---------------------------------------------------------------------------------------------
// .splat and the reference PLY (their own tests cover the layouts; these add corruption)

GaussianCloud decode_ply_plain(const uint8_t* d, size_t n, const std::string& f) {
    return read_gaussian_ply(d, n, f);
}

TEST(SplatAndPlyMalformed, RandomCorruption) {
    const GaussianCloud c = test::format_test_cloud(40, 1, 10);
    // Measured: every truncation refused (a .splat cut at a whole number of 32-byte splats would be
    // valid; none of these is); 18 of 133 byte changes refused in .splat (only non-finite positions
    // and non-positive scales are invalid there), 118 of 133 in the PLY. Bounds: 67 and 13, 67 and
    // 108.
    expect_refused(mutation_fuzz(encode_splat(c), &decode_splat, 200, 6), "splat", 67, 13);
    expect_refused(mutation_fuzz(encode_gaussian_ply(c), &decode_ply_plain, 200, 7), "ply", 67, 108);
}

} // namespace
} // namespace splatscape
