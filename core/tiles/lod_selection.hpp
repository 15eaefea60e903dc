#pragma once
// Which tiles of a tiled scene to draw, load and drop, frame by frame (docs/tiles.md). The desktop
// viewer (renderer/tile_streamer_vk) uses this class; the web viewer (web/tiles.js) follows the
// same rules line for line.
//
// 1. Screen-space error of a tile: its geometric error projected at its distance,
//    sse = error * fy / distance(camera centre, box) (infinite inside the box). Tiles whose box is
//    outside the view frustum are neither refined nor drawn.
// 2. The desired cut, best first: from the root, the tile with the largest error is refined (its
//    visible children replace it) while its error exceeds tau and the cut stays within the budgets:
//    drawn splats (the cut's) <= max_splats, and bytes of the cut and all its ancestors (kept for
//    falling back) <= max_bytes. A tile without content or whose content failed is always refined.
// 3. What is drawn: each desired tile when resident; otherwise its resident descendants when they
//    cover it completely (zooming out), else its nearest resident ancestor (the parent is drawn
//    until its children arrive). Nothing is drawn twice, and a tile is left out rather than let the
//    drawn splats exceed max_splats.
// 4. Loads: desired tiles and their ancestors that are not resident, coarse levels first, then by
//    error. A load starts only when its bytes fit the memory budget (counting tiles in flight);
//    room is made by dropping least recently used tiles that are neither desired, nor ancestors of
//    desired tiles, nor drawn; if that is not enough, drawn tiles that are not desired (the old cut
//    while a new one arrives). Tiles whose descendants are drawn are never dropped.
// 5. Fades: a tile that starts being drawn fades in over `fade_frames` frames while the tiles it
//    replaces fade out (drawn at the same time, when the splat budget allows; they are kept
//    resident meanwhile). 0 swaps at once.
#include <cstdint>
#include <functional>
#include <limits>
#include <vector>

#include "core/camera.hpp"
#include "core/tiles/tileset.hpp"

namespace splatscape {

struct SelectionBudget {
    uint64_t max_splats = std::numeric_limits<uint64_t>::max(); // drawn at once
    uint64_t max_bytes = std::numeric_limits<uint64_t>::max();  // resident (and in flight)
    double tau_px = 2.0;                                        // refine while sse > tau
    int fade_frames = 8;
};

enum class TileResidency : uint8_t { Absent, Loading, Resident, Failed };

struct DrawnTile {
    int tile = 0;
    float fade = 1.0f; // opacity multiplier
};

struct SelectionPlan {
    std::vector<DrawnTile> draw; // parents before children, ties by id
    std::vector<int> load;       // to request now, most wanted first
    std::vector<int> evict;      // dropped now (already Absent here): the caller frees them
    std::vector<int> desired;    // the desired cut
    uint64_t drawn_splats = 0;
    uint64_t desired_splats = 0;
    bool refined = false; // every desired tile is drawn, nothing fades, nothing is pending
};

class LodSelector {
public:
    // `bytes_of(splats)`: the memory a tile of that many splats takes when resident (a pool rounds
    // to pages, say).
    LodSelector(const TileTree& tree, SelectionBudget budget, std::function<uint64_t(uint64_t)> bytes_of);

    // One frame: plans draws, loads (at most `max_new_loads`) and evictions for `camera`. Tiles to
    // load are marked Loading and their bytes reserved; evicted tiles become Absent.
    SelectionPlan plan(const Camera& camera, size_t max_new_loads);

    // The streamer reports arrivals: Resident with the tile's actual splat count, or Failed, or
    // Absent when a load was abandoned. A Resident tile whose actual size does not fit the budget is
    // refused (returns false, the tile is Absent again).
    bool set_state(int tile, TileResidency state, uint64_t splats = 0);
    TileResidency state(int tile) const { return m_state[size_t(tile)]; }

    void set_budget(const SelectionBudget& budget) { m_budget = budget; }
    const SelectionBudget& budget() const { return m_budget; }
    uint64_t resident_bytes() const { return m_resident_bytes; } // resident and in flight
    uint64_t resident_splats() const;
    size_t resident_tiles() const;
    size_t loading_tiles() const;
    size_t failed_tiles() const;
    const TileTree& tree() const { return m_tree; }
    // The screen-space error of the last plan (0 for tiles it did not visit).
    double sse(int tile) const { return m_sse[size_t(tile)]; }

private:
    uint64_t splats(int t) const;
    uint64_t cost(int t) const;
    bool has_content(int t) const { return !m_tree.nodes[size_t(t)].uri.empty(); }
    bool drawable(int t) const { return m_state[size_t(t)] == TileResidency::Resident || !has_content(t); }

    const TileTree& m_tree;
    SelectionBudget m_budget;
    std::function<uint64_t(uint64_t)> m_bytes_of;
    std::vector<TileResidency> m_state;
    std::vector<uint64_t> m_known_splats; // actual counts of loaded tiles
    std::vector<uint64_t> m_charged;      // bytes reserved for each resident or loading tile
    std::vector<uint64_t> m_last_used;    // frame a tile was last kept
    std::vector<double> m_sse;
    std::vector<float> m_fade;     // current fade of drawn tiles (0: not drawn)
    std::vector<int> m_fading_out; // tiles leaving the draw set, still fading
    uint64_t m_resident_bytes = 0;
    uint64_t m_frame = 0;
    uint64_t m_unknown_splats = 65536; // estimate for tiles whose count is unknown
};

} // namespace splatscape
