#pragma once
// Headless rendering of a streamed tiled scene (renderer/tile_streamer_vk.hpp): for `splatscape
// render DIR`, benchmarks and tests. A frame is rendered as the viewer renders it: what has arrived
// is taken, the selection is run, and the resident selected tiles are drawn as one scene.
#include <memory>
#include <optional>

#include "core/camera.hpp"
#include "core/tiles/tileset.hpp"
#include "renderer/offscreen_renderer.hpp"
#include "renderer/tile_streamer_vk.hpp"

namespace splatscape {

class TiledSceneRenderer {
public:
    TiledSceneRenderer(TileTree tree, const vk::StreamingOptions& streaming, const OffscreenOptions& options = {});
    ~TiledSceneRenderer();

    // One frame as a viewer draws it, without waiting for tiles in flight.
    RenderOutput render_frame(const Camera& camera, const RenderSettings& settings);
    // Waits until the view is fully refined (at most `seconds`), then renders. `refined` tells
    // whether it got there.
    RenderOutput render_settled(const Camera& camera, const RenderSettings& settings, double seconds = 600.0,
                                bool* refined = nullptr);

    vk::TileStreamer& streamer() { return *m_streamer; }
    const vk::StreamingStats& stats() const { return m_streamer->stats(); }
    std::string device_name() const;
    uint32_t validation_errors() const;
    bool validation_enabled() const;
    uint64_t gpu_memory_bytes() const; // everything this renderer holds on the device

private:
    RenderOutput draw(const vk::GpuScene& scene, const Camera& camera, const RenderSettings& settings);
    struct Impl;
    std::unique_ptr<Impl> m_impl;
    std::unique_ptr<vk::TileStreamer> m_streamer;
};

} // namespace splatscape
