#include "core/tiles/tile_content.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <optional>

#include "core/error.hpp"
#include "core/io/frame_convert.hpp"
#include "core/io/gltf.hpp"
#include "core/io/spz.hpp"
#include "core/json_util.hpp"

namespace splatscape {
namespace {

// From the internal frame to the values stored in an SPZ payload inside glTF: the glTF turn
// (-x, -y, z) then, because encode_spz itself turns RDF into RUB (x, -y, -z), the product of the
// two undone: (-x, y, -z). Decoding applies the same flip (it is its own inverse).
constexpr AxisFlip kInternalToSpzInGltf{-1, 1, -1};

constexpr uint32_t kGlbMagic = 0x46546C67; // "glTF"
constexpr uint32_t kChunkJson = 0x4E4F534A;
constexpr uint32_t kChunkBin = 0x004E4942;

void put_u32(std::vector<uint8_t>& out, uint32_t v) {
    for (int i = 0; i < 4; ++i) out.push_back(uint8_t(v >> (8 * i)));
}
uint32_t load_u32(const uint8_t* p) {
    return uint32_t(p[0]) | uint32_t(p[1]) << 8 | uint32_t(p[2]) << 16 | uint32_t(p[3]) << 24;
}

std::vector<uint8_t> glb(const std::string& json_text, const std::vector<uint8_t>& bin) {
    std::string json = json_text;
    while (json.size() % 4) json.push_back(' ');
    std::vector<uint8_t> padded = bin;
    while (padded.size() % 4) padded.push_back(0);
    std::vector<uint8_t> out;
    out.reserve(12 + 8 + json.size() + 8 + padded.size());
    put_u32(out, kGlbMagic);
    put_u32(out, 2);
    put_u32(out, uint32_t(12 + 8 + json.size() + (padded.empty() ? 0 : 8 + padded.size())));
    put_u32(out, uint32_t(json.size()));
    put_u32(out, kChunkJson);
    out.insert(out.end(), json.begin(), json.end());
    if (!padded.empty()) {
        put_u32(out, uint32_t(padded.size()));
        put_u32(out, kChunkBin);
        out.insert(out.end(), padded.begin(), padded.end());
    }
    return out;
}

std::vector<uint8_t> encode_spz_tile(const GaussianCloud& input, int spz_version) {
    input.validate("tile writer input");
    GaussianCloud flipped = input;
    apply_axis_flip(flipped, kInternalToSpzInGltf);
    SpzOptions o;
    o.version = spz_version;
    const std::vector<uint8_t> payload = encode_spz(flipped, o);

    // POSITION's min and max are the glTF-frame bounds.
    Bounds b = input.bounds();
    b = {{-b.max.x, -b.max.y, b.min.z}, {-b.min.x, -b.min.y, b.max.z}};
    const size_t n = input.size();

    Json accessors = Json::array();
    Json attributes = Json::object();
    auto accessor = [&](const std::string& semantic, const char* type, int component, bool normalized) {
        Json a = {{"componentType", component}, {"count", n}, {"type", type}};
        if (normalized) a["normalized"] = true;
        if (semantic == "POSITION") {
            a["min"] = {b.min.x, b.min.y, b.min.z};
            a["max"] = {b.max.x, b.max.y, b.max.z};
        }
        attributes[semantic] = accessors.size();
        accessors.push_back(a);
    };
    accessor("POSITION", "VEC3", 5126, false);
    accessor("COLOR_0", "VEC4", 5121, true);
    accessor("KHR_gaussian_splatting:SCALE", "VEC3", 5126, false);
    accessor("KHR_gaussian_splatting:ROTATION", "VEC4", 5126, false);
    for (int l = 1; l <= input.sh_degree; ++l)
        for (int j = 0; j < 2 * l + 1; ++j)
            accessor(cat("KHR_gaussian_splatting:SH_DEGREE_", l, "_COEF_", j), "VEC3", 5126, false);

    Json ext = {{"kernel", "ellipse"},
                {"colorSpace", "srgb_rec709_display"},
                {"projection", "perspective"},
                {"sortingMethod", "cameraDistance"},
                {"extensions", {{kSpzCompressionExtension, {{"bufferView", 0}}}}}};
    Json doc = {
        {"asset", {{"version", "2.0"}, {"generator", "Splatscape 0.1.0"}}},
        {"extensionsUsed", {"KHR_gaussian_splatting", kSpzCompressionExtension}},
        {"extensionsRequired", {"KHR_gaussian_splatting", kSpzCompressionExtension}},
        {"scene", 0},
        {"scenes", {{{"nodes", {0}}}}},
        {"nodes", {{{"name", "splats"}, {"mesh", 0}}}},
        {"meshes",
         {{{"name", "splats"},
           {"primitives",
            {{{"mode", 0}, {"attributes", attributes}, {"extensions", {{"KHR_gaussian_splatting", ext}}}}}}}}},
        {"accessors", accessors},
        {"bufferViews", {{{"buffer", 0}, {"byteOffset", 0}, {"byteLength", payload.size()}}}},
        {"buffers", {{{"byteLength", payload.size()}}}},
    };
    if (n == 0) { // accessors need count >= 1: an empty tile has no primitive
        doc.erase("meshes");
        doc.erase("accessors");
        doc.erase("bufferViews");
        doc.erase("buffers");
        doc["nodes"] = {{{"name", "splats"}}};
        return glb(doc.dump(), {});
    }
    return glb(doc.dump(), payload);
}

// The SPZ payload of a compressed tile, or an empty optional when the glTF has no such primitive.
std::optional<GaussianCloud> decode_spz_tile(const uint8_t* data, size_t size, const std::string& file) {
    if (size < 20 || load_u32(data) != kGlbMagic) return std::nullopt;
    const uint32_t length = load_u32(data + 8), json_len = load_u32(data + 12);
    SPLATSCAPE_REQUIRE(length <= size, file, "length", "truncated: header says ", length, " bytes, file has ", size);
    SPLATSCAPE_REQUIRE(load_u32(data + 16) == kChunkJson, file, "chunk 0", "the first chunk must be JSON");
    SPLATSCAPE_REQUIRE(uint64_t(json_len) + 20 <= length, file, "chunk 0", "JSON chunk runs past the end of the file");
    const std::string text(reinterpret_cast<const char*>(data + 20), json_len);
    if (text.find(kSpzCompressionExtension) == std::string::npos) return std::nullopt;
    const Json doc = parse_json(text, file);
    const uint8_t* bin = nullptr;
    size_t bin_len = 0;
    size_t o = 20 + size_t(json_len);
    o = (o + 3) / 4 * 4;
    if (o + 8 <= length && load_u32(data + o + 4) == kChunkBin) {
        bin_len = std::min<size_t>(load_u32(data + o), length - (o + 8));
        bin = data + o + 8;
    }
    const Json* meshes = doc.contains("meshes") && doc["meshes"].is_array() ? &doc["meshes"] : nullptr;
    std::vector<GaussianCloud> parts;
    for (size_t m = 0; meshes && m < meshes->size(); ++m) {
        const Json& prims = (*meshes)[m].value("primitives", Json::array());
        for (size_t p = 0; p < prims.size() && prims.is_array(); ++p) {
            const Json& prim = prims[p];
            const std::string where = cat("mesh ", m, " primitive ", p);
            if (!prim.contains("extensions") || !prim["extensions"].contains("KHR_gaussian_splatting")) continue;
            const Json& gs = prim["extensions"]["KHR_gaussian_splatting"];
            if (!gs.is_object() || !gs.contains("extensions") || !gs["extensions"].contains(kSpzCompressionExtension))
                continue;
            const Json& spz = gs["extensions"][kSpzCompressionExtension];
            const std::string field = where + ": " + kSpzCompressionExtension;
            SPLATSCAPE_REQUIRE(spz.is_object() && spz.contains("bufferView") && spz["bufferView"].is_number_unsigned(),
                               file, field, "expected a bufferView index");
            const size_t view = spz["bufferView"].get<size_t>();
            SPLATSCAPE_REQUIRE(doc.contains("bufferViews") && view < doc["bufferViews"].size(), file, field,
                               "buffer view ", view, " does not exist");
            const Json& bv = doc["bufferViews"][view];
            const size_t off = bv.value("byteOffset", size_t(0)), len = bv.value("byteLength", size_t(0));
            SPLATSCAPE_REQUIRE(bv.value("buffer", 0) == 0 && bin, file, field,
                               "the SPZ data must be in the GLB's binary chunk");
            SPLATSCAPE_REQUIRE(off <= bin_len && len <= bin_len - off, file, field, "buffer view ", view, " (offset ",
                               off, ", length ", len, ") runs past the ", bin_len, "-byte binary chunk");
            GaussianCloud c = decode_spz(bin + off, len, file + ": " + field);
            apply_axis_flip(c, kInternalToSpzInGltf);
            parts.push_back(std::move(c));
        }
    }
    SPLATSCAPE_REQUIRE(!parts.empty(), file, kSpzCompressionExtension,
                       "declared, but no primitive carries an SPZ payload");
    GaussianCloud out = std::move(parts[0]);
    for (size_t k = 1; k < parts.size(); ++k) {
        parts[k].set_sh_degree(out.sh_degree);
        for (size_t i = 0; i < parts[k].size(); ++i) out.push_back_from(parts[k], i);
    }
    return out;
}

} // namespace

std::vector<uint8_t> encode_tile(const GaussianCloud& cloud, const TileEncoding& e) {
    if (!e.spz) return encode_glb(cloud);
    if (e.spz_version != 2 && e.spz_version != 3)
        throw UsageError(cat("SPZ version ", e.spz_version, " inside glTF tiles: use 2 or 3"));
    return encode_spz_tile(cloud, e.spz_version);
}

GaussianCloud decode_tile(const uint8_t* data, size_t size, const std::string& file) {
    if (auto c = decode_spz_tile(data, size, file)) return std::move(*c);
    return decode_gltf(data, size, file);
}

} // namespace splatscape
