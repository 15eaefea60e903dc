#pragma once
// Tiled level-of-detail Gaussian scenes on OGC 3D Tiles 1.1 (docs/tiles.md).
//
// On disk, a folder:
//   tileset.json      the 3D Tiles tileset: per tile a bounding `box`, `geometricError` (scene units),
//                     `refine: "REPLACE"` and a content URI; subtrees below every few levels are
//                     external tilesets (subtrees/<id>.json) as large tilesets are usually split
//   tiles/<id>.glb    tile contents: glTF with KHR_gaussian_splatting, plain or SPZ-compressed
//                     (core/tiles/tile_content.hpp)
//   hierarchy.json    the whole hierarchy in one file (every node's parent, level, box, error,
//                     splat count, bytes and content URI), so a viewer plans without fetching every
//                     external tileset
//
// Frames. The internal frame is OpenCV / COLMAP's (x right, y down, z forward). Tile contents are
// glTF (+y up; from the internal frame the turn p_g = (-x, -y, z)), and 3D Tiles is +z up with the
// standard glTF y-up to z-up transform p_t = (x_g, -z_g, y_g), so tileset.json's boxes are in
//   p_t = M p,  M = [[-1, 0, 0], [0, 0, -1], [0, -1, 0]]   (p_t = (-x, -z, -y)),
// a proper rotation that takes the internal -y ("up" in COLMAP reconstructions) to +z. When the
// scene's up is another axis (the built-in scenes are +z up), the root tile carries a `transform`
// turning M up onto +z, recorded in asset.extras.splatscape.up; readers here undo it, so tiles come
// back in the frame they were written in. Foreign tilesets are read in the frame p = M^-1 p_t.
//
// Reading treats the files as untrusted: missing or undecodable tiles, cycles of external
// tilesets, absurd counts or boxes and unsupported bounding volumes are skipped with one message
// each (TileTree::problems), never a crash or a hang; only an unreadable tileset.json is an Error.
#include <cstdint>
#include <filesystem>
#include <string>
#include <vector>

#include <glm/mat3x3.hpp>
#include <glm/mat4x4.hpp>

#include "core/gaussian_cloud.hpp"
#include "core/tiles/lod_build.hpp"
#include "core/tiles/tile_content.hpp"

namespace splatscape {

constexpr const char* kTilesetFile = "tileset.json";
constexpr const char* kHierarchyFile = "hierarchy.json";
constexpr const char* kHierarchyFormat = "splatscape-tile-hierarchy";
// Sanity bounds on what a tileset may declare.
constexpr size_t kMaxTiles = size_t(1) << 20;
constexpr int kMaxTileDepth = 64;
constexpr uint64_t kMaxTileSplats = uint64_t(1) << 26;
constexpr double kMaxTileExtent = 1e8; // scene units

// The internal frame to the 3D Tiles frame (the matrix M above), and back.
glm::dmat3 internal_to_tileset_frame();

struct TileNode {
    int parent = -1;
    std::vector<int> children;
    int level = 0;
    Bounds box;                   // internal frame, axis-aligned
    double geometric_error = 0.0; // scene units: the size of the detail this tile leaves out
    std::string uri;              // content, relative to TileTree::base ("" for none)
    uint64_t splats = 0;          // from hierarchy.json or the writer (0: unknown until loaded)
    uint64_t bytes = 0;           // content file size (0: unknown)
    bool transformed = false;     // content needs `transform` (foreign tilesets with transforms)
    glm::dmat4 transform{1.0};    // decoded content (internal frame) -> internal frame of the scene
};

struct TileTree {
    std::vector<TileNode> nodes;       // nodes[0] is the root; parents come before children
    std::filesystem::path base;        // folder content URIs are relative to
    int sh_degree = 3;                 // the highest SH degree of any tile (3 when unknown)
    glm::vec3 up{0.0f, -1.0f, 0.0f};   // the scene's up in the internal frame
    bool from_hierarchy = false;       // read from hierarchy.json (else from tileset.json)
    std::vector<std::string> problems; // what was skipped while reading, one message each

    bool empty() const { return nodes.empty(); }
    int depth() const;             // levels (1 for a root alone)
    uint64_t total_splats() const; // of all tiles (as known)
};

struct TiledSceneOptions {
    LodBuildOptions lod;
    TileEncoding encoding;
    glm::vec3 up{0.0f, -1.0f, 0.0f}; // the scene's up (internal frame): becomes +z in 3D Tiles viewers
    int subtree_levels = 4;          // levels per external tileset file (0: the whole tree in tileset.json)
};

struct TiledSceneSummary {
    size_t tiles = 0;
    int levels = 0;
    std::vector<uint64_t> splats_per_level;
    std::vector<uint64_t> tiles_per_level;
    std::vector<uint64_t> bytes_per_level;
    uint64_t bytes = 0; // tile contents
    double seconds = 0.0;
};

// Builds the hierarchy of `cloud` (core/tiles/lod_build.hpp) and writes the tiled scene into `dir`
// (created when missing; a tiled scene already there is replaced). The entry point for exporting,
// converting and merging into a tiled scene.
TiledSceneSummary write_tiled_scene(const GaussianCloud& cloud, const std::filesystem::path& dir,
                                    const TiledSceneOptions& options);

// A folder holding tileset.json, or a tileset .json file.
bool is_tiled_scene(const std::filesystem::path& path);
// Reads the hierarchy (hierarchy.json when present and valid, else tileset.json and its external
// tilesets). Throws Error only when no tileset can be read at all.
TileTree read_tiled_scene(const std::filesystem::path& path);
// Per level: tiles, splats and bytes, as the tree knows them.
TiledSceneSummary summarize(const TileTree& tree);

// One tile's Gaussians in the scene's internal frame, with the tree's SH degree. Throws Error
// naming the file when it is missing, undecodable or holds an absurd count.
GaussianCloud load_tile(const TileTree& tree, int node);
// The full-detail scene: every leaf tile's Gaussians (leaves that fail are skipped with a warning).
GaussianCloud read_tiled_scene_leaves(const std::filesystem::path& path);
// The Gaussians of the listed tiles, concatenated.
GaussianCloud read_tiles(const TileTree& tree, const std::vector<int>& nodes);

} // namespace splatscape
