#include "core/io/spz.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <iterator>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/compression.hpp"
#include "core/io/frame_convert.hpp"
#include "core/io/quantize.hpp"
#include "core/log.hpp"

namespace splatscape {
namespace {

using quant::load_u32;
using quant::load_u64;
using quant::pack_smallest_three;
using quant::put_u32;
using quant::put_u64;
using quant::to_u8;
using quant::unpack_smallest_three;

constexpr size_t kLegacyHeaderBytes = 16;
constexpr size_t kV4HeaderBytes = 32;
constexpr size_t kTocEntryBytes = 16;
constexpr uint8_t kFlagAntialiased = 0x1;
constexpr uint8_t kFlagExtensions = 0x2;
// Extension records (v4): u32 type, u32 byte length, payload. SPZ_ADOBE_coordinate_system carries a
// u32 spz::CoordinateSystem (Niantic's enum: UNSPECIFIED 0, LDB 1, RDB 2, LUB 3, RUB 4, LDF 5, RDF 6,
// LUF 7, RUF 8, then the axis-swapping family 9..16).
constexpr uint32_t kExtCoordinateSystem = 0xADBE0003;
constexpr size_t kExtRecordHeaderBytes = 8;
constexpr size_t kExtCoordinateSystemBytes = 4;
// Fixed-point DC colour: dc * 0.15 * 255 + 127.5, a narrower scale than SH_C0 so that colours
// slightly outside [0, 1] (which higher bands bring back) survive.
constexpr float kColorScale = 0.15f;
constexpr int kDefaultFractionalBits = 12;
// A sanity bound on the count before any size arithmetic (Niantic's reader uses int32 counts).
constexpr uint64_t kMaxSplats = uint64_t(1) << 28;

// Coefficients per splat beyond DC for an SPZ SH degree (SPZ allows degree 4).
int sh_dim(int degree) {
    return (degree + 1) * (degree + 1) - 1;
}

struct Header {
    uint32_t version = 0;
    uint32_t count = 0;
    int sh_degree = 0;
    int fractional_bits = 0;
    uint8_t flags = 0;
    std::optional<SpzFrame> recorded_frame; // v4 SPZ_ADOBE_coordinate_system record
};

struct FrameCode {
    SpzFrame frame;
    uint32_t code; // spz::CoordinateSystem
    const char* name;
    AxisFlip from_rdf;
};
constexpr FrameCode kFrames[] = {
    {SpzFrame::Rdf, 6, "RDF", {1, 1, 1}},
    {SpzFrame::Rub, 4, "RUB", {1, -1, -1}},
    {SpzFrame::Luf, 7, "LUF", {-1, -1, 1}},
    {SpzFrame::Ldb, 1, "LDB", {-1, 1, -1}},
};
const FrameCode& frame_code(SpzFrame f) {
    for (const auto& c : kFrames)
        if (c.frame == f) return c;
    return kFrames[0];
}
constexpr const char* kCoordinateSystemNames[] = {"UNSPECIFIED", "LDB", "RDB", "LUB", "RUB", "LDF", "RDF", "LUF", "RUF",
                                                  "LFD",         "RFD", "LFU", "RFU", "LBD", "RBD", "LBU", "RBU"};

// Reads the extension records of a v4 file (between the header and the TOC at `toc`).
void parse_extension_records(const uint8_t* data, size_t toc, Header& h, const std::string& file) {
    size_t at = kV4HeaderBytes;
    while (at < toc) {
        if (toc - at < kExtRecordHeaderBytes)
            throw Error(file, "extensions",
                        cat(toc - at, " bytes before the table of contents are not a whole record"));
        const uint32_t type = load_u32(data + at), length = load_u32(data + at + 4);
        at += kExtRecordHeaderBytes;
        if (length > toc - at)
            throw Error(
                file, "extensions",
                cat("record 0x", std::hex, type, std::dec, " of ", length, " bytes runs past the table of contents"));
        if (type == kExtCoordinateSystem) {
            if (length < kExtCoordinateSystemBytes)
                throw Error(file, "SPZ_ADOBE_coordinate_system", cat(length, " bytes; expected a u32"));
            const uint32_t code = load_u32(data + at);
            bool known = false;
            for (const auto& c : kFrames)
                if (c.code == code) h.recorded_frame = c.frame, known = true;
            if (!known && code != 0) // 0: UNSPECIFIED, as if there were no record
                throw Error(file, "SPZ_ADOBE_coordinate_system",
                            cat("coordinate system ",
                                code < std::size(kCoordinateSystemNames) ? kCoordinateSystemNames[code] : "", " (",
                                code,
                                ") is a mirror image or swaps axes of RDF; this build reads RDF, RUB, LUF and LDB"));
        } else {
            log::debug(file, ": SPZ extension record 0x", std::hex, type, std::dec, " (", length, " bytes) skipped");
        }
        at += length;
    }
}

Header parse_header(const uint8_t* p, const std::string& file) {
    Header h;
    if (load_u32(p) != kSpzMagic) throw Error(file, "magic", "not an SPZ file (expected 'NGSP')");
    h.version = load_u32(p + 4);
    h.count = load_u32(p + 8);
    h.sh_degree = p[12];
    h.fractional_bits = p[13];
    h.flags = p[14];
    if (h.version < 2 || h.version > 4)
        throw Error(file, "version", cat("SPZ version ", h.version, " is not supported (this build reads 2, 3 and 4)"));
    if (h.sh_degree > 4) throw Error(file, "sh_degree", cat("SH degree ", h.sh_degree, " is outside 0..4"));
    if (h.fractional_bits > 24)
        throw Error(file, "fractional_bits",
                    cat(h.fractional_bits, " fractional bits leave no integer part (at most 24)"));
    if (h.count > kMaxSplats)
        throw Error(file, "count", cat(h.count, " splats is more than the ", kMaxSplats, " supported"));
    return h;
}

// Attribute array sizes in file order: positions, alphas, colours, scales, rotations, SH.
std::vector<uint64_t> stream_sizes(const Header& h) {
    const uint64_t n = h.count;
    std::vector<uint64_t> s = {n * 9, n, n * 3, n * 3, n * (h.version >= 3 ? 4 : 3)};
    if (h.sh_degree > 0) s.push_back(n * uint64_t(sh_dim(h.sh_degree)) * 3);
    return s;
}

// Rounds to the nearest multiple of the bucket implied by `bits`, so fewer bits compress better
// while every reader still decodes u8.
uint8_t quantize_sh(float v, int bits) {
    const int bucket = 1 << (8 - bits);
    long q = std::lround(v * 128.0f) + 128;
    q = (q + bucket / 2) / bucket * bucket;
    return uint8_t(std::clamp(q, 0L, 255L));
}

// Decodes the attribute arrays (already in memory, uncompressed) into a cloud in the internal frame.
GaussianCloud decode_arrays(const Header& h, const std::vector<const uint8_t*>& arrays, const std::string& file,
                            SpzFrame frame) {
    const size_t n = h.count;
    const int degree = std::min(h.sh_degree, kMaxShDegree);
    if (h.sh_degree > kMaxShDegree)
        log::warn(file, ": SH degree 4 is stored; keeping bands 0-3 (this build renders up to degree 3)");
    GaussianCloud c;
    c.resize(n, degree);
    // Trained with the compensated 2D low-pass filter; the format does not say its size, and the
    // viewers that read the flag use 0.3 pixels^2 (gsplat's antialiased mode).
    c.antialiased = (h.flags & kFlagAntialiased) != 0;
    const int k = c.sh_coeffs();
    const int dim = h.sh_degree > 0 ? sh_dim(h.sh_degree) : 0;
    const uint8_t *pos = arrays[0], *alpha = arrays[1], *color = arrays[2], *scale = arrays[3], *rot = arrays[4];
    const uint8_t* sh = dim ? arrays[5] : nullptr;
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = quant::load_fixed24(pos + 9 * i + 3 * a, h.fractional_bits);
            c.log_scales[3 * i + a] = float(scale[3 * i + a]) / 16.0f - 10.0f;
            c.sh[(i * k) * 3 + a] = (float(color[3 * i + a]) / 255.0f - 0.5f) / kColorScale;
        }
        const float p = std::clamp(float(alpha[i]) / 255.0f, 0.5f / 255.0f, 1.0f - 0.5f / 255.0f);
        c.opacities[i] = logit(p);
        float q[4]; // x y z w
        if (h.version >= 3) {
            unpack_smallest_three(rot + 4 * i, q);
        } else {
            float s = 0.0f;
            for (int a = 0; a < 3; ++a) {
                q[a] = float(rot[3 * i + a]) / 127.5f - 1.0f;
                s += q[a] * q[a];
            }
            q[3] = std::sqrt(std::max(0.0f, 1.0f - s));
        }
        c.rotations[4 * i + 0] = q[3];
        for (int a = 0; a < 3; ++a) c.rotations[4 * i + 1 + a] = q[a];
        for (int j = 1; j < k; ++j)
            for (int ch = 0; ch < 3; ++ch)
                c.sh[(i * k + j) * 3 + ch] = (float(sh[(i * dim + (j - 1)) * 3 + ch]) - 128.0f) / 128.0f;
    }
    if (frame != SpzFrame::Rdf) apply_axis_flip(c, frame_code(frame).from_rdf); // each flip is its own inverse
    c.validate(file.c_str());
    return c;
}

SpzFrame reading_frame(const Header& h, const SpzReadOptions& o) {
    return o.frame ? *o.frame : h.recorded_frame ? *h.recorded_frame : SpzFrame::Rub;
}

GaussianCloud decode_legacy_payload(const Header& h, const std::vector<uint8_t>& payload, const std::string& file,
                                    const SpzReadOptions& o) {
    std::vector<const uint8_t*> arrays;
    size_t off = 0;
    for (uint64_t s : stream_sizes(h)) {
        arrays.push_back(payload.data() + off);
        off += size_t(s);
    }
    return decode_arrays(h, arrays, file, reading_frame(h, o));
}

GaussianCloud decode_gzip(const uint8_t* data, size_t size, const std::string& file, const SpzReadOptions& o) {
    InflateStream in(data, size, file);
    uint8_t hb[kLegacyHeaderBytes];
    if (in.read(hb, sizeof(hb), "header") != sizeof(hb))
        throw Error(file, "header", "truncated: the stream ends inside the 16-byte header");
    Header h = parse_header(hb, file);
    if (h.version == 4) throw Error(file, "version", "version 4 inside a gzip stream (v4 files have a plain header)");
    uint64_t total = 0;
    for (uint64_t s : stream_sizes(h)) total += s;
    // Before inflating: the count must fit what this much deflate data can expand to.
    if (total > deflate_max_output(size))
        throw Error(file, "count",
                    cat(h.count, " splats need ", total, " bytes, more than a ", size,
                        "-byte gzip stream can hold (corrupt or lying header)"));
    std::vector<uint8_t> payload;
    in.read_exact(payload, size_t(total), "attributes"); // stops at `total` even if more follows
    if (!in.finished() && !(h.flags & kFlagExtensions)) {
        uint8_t extra;
        if (in.read(&extra, 1, "attributes") != 0) log::warn(file, ": data after the last attribute array ignored");
    }
    return decode_legacy_payload(h, payload, file, o);
}

GaussianCloud decode_plain_legacy(const uint8_t* data, size_t size, const std::string& file, const SpzReadOptions& o) {
    Header h = parse_header(data, file);
    uint64_t total = 0;
    for (uint64_t s : stream_sizes(h)) total += s;
    if (total > size - kLegacyHeaderBytes)
        throw Error(file, "count",
                    cat("truncated or lying count: ", h.count, " splats need ", total, " bytes, ",
                        size - kLegacyHeaderBytes, " present"));
    std::vector<uint8_t> payload(data + kLegacyHeaderBytes, data + kLegacyHeaderBytes + total);
    return decode_legacy_payload(h, payload, file, o);
}

// The v4 header with its extension records; `toc` receives the table of contents' offset.
Header parse_v4_header(const uint8_t* data, size_t size, const std::string& file, uint64_t& toc) {
    if (size < kV4HeaderBytes) throw Error(file, "header", cat("truncated: ", size, " bytes, a v4 header needs 32"));
    Header h = parse_header(data, file);
    toc = load_u32(data + 16);
    const size_t streams = data[15];
    if (toc < kV4HeaderBytes || toc > size || streams * kTocEntryBytes > size - toc)
        throw Error(
            file, "tocByteOffset",
            cat("table of contents at ", toc, " (", streams, " entries) lies outside the ", size, "-byte file"));
    if (h.flags & kFlagExtensions)
        parse_extension_records(data, size_t(toc), h, file);
    else if (toc != kV4HeaderBytes)
        log::debug(file, ": ", toc - kV4HeaderBytes,
                   " bytes between the header and the TOC without the extension flag");
    return h;
}

GaussianCloud decode_v4(const uint8_t* data, size_t size, const std::string& file, const SpzReadOptions& o) {
    uint64_t toc = 0;
    Header h = parse_v4_header(data, size, file, toc);
    const size_t streams = data[15];
    const std::vector<uint64_t> expected = stream_sizes(h);
    if (streams != expected.size())
        throw Error(file, "numStreams", cat(streams, " streams; SH degree ", h.sh_degree, " needs ", expected.size()));
    uint64_t offset = toc + streams * kTocEntryBytes;
    std::vector<std::vector<uint8_t>> arrays;
    static const char* kNames[] = {"positions", "alphas", "colors", "scales", "rotations", "sh"};
    for (size_t s = 0; s < streams; ++s) {
        const uint64_t compressed = load_u64(data + toc + s * kTocEntryBytes);
        const uint64_t uncompressed = load_u64(data + toc + s * kTocEntryBytes + 8);
        const std::string field = cat("stream ", s, " (", kNames[s], ")");
        if (uncompressed != expected[s])
            throw Error(file, field, cat("holds ", uncompressed, " bytes; ", h.count, " splats need ", expected[s]));
        if (compressed > size - offset)
            throw Error(file, field,
                        cat("truncated or lying size: ", compressed, " bytes at offset ", offset,
                            " run past the end of the ", size, "-byte file"));
        arrays.push_back(zstd_decompress_exact(data + offset, size_t(compressed), size_t(expected[s]), file, field));
        offset += compressed;
    }
    if (offset != size) log::warn(file, ": ", size - offset, " bytes after the last stream ignored");
    std::vector<const uint8_t*> ptrs;
    for (auto& a : arrays) ptrs.push_back(a.data());
    return decode_arrays(h, ptrs, file, reading_frame(h, o));
}

// The internal cloud in SPZ's frame, with normalised rotations (x y z w order) and clamped values.
struct Prepared {
    GaussianCloud cloud;
    int fractional_bits = kDefaultFractionalBits;
};

Prepared prepare(const GaussianCloud& in, SpzFrame frame) {
    Prepared p{in, kDefaultFractionalBits};
    in.validate("SPZ writer input");
    if (frame != SpzFrame::Rdf) apply_axis_flip(p.cloud, frame_code(frame).from_rdf);
    float max_abs = 0.0f;
    for (float v : p.cloud.positions) max_abs = std::max(max_abs, std::abs(v));
    p.fractional_bits = quant::fixed24_fractional_bits(max_abs, kDefaultFractionalBits);
    if (p.fractional_bits < 0)
        throw Error("SPZ", "positions", cat("coordinate ", max_abs, " is too large for 24-bit fixed point"));
    if (p.fractional_bits != kDefaultFractionalBits)
        log::info("SPZ: scene extends to ", max_abs, "; storing positions with ", p.fractional_bits,
                  " fractional bits");
    return p;
}

std::vector<std::vector<uint8_t>> encode_arrays(const Prepared& p, const SpzOptions& o) {
    const GaussianCloud& c = p.cloud;
    const size_t n = c.size();
    const int k = c.sh_coeffs();
    const int dim = k - 1;
    std::vector<std::vector<uint8_t>> a(dim ? 6 : 5);
    a[0].resize(n * 9);
    a[1].resize(n);
    a[2].resize(n * 3);
    a[3].resize(n * 3);
    a[4].resize(n * (o.version >= 3 ? 4 : 3));
    if (dim) a[5].resize(n * dim * 3);
    for (size_t i = 0; i < n; ++i) {
        for (int ax = 0; ax < 3; ++ax) {
            quant::put_fixed24(c.positions[3 * i + ax], p.fractional_bits, &a[0][9 * i + 3 * ax]);
            a[2][3 * i + ax] = to_u8(c.sh[(i * k) * 3 + ax] * (kColorScale * 255.0f) + 127.5f);
            a[3][3 * i + ax] = to_u8((c.log_scales[3 * i + ax] + 10.0f) * 16.0f);
        }
        a[1][i] = to_u8(sigmoid(c.opacities[i]) * 255.0f);
        float q[4]; // x y z w
        quant::unit_xyzw(&c.rotations[4 * i], q);
        if (o.version >= 3) {
            pack_smallest_three(q, &a[4][4 * i]);
        } else {
            const float s = q[3] < 0.0f ? -1.0f : 1.0f; // w >= 0 is implied by the reader
            for (int ax = 0; ax < 3; ++ax) a[4][3 * i + ax] = to_u8(s * q[ax] * 127.5f + 127.5f);
        }
        for (int j = 1; j < k; ++j)
            for (int ch = 0; ch < 3; ++ch)
                a[5][(i * dim + (j - 1)) * 3 + ch] =
                    quantize_sh(c.sh[(i * k + j) * 3 + ch], j < 4 ? o.sh1_bits : o.sh_rest_bits);
    }
    return a;
}

} // namespace

const char* to_string(SpzFrame frame) {
    return frame_code(frame).name;
}

std::optional<SpzFrame> parse_spz_frame(const std::string& name) {
    std::string upper = name;
    for (auto& ch : upper) ch = char(std::toupper(static_cast<unsigned char>(ch)));
    for (const auto& c : kFrames)
        if (upper == c.name) return c.frame;
    return std::nullopt;
}

SpzFrame spz_write_frame(const SpzOptions& o) {
    return o.frame ? *o.frame : o.version >= 4 ? SpzFrame::Rdf : SpzFrame::Rub;
}

SpzHeaderInfo spz_header_info(const uint8_t* data, size_t size, const std::string& file, const SpzReadOptions& o) {
    Header h;
    if (is_gzip(data, size)) {
        uint8_t hb[kLegacyHeaderBytes];
        InflateStream in(data, size, file);
        if (in.read(hb, sizeof(hb), "header") != sizeof(hb)) throw Error(file, "header", "truncated SPZ header");
        h = parse_header(hb, file);
    } else if (size >= kLegacyHeaderBytes && load_u32(data + 4) == 4) {
        uint64_t toc = 0;
        h = parse_v4_header(data, size, file, toc);
    } else {
        if (size < kLegacyHeaderBytes) throw Error(file, "header", "truncated SPZ header");
        h = parse_header(data, file);
    }
    SpzHeaderInfo info;
    info.version = int(h.version);
    info.count = h.count;
    info.sh_degree = h.sh_degree;
    info.frame = reading_frame(h, o);
    info.frame_source =
        o.frame            ? "given"
        : h.recorded_frame ? "recorded in the file (SPZ_ADOBE_coordinate_system)"
                           : "assumed: no frame record, so the SPZ spec's RUB; files from SuperSplat / splat-transform "
                             "hold RDF: read them with --spz-frame rdf";
    return info;
}

int spz_version(const uint8_t* data, size_t size, const std::string& file) {
    uint8_t hb[kLegacyHeaderBytes];
    if (is_gzip(data, size)) {
        InflateStream in(data, size, file);
        if (in.read(hb, sizeof(hb), "header") != sizeof(hb)) throw Error(file, "header", "truncated SPZ header");
    } else {
        if (size < sizeof(hb)) throw Error(file, "header", "truncated SPZ header");
        std::memcpy(hb, data, sizeof(hb));
    }
    return int(parse_header(hb, file).version);
}

std::vector<uint8_t> encode_spz(const GaussianCloud& cloud, const SpzOptions& o) {
    if (o.version < 2 || o.version > 4)
        throw UsageError(cat("SPZ version ", o.version, " cannot be written (2, 3 or 4)"));
    if (o.sh1_bits < 1 || o.sh1_bits > 8 || o.sh_rest_bits < 1 || o.sh_rest_bits > 8)
        throw UsageError("SPZ SH precision must be 1..8 bits");
    if (cloud.size() > kMaxSplats)
        throw Error("SPZ", "count", cat(cloud.size(), " splats is more than SPZ readers accept"));
    const SpzFrame frame = spz_write_frame(o);
    if (o.version < 4 && frame != SpzFrame::Rdf && frame != SpzFrame::Rub)
        throw UsageError(cat("SPZ v", o.version, " has no frame record: write ", to_string(frame), " as version 4"));
    Prepared p = prepare(cloud, frame);
    auto arrays = encode_arrays(p, o);
    // v4 always says which frame it holds; v2/v3 cannot.
    const bool record = o.version >= 4;
    const uint8_t flags =
        uint8_t((o.antialiased || cloud.antialiased ? kFlagAntialiased : 0) | (record ? kFlagExtensions : 0));
    std::vector<uint8_t> out;
    put_u32(out, kSpzMagic);
    put_u32(out, uint32_t(o.version));
    put_u32(out, uint32_t(cloud.size()));
    out.push_back(uint8_t(cloud.sh_degree));
    out.push_back(uint8_t(p.fractional_bits));
    out.push_back(flags);
    if (o.version <= 3) {
        out.push_back(0); // reserved
        for (auto& a : arrays) out.insert(out.end(), a.begin(), a.end());
        return gzip_compress(out.data(), out.size());
    }
    const size_t records = kExtRecordHeaderBytes + kExtCoordinateSystemBytes;
    out.push_back(uint8_t(arrays.size()));            // numStreams
    put_u32(out, uint32_t(kV4HeaderBytes + records)); // tocByteOffset, after the frame record
    out.resize(kV4HeaderBytes, 0);                    // reserved
    put_u32(out, kExtCoordinateSystem);
    put_u32(out, uint32_t(kExtCoordinateSystemBytes));
    put_u32(out, frame_code(frame).code);
    std::vector<std::vector<uint8_t>> compressed;
    for (auto& a : arrays) compressed.push_back(zstd_compress(a.data(), a.size()));
    for (size_t s = 0; s < arrays.size(); ++s) {
        put_u64(out, compressed[s].size());
        put_u64(out, arrays[s].size());
    }
    for (auto& c : compressed) out.insert(out.end(), c.begin(), c.end());
    return out;
}

GaussianCloud decode_spz(const uint8_t* data, size_t size, const std::string& file, const SpzReadOptions& o) {
    if (is_gzip(data, size)) return decode_gzip(data, size, file, o);
    if (size < kLegacyHeaderBytes)
        throw Error(file, "header", cat("truncated: ", size, " bytes is shorter than an SPZ header"));
    if (load_u32(data) != kSpzMagic)
        throw Error(file, "magic", "not an SPZ file (neither a gzip stream nor an 'NGSP' header)");
    if (load_u32(data + 4) == 4) return decode_v4(data, size, file, o);
    return decode_plain_legacy(data, size, file, o);
}

void write_spz(const std::filesystem::path& path, const GaussianCloud& cloud, const SpzOptions& options) {
    write_file_atomic(path, encode_spz(cloud, options));
}

GaussianCloud read_spz(const std::filesystem::path& path, const SpzReadOptions& options) {
    auto bytes = read_file_bytes(path);
    return decode_spz(bytes.data(), bytes.size(), path.string(), options);
}

} // namespace splatscape
