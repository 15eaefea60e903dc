#include "core/io/gltf.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <set>
#include <sstream>

#include <glm/gtc/matrix_transform.hpp>
#include <glm/gtc/quaternion.hpp>
#include <glm/gtc/type_ptr.hpp>
#include <glm/mat3x3.hpp>
#include <glm/mat4x4.hpp>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/frame_convert.hpp"
#include "core/io/spz.hpp"
#include "core/io/tinygltf_config.hpp"
#include "core/log.hpp"

namespace splatscape {
namespace {

constexpr const char* kExtension = "KHR_gaussian_splatting";
constexpr const char* kSpzExtension = "KHR_gaussian_splatting_compression_spz_2";
constexpr const char* kPrefix = "KHR_gaussian_splatting:";
constexpr size_t kMaxSplats = size_t(1) << 28;
constexpr int kMaxJsonDepth = 256;
constexpr uint64_t kMaxExternalBytes = uint64_t(1) << 34;

std::string attr(const char* name) {
    return std::string(kPrefix) + name;
}
std::string sh_attr(int degree, int n) {
    return cat(kPrefix, "SH_DEGREE_", degree, "_COEF_", n);
}

float srgb_to_linear(float c) {
    c = std::clamp(c, 0.0f, 1.0f);
    return c <= 0.04045f ? c / 12.92f : std::pow((c + 0.055f) / 1.055f, 2.4f);
}

// ---------------------------------------------------------------------------------------------
// Writing

tinygltf::Model build_model(const GaussianCloud& input, const GltfOptions& options) {
    input.validate("glTF writer input");
    GaussianCloud c = input;
    apply_axis_flip(c, kColmapToGltf);
    const size_t n = c.size();
    const int k = c.sh_coeffs();

    tinygltf::Model m;
    m.asset.version = "2.0";
    m.asset.generator = "Splatscape 0.1.0";
    m.extensionsUsed.push_back(kExtension);
    tinygltf::Node node;
    node.name = "splats";
    tinygltf::Scene scene;
    scene.nodes.push_back(0);
    m.scenes.push_back(scene);
    m.defaultScene = 0;
    if (n == 0) { // glTF accessors need count >= 1: an empty scene has no primitive
        m.nodes.push_back(node);
        return m;
    }

    tinygltf::Buffer buffer;
    auto add = [&](const std::vector<uint8_t>& bytes, int component, int type, bool normalized) {
        while (buffer.data.size() % 4) buffer.data.push_back(0);
        tinygltf::BufferView view;
        view.buffer = 0;
        view.byteOffset = buffer.data.size();
        view.byteLength = bytes.size();
        view.target = TINYGLTF_TARGET_ARRAY_BUFFER;
        buffer.data.insert(buffer.data.end(), bytes.begin(), bytes.end());
        m.bufferViews.push_back(view);
        tinygltf::Accessor a;
        a.bufferView = int(m.bufferViews.size() - 1);
        a.componentType = component;
        a.type = type;
        a.count = n;
        a.normalized = normalized;
        m.accessors.push_back(a);
        return int(m.accessors.size() - 1);
    };
    auto floats = [&](const std::vector<float>& v, int type) {
        std::vector<uint8_t> bytes(v.size() * 4);
        std::memcpy(bytes.data(), v.data(), bytes.size());
        return add(bytes, TINYGLTF_COMPONENT_TYPE_FLOAT, type, false);
    };

    tinygltf::Primitive prim;
    prim.mode = TINYGLTF_MODE_POINTS;
    tinygltf::Value::Object ext;
    ext["kernel"] = tinygltf::Value(std::string("ellipse"));
    // Colours are trained on the images as stored, i.e. sRGB-encoded (docs/design.md, "Conventions").
    ext["colorSpace"] = tinygltf::Value(std::string("srgb_rec709_display"));
    ext["projection"] = tinygltf::Value(std::string("perspective"));
    ext["sortingMethod"] = tinygltf::Value(std::string("cameraDistance"));
    if (options.spz) {
        // The splats as one SPZ stream in a buffer view; the accessors carry only types and counts
        // (no buffer view). The stream holds the glTF frame as it is (CesiumJS decodes it without a
        // frame conversion) and is version 3 or 2 (gzip), which the SPZ decoders in glTF clients read.
        if (options.spz_version != 2 && options.spz_version != 3)
            throw UsageError(cat("SPZ version ", options.spz_version, " inside glTF: use 2 or 3"));
        SpzOptions spz;
        spz.version = options.spz_version;
        spz.frame = SpzFrame::Rdf; // "as it is": `c` is already in the glTF frame
        const std::vector<uint8_t> bytes = encode_spz(c, spz);
        tinygltf::BufferView view;
        view.buffer = 0;
        view.byteOffset = 0;
        view.byteLength = bytes.size();
        buffer.data = bytes;
        m.bufferViews.push_back(view);
        auto declared = [&](int component, int type, bool normalized) {
            tinygltf::Accessor a;
            a.componentType = component;
            a.type = type;
            a.count = n;
            a.normalized = normalized;
            m.accessors.push_back(a);
            return int(m.accessors.size() - 1);
        };
        const int pos = declared(TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3, false);
        const Bounds b = c.bounds();
        m.accessors[pos].minValues = {b.min.x, b.min.y, b.min.z};
        m.accessors[pos].maxValues = {b.max.x, b.max.y, b.max.z};
        prim.attributes["POSITION"] = pos;
        prim.attributes["COLOR_0"] = declared(TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE, TINYGLTF_TYPE_VEC4, true);
        prim.attributes[attr("SCALE")] = declared(TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3, false);
        prim.attributes[attr("ROTATION")] = declared(TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC4, false);
        for (int l = 1; l <= c.sh_degree; ++l)
            for (int j = 0; j < 2 * l + 1; ++j)
                prim.attributes[sh_attr(l, j)] = declared(TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_TYPE_VEC3, false);
        tinygltf::Value::Object spz_ext;
        spz_ext["bufferView"] = tinygltf::Value(0);
        tinygltf::Value::Object nested;
        nested[kSpzExtension] = tinygltf::Value(spz_ext);
        ext["extensions"] = tinygltf::Value(nested);
        prim.extensions[kExtension] = tinygltf::Value(ext);
        m.extensionsUsed.push_back(kSpzExtension);
        m.extensionsRequired = {kExtension, kSpzExtension};
        tinygltf::Mesh mesh;
        mesh.name = "splats";
        mesh.primitives.push_back(prim);
        m.meshes.push_back(mesh);
        node.mesh = 0;
        m.nodes.push_back(node);
        m.buffers.push_back(std::move(buffer));
        return m;
    }
    int pos = floats(c.positions, TINYGLTF_TYPE_VEC3);
    // POSITION accessors must carry min and max (glTF 2.0, 3.6.2.2).
    Bounds b = c.bounds();
    m.accessors[pos].minValues = {b.min.x, b.min.y, b.min.z};
    m.accessors[pos].maxValues = {b.max.x, b.max.y, b.max.z};
    prim.attributes["POSITION"] = pos;

    std::vector<float> rot(n * 4), scale(n * 3), opacity(n), sh(n * 3);
    std::vector<uint8_t> color(n * 4);
    for (size_t i = 0; i < n; ++i) {
        const float* q = &c.rotations[4 * i];
        const float norm = std::sqrt(q[0] * q[0] + q[1] * q[1] + q[2] * q[2] + q[3] * q[3]);
        if (norm > 0.0f) {
            for (int a = 0; a < 3; ++a) rot[4 * i + a] = q[1 + a] / norm;
            rot[4 * i + 3] = q[0] / norm;
        } else {
            rot[4 * i + 3] = 1.0f;
        }
        for (int a = 0; a < 3; ++a) {
            scale[3 * i + a] = std::exp(c.log_scales[3 * i + a]);
            const float rgb = rgb_from_sh_dc(c.sh[(i * k) * 3 + a]);
            color[4 * i + a] = uint8_t(std::lround(srgb_to_linear(rgb) * 255.0f));
        }
        opacity[i] = sigmoid(c.opacities[i]);
        color[4 * i + 3] = uint8_t(std::lround(std::clamp(opacity[i], 0.0f, 1.0f) * 255.0f));
    }
    prim.attributes[attr("ROTATION")] = floats(rot, TINYGLTF_TYPE_VEC4);
    prim.attributes[attr("SCALE")] = floats(scale, TINYGLTF_TYPE_VEC3);
    prim.attributes[attr("OPACITY")] = floats(opacity, TINYGLTF_TYPE_SCALAR);
    for (int l = 0; l <= c.sh_degree; ++l)
        for (int j = 0; j < 2 * l + 1; ++j) {
            const int coeff = l * l + j; // m = j - l, in the order the extension lists them
            for (size_t i = 0; i < n; ++i)
                for (int ch = 0; ch < 3; ++ch) sh[3 * i + ch] = c.sh[(i * k + coeff) * 3 + ch];
            prim.attributes[sh_attr(l, j)] = floats(sh, TINYGLTF_TYPE_VEC3);
        }
    prim.attributes["COLOR_0"] = add(color, TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE, TINYGLTF_TYPE_VEC4, true);
    // GLB lengths are 32-bit; keep room for the JSON chunk.
    if (buffer.data.size() > (uint64_t(1) << 32) - (uint64_t(1) << 20))
        throw Error("glTF", "",
                    cat(n, " splats with SH degree ", c.sh_degree, " need ", buffer.data.size(),
                        " bytes, more than one GLB can hold (4 GiB); export SPZ instead"));

    prim.extensions[kExtension] = tinygltf::Value(ext);

    tinygltf::Mesh mesh;
    mesh.name = "splats";
    mesh.primitives.push_back(prim);
    m.meshes.push_back(mesh);
    node.mesh = 0;
    m.nodes.push_back(node);
    m.buffers.push_back(std::move(buffer));
    return m;
}

std::string write_model(const tinygltf::Model& m, bool binary) {
    tinygltf::TinyGLTF gltf;
    std::ostringstream out;
    if (!gltf.WriteGltfSceneToStream(&m, out, false, binary)) throw Error("glTF: writing the model failed");
    return out.str();
}

// ---------------------------------------------------------------------------------------------
// Reading

// nlohmann's parser recurses per nesting level: refuse absurd nesting before handing text over.
void check_json_depth(const char* p, size_t size, const std::string& file) {
    int depth = 0;
    bool in_string = false;
    for (size_t i = 0; i < size; ++i) {
        const char ch = p[i];
        if (in_string) {
            if (ch == '\\')
                ++i;
            else if (ch == '"')
                in_string = false;
        } else if (ch == '"') {
            in_string = true;
        } else if (ch == '[' || ch == '{') {
            if (++depth > kMaxJsonDepth)
                throw Error(file, "JSON", cat("nested deeper than ", kMaxJsonDepth, " levels"));
        } else if (ch == ']' || ch == '}') {
            --depth;
        }
    }
}

uint32_t load_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

struct ReadContext {
    const tinygltf::Model& m;
    const std::string& file;
};

int component_count(int type) {
    switch (type) {
    case TINYGLTF_TYPE_SCALAR:
        return 1;
    case TINYGLTF_TYPE_VEC2:
        return 2;
    case TINYGLTF_TYPE_VEC3:
        return 3;
    case TINYGLTF_TYPE_VEC4:
        return 4;
    default:
        return 0;
    }
}

float load_component(const uint8_t* p, int component, bool normalized) {
    switch (component) {
    case TINYGLTF_COMPONENT_TYPE_FLOAT: {
        float v;
        std::memcpy(&v, p, 4);
        return v;
    }
    case TINYGLTF_COMPONENT_TYPE_BYTE: {
        const float v = float(int8_t(p[0]));
        return normalized ? std::max(v / 127.0f, -1.0f) : v;
    }
    case TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE:
        return normalized ? float(p[0]) / 255.0f : float(p[0]);
    case TINYGLTF_COMPONENT_TYPE_SHORT: {
        int16_t s;
        std::memcpy(&s, p, 2);
        return normalized ? std::max(float(s) / 32767.0f, -1.0f) : float(s);
    }
    case TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT: {
        uint16_t s;
        std::memcpy(&s, p, 2);
        return normalized ? float(s) / 65535.0f : float(s);
    }
    default:
        return 0.0f;
    }
}

// The values of accessor `index` as floats ([count, components]), after every bound check.
std::vector<float> read_accessor(const ReadContext& ctx, int index, int components, const std::set<int>& allowed,
                                 const std::string& field, size_t* count_out) {
    const auto& m = ctx.m;
    if (index < 0 || size_t(index) >= m.accessors.size())
        throw Error(ctx.file, field, cat("accessor ", index, " does not exist"));
    const tinygltf::Accessor& a = m.accessors[index];
    const std::string where = cat(field, " (accessor ", index, ")");
    if (a.sparse.isSparse) throw Error(ctx.file, where, "sparse accessors are not supported for splat attributes");
    if (component_count(a.type) != components)
        throw Error(ctx.file, where, cat("expected ", components, " components per element"));
    if (!allowed.count(a.componentType))
        throw Error(ctx.file, where, cat("component type ", a.componentType, " is not allowed for this attribute"));
    if (a.count > kMaxSplats) throw Error(ctx.file, where, cat("count ", a.count, " is more than supported"));
    const size_t comp_size = size_t(tinygltf::GetComponentSizeInBytes(uint32_t(a.componentType)));
    const size_t elem = comp_size * size_t(components);
    *count_out = a.count;
    std::vector<float> out;
    if (a.bufferView < 0) { // no buffer view: all zeros (glTF 2.0, 3.6.2.3)
        out.assign(a.count * size_t(components), 0.0f);
        return out;
    }
    if (size_t(a.bufferView) >= m.bufferViews.size())
        throw Error(ctx.file, where, cat("buffer view ", a.bufferView, " does not exist"));
    const tinygltf::BufferView& v = m.bufferViews[a.bufferView];
    if (v.buffer < 0 || size_t(v.buffer) >= m.buffers.size())
        throw Error(ctx.file, where, cat("buffer ", v.buffer, " does not exist"));
    const auto& data = m.buffers[v.buffer].data;
    if (v.byteOffset > data.size() || v.byteLength > data.size() - v.byteOffset)
        throw Error(ctx.file, where,
                    cat("buffer view ", a.bufferView, " (offset ", v.byteOffset, ", length ", v.byteLength,
                        ") runs past its ", data.size(), "-byte buffer"));
    const size_t stride = v.byteStride ? v.byteStride : elem;
    if (stride < elem)
        throw Error(ctx.file, where, cat("byte stride ", stride, " is smaller than an element (", elem, ")"));
    if (a.count > 0) {
        // Overflow-safe form of byteOffset + stride * (count - 1) + elem <= byteLength.
        if (a.byteOffset > v.byteLength || elem > v.byteLength - a.byteOffset ||
            (a.count - 1) > (v.byteLength - a.byteOffset - elem) / stride)
            throw Error(ctx.file, where,
                        cat(a.count, " elements from offset ", a.byteOffset, " run past the ", v.byteLength,
                            "-byte buffer view (truncated or lying count)"));
    }
    out.resize(a.count * size_t(components));
    const uint8_t* base = data.data() + v.byteOffset + a.byteOffset;
    for (size_t i = 0; i < a.count; ++i)
        for (int c = 0; c < components; ++c)
            out[i * components + c] = load_component(base + i * stride + c * comp_size, a.componentType, a.normalized);
    return out;
}

glm::dmat4 node_matrix(const tinygltf::Node& node) {
    if (node.matrix.size() == 16) return glm::make_mat4(node.matrix.data()); // column-major, as glTF stores it
    glm::dmat4 t(1.0), r(1.0), s(1.0);
    if (node.translation.size() == 3)
        t[3] = glm::dvec4(node.translation[0], node.translation[1], node.translation[2], 1.0);
    if (node.rotation.size() == 4)
        r = glm::mat4_cast(glm::dquat(node.rotation[3], node.rotation[0], node.rotation[1], node.rotation[2]));
    if (node.scale.size() == 3)
        s = glm::scale(glm::dmat4(1.0), glm::dvec3(node.scale[0], node.scale[1], node.scale[2]));
    return t * r * s;
}

bool has_splat_attributes(const tinygltf::Primitive& p) {
    for (auto& [name, index] : p.attributes)
        if (name.rfind(kPrefix, 0) == 0) return true;
    return false;
}

int attribute_index(const tinygltf::Primitive& p, const std::string& name) {
    auto it = p.attributes.find(name);
    return it == p.attributes.end() ? -1 : it->second;
}

// The highest SH degree whose coefficients are all present as attributes.
int sh_degree_of(const tinygltf::Primitive& p, const std::string& file, const std::string& where) {
    int degree = 0;
    for (int l = 1; l <= kMaxShDegree; ++l) {
        int present = 0;
        for (int j = 0; j < 2 * l + 1; ++j) present += attribute_index(p, sh_attr(l, j)) >= 0;
        if (present == 0) break;
        if (present != 2 * l + 1)
            throw Error(file, where,
                        cat("SH degree ", l, " is partly defined (", present, " of ", 2 * l + 1, " coefficients)"));
        degree = l;
    }
    if (attribute_index(p, sh_attr(kMaxShDegree + 1, 0)) >= 0)
        log::warn(file, ": ", where, ": SH beyond degree 3 ignored");
    return degree;
}

// A cloud of `n` splats holding the SH attributes (other fields zero).
GaussianCloud read_sh_attributes(const ReadContext& ctx, const tinygltf::Primitive& p, size_t n,
                                 const std::string& where) {
    const int degree = sh_degree_of(p, ctx.file, where);
    GaussianCloud c;
    c.resize(n, degree);
    const int k = c.sh_coeffs();
    for (int l = 0; l <= degree; ++l)
        for (int j = 0; j < 2 * l + 1; ++j) {
            const std::string name = sh_attr(l, j);
            const int index = attribute_index(p, name);
            if (index < 0) throw Error(ctx.file, where + ": " + name, "missing (required by KHR_gaussian_splatting)");
            size_t count = 0;
            const auto v = read_accessor(ctx, index, 3, {TINYGLTF_COMPONENT_TYPE_FLOAT}, where + ": " + name, &count);
            if (count != n) throw Error(ctx.file, where + ": " + name, cat(count, " elements, POSITION has ", n));
            for (size_t i = 0; i < n; ++i)
                for (int ch = 0; ch < 3; ++ch) c.sh[(i * k + l * l + j) * 3 + ch] = v[3 * i + ch];
        }
    return c;
}

// The buffer view of the primitive's KHR_gaussian_splatting_compression_spz_2 stream, or -1.
int spz_buffer_view(const tinygltf::Primitive& p, const std::string& file, const std::string& where) {
    auto it = p.extensions.find(kExtension);
    if (it == p.extensions.end() || !it->second.IsObject() || !it->second.Has("extensions")) return -1;
    const auto& nested = it->second.Get("extensions");
    if (!nested.IsObject() || !nested.Has(kSpzExtension)) return -1;
    const auto& spz = nested.Get(kSpzExtension);
    if (!spz.IsObject() || !spz.Has("bufferView") || !spz.Get("bufferView").IsNumber())
        throw Error(file, where + ": " + kSpzExtension, "expected an object with a numeric bufferView");
    const double view = spz.Get("bufferView").GetNumberAsDouble();
    if (!(view >= 0) || view != std::floor(view) || view > double(std::numeric_limits<int>::max()))
        throw Error(file, where + ": " + kSpzExtension, cat("bufferView ", view, " is not a valid index"));
    return int(view);
}

// The splats of an SPZ-compressed primitive as the accessor path gives them (glTF frame; rotation
// x y z w, linear scale, opacity as a probability), returned with a cloud holding their SH.
GaussianCloud read_spz_primitive(const ReadContext& ctx, const tinygltf::Primitive& p, int view_index,
                                 const std::string& where, std::vector<float>& pos, std::vector<float>& rot,
                                 std::vector<float>& scale, std::vector<float>& opacity) {
    const auto& m = ctx.m;
    const std::string field = where + ": " + kSpzExtension;
    if (size_t(view_index) >= m.bufferViews.size())
        throw Error(ctx.file, field, cat("buffer view ", view_index, " does not exist"));
    const tinygltf::BufferView& v = m.bufferViews[view_index];
    if (v.buffer < 0 || size_t(v.buffer) >= m.buffers.size())
        throw Error(ctx.file, field, cat("buffer ", v.buffer, " does not exist"));
    const auto& data = m.buffers[v.buffer].data;
    if (v.byteOffset > data.size() || v.byteLength > data.size() - v.byteOffset)
        throw Error(ctx.file, field,
                    cat("buffer view ", view_index, " (offset ", v.byteOffset, ", length ", v.byteLength,
                        ") runs past its ", data.size(), "-byte buffer"));
    SpzReadOptions raw;
    raw.frame = SpzFrame::Rdf; // the stream holds the glTF frame as it is
    GaussianCloud c = decode_spz(data.data() + v.byteOffset, v.byteLength, cat(ctx.file, " (", field, ")"), raw);
    const int position = attribute_index(p, "POSITION");
    if (position < 0) throw Error(ctx.file, where + ": POSITION", "missing (required by KHR_gaussian_splatting)");
    if (size_t(position) >= m.accessors.size())
        throw Error(ctx.file, where + ": POSITION", cat("accessor ", position, " does not exist"));
    if (m.accessors[position].count != c.size())
        throw Error(
            ctx.file, field,
            cat("the SPZ stream holds ", c.size(), " splats, the POSITION accessor ", m.accessors[position].count));
    const int declared = sh_degree_of(p, ctx.file, where);
    if (declared != c.sh_degree)
        throw Error(ctx.file, field,
                    cat("the SPZ stream has SH degree ", c.sh_degree, ", the attributes declare ", declared));
    const size_t n = c.size();
    pos = c.positions;
    rot.resize(4 * n);
    scale.resize(3 * n);
    opacity.resize(n);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            rot[4 * i + a] = c.rotations[4 * i + 1 + a];
            scale[3 * i + a] = std::exp(c.log_scales[3 * i + a]);
        }
        rot[4 * i + 3] = c.rotations[4 * i];
        opacity[i] = sigmoid(c.opacities[i]);
    }
    return c;
}

// One splat primitive, transformed by its node's global matrix, still in glTF's frame.
GaussianCloud read_primitive(const ReadContext& ctx, const tinygltf::Primitive& p, const glm::dmat4& global,
                             const std::string& where) {
    const std::string& file = ctx.file;
    if (p.mode != TINYGLTF_MODE_POINTS)
        throw Error(file, where, cat("mode ", p.mode, "; a Gaussian splat primitive must be POINTS (0)"));
    if (auto it = p.extensions.find(kExtension); it != p.extensions.end() && it->second.IsObject()) {
        const auto& e = it->second;
        if (e.Has("kernel") && e.Get("kernel").IsString() && e.Get("kernel").Get<std::string>() != "ellipse")
            log::warn(file, ": ", where, ": kernel '", e.Get("kernel").Get<std::string>(), "' read as 'ellipse'");
        if (e.Has("colorSpace") && e.Get("colorSpace").IsString() &&
            e.Get("colorSpace").Get<std::string>() == "lin_rec709_display")
            log::warn(file, ": ", where, ": colours are linear BT.709; they are shown as if sRGB-encoded");
        if (e.Has("extensions") && e.Get("extensions").IsObject())
            for (const auto& key : e.Get("extensions").Keys())
                if (key != kSpzExtension)
                    log::warn(file, ": ", where, ": extension ", key, " of ", kExtension, " ignored");
    }
    auto find = [&](const std::string& name, bool required) -> int {
        auto it = p.attributes.find(name);
        if (it == p.attributes.end()) {
            if (required) throw Error(file, where + ": " + name, "missing (required by KHR_gaussian_splatting)");
            return -1;
        }
        return it->second;
    };
    const std::set<int> kFloat = {TINYGLTF_COMPONENT_TYPE_FLOAT};
    const std::set<int> kRotation = {TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_COMPONENT_TYPE_BYTE,
                                     TINYGLTF_COMPONENT_TYPE_SHORT};
    const std::set<int> kScale = {TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_COMPONENT_TYPE_BYTE,
                                  TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE, TINYGLTF_COMPONENT_TYPE_SHORT,
                                  TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT};
    const std::set<int> kOpacity = {TINYGLTF_COMPONENT_TYPE_FLOAT, TINYGLTF_COMPONENT_TYPE_UNSIGNED_BYTE,
                                    TINYGLTF_COMPONENT_TYPE_UNSIGNED_SHORT};
    size_t n = 0, count = 0;
    auto check_count = [&](const std::string& name) {
        if (count != n) throw Error(file, where + ": " + name, cat(count, " elements, POSITION has ", n));
    };
    std::vector<float> pos, rot, scale, opacity;
    GaussianCloud c;
    if (const int view = spz_buffer_view(p, file, where); view >= 0) {
        c = read_spz_primitive(ctx, p, view, where, pos, rot, scale, opacity);
        n = c.size();
    } else {
        pos = read_accessor(ctx, find("POSITION", true), 3, kFloat, where + ": POSITION", &n);
        rot = read_accessor(ctx, find(attr("ROTATION"), true), 4, kRotation, where + ": ROTATION", &count);
        check_count("ROTATION");
        scale = read_accessor(ctx, find(attr("SCALE"), true), 3, kScale, where + ": SCALE", &count);
        check_count("SCALE");
        opacity = read_accessor(ctx, find(attr("OPACITY"), true), 1, kOpacity, where + ": OPACITY", &count);
        check_count("OPACITY");
        c = read_sh_attributes(ctx, p, n, where);
    }
    const int degree = c.sh_degree;
    const int k = c.sh_coeffs();

    // Drafts before the release candidate stored log-scales; a linear scale is never negative.
    const bool log_space = std::any_of(scale.begin(), scale.end(), [](float s) { return s < 0.0f; });
    if (log_space)
        log::warn(file, ": ", where, ": SCALE holds negative values; reading it as log-scales (draft layout)");

    // Node transform: translation, rotation and a uniform positive scale.
    const glm::dmat3 lin(global);
    const double s0 = glm::length(lin[0]), s1 = glm::length(lin[1]), s2 = glm::length(lin[2]);
    if (!(s0 > 0 && s1 > 0 && s2 > 0) || !std::isfinite(s0 + s1 + s2))
        throw Error(file, where, "node transform has a zero or non-finite scale");
    const double smax = std::max({s0, s1, s2}), smin = std::min({s0, s1, s2});
    if (smax / smin > 1.0 + 1e-4)
        throw Error(file, where,
                    cat("node transform scales unevenly (", s0, ", ", s1, ", ", s2,
                        "); per-splat scales cannot represent that"));
    const glm::dmat3 rmat = lin / smax;
    if (glm::determinant(rmat) < 0.0) throw Error(file, where, "node transform mirrors the scene");
    const glm::dquat rq = glm::normalize(glm::quat_cast(rmat));
    const bool rotates = glm::length(glm::dvec3(rq.x, rq.y, rq.z)) > 1e-9;
    const auto sh_rot = rotates ? sh_rotation(glm::mat3(rmat), degree) : std::vector<std::vector<float>>{};
    const double log_s = std::log(smax);

    for (size_t i = 0; i < n; ++i) {
        const glm::dvec4 p4 = global * glm::dvec4(pos[3 * i], pos[3 * i + 1], pos[3 * i + 2], 1.0);
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = float(p4[a]);
            const float s = scale[3 * i + a];
            const double ls = log_space ? double(s) : std::log(std::max(double(s), 1e-30));
            c.log_scales[3 * i + a] = float(ls + log_s);
        }
        glm::dquat q(rot[4 * i + 3], rot[4 * i], rot[4 * i + 1], rot[4 * i + 2]); // stored x y z w
        if (rotates) q = rq * q;
        c.rotations[4 * i] = float(q.w);
        c.rotations[4 * i + 1] = float(q.x);
        c.rotations[4 * i + 2] = float(q.y);
        c.rotations[4 * i + 3] = float(q.z);
        const double op = std::clamp(double(opacity[i]), 1e-7, 1.0 - 1e-7);
        c.opacities[i] = float(std::log(op / (1.0 - op)));
        for (int l = 1; l <= degree && rotates; ++l) {
            const int m = 2 * l + 1;
            const auto& band = sh_rot[l - 1];
            for (int ch = 0; ch < 3; ++ch) {
                float in[7], out[7] = {};
                for (int q2 = 0; q2 < m; ++q2) in[q2] = c.sh[(i * k + l * l + q2) * 3 + ch];
                for (int p2 = 0; p2 < m; ++p2)
                    for (int q2 = 0; q2 < m; ++q2) out[p2] += band[p2 * m + q2] * in[q2];
                for (int p2 = 0; p2 < m; ++p2) c.sh[(i * k + l * l + p2) * 3 + ch] = out[p2];
            }
        }
    }
    return c;
}

// Reads every splat primitive reachable from the default scene (or every mesh when there is no
// scene), each under its node's global transform.
GaussianCloud collect_splats(const tinygltf::Model& m, const std::string& file) {
    const ReadContext ctx{m, file};
    for (const auto& req : m.extensionsRequired)
        if (req != kExtension && req != kSpzExtension && req != "KHR_mesh_quantization")
            throw Error(file, "extensionsRequired", "needs extension " + req + ", which this build does not support");

    std::vector<GaussianCloud> parts;
    auto visit_mesh = [&](int mesh, const glm::dmat4& global) {
        if (mesh < 0 || size_t(mesh) >= m.meshes.size())
            throw Error(file, "node", cat("mesh ", mesh, " does not exist"));
        const auto& prims = m.meshes[mesh].primitives;
        for (size_t p = 0; p < prims.size(); ++p)
            if (prims[p].extensions.count(kExtension) || has_splat_attributes(prims[p]))
                parts.push_back(read_primitive(ctx, prims[p], global, cat("mesh ", mesh, " primitive ", p)));
    };
    if (!m.scenes.empty()) {
        const int scene = m.defaultScene >= 0 ? m.defaultScene : 0;
        if (size_t(scene) >= m.scenes.size())
            throw Error(file, "scene", cat("default scene ", scene, " does not exist"));
        std::vector<bool> seen(m.nodes.size(), false);
        std::function<void(int, const glm::dmat4&)> visit = [&](int index, const glm::dmat4& parent) {
            if (index < 0 || size_t(index) >= m.nodes.size())
                throw Error(file, "node", cat("node ", index, " does not exist"));
            // glTF node hierarchies are strict trees; a second visit means a cycle or shared child.
            if (seen[index]) throw Error(file, cat("node ", index), "appears twice in the hierarchy (cycle?)");
            seen[index] = true;
            const auto& node = m.nodes[index];
            const glm::dmat4 global = parent * node_matrix(node);
            if (node.mesh >= 0) visit_mesh(node.mesh, global);
            for (int child : node.children) visit(child, global);
        };
        for (int root : m.scenes[scene].nodes) visit(root, glm::dmat4(1.0));
    } else {
        for (size_t mesh = 0; mesh < m.meshes.size(); ++mesh) visit_mesh(int(mesh), glm::dmat4(1.0));
    }

    const bool declared =
        std::find(m.extensionsUsed.begin(), m.extensionsUsed.end(), kExtension) != m.extensionsUsed.end();
    if (parts.empty() && !declared)
        throw Error(file, "", "no Gaussian splat primitive (KHR_gaussian_splatting) in this glTF");
    int degree = 0;
    size_t total = 0;
    for (auto& p : parts) degree = std::max(degree, p.sh_degree), total += p.size();
    if (total > kMaxSplats) throw Error(file, "", cat(total, " splats is more than supported"));
    GaussianCloud out;
    out.resize(0, degree);
    for (auto& p : parts) {
        p.set_sh_degree(degree);
        for (size_t i = 0; i < p.size(); ++i) out.push_back_from(p, i);
    }
    apply_axis_flip(out, kColmapToGltf); // glTF (LUF) -> internal (RDF); the flip is its own inverse
    out.validate(file.c_str());
    return out;
}

// File access for external buffers of .gltf files: relative paths inside the asset's folder only.
struct FsContext {
    std::filesystem::path base;
};

bool fs_exists(const std::string& path, void* user) {
    (void)user;
    std::error_code ec;
    return std::filesystem::is_regular_file(path, ec);
}
std::string fs_expand(const std::string& path, void*) {
    return path;
}
bool fs_read(std::vector<unsigned char>* out, std::string* err, const std::string& path, void* user) {
    const auto* ctx = static_cast<const FsContext*>(user);
    std::error_code ec;
    const auto base = std::filesystem::weakly_canonical(ctx->base, ec);
    const auto target = std::filesystem::weakly_canonical(path, ec);
    auto rel = target.lexically_relative(base);
    if (ec || ctx->base.empty() || rel.empty() || *rel.begin() == "..") {
        if (err) *err += "external file '" + path + "' is outside the asset's folder\n";
        return false;
    }
    try {
        *out = read_file_bytes(target, kMaxExternalBytes);
    } catch (const Error& e) {
        if (err) *err += std::string(e.what()) + "\n";
        return false;
    }
    return true;
}
bool fs_write(std::string* err, const std::string&, const std::vector<unsigned char>&, void*) {
    if (err) *err += "writing through the glTF loader is disabled\n";
    return false;
}
bool ignore_image(tinygltf::Image*, const int, std::string*, std::string*, int, int, const unsigned char*, int, void*) {
    return true; // splat primitives use no textures; images are not decoded
}

} // namespace

std::vector<uint8_t> encode_glb(const GaussianCloud& cloud, const GltfOptions& options) {
    std::string s = write_model(build_model(cloud, options), true);
    return std::vector<uint8_t>(s.begin(), s.end());
}

std::string encode_gltf_embedded(const GaussianCloud& cloud, const GltfOptions& options) {
    return write_model(build_model(cloud, options), false);
}

GaussianCloud decode_gltf(const uint8_t* data, size_t size, const std::string& file,
                          const std::filesystem::path& base_dir) {
    const bool binary = size >= 4 && std::memcmp(data, "glTF", 4) == 0;
    if (binary) {
        if (size < 20) throw Error(file, "header", cat("truncated: ", size, " bytes, a GLB header needs 20"));
        const uint32_t version = load_u32(data + 4), length = load_u32(data + 8), json_len = load_u32(data + 12);
        if (version != 2) throw Error(file, "version", cat("GLB version ", version, " is not supported (expected 2)"));
        if (length > size)
            throw Error(file, "length", cat("truncated: header says ", length, " bytes, file has ", size));
        if (load_u32(data + 16) != 0x4E4F534A) throw Error(file, "chunk 0", "the first chunk must be JSON");
        if (uint64_t(json_len) + 20 > length) throw Error(file, "chunk 0", "JSON chunk runs past the end of the file");
        check_json_depth(reinterpret_cast<const char*>(data + 20), json_len, file);
    } else {
        if (size == 0) throw Error(file, "", "empty file");
        check_json_depth(reinterpret_cast<const char*>(data), size, file);
    }
    if (size > std::numeric_limits<unsigned int>::max())
        throw Error(file, "", "glTF files of 4 GiB or more are not supported");

    tinygltf::TinyGLTF loader;
    FsContext fs_ctx{base_dir};
    tinygltf::FsCallbacks fs{&fs_exists, &fs_expand, &fs_read, &fs_write, &fs_ctx};
    loader.SetFsCallbacks(fs);
    loader.SetImageLoader(&ignore_image, nullptr);
    tinygltf::Model model;
    std::string err, warn;
    bool ok = binary ? loader.LoadBinaryFromMemory(&model, &err, &warn, data, unsigned(size), base_dir.string())
                     : loader.LoadASCIIFromString(&model, &err, &warn, reinterpret_cast<const char*>(data),
                                                  unsigned(size), base_dir.string());
    if (!ok) {
        while (!err.empty() && (err.back() == '\n' || err.back() == ' ')) err.pop_back();
        throw Error(file, "", "not a valid glTF 2.0 file: " + (err.empty() ? std::string("unknown error") : err));
    }
    if (!warn.empty()) log::debug(file, ": ", warn);
    return collect_splats(model, file);
}

void write_gltf(const std::filesystem::path& path, const GaussianCloud& cloud, const GltfOptions& options) {
    if (lower_extension(path) == ".gltf")
        write_file_atomic(path, encode_gltf_embedded(cloud, options));
    else
        write_file_atomic(path, encode_glb(cloud, options));
}

GaussianCloud read_gltf(const std::filesystem::path& path) {
    auto bytes = read_file_bytes(path);
    return decode_gltf(bytes.data(), bytes.size(), path.string(),
                       path.parent_path().empty() ? "." : path.parent_path());
}

} // namespace splatscape
