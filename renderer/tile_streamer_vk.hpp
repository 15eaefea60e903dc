#pragma once
// Streaming a tiled scene (core/tiles/tileset.hpp) from disk into a fixed page pool in GPU memory,
// drawn by the splat renderer as one scene (docs/tiles.md).
//
//   - The pool: four buffers (means and opacity, log-scales, rotations, SH at the tree's degree) of
//     a fixed number of pages of 2^page_shift splats, sized by the memory budget once; tiles take
//     whole pages. Nothing is allocated while streaming.
//   - Loader threads read and decode tiles (glTF or SPZ-compressed glTF) into the pool's row layout.
//   - Uploads: staging buffers copied into the pool's pages on the transfer queue (a dedicated one
//     when the device has it), with a fence; a tile becomes resident when its copy has completed.
//   - Each frame, update() takes arrivals, runs the selection (core/tiles/lod_selection.hpp) and
//     writes the frame slot's page table: the drawn tiles' pages, with their fades. The renderer
//     then sorts all drawn splats together, once, as one scene (renderer/gpu_scene_vk.hpp,
//     GpuScene::External::page_table).
//   - Pages of dropped tiles are reused only after every frame that may still read them completed
//     (SplatRenderer::kFrameSlots frames later).
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/camera.hpp"
#include "core/tiles/lod_selection.hpp"
#include "core/tiles/tileset.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/raii_vk.hpp"

namespace splatscape::vk {

class Context;

struct StreamingOptions {
    uint64_t budget_splats = 0; // drawn at once; 0: no limit
    uint64_t budget_bytes = 0;  // the page pool; 0: a quarter of the device's memory, at most 4 GiB
    double tau_px = 2.0;        // screen-space error to refine to, in pixels
    int fade_frames = 8;        // cross-fade between levels (0: swap at once)
    int loader_threads = 2;
    uint32_t page_shift = 12; // 4096 splats a page
    size_t max_in_flight = 8; // tiles requested and not yet resident
    uint64_t upload_bytes_per_frame = uint64_t(256) << 20;
};

struct StreamingStats {
    size_t tiles = 0;
    size_t resident_tiles = 0, loading_tiles = 0, failed_tiles = 0, drawn_tiles = 0, desired_tiles = 0;
    uint64_t resident_splats = 0, drawn_splats = 0;
    uint64_t resident_bytes = 0; // pages held by resident tiles and reserved for tiles in flight
    uint64_t pool_bytes = 0, page_bytes = 0;
    uint64_t pages_used = 0, pages_total = 0;
    uint64_t loaded_total = 0, bytes_read = 0; // tiles read from disk so far, and their file bytes
    uint64_t budget_splats = 0, budget_bytes = 0;
    bool refined = false;
};

class TileStreamer {
public:
    TileStreamer(Context& context, TileTree tree, const StreamingOptions& options);
    ~TileStreamer();
    TileStreamer(const TileStreamer&) = delete;
    TileStreamer& operator=(const TileStreamer&) = delete;

    // Once per frame, before recording it, when the frames that used `slot` before have completed.
    // Returns the scene to draw (valid until the next update with the same slot).
    const GpuScene& update(const Camera& camera, uint32_t slot);
    // Waits (up to `seconds`) until the view from `camera` is fully refined, calling update itself;
    // returns whether it got there. For headless renders and tests.
    bool settle(const Camera& camera, double seconds);

    // New budgets (the bytes at most the pool's size); take effect at the next update.
    void set_budget(uint64_t splats, uint64_t bytes, double tau_px);
    const StreamingStats& stats() const { return m_stats; }
    const TileTree& tree() const { return m_tree; }
    // The scene update() returned last, as external buffers (for a viewport that owns a GpuScene).
    const GpuScene::External& last_scene() const { return m_last_external; }
    const std::vector<DrawnTile>& drawn() const { return m_plan.draw; }
    const SelectionPlan& plan() const { return m_plan; }
    TileResidency state(int tile) const { return m_selector->state(tile); }
    // Messages about tiles that failed (once each), and the tree's reading problems, since the last call.
    std::vector<std::string> take_messages();

private:
    struct Loaded {
        int tile = -1;
        uint64_t count = 0;
        uint64_t file_bytes = 0;
        std::vector<float> means, scales, rotations, sh; // the pool's row layout
        std::string error;
    };
    struct UploadBatch {
        Buffer staging;
        UniqueCommandPool pool;
        VkCommandBuffer cmd = VK_NULL_HANDLE;
        UniqueFence fence;
        bool busy = false;
        std::vector<std::pair<int, uint64_t>> tiles; // tile, splats
    };

    void loader_main();
    void finish_uploads(bool wait);
    void start_uploads();
    void release_pages(int tile);
    uint64_t page_bytes() const;

    Context& m_context;
    TileTree m_tree;
    StreamingOptions m_options;
    std::unique_ptr<LodSelector> m_selector;
    int m_sh_coeffs = 1;
    uint32_t m_page_splats = 4096;
    uint64_t m_pages = 0;

    Buffer m_means, m_scales, m_rotations, m_sh;
    std::vector<Buffer> m_page_tables; // per frame slot, host-visible
    std::vector<std::unique_ptr<GpuScene>> m_scenes;
    std::vector<uint32_t> m_free_pages;
    std::deque<std::pair<uint64_t, std::vector<uint32_t>>> m_retired; // frame released, pages
    std::vector<std::vector<uint32_t>> m_tile_pages;
    std::vector<uint64_t> m_tile_splats; // of tiles holding pages
    std::vector<UploadBatch> m_batches;
    std::deque<std::unique_ptr<Loaded>> m_arrived; // decoded, waiting for an upload batch

    std::mutex m_mutex;
    std::condition_variable m_wake;
    std::deque<int> m_requests;
    std::deque<std::unique_ptr<Loaded>> m_done;
    bool m_stop = false;
    std::vector<std::thread> m_threads;

    SelectionPlan m_plan;
    GpuScene::External m_last_external;
    StreamingStats m_stats;
    uint64_t m_frame = 0;
    std::vector<std::string> m_messages;
};

} // namespace splatscape::vk
