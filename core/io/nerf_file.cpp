#include "core/io/nerf_file.hpp"

#include <cstring>
#include <fstream>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/byte_writer.hpp"
#include "core/json_util.hpp"

namespace splatscape {
namespace {

constexpr char kMagic[8] = {'S', 'P', 'L', 'T', 'N', 'E', 'R', 'F'};
constexpr uint64_t kMaxHeader = 1u << 20;
constexpr int kMaxExperts = 32;
constexpr int kMaxLevels = 32;
constexpr uint64_t kMaxGridRows = uint64_t(1) << 28;
constexpr int kMaxWidth = 1024;
constexpr int kMaxLayers = 9;

template <class T>
void put_array(std::vector<uint8_t>& out, const std::vector<T>& v) {
    const auto* p = reinterpret_cast<const uint8_t*>(v.data());
    out.insert(out.end(), p, p + v.size() * sizeof(T));
}

Json grid_json(const NerfHashGrid& g) {
    return {{"features", g.features},
            {"table_size", g.table_size},
            {"resolution", g.resolution},
            {"offset", g.offset},
            {"hashed", g.hashed}};
}

Json mlp_json(const NerfMlp& m) {
    return {{"widths", m.widths},
            {"hidden_activation", int32_t(m.hidden_activation)},
            {"output_activation", int32_t(m.output_activation)}};
}

uint64_t json_u64(const Json& j, const std::string& field, const std::string& file, uint64_t hi) {
    if (!j.is_number_integer() && !j.is_number_unsigned())
        throw Error(file, field, cat("expected a whole number, found ", j.dump().substr(0, 40)));
    const int64_t v = j.get<int64_t>();
    if (v < 0 || uint64_t(v) > hi) throw Error(file, field, cat("expected 0 .. ", hi, ", found ", v));
    return uint64_t(v);
}

// Reads a grid's layout and returns its table's float count (checked, no allocation yet).
uint64_t read_grid(const Json& j, const std::string& f, const std::string& file, NerfHashGrid& g) {
    if (!j.is_object()) throw Error(file, f, "expected an object");
    g.features = int(json_u64(json_member(j, "features", f + ".", file), f + ".features", file, 8));
    if (g.features != 1 && g.features != 2 && g.features != 4 && g.features != 8)
        throw Error(file, f + ".features", "expected 1, 2, 4 or 8");
    g.table_size = uint32_t(json_u64(json_member(j, "table_size", f + ".", file), f + ".table_size", file, 1u << 24));
    if (g.table_size < 16 || (g.table_size & (g.table_size - 1)))
        throw Error(file, f + ".table_size", "expected a power of two from 16 to 2^24");
    g.hashed = uint32_t(json_u64(json_member(j, "hashed", f + ".", file), f + ".hashed", file, 0xffffffffull));
    const Json& res = json_member(j, "resolution", f + ".", file);
    const Json& off = json_member(j, "offset", f + ".", file);
    if (!res.is_array() || res.empty() || res.size() > size_t(kMaxLevels))
        throw Error(file, f + ".resolution", cat("expected 1 to ", kMaxLevels, " levels"));
    if (!off.is_array() || off.size() != res.size() + 1)
        throw Error(file, f + ".offset", "expected one offset per level and one more");
    for (size_t l = 0; l < res.size(); ++l)
        g.resolution.push_back(uint32_t(json_u64(res[l], cat(f, ".resolution[", l, "]"), file, 1u << 20)));
    for (size_t l = 0; l < off.size(); ++l) {
        g.offset.push_back(uint32_t(json_u64(off[l], cat(f, ".offset[", l, "]"), file, kMaxGridRows)));
        if (l > 0 && g.offset[l] < g.offset[l - 1])
            throw Error(file, cat(f, ".offset[", l, "]"), "offsets must not decrease");
    }
    if (g.offset[0] != 0) throw Error(file, f + ".offset[0]", "expected 0");
    // Each level holds exactly its entries: (N + 1)^3 vertices when dense, T when hashed.
    for (size_t l = 0; l < res.size(); ++l) {
        const uint64_t n = g.resolution[l], vertices = (n + 1) * (n + 1) * (n + 1);
        const bool hashed = (g.hashed >> l) & 1u;
        const uint64_t entries = uint64_t(g.offset[l + 1]) - g.offset[l];
        if (n < 1 || entries != (hashed ? uint64_t(g.table_size) : vertices) || (!hashed && vertices > g.table_size))
            throw Error(file, cat(f, ".offset[", l + 1, "]"),
                        cat("level ", l, " holds ", entries, " entries, which does not match its resolution ", n,
                            hashed ? " (hashed)" : " (dense)", " and table size ", g.table_size));
    }
    if (res.size() < 32 && (g.hashed >> res.size()) != 0)
        throw Error(file, f + ".hashed", "bits set beyond the levels");
    return uint64_t(g.offset.back()) * uint64_t(g.features);
}

uint64_t read_mlp(const Json& j, const std::string& f, const std::string& file, NerfMlp& m) {
    if (!j.is_object()) throw Error(file, f, "expected an object");
    const Json& w = json_member(j, "widths", f + ".", file);
    if (!w.is_array() || w.size() < 2 || w.size() > size_t(kMaxLayers) + 1)
        throw Error(file, f + ".widths", cat("expected 2 to ", kMaxLayers + 1, " layer widths"));
    uint64_t params = 0;
    for (size_t i = 0; i < w.size(); ++i) {
        m.widths.push_back(int(json_u64(w[i], cat(f, ".widths[", i, "]"), file, kMaxWidth)));
        if (m.widths.back() < 1) throw Error(file, cat(f, ".widths[", i, "]"), "expected at least 1");
        if (i > 0) params += uint64_t(m.widths[i - 1] + 1) * uint64_t(m.widths[i]);
    }
    m.hidden_activation =
        NerfActivation(json_u64(json_member(j, "hidden_activation", f + ".", file), f + ".hidden_activation", file, 4));
    m.output_activation =
        NerfActivation(json_u64(json_member(j, "output_activation", f + ".", file), f + ".output_activation", file, 4));
    return params;
}

template <class T>
void take(ByteReader& r, std::vector<T>& out, uint64_t count, const char* field) {
    out.resize(size_t(count));
    r.read_bytes(out.data(), size_t(count) * sizeof(T), field);
}

} // namespace

std::vector<uint8_t> encode_nerf_scene(const NerfScene& s) {
    Json h;
    h["model"] = s.model;
    h["space"] = {{"center", {s.center.x, s.center.y, s.center.z}},
                  {"scale", s.scale},
                  {"cascades", s.cascades},
                  {"resolution", s.resolution},
                  {"min_step", s.min_step},
                  {"max_step", s.max_step},
                  {"cone_angle", s.cone_angle},
                  {"max_samples", s.max_samples},
                  {"stop_transmittance", s.stop_transmittance}};
    h["occupancy_words"] = s.occupancy.size();
    h["geometry_features"] = s.geometry_features;
    h["sh_degree"] = s.sh_degree;
    h["appearance"] = s.appearance;
    h["background"] = {s.background.x, s.background.y, s.background.z};
    h["gate_grid"] = grid_json(s.gate_grid);
    h["gate_mlp"] = mlp_json(s.gate_mlp);
    h["expert_grids"] = Json::array();
    h["expert_mlps"] = Json::array();
    for (const NerfHashGrid& g : s.expert_grids) h["expert_grids"].push_back(grid_json(g));
    for (const NerfMlp& m : s.expert_mlps) h["expert_mlps"].push_back(mlp_json(m));
    h["colour_mlp"] = mlp_json(s.colour_mlp);
    const std::string header = h.dump();

    std::vector<uint8_t> out(kMagic, kMagic + 8);
    append_value<uint32_t>(out, kNerfFileVersion);
    append_value<uint32_t>(out, 0);
    append_value<uint64_t>(out, header.size());
    out.insert(out.end(), header.begin(), header.end());
    put_array(out, s.occupancy);
    put_array(out, s.gate_grid.table);
    put_array(out, s.gate_mlp.params);
    for (size_t e = 0; e < s.expert_grids.size(); ++e) {
        put_array(out, s.expert_grids[e].table);
        put_array(out, s.expert_mlps[e].params);
    }
    put_array(out, s.colour_mlp.params);
    append_value<uint64_t>(out, fnv1a64(out.data() + 8, out.size() - 8));
    return out;
}

NerfScene decode_nerf_scene(const uint8_t* bytes, size_t size, const std::string& file) {
    ByteReader r(bytes, size, file);
    if (size < 8 || std::memcmp(bytes, kMagic, 8) != 0)
        throw Error(file, "magic", "not a Splatscape NeRF model (expected the SPLTNERF magic)");
    r.skip(8, "magic");
    const uint32_t version = r.read<uint32_t>("version");
    if (version != kNerfFileVersion)
        throw Error(file, "version",
                    cat("format version ", version, " is not supported (expected ", kNerfFileVersion, ")"));
    r.read<uint32_t>("flags");
    const uint64_t header_size = r.read<uint64_t>("header size");
    if (header_size > kMaxHeader) throw Error(file, "header size", cat(header_size, " bytes exceeds the 1 MiB limit"));
    r.require(header_size, 1, "header");
    const Json h = parse_json(std::string(reinterpret_cast<const char*>(r.current()), size_t(header_size)), file);
    r.skip(size_t(header_size), "header");
    if (!h.is_object()) throw Error(file, "header", "expected a JSON object");

    NerfScene s;
    s.model = json_string(json_member(h, "model", "", file), "model", file);
    if (s.model != "hmohe")
        throw Error(file, "model", cat("unknown NeRF model '", s.model.substr(0, 40), "' (expected hmohe)"));
    const Json& sp = json_member(h, "space", "", file);
    const Json& c = json_member(sp, "center", "space.", file);
    if (!c.is_array() || c.size() != 3) throw Error(file, "space.center", "expected [x, y, z]");
    for (int a = 0; a < 3; ++a) s.center[a] = float(json_number(c[size_t(a)], cat("space.center[", a, "]"), file));
    auto num = [&](const char* key) {
        return float(json_number(json_member(sp, key, "space.", file), cat("space.", key), file));
    };
    s.scale = num("scale");
    s.min_step = num("min_step");
    s.max_step = num("max_step");
    s.cone_angle = num("cone_angle");
    s.stop_transmittance = num("stop_transmittance");
    s.cascades = json_int(json_member(sp, "cascades", "space.", file), "space.cascades", file, 1, 8);
    s.resolution = json_int(json_member(sp, "resolution", "space.", file), "space.resolution", file, 8, 512);
    s.max_samples = json_int(json_member(sp, "max_samples", "space.", file), "space.max_samples", file, 1, 65536);
    if (!(s.scale > 0) || !(s.min_step > 0) || !(s.max_step >= s.min_step) || !(s.cone_angle >= 0) ||
        !(s.stop_transmittance >= 0 && s.stop_transmittance < 1))
        throw Error(file, "space",
                    "scale and steps must be positive, max_step >= min_step, stop_transmittance in [0, 1)");
    if (s.resolution % 8 != 0) throw Error(file, "space.resolution", "expected a multiple of 8");
    const uint64_t cells =
        uint64_t(s.cascades) * uint64_t(s.resolution) * uint64_t(s.resolution) * uint64_t(s.resolution);
    const uint64_t words =
        json_u64(json_member(h, "occupancy_words", "", file), "occupancy_words", file, (cells + 31) / 32);
    if (words != (cells + 31) / 32)
        throw Error(file, "occupancy_words", cat("expected ", (cells + 31) / 32, " for the cascades and resolution"));
    s.geometry_features = json_int(json_member(h, "geometry_features", "", file), "geometry_features", file, 1, 127);
    s.sh_degree = json_int(json_member(h, "sh_degree", "", file), "sh_degree", file, 0, 3);
    const Json& app = json_member(h, "appearance", "", file);
    if (!app.is_array() || app.size() > 64) throw Error(file, "appearance", "expected at most 64 numbers");
    for (size_t i = 0; i < app.size(); ++i)
        s.appearance.push_back(float(json_number(app[i], cat("appearance[", i, "]"), file)));
    const Json& bg = json_member(h, "background", "", file);
    if (!bg.is_array() || bg.size() != 3) throw Error(file, "background", "expected [r, g, b]");
    for (int a = 0; a < 3; ++a) s.background[a] = float(json_number(bg[size_t(a)], cat("background[", a, "]"), file));

    uint64_t floats = 0;
    const uint64_t gate_table = read_grid(json_member(h, "gate_grid", "", file), "gate_grid", file, s.gate_grid);
    const uint64_t gate_params = read_mlp(json_member(h, "gate_mlp", "", file), "gate_mlp", file, s.gate_mlp);
    const Json& eg = json_member(h, "expert_grids", "", file);
    const Json& em = json_member(h, "expert_mlps", "", file);
    if (!eg.is_array() || eg.empty() || eg.size() > size_t(kMaxExperts))
        throw Error(file, "expert_grids", cat("expected 1 to ", kMaxExperts, " experts"));
    if (!em.is_array() || em.size() != eg.size()) throw Error(file, "expert_mlps", "expected one MLP per expert grid");
    if (s.gate_mlp.outputs() != int(eg.size()))
        throw Error(file, "gate_mlp.widths",
                    cat("the gate has ", s.gate_mlp.outputs(), " outputs for ", eg.size(), " experts"));
    std::vector<uint64_t> expert_tables, expert_params;
    for (size_t e = 0; e < eg.size(); ++e) {
        s.expert_grids.emplace_back();
        s.expert_mlps.emplace_back();
        expert_tables.push_back(read_grid(eg[e], cat("expert_grids[", e, "]"), file, s.expert_grids.back()));
        expert_params.push_back(read_mlp(em[e], cat("expert_mlps[", e, "]"), file, s.expert_mlps.back()));
        if (s.expert_mlps.back().outputs() != 1 + s.geometry_features)
            throw Error(file, cat("expert_mlps[", e, "].widths"), "expected 1 + geometry_features outputs");
        floats += expert_tables.back() + expert_params.back();
    }
    const uint64_t colour_params = read_mlp(json_member(h, "colour_mlp", "", file), "colour_mlp", file, s.colour_mlp);
    if (s.colour_mlp.outputs() != 3) throw Error(file, "colour_mlp.widths", "expected 3 outputs (RGB)");
    floats += gate_table + gate_params + colour_params;
    // Everything that follows, checked before anything is allocated.
    const uint64_t expected = words * 4 + floats * 4 + 8;
    if (r.remaining() != expected)
        throw Error(file, "data",
                    cat("expected ", expected, " bytes after the header for its layout, found ", r.remaining()));
    uint64_t stored;
    std::memcpy(&stored, bytes + size - 8, 8);
    if (fnv1a64(bytes + 8, size - 16) != stored)
        throw Error(file, "checksum", "the file is corrupt (its FNV-1a hash does not match)");
    take(r, s.occupancy, words, "occupancy");
    take(r, s.gate_grid.table, gate_table, "gate_grid.table");
    take(r, s.gate_mlp.params, gate_params, "gate_mlp.params");
    for (size_t e = 0; e < eg.size(); ++e) {
        take(r, s.expert_grids[e].table, expert_tables[e], "expert_grids.table");
        take(r, s.expert_mlps[e].params, expert_params[e], "expert_mlps.params");
    }
    take(r, s.colour_mlp.params, colour_params, "colour_mlp.params");
    return s;
}

void write_nerf_scene(const std::filesystem::path& path, const NerfScene& scene) {
    if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
    write_file_atomic(path, encode_nerf_scene(scene));
}

NerfScene read_nerf_scene(const std::filesystem::path& path) {
    const std::vector<uint8_t> bytes = read_file_bytes(path);
    return decode_nerf_scene(bytes.data(), bytes.size(), path.string());
}

bool is_nerf_file(const std::filesystem::path& path) {
    std::ifstream in(path, std::ios::binary);
    char magic[8] = {};
    in.read(magic, 8);
    return in.gcount() == 8 && std::memcmp(magic, kMagic, 8) == 0;
}

} // namespace splatscape
