#pragma once
// A tiled scene in the viewer (core/tiles/tileset.hpp): owns the streamer (renderer/tile_streamer_vk),
// gives the viewport the scene of each frame, draws the Tiles panel (budgets, resident and requested
// counts) and the drawn tiles' boxes over the viewport, coloured by level.
//
// Hooks in the shell (ViewerApp): made when a LoadedScene has a `tileset`; busy() before planning a
// frame (a frame is rendered while tiles stream in); update() before recording a render; panel() in
// the sidebar; draw_boxes() with the overlays.
#include <filesystem>
#include <memory>
#include <string>

#include "app/gui/viewer_state.hpp"
#include "core/camera.hpp"
#include "renderer/tile_streamer_vk.hpp"

namespace splatscape::vk {
class Context;
}

namespace splatscape::gui {

class ViewportRenderer;

// What the Tiles panel shows and may change.
struct TilesPanelState {
    vk::StreamingStats stats;
    int levels = 0;
    float budget_msplats = 0.0f; // millions drawn (0: no limit)
    float budget_mb = 0.0f;      // resident MiB (at most the pool)
    float pool_mb = 0.0f;
    float tau = 2.0f;
    bool show_boxes = true;
    std::vector<std::string> messages;
};

// Draws the Tiles panel; returns true when the person changed the budgets or the boxes switch.
bool draw_tiles_panel(TilesPanelState& state);

class TiledSceneView {
public:
    TiledSceneView(vk::Context& context, const std::filesystem::path& tileset, double budget_splats, double budget_mb);

    // Whether a frame should be rendered although the camera did not move (tiles in flight, fades).
    bool busy() const;
    // Runs the selection for the camera the frame renders with and hands the viewport its scene.
    void update(const Camera& camera, uint32_t slot, ViewportRenderer& viewport);
    void panel();
    void draw_boxes(const Camera& camera, const UiRect& rect) const;
    const vk::StreamingStats& stats() const { return m_streamer->stats(); }

private:
    std::unique_ptr<vk::TileStreamer> m_streamer;
    TilesPanelState m_state;
    std::string m_last_drawn;
    bool m_changed = true;
};

} // namespace splatscape::gui
