#pragma once
// The sidebar's panels, one per file (app/gui/*_panel.cpp). Each draws from the snapshot and
// appends commands; the text they are editing lives in PanelInputs, owned by the shell. The
// sidebar (sidebar.cpp) lays them out; a scene kind adds its own (DrawnScene::draw_panels).
#include <algorithm>
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <glm/vec3.hpp>
#include <glm/vec4.hpp>

#include "app/gui/time_controls.hpp"
#include "app/gui/viewer_state.hpp"

namespace splatscape::gui {

struct TilesPanelState;
struct NerfPanelState;

// Text fields and selections the user is editing (Dear ImGui edits char buffers in place).
struct PanelInputs {
    std::array<char, 1024> scene_path{};
    std::array<char, 1024> screenshot_path{};
    std::array<char, 1024> path_file{};
    std::array<char, 1024> video_file{};
    int selected_key = -1;
    int selected_view = 0;
};

void draw_scene_panel(const ViewerSnapshot& s, PanelInputs& in, Commands& out);
void draw_view_panel(const ViewerSnapshot& s, Commands& out);
void draw_camera_panel(const ViewerSnapshot& s, PanelInputs& in, Commands& out);
void draw_stats_panel(const ViewerSnapshot& s);
void draw_screenshot_panel(const ViewerSnapshot& s, PanelInputs& in, Commands& out);
void draw_camera_path_panel(const ViewerSnapshot& s, PanelInputs& in, Commands& out);
void draw_training_panel(const ViewerSnapshot& s, Commands& out);
// Space pauses and resumes a run.
void training_shortcuts(const TrainingMonitor& training, Commands& out);
// 4D scenes (Gaussians4dScene): the time and its playback; space plays and pauses.
void draw_time_panel(const TimeControls& time, Commands& out);
void time_shortcuts(const TimeControls& time, Commands& out);
// Tiled scenes (TiledScene, tiled_scene_vk.hpp): budgets, error and tile boxes; what is streamed.
void draw_tiles_panel(const TilesPanelState& tiles, Commands& out);
// NeRF scenes (NerfMarchedScene, nerf_scene_vk.hpp): experts, occupancy, samples, the experts' colours.
void draw_nerf_panel(const NerfPanelState& nerf);

// The panels in the sidebar, `width` UI points wide at the window's left edge.
void draw_sidebar(const ViewerSnapshot& s, float width, PanelInputs& in, Commands& out);

// Frusta of the dataset cameras and the camera path, drawn over the viewport with the camera
// that rendered it (`camera` spans `rect`).
void draw_viewport_overlays(const ViewerSnapshot& s, const Camera& camera, const UiRect& rect);

// An axis-aligned world box drawn over the viewport (a kind's overlay, such as a tiled scene's tiles).
struct OverlayBox {
    glm::vec3 min{0.0f}, max{0.0f};
    glm::vec4 colour{1.0f}; // RGBA in [0, 1]
};
// Draws the boxes' edges with the camera that rendered the viewport, clipped to the plane `near_z`
// in front of it and to `rect`.
void draw_overlay_boxes(const std::vector<OverlayBox>& boxes, const Camera& camera, const UiRect& rect, float near_z);
// World segments (pairs of points in `ends`, [2 S, 3]) drawn over the viewport with the camera that
// rendered it (a sags scene's k-nearest-neighbour graph), clipped at `near_z` in front of it.
void draw_segments_overlay(const std::vector<float>& ends, const Camera& camera, const UiRect& rect, float near_z,
                           uint32_t rgba);

// Copies a string into a fixed ImGui text buffer (truncating).
template <size_t N>
void set_text(std::array<char, N>& buffer, const std::string& text) {
    const size_t n = std::min(text.size(), N - 1);
    std::copy_n(text.data(), n, buffer.data());
    buffer[n] = '\0';
}

} // namespace splatscape::gui
