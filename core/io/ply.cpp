#include "core/io/ply.hpp"

#include <algorithm>
#include <bit>
#include <charconv>
#include <cmath>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "core/file_util.hpp"

namespace splatscape {
namespace {

constexpr size_t kMaxHeaderBytes = 1 << 20;
constexpr size_t kMaxProperties = 4096;
constexpr size_t kMaxListLength = 1 << 16;

bool parse_type(const std::string& s, PlyType& t) {
    static const std::pair<const char*, PlyType> kNames[] = {
        {"char", PlyType::Int8},      {"int8", PlyType::Int8},       {"uchar", PlyType::UInt8},
        {"uint8", PlyType::UInt8},    {"short", PlyType::Int16},     {"int16", PlyType::Int16},
        {"ushort", PlyType::UInt16},  {"uint16", PlyType::UInt16},   {"int", PlyType::Int32},
        {"int32", PlyType::Int32},    {"uint", PlyType::UInt32},     {"uint32", PlyType::UInt32},
        {"float", PlyType::Float32},  {"float32", PlyType::Float32}, {"double", PlyType::Float64},
        {"float64", PlyType::Float64}};
    for (auto& [name, type] : kNames)
        if (s == name) {
            t = type;
            return true;
        }
    return false;
}

template <class T>
T load_scalar(const uint8_t* p, bool swap) {
    T v;
    std::memcpy(&v, p, sizeof(T));
    if (swap && sizeof(T) > 1) {
        uint8_t b[sizeof(T)];
        std::memcpy(b, &v, sizeof(T));
        std::reverse(b, b + sizeof(T));
        std::memcpy(&v, b, sizeof(T));
    }
    return v;
}

double load_binary(const uint8_t* p, PlyType t, bool swap) {
    switch (t) {
        case PlyType::Int8: return double(load_scalar<int8_t>(p, swap));
        case PlyType::UInt8: return double(load_scalar<uint8_t>(p, swap));
        case PlyType::Int16: return double(load_scalar<int16_t>(p, swap));
        case PlyType::UInt16: return double(load_scalar<uint16_t>(p, swap));
        case PlyType::Int32: return double(load_scalar<int32_t>(p, swap));
        case PlyType::UInt32: return double(load_scalar<uint32_t>(p, swap));
        case PlyType::Float32: return double(load_scalar<float>(p, swap));
        case PlyType::Float64: return load_scalar<double>(p, swap);
    }
    return 0.0;
}

// Tokeniser over the ASCII body: whitespace-separated numbers, bounds-checked.
class AsciiCursor {
public:
    AsciiCursor(const uint8_t* data, size_t size, size_t offset, const std::string& file)
        : m_p(reinterpret_cast<const char*>(data) + offset), m_end(reinterpret_cast<const char*>(data) + size), m_file(file) {}
    double next(const std::string& field) {
        while (m_p < m_end && (*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r')) ++m_p;
        if (m_p >= m_end) throw Error(m_file, field, "truncated: the ASCII body ends before the header's count");
        const char* start = m_p;
        while (m_p < m_end && !(*m_p == ' ' || *m_p == '\t' || *m_p == '\n' || *m_p == '\r')) ++m_p;
        std::string tok(start, m_p);
        char* endp = nullptr;
        double v = std::strtod(tok.c_str(), &endp);
        if (endp == tok.c_str() || *endp != '\0') throw Error(m_file, field, "not a number: '" + tok.substr(0, 32) + "'");
        return v;
    }

private:
    const char* m_p;
    const char* m_end;
    const std::string& m_file;
};

}  // namespace

int ply_type_size(PlyType t) {
    switch (t) {
        case PlyType::Int8:
        case PlyType::UInt8: return 1;
        case PlyType::Int16:
        case PlyType::UInt16: return 2;
        case PlyType::Int32:
        case PlyType::UInt32:
        case PlyType::Float32: return 4;
        case PlyType::Float64: return 8;
    }
    return 0;
}

int PlyElement::find(const std::string& property) const {
    for (size_t i = 0; i < properties.size(); ++i)
        if (properties[i].name == property) return int(i);
    return -1;
}

const PlyElement* PlyHeader::find(const std::string& element) const {
    for (auto& e : elements)
        if (e.name == element) return &e;
    return nullptr;
}

const std::vector<float>& PlyTable::column(const std::string& name, const std::string& file) const {
    auto it = columns.find(name);
    if (it == columns.end()) throw Error(file, "property " + name, "missing");
    return it->second;
}

PlyHeader parse_ply_header(const uint8_t* data, size_t size, const std::string& file) {
    if (size < 4 || std::memcmp(data, "ply", 3) != 0 || (data[3] != '\n' && data[3] != '\r'))
        throw Error(file, "magic", "not a PLY file (expected 'ply' on the first line)");
    const char* begin = reinterpret_cast<const char*>(data);
    const char* limit = begin + std::min(size, kMaxHeaderBytes);
    const char* marker = nullptr;
    for (const char* p = begin; p + 10 <= limit; ++p) {
        if (std::memcmp(p, "end_header", 10) == 0 && (p == begin || p[-1] == '\n')) {
            marker = p;
            break;
        }
    }
    if (!marker) throw Error(file, "header", "no 'end_header' line in the first MiB");
    const char* body = marker + 10;
    if (body < begin + size && *body == '\r') ++body;
    if (body >= begin + size || *body != '\n') {
        if (body != begin + size) throw Error(file, "header", "'end_header' not followed by a newline");
    } else {
        ++body;
    }

    PlyHeader h;
    h.data_offset = size_t(body - begin);
    std::istringstream lines(std::string(begin, marker));
    std::string line;
    bool have_format = false;
    int line_no = 0;
    while (std::getline(lines, line)) {
        ++line_no;
        if (!line.empty() && line.back() == '\r') line.pop_back();
        std::istringstream ls(line);
        std::string kw;
        ls >> kw;
        std::string where = cat("header line ", line_no);
        if (kw.empty() || kw == "ply" || kw == "obj_info") continue;
        if (kw == "comment") {
            h.comments.push_back(line.size() > 8 ? line.substr(8) : "");
        } else if (kw == "format") {
            std::string fmt, version;
            ls >> fmt >> version;
            if (fmt == "ascii") h.format = PlyFormat::Ascii;
            else if (fmt == "binary_little_endian") h.format = PlyFormat::BinaryLittleEndian;
            else if (fmt == "binary_big_endian") h.format = PlyFormat::BinaryBigEndian;
            else throw Error(file, where, "unknown format '" + fmt + "'");
            if (version != "1.0") throw Error(file, where, "unsupported PLY version '" + version + "' (expected 1.0)");
            have_format = true;
        } else if (kw == "element") {
            PlyElement e;
            std::string count;
            ls >> e.name >> count;
            uint64_t c = 0;
            auto [ptr, ec] = std::from_chars(count.data(), count.data() + count.size(), c);
            if (e.name.empty() || ec != std::errc() || ptr != count.data() + count.size())
                throw Error(file, where, "malformed element line '" + line + "'");
            e.count = c;
            h.elements.push_back(std::move(e));
        } else if (kw == "property") {
            if (h.elements.empty()) throw Error(file, where, "property before any element");
            PlyProperty p;
            std::string t;
            ls >> t;
            if (t == "list") {
                std::string ct, vt;
                ls >> ct >> vt >> p.name;
                if (!parse_type(ct, p.count_type) || !parse_type(vt, p.type))
                    throw Error(file, where, "unknown list types in '" + line + "'");
                if (p.count_type == PlyType::Float32 || p.count_type == PlyType::Float64)
                    throw Error(file, where, "list count type must be an integer");
                p.is_list = true;
            } else {
                if (!parse_type(t, p.type)) throw Error(file, where, "unknown property type '" + t + "'");
                ls >> p.name;
            }
            if (p.name.empty()) throw Error(file, where, "property without a name");
            auto& props = h.elements.back().properties;
            if (props.size() >= kMaxProperties) throw Error(file, where, "too many properties");
            // Properties are read by name: a repeated name would fill one column twice.
            if (h.elements.back().find(p.name) >= 0) throw Error(file, where, "duplicate property '" + p.name + "'");
            props.push_back(std::move(p));
        } else {
            throw Error(file, where, "unknown header keyword '" + kw + "'");
        }
    }
    if (!have_format) throw Error(file, "header", "missing 'format' line");
    return h;
}

PlyTable read_ply_element(const uint8_t* data, size_t size, const std::string& file, const std::string& element,
                          PlyHeader* header_out) {
    PlyHeader h = parse_ply_header(data, size, file);
    if (!h.find(element)) throw Error(file, "element " + element, "missing");
    // Rows without properties take no bytes, so nothing bounds their count: walking them would hang.
    for (auto& e : h.elements)
        if (e.properties.empty() && e.count > 0)
            throw Error(file, "element " + e.name, cat("count ", e.count, " but no properties"));
    const bool swap = (h.format == PlyFormat::BinaryBigEndian) != (std::endian::native == std::endian::big);
    PlyTable table;

    if (h.format == PlyFormat::Ascii) {
        AsciiCursor cur(data, size, h.data_offset, file);
        for (auto& e : h.elements) {
            bool want = e.name == element;
            // Each ASCII value takes at least 2 bytes; a count beyond that is a lie.
            size_t scalars = 0;
            for (auto& p : e.properties) scalars += p.is_list ? 1 : 1;
            if (scalars && e.count > (size - h.data_offset) / (2 * scalars) + 1)
                throw Error(file, "element " + e.name, cat("count ", e.count, " exceeds the data in the file"));
            if (want) {
                table.count = e.count;
                for (auto& p : e.properties)
                    if (!p.is_list) table.columns[p.name].reserve(e.count);
            }
            for (uint64_t i = 0; i < e.count; ++i)
                for (auto& p : e.properties) {
                    if (p.is_list) {
                        double n = cur.next(e.name + "." + p.name);
                        if (n < 0 || n > kMaxListLength) throw Error(file, e.name + "." + p.name, "bad list length");
                        for (int k = 0; k < int(n); ++k) cur.next(e.name + "." + p.name);
                    } else {
                        double v = cur.next(e.name + "." + p.name);
                        if (want) table.columns[p.name].push_back(float(v));
                    }
                }
            if (want) break;
        }
    } else {
        ByteReader r(data, size, file);
        r.seek(h.data_offset, "body");
        for (auto& e : h.elements) {
            bool want = e.name == element;
            bool fixed = std::none_of(e.properties.begin(), e.properties.end(), [](auto& p) { return p.is_list; });
            uint64_t stride = 0;
            for (auto& p : e.properties) stride += p.is_list ? 0 : ply_type_size(p.type);
            if (fixed) {
                r.require(e.count, stride, ("element " + e.name).c_str());
                if (want) {
                    table.count = e.count;
                    std::vector<std::vector<float>*> cols;
                    std::vector<uint64_t> offsets;
                    uint64_t off = 0;
                    for (auto& p : e.properties) {
                        auto& col = table.columns[p.name];
                        col.resize(e.count);
                        cols.push_back(&col);
                        offsets.push_back(off);
                        off += ply_type_size(p.type);
                    }
                    const uint8_t* base = r.current();
                    for (uint64_t i = 0; i < e.count; ++i)
                        for (size_t k = 0; k < e.properties.size(); ++k)
                            (*cols[k])[i] = float(load_binary(base + i * stride + offsets[k], e.properties[k].type, swap));
                    break;
                }
                r.skip(size_t(e.count * stride), ("element " + e.name).c_str());
            } else {
                // Elements with lists (faces, say) have variable size: walk them.
                if (e.count > r.remaining()) throw Error(file, "element " + e.name, cat("count ", e.count, " exceeds the data in the file"));
                if (want) {
                    table.count = e.count;
                    for (auto& p : e.properties)
                        if (!p.is_list) table.columns[p.name].reserve(e.count);
                }
                for (uint64_t i = 0; i < e.count; ++i)
                    for (auto& p : e.properties) {
                        std::string field = e.name + "." + p.name;
                        if (p.is_list) {
                            uint8_t buf[8];
                            r.read_bytes(buf, ply_type_size(p.count_type), field.c_str());
                            double n = load_binary(buf, p.count_type, swap);
                            if (n < 0 || n > kMaxListLength) throw Error(file, field, "bad list length");
                            r.skip(size_t(n) * ply_type_size(p.type), field.c_str());
                        } else {
                            uint8_t buf[8];
                            r.read_bytes(buf, ply_type_size(p.type), field.c_str());
                            if (want) table.columns[p.name].push_back(float(load_binary(buf, p.type, swap)));
                        }
                    }
                if (want) break;
            }
        }
    }
    if (header_out) *header_out = std::move(h);
    return table;
}

PlyTable read_ply_element(const std::filesystem::path& path, const std::string& element, PlyHeader* header_out) {
    auto bytes = read_file_bytes(path);
    return read_ply_element(bytes.data(), bytes.size(), path.string(), element, header_out);
}

GaussianCloud gaussians_from_ply_table(const PlyTable& t, const std::string& file) {
    for (const char* name : {"x", "y", "z", "opacity", "scale_0", "scale_1", "scale_2", "rot_0", "rot_1", "rot_2",
                             "rot_3", "f_dc_0", "f_dc_1", "f_dc_2"})
        if (!t.has(name))
            throw Error(file, std::string("property ") + name,
                        "missing: not a 3D Gaussian splatting PLY (expected the reference layout: x y z f_dc_* "
                        "f_rest_* opacity scale_* rot_*)");
    int rest = 0;
    while (t.has("f_rest_" + std::to_string(rest))) ++rest;
    for (auto& [name, col] : t.columns)
        if (name.rfind("f_rest_", 0) == 0) {
            int idx = std::atoi(name.c_str() + 7);
            if (idx >= rest) throw Error(file, "property " + name, cat("f_rest_* indices are not contiguous (found ", rest, " before a gap)"));
        }
    int degree = -1;
    for (int d = 0; d <= kMaxShDegree; ++d)
        if (rest == 3 * (sh_coeff_count(d) - 1)) degree = d;
    if (degree < 0) throw Error(file, "f_rest_*", cat("found ", rest, " f_rest properties; expected 0, 9, 24 or 45"));

    GaussianCloud c;
    const size_t n = t.count;
    c.resize(n, degree);
    const int k = c.sh_coeffs();
    auto col = [&](const std::string& name) -> const std::vector<float>& { return t.column(name, file); };
    for (int a = 0; a < 3; ++a) {
        const auto& pos = col(std::string(1, "xyz"[a]));
        const auto& sc = col("scale_" + std::to_string(a));
        const auto& dc = col("f_dc_" + std::to_string(a));
        for (size_t i = 0; i < n; ++i) {
            c.positions[3 * i + a] = pos[i];
            c.log_scales[3 * i + a] = sc[i];
            c.sh[(i * k) * 3 + a] = dc[i];
        }
    }
    for (int a = 0; a < 4; ++a) {
        const auto& r = col("rot_" + std::to_string(a));
        for (size_t i = 0; i < n; ++i) c.rotations[4 * i + a] = r[i];
    }
    const auto& op = col("opacity");
    std::copy(op.begin(), op.end(), c.opacities.begin());
    // f_rest is channel-major: f_rest_{ch * (K-1) + (k-1)}.
    for (int ch = 0; ch < 3; ++ch)
        for (int j = 1; j < k; ++j) {
            const auto& r = col("f_rest_" + std::to_string(ch * (k - 1) + (j - 1)));
            for (size_t i = 0; i < n; ++i) c.sh[(i * k + j) * 3 + ch] = r[i];
        }
    if (t.has("filter_3D")) {
        // Mip-Splatting's files keep the 3D smoothing filter apart (its standard deviation) and
        // render with its 2D Mip filter: bake the filter as docs/rasterizer.md (step 2) specifies.
        const auto& f = col("filter_3D");
        for (size_t i = 0; i < n; ++i) {
            if (!std::isfinite(f[i])) throw Error(file, "property filter_3D", cat("non-finite value at element ", i));
            const double v = double(f[i]) * f[i];
            double log_coef = 0.0;
            for (int a = 0; a < 3; ++a) {
                const double s = c.log_scales[3 * i + a], s2 = 0.5 * std::log(std::exp(2.0 * s) + v);
                c.log_scales[3 * i + a] = float(s2);
                log_coef += s - s2;
            }
            const double p = std::exp(log_coef) / (1.0 + std::exp(-double(c.opacities[i])));
            c.opacities[i] = float(std::log(p) - std::log1p(-p));
        }
        c.antialiased = true;
        c.eps2d = 0.1f;
    }
    c.validate(file.c_str());
    return c;
}

namespace {

// "comment antialiased eps2d <v>": how Splatscape writes a scene trained with the compensated 2D
// filter (the reference layout has no field for it; other readers skip comments).
void read_render_comment(const PlyHeader& h, GaussianCloud& c) {
    for (const std::string& line : h.comments) {
        std::istringstream in(line);
        std::string word, key;
        float eps2d = 0.0f;
        if (in >> word && word == "antialiased") {
            c.antialiased = true;
            if (in >> key >> eps2d && key == "eps2d" && std::isfinite(eps2d) && eps2d >= 0.0f && eps2d < 100.0f)
                c.eps2d = eps2d;
        }
    }
}

} // namespace

GaussianCloud read_gaussian_ply(const uint8_t* data, size_t size, const std::string& file) {
    PlyHeader h = parse_ply_header(data, size, file);
    if (h.find("chunk") && h.find("vertex") && h.find("vertex")->find("packed_position") >= 0)
        throw Error(file, "", "this is a PlayCanvas compressed PLY, not the reference 3DGS layout");
    GaussianCloud c = gaussians_from_ply_table(read_ply_element(data, size, file, "vertex"), file);
    read_render_comment(h, c);
    return c;
}

GaussianCloud read_gaussian_ply(const std::filesystem::path& path) {
    auto bytes = read_file_bytes(path);
    return read_gaussian_ply(bytes.data(), bytes.size(), path.string());
}

std::vector<uint8_t> encode_gaussian_ply(const GaussianCloud& c) {
    const size_t n = c.size();
    const int k = c.sh_coeffs();
    const int rest = 3 * (k - 1);
    std::ostringstream hs;
    hs << "ply\nformat binary_little_endian 1.0\n";
    if (c.antialiased) hs << "comment antialiased eps2d " << c.eps2d << "\n";
    hs << "element vertex " << n << "\n";
    for (const char* p : {"x", "y", "z", "nx", "ny", "nz", "f_dc_0", "f_dc_1", "f_dc_2"}) hs << "property float " << p << "\n";
    for (int i = 0; i < rest; ++i) hs << "property float f_rest_" << i << "\n";
    hs << "property float opacity\n";
    for (int i = 0; i < 3; ++i) hs << "property float scale_" << i << "\n";
    for (int i = 0; i < 4; ++i) hs << "property float rot_" << i << "\n";
    hs << "end_header\n";
    std::string header = hs.str();
    const size_t floats = 9 + rest + 1 + 3 + 4;
    std::vector<uint8_t> out(header.size() + n * floats * 4);
    std::memcpy(out.data(), header.data(), header.size());
    std::vector<float> row(floats);
    uint8_t* dst = out.data() + header.size();
    for (size_t i = 0; i < n; ++i) {
        size_t o = 0;
        for (int a = 0; a < 3; ++a) row[o++] = c.positions[3 * i + a];
        for (int a = 0; a < 3; ++a) row[o++] = 0.0f;
        for (int a = 0; a < 3; ++a) row[o++] = c.sh[(i * k) * 3 + a];
        for (int ch = 0; ch < 3; ++ch)
            for (int j = 1; j < k; ++j) row[o++] = c.sh[(i * k + j) * 3 + ch];
        row[o++] = c.opacities[i];
        for (int a = 0; a < 3; ++a) row[o++] = c.log_scales[3 * i + a];
        for (int a = 0; a < 4; ++a) row[o++] = c.rotations[4 * i + a];
        static_assert(std::endian::native == std::endian::little, "PLY writer assumes a little-endian host");
        std::memcpy(dst + i * floats * 4, row.data(), floats * 4);
    }
    return out;
}

void write_gaussian_ply(const std::filesystem::path& path, const GaussianCloud& cloud) {
    write_file_atomic(path, encode_gaussian_ply(cloud));
}

PointCloud read_point_ply(const std::filesystem::path& path) {
    PlyHeader h;
    PlyTable t = read_ply_element(path, "vertex", &h);
    PointCloud pc;
    const size_t n = t.count;
    pc.positions.resize(n * 3);
    pc.colors.assign(n * 3, 0.5f);
    const PlyElement* e = h.find("vertex");
    for (int a = 0; a < 3; ++a) {
        const auto& col = t.column(std::string(1, "xyz"[a]), path.string());
        for (size_t i = 0; i < n; ++i) pc.positions[3 * i + a] = col[i];
    }
    const char* names[3] = {"red", "green", "blue"};
    for (int a = 0; a < 3; ++a) {
        if (!t.has(names[a])) continue;
        const auto& col = t.columns.at(names[a]);
        const PlyProperty& p = e->properties[e->find(names[a])];
        float scale = p.type == PlyType::UInt8 ? 1.0f / 255.0f : p.type == PlyType::UInt16 ? 1.0f / 65535.0f : 1.0f;
        for (size_t i = 0; i < n; ++i) pc.colors[3 * i + a] = std::clamp(col[i] * scale, 0.0f, 1.0f);
    }
    for (float v : pc.positions)
        if (!std::isfinite(v)) throw Error(path.string(), "vertex", "non-finite position");
    return pc;
}

void write_point_ply(const std::filesystem::path& path, const PointCloud& pc) {
    const size_t n = pc.size();
    std::string header = cat("ply\nformat binary_little_endian 1.0\nelement vertex ", n,
                             "\nproperty float x\nproperty float y\nproperty float z\nproperty uchar red\n"
                             "property uchar green\nproperty uchar blue\nend_header\n");
    std::vector<uint8_t> out(header.begin(), header.end());
    out.reserve(header.size() + n * 15);
    for (size_t i = 0; i < n; ++i) {
        uint8_t buf[15];
        std::memcpy(buf, &pc.positions[3 * i], 12);
        for (int a = 0; a < 3; ++a) buf[12 + a] = uint8_t(std::lround(std::clamp(pc.colors[3 * i + a], 0.0f, 1.0f) * 255.0f));
        out.insert(out.end(), buf, buf + 15);
    }
    write_file_atomic(path, out);
}

}  // namespace splatscape
