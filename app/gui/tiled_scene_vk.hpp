#pragma once
// A tiled scene (core/tiles/tileset.hpp, docs/tiles.md): streamed from disk into a fixed page pool in
// GPU memory (renderer/tile_streamer_vk.hpp) under a splat and a memory budget, and drawn by the
// splat renderer as one scene. Each render runs the selection for its own camera, so coarse tiles
// stand in until finer ones have arrived; while tiles stream in or fade, update() reports a changed
// picture and animating() keeps frames coming. The kind contributes the Tiles panel (tiles_panel.cpp:
// the budgets, and the resident, requested and drawn counts) and the drawn tiles' boxes over the
// viewport, coloured by level; the panel's SetTileSettings command comes back through apply().
#include <memory>
#include <string>
#include <vector>

#include "app/gui/drawn_scene_vk.hpp"
#include "core/tiles/tileset.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/tile_streamer_vk.hpp"

namespace splatscape::gui {

// What a person sets in the Tiles panel.
struct TileSettings {
    float budget_msplats = 0.0f; // millions of splats drawn at once (0: no limit)
    float budget_mb = 0.0f;      // MiB of resident tiles (at most the pool)
    float tau = 2.0f;            // screen-space error to refine to, in pixels
    bool show_boxes = true;      // the drawn tiles' boxes over the viewport
};

// What the Tiles panel shows.
struct TilesPanelState {
    TileSettings settings;
    vk::StreamingStats stats; // of the last render
    int levels = 0;
    float pool_mb = 0.0f;              // the page pool (the memory budget's upper end)
    std::vector<std::string> messages; // the latest tiles that failed, newest last
};

// The Tiles panel's command, carried by command::SceneCommand.
struct SetTileSettings {
    TileSettings settings;
};

class TiledScene final : public DrawnScene {
public:
    // Sizes the page pool from `options.budget_mb` (throws Error when it holds no page) and starts
    // the loader threads.
    TiledScene(const ScenePasses& passes, TileTree tree, const DrawOptions& options);
    ~TiledScene() override;
    TiledScene(const TiledScene&) = delete;
    TiledScene& operator=(const TiledScene&) = delete;

    const TilesPanelState& panel_state() const { return m_panel; }
    const vk::TileStreamer& streamer() const { return *m_streamer; }

    std::string kind() const override { return "tiled scene"; }
    // Never empty: before its first tile arrives the render shows the background.
    bool empty() const override { return false; }
    void record(const DrawRequest& request) override;
    vk::FrameResult finish(uint32_t slot, const vk::TimestampQueries* timer) override;
    // Tiles arrived, the drawn set changed or fades are running since the last render.
    bool update(double seconds) override;
    bool animating() const override;
    void draw_panels(const ViewerSnapshot& snapshot, Commands& out) const override;
    void draw_overlay(const Camera& camera, const UiRect& rect) const override;
    bool apply(const std::any& payload) override;

private:
    vk::Context& m_context;
    std::shared_ptr<vk::SplatRenderer> m_renderer; // shared by the scenes of a window
    std::unique_ptr<vk::TileStreamer> m_streamer;
    TilesPanelState m_panel;
    std::string m_last_drawn; // the drawn tiles and whether each fades, of the last render
    bool m_changed = true;    // the last render drew another set than the one before (or settings changed)
};

} // namespace splatscape::gui
