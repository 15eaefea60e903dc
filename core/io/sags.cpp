#include "core/io/sags.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <fstream>
#include <limits>
#include <map>
#include <set>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/byte_writer.hpp"
#include "core/json_util.hpp"

namespace splatscape {
namespace {

constexpr char kMagic[8] = {'S', 'P', 'L', 'T', 'S', 'A', 'G', 'S'};
constexpr size_t kHeaderBytes = 8 + 4 + 4 + 8;
constexpr uint32_t kMaxHeaderBytes = 1u << 20;
constexpr uint32_t kMaxSections = 32;
constexpr uint32_t kMaxNameBytes = 64;

// Per column, the lowest value and the step between codes: `levels` codes span [min, max].
void linear_ranges(const std::vector<float>& v, uint32_t cols, uint32_t levels, std::vector<float>& low,
                   std::vector<float>& step) {
    low.assign(cols, 0.0f);
    step.assign(cols, 0.0f);
    const size_t rows = cols ? v.size() / cols : 0;
    for (uint32_t c = 0; c < cols; ++c) {
        float lo = std::numeric_limits<float>::infinity(), hi = -lo;
        for (size_t r = 0; r < rows; ++r) {
            lo = std::min(lo, v[r * cols + c]);
            hi = std::max(hi, v[r * cols + c]);
        }
        if (rows == 0) lo = hi = 0.0f;
        low[c] = lo;
        step[c] = hi > lo ? (hi - lo) / float(levels - 1) : 0.0f;
    }
}

void put_section(std::vector<uint8_t>& out, const std::string& name, const std::vector<float>& v, uint64_t rows,
                 uint32_t cols, SagsPrecision p) {
    append_string(out, name);
    append_value<uint64_t>(out, rows);
    append_value<uint32_t>(out, cols);
    append_value<uint32_t>(out, uint32_t(p));
    switch (p) {
    case SagsPrecision::Float32:
        out.insert(out.end(), reinterpret_cast<const uint8_t*>(v.data()),
                   reinterpret_cast<const uint8_t*>(v.data() + v.size()));
        return;
    case SagsPrecision::Float16:
        for (float x : v) append_value<uint16_t>(out, float_to_half(x));
        return;
    case SagsPrecision::Linear8:
    case SagsPrecision::Linear16: {
        const uint32_t levels = p == SagsPrecision::Linear8 ? 256u : 65536u;
        std::vector<float> low, step;
        linear_ranges(v, cols, levels, low, step);
        for (uint32_t c = 0; c < cols; ++c) {
            append_value<float>(out, low[c]);
            append_value<float>(out, step[c]);
        }
        for (size_t e = 0; e < v.size(); ++e) {
            const uint32_t c = uint32_t(e % cols);
            const float q = step[c] > 0.0f ? std::round((v[e] - low[c]) / step[c]) : 0.0f;
            const uint32_t code = uint32_t(std::clamp(q, 0.0f, float(levels - 1)));
            if (p == SagsPrecision::Linear8)
                append_value<uint8_t>(out, uint8_t(code));
            else
                append_value<uint16_t>(out, uint16_t(code));
        }
        return;
    }
    }
}

Json network_json(const SagsNetwork& n) {
    return Json{{"inputs", n.inputs},
                {"hidden", n.hidden},
                {"hidden_layers", n.hidden_layers},
                {"outputs", n.outputs},
                {"hidden_activation", n.hidden_activation},
                {"output_activation", n.output_activation}};
}

std::string get_string(ByteReader& r, uint32_t max, const char* field) {
    const uint32_t n = r.read<uint32_t>(field);
    if (n > max) throw Error(r.file(), field, cat("length ", n, " exceeds the limit of ", max, " bytes"));
    r.require(n, 1, field);
    std::string s(reinterpret_cast<const char*>(r.current()), n);
    r.skip(n, field);
    return s;
}

const Json& member(const Json& j, const char* key, const std::string& prefix, const std::string& file) {
    if (!j.is_object()) throw Error(file, prefix.empty() ? "header" : prefix, "expected an object");
    return json_member(j, key, prefix, file);
}

int get_int(const Json& j, const char* key, const std::string& prefix, const std::string& file, int lo, int hi) {
    return json_int(member(j, key, prefix, file), prefix + key, file, lo, hi);
}

float get_float(const Json& j, const char* key, const std::string& prefix, const std::string& file) {
    return float(json_number(member(j, key, prefix, file), prefix + key, file));
}

void read_network(const Json& nets, const char* name, const std::string& file, SagsNetwork& n) {
    const std::string prefix = cat("networks.", name, ".");
    const Json& j = member(nets, name, "networks.", file);
    n.inputs = get_int(j, "inputs", prefix, file, 1, 1024);
    n.hidden = get_int(j, "hidden", prefix, file, 1, 128);
    n.hidden_layers = get_int(j, "hidden_layers", prefix, file, 0, 8);
    n.outputs = get_int(j, "outputs", prefix, file, 1, 128);
    n.hidden_activation = get_int(j, "hidden_activation", prefix, file, 0, 4);
    n.output_activation = get_int(j, "output_activation", prefix, file, 0, 4);
}

} // namespace

uint16_t float_to_half(float value) {
    uint32_t f;
    std::memcpy(&f, &value, 4);
    const uint32_t sign = (f >> 16) & 0x8000u;
    const uint32_t exp = (f >> 23) & 0xffu;
    uint32_t mant = f & 0x7fffffu;
    if (exp == 0xffu) return uint16_t(sign | 0x7c00u | (mant ? 0x200u : 0u)); // inf, NaN
    const int e = int(exp) - 127 + 15;
    if (e >= 31) return uint16_t(sign | 0x7c00u);
    if (e <= 0) {
        if (e < -10) return uint16_t(sign);
        // Subnormal: shift the mantissa (with its implicit bit) and round to nearest even.
        mant |= 0x800000u;
        const int shift = 14 - e;
        uint32_t h = mant >> shift;
        const uint32_t rem = mant & ((1u << shift) - 1u), half = 1u << (shift - 1);
        if (rem > half || (rem == half && (h & 1u))) ++h;
        return uint16_t(sign | h);
    }
    uint32_t h = (uint32_t(e) << 10) | (mant >> 13);
    const uint32_t rem = mant & 0x1fffu;
    if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h; // may carry into the exponent: still right
    return uint16_t(sign | h);
}

float half_to_float(uint16_t h) {
    const uint32_t sign = uint32_t(h & 0x8000u) << 16;
    const uint32_t exp = (h >> 10) & 0x1fu;
    uint32_t mant = h & 0x3ffu;
    uint32_t f;
    if (exp == 0) {
        if (mant == 0) {
            f = sign;
        } else {
            int e = -1;
            do {
                ++e;
                mant <<= 1;
            } while (!(mant & 0x400u));
            f = sign | (uint32_t(127 - 15 - e) << 23) | ((mant & 0x3ffu) << 13);
        }
    } else if (exp == 31) {
        f = sign | 0x7f800000u | (mant << 13);
    } else {
        f = sign | ((exp - 15 + 127) << 23) | (mant << 13);
    }
    float out;
    std::memcpy(&out, &f, 4);
    return out;
}

std::vector<uint8_t> encode_sags(const SagsScene& s, const SagsFileOptions& o) {
    Json nets = {{"opacity", network_json(s.opacity)},
                 {"color", network_json(s.color)},
                 {"covariance", network_json(s.covariance)},
                 {"offset", network_json(s.offset)}};
    if (s.learned_edges) nets["edge"] = network_json(s.edge);
    const Json header = {{"points", s.size()},
                         {"cameras", s.camera_count()},
                         {"feature_dim", s.feature_dim},
                         {"neighbours", s.neighbours},
                         {"learned_edges", s.learned_edges},
                         {"local_residual", s.local_residual},
                         {"point_frames", s.point_frames},
                         {"voxel_size", s.voxel_size},
                         {"lite", s.lite},
                         {"lite_neighbours", s.lite_neighbours},
                         {"hash",
                          {{"levels", s.hash_levels},
                           {"features", s.hash_features},
                           {"log2_table", s.hash_log2_table},
                           {"base_resolution", s.hash_base_resolution},
                           {"growth", s.hash_growth}}},
                         {"frame", {s.frame[0], s.frame[1], s.frame[2], s.frame[3]}},
                         {"networks", nets}};
    std::vector<uint8_t> payload;
    append_string(payload, header.dump());
    const uint32_t sections = s.learned_edges ? 11u : 10u;
    append_value<uint32_t>(payload, sections);
    const size_t n = s.size();
    constexpr SagsPrecision f32 = SagsPrecision::Float32;
    put_section(payload, "points", s.points, n, 3, o.points);
    put_section(payload, "features", s.features, n, uint32_t(s.feature_dim), o.features);
    put_section(payload, "scales", s.scales, n, 6, o.scales);
    put_section(payload, "hash", s.hash_table, s.hash_table.size() / size_t(std::max(1, s.hash_features)),
                uint32_t(s.hash_features), o.hash);
    put_section(payload, "affine", s.affine, s.affine.size() / 2, 2, f32);
    for (const auto& [name, net] : {std::pair{"mlp.opacity", &s.opacity},
                                    {"mlp.color", &s.color},
                                    {"mlp.covariance", &s.covariance},
                                    {"mlp.offset", &s.offset}})
        put_section(payload, name, net->params, net->params.size(), 1, f32);
    if (s.learned_edges) put_section(payload, "mlp.edge", s.edge.params, s.edge.params.size(), 1, f32);
    put_section(payload, "cameras", s.cameras, s.camera_count(), kSagsCameraFloats, f32);

    std::vector<uint8_t> out(kMagic, kMagic + 8);
    append_value<uint32_t>(out, kSagsVersion);
    append_value<uint32_t>(out, s.lite ? 1u : 0u);
    append_value<uint64_t>(out, payload.size());
    out.insert(out.end(), payload.begin(), payload.end());
    append_value<uint64_t>(out, fnv1a64(payload.data(), payload.size()));
    return out;
}

SagsScene decode_sags(const uint8_t* bytes, size_t size, const std::string& file) {
    ByteReader r(bytes, size, file);
    char magic[8];
    r.read_bytes(magic, 8, "magic");
    if (std::memcmp(magic, kMagic, 8) != 0)
        throw Error(file, "magic", "not a .sags file (expected the bytes SPLTSAGS at the start)");
    const uint32_t version = r.read<uint32_t>("version");
    if (version == 0 || version > kSagsVersion)
        throw Error(file, "version",
                    cat(".sags format version ", version, "; this build reads versions 1 to ", kSagsVersion,
                        version > kSagsVersion ? " (written by a newer Splatscape)" : ""));
    const uint32_t flags = r.read<uint32_t>("flags");
    if (flags > 1u) throw Error(file, "flags", cat("unknown flag bits ", flags, " (expected 0 or 1)"));
    const uint64_t payload_size = r.read<uint64_t>("payload size");
    if (size < kHeaderBytes + 8 || payload_size != uint64_t(size) - kHeaderBytes - 8)
        throw Error(file, "payload size",
                    cat("header says ", payload_size, " bytes, the file holds ",
                        size >= kHeaderBytes + 8 ? size - kHeaderBytes - 8 : 0, " (truncated or corrupted)"));
    const uint8_t* payload = bytes + kHeaderBytes;
    uint64_t stored_hash;
    std::memcpy(&stored_hash, bytes + size - 8, 8);
    if (fnv1a64(payload, payload_size) != stored_hash)
        throw Error(file, "checksum", "the file's contents do not match its checksum (corrupted file)");

    ByteReader p(payload, payload_size, file);
    const Json h = parse_json(get_string(p, kMaxHeaderBytes, "header"), file + " (header)");
    if (!h.is_object()) throw Error(file, "header", "expected a JSON object");
    SagsScene s;
    const int64_t n = json_int(member(h, "points", "", file), "points", file, 0, 1 << 30);
    const int64_t v = json_int(member(h, "cameras", "", file), "cameras", file, 0, 1 << 20);
    s.feature_dim = get_int(h, "feature_dim", "", file, 1, 128);
    s.neighbours = get_int(h, "neighbours", "", file, 1, 16);
    s.learned_edges = json_bool(member(h, "learned_edges", "", file), "learned_edges", file);
    // Version 1 files written before the setting existed encode without the residual.
    s.local_residual = h.contains("local_residual") && json_bool(h.at("local_residual"), "local_residual", file);
    s.point_frames = h.contains("point_frames") && json_bool(h.at("point_frames"), "point_frames", file);
    s.voxel_size = get_float(h, "voxel_size", "", file);
    s.lite = json_bool(member(h, "lite", "", file), "lite", file);
    if (s.lite != (flags == 1u))
        throw Error(file, "flags", cat("flag bit 0 (", flags, ") disagrees with the header's lite (", s.lite, ")"));
    s.lite_neighbours = get_int(h, "lite_neighbours", "", file, 1, 8);
    const Json& hash = member(h, "hash", "", file);
    s.hash_levels = get_int(hash, "levels", "hash.", file, 1, 32);
    s.hash_features = get_int(hash, "features", "hash.", file, 1, 8);
    s.hash_log2_table = get_int(hash, "log2_table", "hash.", file, 4, 24);
    s.hash_base_resolution = get_float(hash, "base_resolution", "hash.", file);
    s.hash_growth = get_float(hash, "growth", "hash.", file);
    const Json& frame = member(h, "frame", "", file);
    if (!frame.is_array() || frame.size() != 4) throw Error(file, "frame", "expected [x, y, z, size]");
    for (size_t a = 0; a < 4; ++a) s.frame[a] = float(json_number(frame[a], cat("frame[", a, "]"), file));
    const Json& nets = member(h, "networks", "", file);
    read_network(nets, "opacity", file, s.opacity);
    read_network(nets, "color", file, s.color);
    read_network(nets, "covariance", file, s.covariance);
    read_network(nets, "offset", file, s.offset);
    if (s.learned_edges) read_network(nets, "edge", file, s.edge);

    // The sections: their expected row and column counts from the header.
    struct Expect {
        std::vector<float>* out;
        int64_t rows; // -1: any (checked by validate)
        int64_t cols;
    };
    std::map<std::string, Expect> expect = {
        {"points", {&s.points, n, 3}},
        {"features", {&s.features, n, s.feature_dim}},
        {"scales", {&s.scales, n, 6}},
        {"hash", {&s.hash_table, -1, s.hash_features}},
        {"affine", {&s.affine, int64_t(s.encoded_width()), 2}},
        {"mlp.opacity", {&s.opacity.params, int64_t(s.opacity.expected_params()), 1}},
        {"mlp.color", {&s.color.params, int64_t(s.color.expected_params()), 1}},
        {"mlp.covariance", {&s.covariance.params, int64_t(s.covariance.expected_params()), 1}},
        {"mlp.offset", {&s.offset.params, int64_t(s.offset.expected_params()), 1}},
        {"cameras", {&s.cameras, v, kSagsCameraFloats}},
    };
    if (s.learned_edges) expect["mlp.edge"] = {&s.edge.params, int64_t(s.edge.expected_params()), 1};
    const uint32_t count = p.read<uint32_t>("section count");
    if (count > kMaxSections) throw Error(file, "section count", cat(count, " exceeds the limit of ", kMaxSections));
    std::set<std::string> seen;
    for (uint32_t i = 0; i < count; ++i) {
        const std::string name = get_string(p, kMaxNameBytes, "section name");
        const std::string field = "section " + name;
        auto it = expect.find(name);
        if (it == expect.end()) throw Error(file, field, "unknown section");
        if (!seen.insert(name).second) throw Error(file, field, "appears twice");
        const uint64_t rows = p.read<uint64_t>(field.c_str());
        const uint32_t cols = p.read<uint32_t>(field.c_str());
        const uint32_t encoding = p.read<uint32_t>(field.c_str());
        const uint32_t max_encoding = version >= 2 ? 3u : 1u;
        if (encoding > max_encoding)
            throw Error(file, field,
                        cat("unknown encoding ", encoding, " (expected 0 to ", max_encoding, " in a version ", version,
                            " file)"));
        const Expect& e = it->second;
        if (int64_t(cols) != e.cols) throw Error(file, field, cat("expected ", e.cols, " columns, found ", cols));
        if (e.rows >= 0 && rows != uint64_t(e.rows))
            throw Error(file, field, cat("expected ", e.rows, " rows (from the header), found ", rows));
        const auto p_enc = SagsPrecision(encoding);
        const bool linear = p_enc == SagsPrecision::Linear8 || p_enc == SagsPrecision::Linear16;
        std::vector<float> low(cols), step(cols);
        if (linear) {
            if (cols == 0 || cols > p.remaining() / 8)
                throw Error(file, field, cat("the ", cols, " column ranges do not fit in the bytes left"));
            for (uint32_t c = 0; c < cols; ++c) {
                low[c] = p.read<float>(field.c_str());
                step[c] = p.read<float>(field.c_str());
                if (!std::isfinite(low[c]) || !std::isfinite(step[c]) || step[c] < 0.0f)
                    throw Error(file, field,
                                cat("column ", c, " has range (", low[c], ", step ", step[c],
                                    "); expected finite values and a step >= 0"));
            }
        }
        const uint64_t bytes_per = p_enc == SagsPrecision::Float32 ? 4 : p_enc == SagsPrecision::Linear8 ? 1 : 2;
        // Bounds checked before allocating.
        if (cols == 0 || rows > p.remaining() / bytes_per / cols)
            throw Error(file, field,
                        cat(rows, " x ", cols, " values do not fit in the ", p.remaining(),
                            " bytes left (truncated or corrupted)"));
        const size_t values = size_t(rows) * cols;
        e.out->resize(values);
        auto& out = *e.out;
        switch (p_enc) {
        case SagsPrecision::Float32:
            p.read_bytes(out.data(), values * 4, field.c_str());
            break;
        case SagsPrecision::Float16:
            for (size_t k = 0; k < values; ++k) out[k] = half_to_float(p.read<uint16_t>(field.c_str()));
            break;
        case SagsPrecision::Linear8:
            for (size_t k = 0; k < values; ++k)
                out[k] = low[k % cols] + float(p.read<uint8_t>(field.c_str())) * step[k % cols];
            break;
        case SagsPrecision::Linear16:
            for (size_t k = 0; k < values; ++k)
                out[k] = low[k % cols] + float(p.read<uint16_t>(field.c_str())) * step[k % cols];
            break;
        }
    }
    for (const auto& [name, e] : expect)
        if (!seen.count(name)) throw Error(file, "section " + name, "missing");
    if (p.remaining() != 0)
        throw Error(file, "payload", cat(p.remaining(), " unexpected bytes after the last section"));
    s.validate(file);
    return s;
}

SagsFileOptions SagsFileOptions::named(const std::string& name) {
    if (name == "compact") return SagsFileOptions{};
    if (name == "half")
        return {SagsPrecision::Float32, SagsPrecision::Float16, SagsPrecision::Float16, SagsPrecision::Float16};
    if (name == "full") return uniform(SagsPrecision::Float32);
    throw Error(cat("sags precision '", name, "': expected compact, half or full"));
}

void write_sags(const std::filesystem::path& path, const SagsScene& scene, const SagsFileOptions& options) {
    scene.validate(path.string());
    write_file_atomic(path, encode_sags(scene, options));
}

SagsScene read_sags(const std::filesystem::path& path) {
    const auto bytes = read_file_bytes(path);
    return decode_sags(bytes.data(), bytes.size(), path.string());
}

bool is_sags_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[8] = {};
    if (!in.read(magic, 8)) return false;
    return std::memcmp(magic, kMagic, 8) == 0;
}

} // namespace splatscape
