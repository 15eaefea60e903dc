#include "core/io/playcanvas_ply.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <map>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/ply.hpp"

namespace splatscape {
namespace {

// Byte offset and type of each named scalar property of one element, and where its rows start.
struct ElementLayout {
    const PlyElement* element = nullptr;
    size_t offset = 0; // of the first row, from the start of the file
    size_t stride = 0;
    std::map<std::string, std::pair<size_t, PlyType>> properties;
};

std::map<std::string, ElementLayout> layout_elements(const PlyHeader& h, size_t size, const std::string& file) {
    if (h.format != PlyFormat::BinaryLittleEndian)
        throw Error(file, "format", "a compressed PLY must be binary_little_endian");
    std::map<std::string, ElementLayout> out;
    uint64_t offset = h.data_offset;
    for (const auto& e : h.elements) {
        ElementLayout l;
        l.element = &e;
        l.offset = size_t(offset);
        for (const auto& p : e.properties) {
            if (p.is_list) throw Error(file, "element " + e.name, "list properties do not belong in a compressed PLY");
            l.properties[p.name] = {l.stride, p.type};
            l.stride += size_t(ply_type_size(p.type));
        }
        // Overflow-safe: count * stride must fit in what is left of the file.
        if (l.stride && e.count > (size - offset) / l.stride)
            throw Error(file, "element " + e.name,
                        cat("truncated or lying count: ", e.count, " rows of ", l.stride, " bytes need more than the ",
                            size - offset, " bytes left"));
        offset += e.count * l.stride;
        out[e.name] = std::move(l);
    }
    return out;
}

// Column accessor that checks name and type once.
template <class T>
class Column {
public:
    Column(const ElementLayout& l, const std::string& name, PlyType type, const uint8_t* data, const std::string& file)
        : m_base(data + l.offset), m_stride(l.stride) {
        auto it = l.properties.find(name);
        if (it == l.properties.end()) throw Error(file, l.element->name + "." + name, "missing");
        if (it->second.second != type)
            throw Error(file, l.element->name + "." + name, "unexpected property type for a compressed PLY");
        m_base += it->second.first;
    }
    T operator[](size_t row) const {
        T v;
        std::memcpy(&v, m_base + row * m_stride, sizeof(T));
        return v;
    }

private:
    const uint8_t* m_base;
    size_t m_stride;
};

float unorm(uint32_t v, int bits) {
    return float(v & ((1u << bits) - 1u)) / float((1u << bits) - 1u);
}
float lerp(float a, float b, float t) {
    return a * (1.0f - t) + b * t;
}

} // namespace

bool is_playcanvas_ply(const uint8_t* data, size_t size) {
    try {
        PlyHeader h = parse_ply_header(data, size, "");
        const PlyElement* v = h.find("vertex");
        return h.find("chunk") && v && v->find("packed_position") >= 0;
    } catch (const Error&) {
        return false;
    }
}

GaussianCloud decode_playcanvas_ply(const uint8_t* data, size_t size, const std::string& file) {
    PlyHeader h = parse_ply_header(data, size, file);
    auto elements = layout_elements(h, size, file);
    if (!elements.count("chunk") || !elements.count("vertex"))
        throw Error(file, "", "not a compressed PLY (needs 'chunk' and 'vertex' elements)");
    const ElementLayout& ch = elements["chunk"];
    const ElementLayout& vx = elements["vertex"];
    const size_t n = size_t(vx.element->count);
    const size_t chunks = size_t(ch.element->count);
    if (chunks != (n + kPlayCanvasChunkSize - 1) / kPlayCanvasChunkSize)
        throw Error(file, "element chunk",
                    cat(chunks, " chunks for ", n, " splats; the format has one chunk per ", kPlayCanvasChunkSize));

    auto chunk_col = [&](const char* name) { return Column<float>(ch, name, PlyType::Float32, data, file); };
    const Column<float> min_x = chunk_col("min_x"), min_y = chunk_col("min_y"), min_z = chunk_col("min_z");
    const Column<float> max_x = chunk_col("max_x"), max_y = chunk_col("max_y"), max_z = chunk_col("max_z");
    const Column<float> min_sx = chunk_col("min_scale_x"), min_sy = chunk_col("min_scale_y"),
                        min_sz = chunk_col("min_scale_z");
    const Column<float> max_sx = chunk_col("max_scale_x"), max_sy = chunk_col("max_scale_y"),
                        max_sz = chunk_col("max_scale_z");
    const bool chunk_colors = ch.properties.count("min_r") != 0;
    std::vector<Column<float>> color_range;
    if (chunk_colors)
        for (const char* name : {"min_r", "min_g", "min_b", "max_r", "max_g", "max_b"})
            color_range.push_back(chunk_col(name));

    auto vertex_col = [&](const char* name) { return Column<uint32_t>(vx, name, PlyType::UInt32, data, file); };
    const Column<uint32_t> packed_position = vertex_col("packed_position"),
                           packed_rotation = vertex_col("packed_rotation"), packed_scale = vertex_col("packed_scale"),
                           packed_color = vertex_col("packed_color");

    int degree = 0;
    const ElementLayout* sh = elements.count("sh") ? &elements["sh"] : nullptr;
    if (sh) {
        const size_t rest = sh->properties.size();
        for (int d = 1; d <= kMaxShDegree; ++d)
            if (rest == size_t(3 * (sh_coeff_count(d) - 1))) degree = d;
        if (degree == 0) throw Error(file, "element sh", cat(rest, " properties; expected 9, 24 or 45 f_rest_*"));
        if (sh->element->count != n)
            throw Error(file, "element sh", cat(sh->element->count, " rows for ", n, " splats"));
    }

    GaussianCloud c;
    c.resize(n, degree);
    const int k = c.sh_coeffs();
    const float kSqrt2 = std::sqrt(2.0f);
    for (size_t i = 0; i < n; ++i) {
        const size_t ci = i / kPlayCanvasChunkSize;
        const uint32_t pp = packed_position[i], ps = packed_scale[i], pr = packed_rotation[i], pc = packed_color[i];
        c.positions[3 * i + 0] = lerp(min_x[ci], max_x[ci], unorm(pp >> 21, 11));
        c.positions[3 * i + 1] = lerp(min_y[ci], max_y[ci], unorm(pp >> 11, 10));
        c.positions[3 * i + 2] = lerp(min_z[ci], max_z[ci], unorm(pp, 11));
        c.log_scales[3 * i + 0] = lerp(min_sx[ci], max_sx[ci], unorm(ps >> 21, 11));
        c.log_scales[3 * i + 1] = lerp(min_sy[ci], max_sy[ci], unorm(ps >> 11, 10));
        c.log_scales[3 * i + 2] = lerp(min_sz[ci], max_sz[ci], unorm(ps, 11));

        // Rotation in the reference order rot_0..rot_3 (w x y z); the largest one is implied.
        const int largest = int(pr >> 30);
        float q[4], sum = 0.0f;
        const float stored[3] = {(unorm(pr >> 20, 10) - 0.5f) * kSqrt2, (unorm(pr >> 10, 10) - 0.5f) * kSqrt2,
                                 (unorm(pr, 10) - 0.5f) * kSqrt2};
        for (int a = 0, s = 0; a < 4; ++a)
            if (a != largest) {
                q[a] = stored[s++];
                sum += q[a] * q[a];
            }
        q[largest] = std::sqrt(std::max(0.0f, 1.0f - sum));
        std::copy(q, q + 4, &c.rotations[4 * i]);

        for (int a = 0; a < 3; ++a) {
            float v = unorm(pc >> (24 - 8 * a), 8);
            if (chunk_colors) v = lerp(color_range[a][ci], color_range[3 + a][ci], v);
            c.sh[(i * k) * 3 + a] = sh_dc_from_rgb(v);
        }
        const float alpha = std::clamp(unorm(pc, 8), 0.5f / 255.0f, 1.0f - 0.5f / 255.0f);
        c.opacities[i] = logit(alpha);
    }
    if (sh) {
        // f_rest is channel-major as in the reference PLY: f_rest_{ch * (K-1) + (j-1)}.
        for (int ch = 0; ch < 3; ++ch)
            for (int j = 1; j < k; ++j) {
                const Column<uint8_t> col(*sh, "f_rest_" + std::to_string(ch * (k - 1) + (j - 1)), PlyType::UInt8, data,
                                          file);
                for (size_t i = 0; i < n; ++i) {
                    const uint8_t v = col[i];
                    const float t = v == 0 ? 0.0f : v == 255 ? 1.0f : (float(v) + 0.5f) / 256.0f;
                    c.sh[(i * k + j) * 3 + ch] = (t - 0.5f) * 8.0f;
                }
            }
    }
    c.validate(file.c_str());
    return c;
}

std::vector<uint8_t> encode_playcanvas_ply(const GaussianCloud& c) {
    c.validate("compressed PLY writer input");
    const size_t n = c.size(), chunks = (n + kPlayCanvasChunkSize - 1) / kPlayCanvasChunkSize;
    const int k = c.sh_coeffs(), rest = 3 * (k - 1);
    std::string h = cat("ply\nformat binary_little_endian 1.0\ncomment Splatscape\nelement chunk ", chunks, "\n");
    for (const char* p :
         {"min_x", "min_y", "min_z", "max_x", "max_y", "max_z", "min_scale_x", "min_scale_y", "min_scale_z",
          "max_scale_x", "max_scale_y", "max_scale_z", "min_r", "min_g", "min_b", "max_r", "max_g", "max_b"})
        h += cat("property float ", p, "\n");
    h += cat("element vertex ", n,
             "\nproperty uint packed_position\nproperty uint packed_rotation\nproperty uint packed_scale\n"
             "property uint packed_color\n");
    if (rest > 0) {
        h += cat("element sh ", n, "\n");
        for (int i = 0; i < rest; ++i) h += cat("property uchar f_rest_", i, "\n");
    }
    h += "end_header\n";
    std::vector<uint8_t> out(h.begin(), h.end());
    auto put = [&](const void* p, size_t bytes) {
        const auto* b = static_cast<const uint8_t*>(p);
        out.insert(out.end(), b, b + bytes);
    };
    auto log_scale = [&](size_t i, int a) { return std::clamp(c.log_scales[3 * i + a], -20.0f, 20.0f); };
    auto color = [&](size_t i, int a) { return rgb_from_sh_dc(c.sh[(i * k) * 3 + a]); };
    // Unit-interval position of v in [lo, hi] on `bits` bits.
    auto unorm = [](float v, float lo, float hi, int bits) {
        const float t = hi > lo ? (v - lo) / (hi - lo) : 0.0f;
        const float top = float((1u << bits) - 1u);
        return uint32_t(std::clamp(std::lround(t * top), 0L, long(top)));
    };
    std::vector<float> ranges(chunks * 18);
    for (size_t ch = 0; ch < chunks; ++ch) {
        float* r = &ranges[ch * 18];
        const size_t lo = ch * kPlayCanvasChunkSize, hi = std::min(n, lo + kPlayCanvasChunkSize);
        for (int a = 0; a < 3; ++a) {
            r[a] = r[6 + a] = r[12 + a] = INFINITY;
            r[3 + a] = r[9 + a] = r[15 + a] = -INFINITY;
            for (size_t i = lo; i < hi; ++i) {
                r[a] = std::min(r[a], c.positions[3 * i + a]);
                r[3 + a] = std::max(r[3 + a], c.positions[3 * i + a]);
                r[6 + a] = std::min(r[6 + a], log_scale(i, a));
                r[9 + a] = std::max(r[9 + a], log_scale(i, a));
                r[12 + a] = std::min(r[12 + a], color(i, a));
                r[15 + a] = std::max(r[15 + a], color(i, a));
            }
        }
        put(r, 18 * sizeof(float));
    }
    const float kSqrtHalf = std::sqrt(0.5f);
    for (size_t i = 0; i < n; ++i) {
        const float* r = &ranges[(i / kPlayCanvasChunkSize) * 18];
        const uint32_t position = unorm(c.positions[3 * i], r[0], r[3], 11) << 21 |
                                  unorm(c.positions[3 * i + 1], r[1], r[4], 10) << 11 |
                                  unorm(c.positions[3 * i + 2], r[2], r[5], 11);
        const uint32_t scale = unorm(log_scale(i, 0), r[6], r[9], 11) << 21 |
                               unorm(log_scale(i, 1), r[7], r[10], 10) << 11 | unorm(log_scale(i, 2), r[8], r[11], 11);
        float q[4], norm = 0.0f;
        for (int a = 0; a < 4; ++a) norm += c.rotations[4 * i + a] * c.rotations[4 * i + a];
        norm = std::sqrt(norm);
        for (int a = 0; a < 4; ++a) q[a] = norm > 0.0f ? c.rotations[4 * i + a] / norm : (a == 0 ? 1.0f : 0.0f);
        int largest = 0;
        for (int a = 1; a < 4; ++a)
            if (std::abs(q[a]) > std::abs(q[largest])) largest = a;
        const float sign = q[largest] < 0.0f ? -1.0f : 1.0f;
        uint32_t rotation = uint32_t(largest);
        for (int a = 0; a < 4; ++a)
            if (a != largest) rotation = rotation << 10 | unorm(sign * q[a], -kSqrtHalf, kSqrtHalf, 10);
        uint32_t col = 0;
        for (int a = 0; a < 3; ++a) col |= unorm(color(i, a), r[12 + a], r[15 + a], 8) << (24 - 8 * a);
        col |= unorm(sigmoid(c.opacities[i]), 0.0f, 1.0f, 8);
        for (uint32_t v : {position, rotation, scale, col}) put(&v, 4);
    }
    // f_rest is channel-major as in the reference PLY: f_rest_{ch * (K-1) + (j-1)}.
    for (size_t i = 0; i < n; ++i)
        for (int ch = 0; ch < 3; ++ch)
            for (int j = 1; j < k; ++j) {
                const float t = c.sh[(i * k + j) * 3 + ch] / 8.0f + 0.5f;
                out.push_back(uint8_t(std::clamp(long(std::floor(t * 256.0f)), 0L, 255L)));
            }
    return out;
}

GaussianCloud read_playcanvas_ply(const std::filesystem::path& path) {
    auto bytes = read_file_bytes(path);
    return decode_playcanvas_ply(bytes.data(), bytes.size(), path.string());
}

} // namespace splatscape
