#include "core/tiles/tileset.hpp"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <functional>
#include <map>
#include <mutex>
#include <set>

#include <glm/geometric.hpp>
#include <glm/gtc/quaternion.hpp>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/frame_convert.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"

namespace splatscape {
namespace fs = std::filesystem;
namespace {

constexpr uint64_t kMaxTileFileBytes = uint64_t(1) << 31;
constexpr uint64_t kMaxTilesetJsonBytes = uint64_t(1) << 28;

glm::dmat3 M() {
    // Columns: where the internal x, y, z axes go.
    return glm::dmat3(glm::dvec3(-1, 0, 0), glm::dvec3(0, 0, -1), glm::dvec3(0, -1, 0));
}

// Rotation taking unit vector a onto unit vector b.
glm::dmat3 rotation_between(glm::dvec3 a, glm::dvec3 b) {
    a = glm::normalize(a);
    b = glm::normalize(b);
    const double c = glm::dot(a, b);
    if (c > 1.0 - 1e-12) return glm::dmat3(1.0);
    if (c < -1.0 + 1e-12) {
        // Half a turn about any axis perpendicular to a.
        glm::dvec3 axis = glm::cross(a, std::abs(a.x) < 0.9 ? glm::dvec3(1, 0, 0) : glm::dvec3(0, 1, 0));
        axis = glm::normalize(axis);
        return glm::dmat3(2.0 * glm::outerProduct(axis, axis)) - glm::dmat3(1.0);
    }
    // Rodrigues: R = I + [v]x + [v]x^2 / (1 + c), v = a x b.
    const glm::dvec3 v = glm::cross(a, b);
    const glm::dmat3 vx(glm::dvec3(0, v.z, -v.y), glm::dvec3(-v.z, 0, v.x), glm::dvec3(v.y, -v.x, 0));
    return glm::dmat3(1.0) + vx + vx * vx * (1.0 / (1.0 + c));
}

Json box_json(const Bounds& b) {
    // Centre and half-axes in the 3D Tiles frame: internal x, y, z half-extents map to the tileset's
    // x, z and y axes (signs do not matter for a box).
    const glm::dvec3 c = M() * glm::dvec3(b.center());
    const glm::dvec3 h = 0.5 * glm::dvec3(b.size());
    return Json::array({c.x, c.y, c.z, h.x, 0.0, 0.0, 0.0, h.z, 0.0, 0.0, 0.0, h.y});
}

std::string tile_uri(int id) {
    return cat("tiles/", id, ".glb");
}
std::string subtree_uri(int id) {
    return cat("subtrees/", id, ".json");
}

struct Writer {
    const std::vector<LodNodeInfo>& nodes;
    const std::vector<uint64_t>& bytes;
    const TiledSceneOptions& options;
    const fs::path& dir;

    Json tile(int id, int subtree_root_level) const {
        const LodNodeInfo& n = nodes[size_t(id)];
        Json t = {{"boundingVolume", {{"box", box_json(n.box)}}},
                  {"geometricError", n.geometric_error},
                  {"refine", "REPLACE"}};
        if (n.splats > 0) t["content"] = {{"uri", tile_uri(id)}};
        if (!n.children.empty()) {
            Json children = Json::array();
            for (int c : n.children) {
                const LodNodeInfo& child = nodes[size_t(c)];
                if (options.subtree_levels > 0 && child.level - subtree_root_level >= options.subtree_levels &&
                    !child.children.empty()) {
                    // An external tileset: this entry points at it; its root is the child itself.
                    write_subtree(c);
                    children.push_back({{"boundingVolume", {{"box", box_json(child.box)}}},
                                        {"geometricError", child.geometric_error},
                                        {"refine", "REPLACE"},
                                        {"content", {{"uri", subtree_uri(c)}}}});
                } else {
                    children.push_back(tile(c, subtree_root_level));
                }
            }
            t["children"] = children;
        }
        return t;
    }

    void write_subtree(int id) const {
        const LodNodeInfo& n = nodes[size_t(id)];
        Json doc = {{"asset", {{"version", "1.1"}, {"generator", "Splatscape 0.1.0"}}},
                    {"geometricError", n.geometric_error},
                    {"root", tile(id, n.level)}};
        // Tiles in the subtree file are relative to it (subtrees/): their URIs climb one level.
        std::function<void(Json&)> rebase = [&](Json& t) {
            if (t.contains("content")) t["content"]["uri"] = "../" + t["content"]["uri"].get<std::string>();
            if (t.contains("children"))
                for (Json& c : t["children"]) rebase(c);
        };
        rebase(doc["root"]);
        write_file_atomic(dir / subtree_uri(id), doc.dump());
    }
};

void check_finite_box(const Bounds& b, const std::string& file, const std::string& field) {
    for (int a = 0; a < 3; ++a)
        SPLATSCAPE_REQUIRE(std::isfinite(b.min[a]) && std::isfinite(b.max[a]) && b.min[a] <= b.max[a], file, field,
                           "the box is not finite or its minimum exceeds its maximum");
    SPLATSCAPE_REQUIRE(glm::length(b.size()) <= kMaxTileExtent, file, field, "a box ", glm::length(b.size()),
                       " units across is absurd (at most ", kMaxTileExtent, ")");
}

// --- Reading tileset.json ------------------------------------------------------------------------

struct TilesetReader {
    TileTree& tree;
    glm::dmat4 world_to_internal{1.0}; // M^-1 U^-1
    std::vector<fs::path> stack;       // external tilesets being read (cycle detection)
    std::set<std::string> said;        // messages given once

    void problem(const std::string& message) {
        if (tree.problems.size() < 200) tree.problems.push_back(message);
    }
    void once(const std::string& key, const std::string& message) {
        if (said.insert(key).second) problem(message);
    }

    static glm::dmat4 read_transform(const Json& t, const std::string& file) {
        SPLATSCAPE_REQUIRE(t.is_array() && t.size() == 16, file, "transform", "expected 16 numbers");
        glm::dmat4 m;
        for (int c = 0; c < 4; ++c)
            for (int r = 0; r < 4; ++r) {
                SPLATSCAPE_REQUIRE(t[size_t(4 * c + r)].is_number() &&
                                       std::isfinite(t[size_t(4 * c + r)].get<double>()),
                                   file, "transform", "expected finite numbers");
                m[c][r] = t[size_t(4 * c + r)].get<double>();
            }
        return m;
    }

    // The tile's volume in the internal frame, from its bounding volume and the transform to world.
    Bounds read_volume(const Json& bv, const glm::dmat4& to_world, const std::string& file) {
        SPLATSCAPE_REQUIRE(bv.is_object(), file, "boundingVolume", "missing or not an object");
        std::vector<glm::dvec3> corners;
        if (bv.contains("box")) {
            const Json& b = bv["box"];
            SPLATSCAPE_REQUIRE(b.is_array() && b.size() == 12, file, "boundingVolume.box", "expected 12 numbers");
            double v[12];
            for (int i = 0; i < 12; ++i) {
                SPLATSCAPE_REQUIRE(b[size_t(i)].is_number(), file, "boundingVolume.box", "expected numbers");
                v[i] = b[size_t(i)].get<double>();
            }
            const glm::dvec3 c(v[0], v[1], v[2]), x(v[3], v[4], v[5]), y(v[6], v[7], v[8]), z(v[9], v[10], v[11]);
            for (int k = 0; k < 8; ++k)
                corners.push_back(c + ((k & 1) ? x : -x) + ((k & 2) ? y : -y) + ((k & 4) ? z : -z));
        } else if (bv.contains("sphere")) {
            const Json& s = bv["sphere"];
            SPLATSCAPE_REQUIRE(s.is_array() && s.size() == 4 && s[3].is_number(), file, "boundingVolume.sphere",
                               "expected 4 numbers");
            const glm::dvec3 c(s[0].get<double>(), s[1].get<double>(), s[2].get<double>());
            const double r = s[3].get<double>();
            for (int k = 0; k < 8; ++k)
                corners.push_back(c + glm::dvec3((k & 1) ? r : -r, (k & 2) ? r : -r, (k & 4) ? r : -r));
        } else {
            throw Error(file, "boundingVolume",
                        bv.contains("region") ? "geographic regions are not supported (boxes and spheres are)"
                                              : "expected a box or a sphere");
        }
        Bounds out{glm::vec3(1e30f), glm::vec3(-1e30f)};
        for (const glm::dvec3& p : corners) {
            const glm::dvec3 q = glm::dvec3(world_to_internal * to_world * glm::dvec4(p, 1.0));
            out.min = glm::min(out.min, glm::vec3(q));
            out.max = glm::max(out.max, glm::vec3(q));
        }
        check_finite_box(out, file, "boundingVolume");
        return out;
    }

    // Reads tile `t` of `file` (and its subtree) as a child of `parent`; returns its index or -1.
    int read_tile(const Json& t, int parent, int level, const glm::dmat4& parent_world, const fs::path& file) {
        const std::string name = file.string();
        if (tree.nodes.size() >= kMaxTiles) {
            once("count", cat(name, ": more than ", kMaxTiles, " tiles; the rest are skipped"));
            return -1;
        }
        if (level >= kMaxTileDepth) {
            once("depth", cat(name, ": tiles nested deeper than ", kMaxTileDepth, " levels are skipped"));
            return -1;
        }
        try {
            SPLATSCAPE_REQUIRE(t.is_object(), name, "tile", "expected an object");
            glm::dmat4 world = parent_world;
            if (t.contains("transform")) world = parent_world * read_transform(t["transform"], name);
            TileNode node;
            node.parent = parent;
            node.level = level;
            node.box = read_volume(t.contains("boundingVolume") ? t["boundingVolume"] : Json(), world, name);
            SPLATSCAPE_REQUIRE(t.contains("geometricError") && t["geometricError"].is_number() &&
                                   std::isfinite(t["geometricError"].get<double>()) &&
                                   t["geometricError"].get<double>() >= 0.0,
                               name, "geometricError", "expected a finite number >= 0");
            node.geometric_error = t["geometricError"].get<double>();
            if (t.value("refine", std::string("REPLACE")) == "ADD")
                once("add", cat(name, ": refine ADD is drawn as REPLACE (parents are not kept under their children)"));
            // Decoded content is in the internal convention d; in the tile's frame it is M d, in the
            // tileset's world T M d, and back in the scene's internal frame M^-1 U^-1 T M d.
            const glm::dmat4 content_to_internal = world_to_internal * world * glm::dmat4(M());
            node.transform = content_to_internal;
            for (int c = 0; c < 4; ++c)
                for (int r = 0; r < 4; ++r)
                    if (std::abs(content_to_internal[c][r] - (c == r ? 1.0 : 0.0)) > 1e-9) node.transformed = true;

            std::string uri;
            const Json* content = nullptr;
            if (t.contains("content")) content = &t["content"];
            if (t.contains("contents") && t["contents"].is_array() && !t["contents"].empty()) {
                content = &t["contents"][0];
                if (t["contents"].size() > 1)
                    once("contents", cat(name, ": only the first of a tile's contents is read"));
            }
            if (content) {
                SPLATSCAPE_REQUIRE(content->is_object(), name, "content", "expected an object");
                const char* key = content->contains("uri") ? "uri" : "url"; // "url" in 3D Tiles 1.0 files
                SPLATSCAPE_REQUIRE(content->contains(key) && (*content)[key].is_string(), name, "content.uri",
                                   "expected a string");
                uri = (*content)[key].get<std::string>();
                SPLATSCAPE_REQUIRE(uri.find("://") == std::string::npos && !uri.empty() && uri[0] != '/', name,
                                   "content.uri", "'", uri,
                                   "': only relative paths inside the tileset's folder are read");
            }
            const fs::path content_path = (file.parent_path() / uri).lexically_normal();
            if (!uri.empty() && lower_extension(uri) == ".json") {
                // An external tileset: its root takes this tile's place.
                std::error_code ec;
                const fs::path canonical = fs::weakly_canonical(content_path, ec);
                if (std::find(stack.begin(), stack.end(), canonical) != stack.end()) {
                    problem(cat(name, ": content ", uri, " refers back to a tileset being read (a cycle): skipped"));
                    return -1;
                }
                Json doc;
                try {
                    doc = parse_json(read_file_text(content_path, kMaxTilesetJsonBytes), content_path.string());
                } catch (const Error& e) {
                    problem(cat(e.what(), ": external tileset skipped"));
                    return -1;
                }
                if (!doc.is_object() || !doc.contains("root")) {
                    problem(cat(content_path.string(), ": no root tile: external tileset skipped"));
                    return -1;
                }
                stack.push_back(canonical);
                const int id = read_tile(doc["root"], parent, level, world, content_path);
                stack.pop_back();
                return id;
            }
            if (!uri.empty()) node.uri = content_path.lexically_relative(tree.base).generic_string();
            const int id = int(tree.nodes.size());
            tree.nodes.push_back(node);
            if (parent >= 0) tree.nodes[size_t(parent)].children.push_back(id);
            if (t.contains("children")) {
                SPLATSCAPE_REQUIRE(t["children"].is_array(), name, "children", "expected an array");
                for (const Json& c : t["children"]) read_tile(c, id, level + 1, world, file);
            }
            return id;
        } catch (const Error& e) {
            problem(cat(e.what(), " (tile at level ", level, " skipped with its subtree)"));
            return -1;
        }
    }
};

bool read_hierarchy(const fs::path& path, TileTree& tree) {
    std::error_code ec;
    if (!fs::is_regular_file(path, ec)) return false;
    const std::string name = path.string();
    const Json doc = parse_json(read_file_text(path, kMaxTilesetJsonBytes), name);
    SPLATSCAPE_REQUIRE(doc.is_object() && doc.value("format", std::string()) == kHierarchyFormat, name, "format",
                       "expected '", kHierarchyFormat, "'");
    const int version = json_int(json_member(doc, "version", "", name), "version", name, 1, 1);
    (void)version;
    tree.sh_degree = json_int(json_member(doc, "shDegree", "", name), "shDegree", name, 0, 3);
    const Json& up = json_member(doc, "up", "", name);
    SPLATSCAPE_REQUIRE(up.is_array() && up.size() == 3, name, "up", "expected 3 numbers");
    for (int a = 0; a < 3; ++a) tree.up[a] = up[size_t(a)].get<float>();
    const Json& nodes = json_member(doc, "nodes", "", name);
    SPLATSCAPE_REQUIRE(nodes.is_array() && !nodes.empty(), name, "nodes", "expected a non-empty array");
    SPLATSCAPE_REQUIRE(nodes.size() <= kMaxTiles, name, "nodes", nodes.size(), " tiles is more than the ", kMaxTiles,
                       " supported");
    std::vector<TileNode> out(nodes.size());
    for (size_t i = 0; i < nodes.size(); ++i) {
        const Json& n = nodes[i];
        const std::string field = cat("nodes[", i, "]");
        SPLATSCAPE_REQUIRE(n.is_object(), name, field, "expected an object");
        TileNode& t = out[i];
        // Parents come first, so the hierarchy cannot hold a cycle.
        t.parent = json_int(json_member(n, "parent", field, name), field + ".parent", name, -1, int(i) - 1);
        SPLATSCAPE_REQUIRE((i == 0) == (t.parent < 0), name, field + ".parent", "only node 0 is the root");
        t.level = t.parent < 0 ? 0 : out[size_t(t.parent)].level + 1;
        SPLATSCAPE_REQUIRE(t.level < kMaxTileDepth, name, field, "nested deeper than ", kMaxTileDepth, " levels");
        t.geometric_error = json_number(json_member(n, "error", field, name), field + ".error", name);
        SPLATSCAPE_REQUIRE(t.geometric_error >= 0.0, name, field + ".error", "expected >= 0");
        const double splats = json_number(json_member(n, "splats", field, name), field + ".splats", name);
        SPLATSCAPE_REQUIRE(splats >= 0 && splats <= double(kMaxTileSplats), name, field + ".splats", splats,
                           " splats in one tile is absurd (at most ", kMaxTileSplats, ")");
        t.splats = uint64_t(splats);
        const double bytes = json_number(json_member(n, "bytes", field, name), field + ".bytes", name);
        SPLATSCAPE_REQUIRE(bytes >= 0 && bytes <= double(kMaxTileFileBytes), name, field + ".bytes", "out of range");
        t.bytes = uint64_t(bytes);
        t.uri = n.value("uri", std::string());
        SPLATSCAPE_REQUIRE(t.uri.find("://") == std::string::npos && (t.uri.empty() || t.uri[0] != '/') &&
                               t.uri.find("..") == std::string::npos,
                           name, field + ".uri", "only relative paths inside the folder are read");
        const Json& box = json_member(n, "box", field, name);
        SPLATSCAPE_REQUIRE(box.is_array() && box.size() == 6, name, field + ".box", "expected 6 numbers");
        for (int a = 0; a < 3; ++a) {
            SPLATSCAPE_REQUIRE(box[size_t(a)].is_number() && box[size_t(a + 3)].is_number(), name, field + ".box",
                               "expected numbers");
            t.box.min[a] = box[size_t(a)].get<float>();
            t.box.max[a] = box[size_t(a + 3)].get<float>();
        }
        check_finite_box(t.box, name, field + ".box");
        if (t.parent >= 0) out[size_t(t.parent)].children.push_back(int(i));
    }
    tree.nodes = std::move(out);
    tree.from_hierarchy = true;
    return true;
}

void apply_transform(GaussianCloud& c, const glm::dmat4& m, const std::string& file) {
    const glm::dmat3 lin(m);
    const double s0 = glm::length(lin[0]), s1 = glm::length(lin[1]), s2 = glm::length(lin[2]);
    SPLATSCAPE_REQUIRE(s0 > 0 && std::abs(s0 - s1) < 1e-6 * s0 && std::abs(s0 - s2) < 1e-6 * s0, file, "transform",
                       "scales unevenly or by zero; Gaussians cannot follow it");
    const glm::dmat3 R = lin / s0;
    SPLATSCAPE_REQUIRE(glm::determinant(R) > 0, file, "transform", "mirrors the scene");
    const glm::dquat q = glm::normalize(glm::quat_cast(R));
    const auto sh_rot = sh_rotation(glm::mat3(R), c.sh_degree);
    const int K = c.sh_coeffs();
    const float log_s = float(std::log(s0));
    for (size_t i = 0; i < c.size(); ++i) {
        const glm::dvec3 p =
            glm::dvec3(m * glm::dvec4(c.positions[3 * i], c.positions[3 * i + 1], c.positions[3 * i + 2], 1.0));
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = float(p[a]);
            c.log_scales[3 * i + a] += log_s;
        }
        const glm::dquat r =
            q * glm::dquat(c.rotations[4 * i], c.rotations[4 * i + 1], c.rotations[4 * i + 2], c.rotations[4 * i + 3]);
        c.rotations[4 * i] = float(r.w), c.rotations[4 * i + 1] = float(r.x);
        c.rotations[4 * i + 2] = float(r.y), c.rotations[4 * i + 3] = float(r.z);
        for (int l = 1; l <= c.sh_degree; ++l) {
            const int m2 = 2 * l + 1;
            const auto& band = sh_rot[size_t(l - 1)];
            for (int ch = 0; ch < 3; ++ch) {
                float in[7], out[7] = {};
                for (int k = 0; k < m2; ++k) in[k] = c.sh[(i * K + size_t(l * l + k)) * 3 + size_t(ch)];
                for (int p2 = 0; p2 < m2; ++p2)
                    for (int k = 0; k < m2; ++k) out[p2] += band[size_t(p2 * m2 + k)] * in[k];
                for (int p2 = 0; p2 < m2; ++p2) c.sh[(i * K + size_t(l * l + p2)) * 3 + size_t(ch)] = out[p2];
            }
        }
    }
}

} // namespace

glm::dmat3 internal_to_tileset_frame() {
    return M();
}

int TileTree::depth() const {
    int d = 0;
    for (const TileNode& n : nodes) d = std::max(d, n.level + 1);
    return d;
}

uint64_t TileTree::total_splats() const {
    uint64_t s = 0;
    for (const TileNode& n : nodes) s += n.splats;
    return s;
}

TiledSceneSummary write_tiled_scene(const GaussianCloud& cloud, const fs::path& dir, const TiledSceneOptions& o) {
    const auto t0 = std::chrono::steady_clock::now();
    cloud.validate("tiled scene input");
    if (glm::length(o.up) < 1e-6f || !std::isfinite(glm::length(o.up)))
        throw UsageError("--up must be a non-zero vector");
    std::error_code ec;
    if (fs::exists(dir, ec) && !fs::is_directory(dir, ec))
        throw Error(dir.string(), "", "exists and is not a folder (a tiled scene is written as a folder)");
    if (fs::is_regular_file(dir / kHierarchyFile, ec)) {
        // A tiled scene written before: replace its tiles, so none of the old ones linger.
        fs::remove_all(dir / "tiles", ec);
        fs::remove_all(dir / "subtrees", ec);
    }
    fs::create_directories(dir / "tiles", ec);
    fs::create_directories(dir / "subtrees", ec);
    if (!fs::is_directory(dir / "tiles")) throw Error(dir.string(), "", "cannot create the folder");

    std::mutex mutex;
    std::map<int, uint64_t> bytes_of;
    const std::vector<LodNodeInfo> nodes =
        build_lod_hierarchy(cloud, o.lod, [&](const LodNodeInfo& node, const GaussianCloud& content) {
            if (content.size() == 0) return;
            const std::vector<uint8_t> bytes = encode_tile(content, o.encoding);
            write_file_atomic(dir / tile_uri(node.id), bytes);
            std::lock_guard lock(mutex);
            bytes_of[node.id] = bytes.size();
        });
    std::vector<uint64_t> bytes(nodes.size(), 0);
    for (auto& [id, b] : bytes_of) bytes[size_t(id)] = b;

    // hierarchy.json: the whole tree in the internal frame.
    Json list = Json::array();
    for (const LodNodeInfo& n : nodes) {
        list.push_back({{"parent", n.parent},
                        {"level", n.level},
                        {"error", n.geometric_error},
                        {"splats", n.splats},
                        {"bytes", bytes[size_t(n.id)]},
                        {"uri", n.splats > 0 ? tile_uri(n.id) : std::string()},
                        {"box", {n.box.min.x, n.box.min.y, n.box.min.z, n.box.max.x, n.box.max.y, n.box.max.z}}});
    }
    const glm::vec3 up = glm::normalize(o.up);
    Json hierarchy = {{"format", kHierarchyFormat},
                      {"version", 1},
                      {"frame", "internal: OpenCV / COLMAP (x right, y down, z forward); tileset.json boxes are "
                                "p_t = (-x, -z, -y) in the 3D Tiles frame, before the root transform"},
                      {"shDegree", cloud.sh_degree},
                      {"up", {up.x, up.y, up.z}},
                      {"splats", cloud.size()},
                      {"nodes", list}};
    write_file_atomic(dir / kHierarchyFile, hierarchy.dump(1));

    // tileset.json: the 3D Tiles view of the same tree.
    Writer writer{nodes, bytes, o, dir};
    Json root = writer.tile(0, 0);
    const glm::dmat3 U = rotation_between(M() * glm::dvec3(up), glm::dvec3(0, 0, 1));
    if (glm::length(glm::dvec3(U[0]) - glm::dvec3(1, 0, 0)) + glm::length(glm::dvec3(U[1]) - glm::dvec3(0, 1, 0)) >
        1e-9) {
        Json t = Json::array();
        for (int c = 0; c < 4; ++c)
            for (int r = 0; r < 4; ++r) t.push_back(c < 3 && r < 3 ? U[c][r] : (c == r ? 1.0 : 0.0));
        root["transform"] = t;
    }
    const std::vector<std::string> gltf_extensions =
        o.encoding.spz ? std::vector<std::string>{"KHR_gaussian_splatting", kSpzCompressionExtension}
                       : std::vector<std::string>{"KHR_gaussian_splatting"};
    Json tileset = {
        {"asset",
         {{"version", "1.1"},
          {"generator", "Splatscape 0.1.0"},
          {"extras",
           {{"splatscape",
             {{"hierarchy", kHierarchyFile},
              {"up", {up.x, up.y, up.z}},
              {"shDegree", cloud.sh_degree},
              {"splats", cloud.size()},
              {"frame", "boxes: p_t = (-x, -z, -y) of the internal OpenCV frame; the root transform turns the "
                        "scene's up onto +z"}}}}}}},
        {"extensionsUsed", {"3DTILES_content_gltf"}},
        {"extensions",
         {{"3DTILES_content_gltf", {{"extensionsUsed", gltf_extensions}, {"extensionsRequired", gltf_extensions}}}}},
        {"geometricError", std::max(2.0 * nodes[0].geometric_error, 1e-6)},
        {"root", root}};
    write_file_atomic(dir / kTilesetFile, tileset.dump(1));

    TileTree tree;
    for (const LodNodeInfo& n : nodes) {
        TileNode t;
        t.parent = n.parent;
        t.level = n.level;
        t.splats = n.splats;
        t.bytes = bytes[size_t(n.id)];
        t.children = n.children;
        tree.nodes.push_back(t);
    }
    TiledSceneSummary s = summarize(tree);
    s.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    return s;
}

bool is_tiled_scene(const fs::path& path) {
    std::error_code ec;
    if (fs::is_directory(path, ec)) return fs::is_regular_file(path / kTilesetFile, ec);
    return fs::is_regular_file(path, ec) && lower_extension(path) == ".json" &&
           path.filename().string().find("tileset") != std::string::npos;
}

TileTree read_tiled_scene(const fs::path& path) {
    std::error_code ec;
    const fs::path tileset = fs::is_directory(path, ec) ? path / kTilesetFile : path;
    TileTree tree;
    tree.base = tileset.parent_path().empty() ? fs::path(".") : tileset.parent_path();
    const std::string name = tileset.string();
    const Json doc = parse_json(read_file_text(tileset, kMaxTilesetJsonBytes), name);
    SPLATSCAPE_REQUIRE(doc.is_object(), name, "", "a tileset is a JSON object");
    SPLATSCAPE_REQUIRE(doc.contains("asset") && doc["asset"].is_object() && doc["asset"].contains("version"), name,
                       "asset.version", "missing: not a 3D Tiles tileset");
    const std::string version = doc["asset"]["version"].is_string() ? doc["asset"]["version"].get<std::string>() : "";
    if (version != "1.0" && version != "1.1")
        tree.problems.push_back(cat(name, ": asset.version '", version, "' read as 1.1"));
    const Json* extras = nullptr;
    if (doc["asset"].contains("extras") && doc["asset"]["extras"].contains("splatscape"))
        extras = &doc["asset"]["extras"]["splatscape"];
    glm::dmat3 U(1.0);
    if (extras && extras->contains("up") && (*extras)["up"].is_array() && (*extras)["up"].size() == 3) {
        glm::vec3 up;
        for (int a = 0; a < 3; ++a)
            up[a] = (*extras)["up"][size_t(a)].is_number() ? (*extras)["up"][size_t(a)].get<float>() : 0.0f;
        if (glm::length(up) > 1e-6f && std::isfinite(glm::length(up))) {
            tree.up = glm::normalize(up);
            U = rotation_between(M() * glm::dvec3(tree.up), glm::dvec3(0, 0, 1));
        }
    }
    if (extras && extras->contains("shDegree") && (*extras)["shDegree"].is_number_integer())
        tree.sh_degree = std::clamp((*extras)["shDegree"].get<int>(), 0, 3);

    // The one-file hierarchy, when it is there and sound.
    const fs::path hierarchy =
        tree.base / (extras && extras->contains("hierarchy") && (*extras)["hierarchy"].is_string()
                         ? (*extras)["hierarchy"].get<std::string>()
                         : std::string(kHierarchyFile));
    try {
        TileTree h = tree;
        if (hierarchy.filename().string().find("..") == std::string::npos && read_hierarchy(hierarchy, h)) return h;
    } catch (const Error& e) {
        tree.problems.push_back(cat(e.what(), "; reading tileset.json instead"));
    }

    SPLATSCAPE_REQUIRE(doc.contains("root"), name, "root", "missing: not a 3D Tiles tileset");
    TilesetReader reader{tree, glm::dmat4(1.0), {}, {}};
    reader.world_to_internal = glm::dmat4(glm::inverse(M()) * glm::transpose(U));
    std::error_code ec2;
    reader.stack.push_back(fs::weakly_canonical(tileset, ec2));
    reader.read_tile(doc["root"], -1, 0, glm::dmat4(1.0), tileset);
    SPLATSCAPE_REQUIRE(!tree.nodes.empty(), name, "root", "no tile could be read",
                       tree.problems.empty() ? "" : (": " + tree.problems.front()));
    return tree;
}

TiledSceneSummary summarize(const TileTree& tree) {
    TiledSceneSummary s;
    s.tiles = tree.nodes.size();
    s.levels = tree.depth();
    s.splats_per_level.assign(size_t(s.levels), 0);
    s.tiles_per_level.assign(size_t(s.levels), 0);
    s.bytes_per_level.assign(size_t(s.levels), 0);
    for (const TileNode& n : tree.nodes) {
        s.splats_per_level[size_t(n.level)] += n.splats;
        s.tiles_per_level[size_t(n.level)] += 1;
        s.bytes_per_level[size_t(n.level)] += n.bytes;
        s.bytes += n.bytes;
    }
    return s;
}

GaussianCloud load_tile(const TileTree& tree, int id) {
    if (id < 0 || size_t(id) >= tree.nodes.size()) throw Error(cat("tile ", id, " does not exist"));
    const TileNode& n = tree.nodes[size_t(id)];
    GaussianCloud c;
    if (n.uri.empty()) {
        c.resize(0, tree.sh_degree);
        return c;
    }
    const fs::path path = tree.base / n.uri;
    const std::vector<uint8_t> bytes = read_file_bytes(path, kMaxTileFileBytes);
    c = decode_tile(bytes.data(), bytes.size(), path.string());
    if (c.size() > kMaxTileSplats)
        throw Error(path.string(), "", cat(c.size(), " splats in one tile is absurd (at most ", kMaxTileSplats, ")"));
    if (n.transformed) apply_transform(c, n.transform, path.string());
    if (c.sh_degree != tree.sh_degree) c.set_sh_degree(tree.sh_degree);
    return c;
}

GaussianCloud read_tiles(const TileTree& tree, const std::vector<int>& ids) {
    GaussianCloud out;
    out.resize(0, tree.sh_degree);
    for (int id : ids) {
        const GaussianCloud c = load_tile(tree, id);
        for (size_t i = 0; i < c.size(); ++i) out.push_back_from(c, i);
    }
    return out;
}

GaussianCloud read_tiled_scene_leaves(const fs::path& path) {
    const TileTree tree = read_tiled_scene(path);
    for (const std::string& p : tree.problems) log::warn(p);
    GaussianCloud out;
    out.resize(0, tree.sh_degree);
    for (size_t id = 0; id < tree.nodes.size(); ++id) {
        if (!tree.nodes[id].children.empty()) continue;
        try {
            const GaussianCloud c = load_tile(tree, int(id));
            for (size_t i = 0; i < c.size(); ++i) out.push_back_from(c, i);
        } catch (const Error& e) {
            log::warn(e.what(), " (tile skipped)");
        }
    }
    return out;
}

} // namespace splatscape
