#pragma once
// What the viewport draws: one interface per kind of scene, so that a new kind (a tiled streamed
// scene, a sags scene decoded each frame, a ray-marched NeRF) is a new class, not a change to the
// shell. A kind owns its GPU data and passes, renders a camera into the viewport's image, and
// contributes what belongs to it: the render modes it can draw, its panels, keys and overlays, and
// the commands those emit. The shell never asks which kind it holds.
//
// The kinds today: Gaussians3dScene (a GaussianCloud, also the live view of training),
// Gaussians4dScene (gs4d, sliced on the GPU at the time its Time panel shows), TiledScene (a
// tiled level-of-detail scene streamed under budgets, with its Tiles panel), SagsDecodedScene (sags,
// decoded on the GPU for each view) and NerfMarchedScene (hmohe, ray-marched on the GPU). make_drawn_scene picks
// one for what `splatscape view` opened (app/gui/scene_source.hpp).
#include <any>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "app/gui/viewer_state.hpp"
#include "core/camera.hpp"
#include "renderer/render_settings.hpp"
#include "renderer/splat_renderer_vk.hpp"

namespace splatscape::vk {
class Context;
class TimestampQueries;
} // namespace splatscape::vk

namespace splatscape::gui {

struct LoadedScene;

// GPU objects the kinds of scene share, made once per window: the splat renderer's pipelines take
// a while to build (about a second on lavapipe), so another scene or a training snapshot reuses them.
struct ScenePasses {
    vk::Context& context;
    std::shared_ptr<vk::SplatRenderer> splats;
};

// One render of a DrawnScene into the viewport's image.
struct DrawRequest {
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    const Camera* camera = nullptr;           // its width x height is the size of the render
    const RenderSettings* settings = nullptr; // the View panel's
    const vk::RenderTarget* target = nullptr; // ends in target->layout_after
    vk::TimestampQueries* timer = nullptr;    // null: no GPU timings
    uint32_t slot = 0;                        // frame in flight (< SplatRenderer::kFrameSlots)
};

class DrawnScene {
public:
    virtual ~DrawnScene() = default;

    // The kind, as the Scene panel and the log name it ("3D Gaussians").
    virtual std::string kind() const = 0;
    // Nothing to draw (an empty scene): the viewport shows the background.
    virtual bool empty() const = 0;
    // The render modes this kind draws, in the order the View panel lists them. The splat kinds
    // draw all of splat_render_modes(); a kind with modes of its own adds them to RenderMode.
    virtual std::vector<RenderModeChoice> render_modes() const { return splat_render_modes(); }
    // Whether the View panel's splat settings (SH degree, splat scale, antialiasing, dot radius) apply.
    virtual bool splat_settings() const { return true; }

    // Records the render. Called outside any render pass; may wait for the device before it
    // reallocates (as SplatRenderer::prepare does).
    virtual void record(const DrawRequest& request) = 0;
    // Statistics of the render recorded with `slot`, once that frame completed.
    virtual vk::FrameResult finish(uint32_t slot, const vk::TimestampQueries* timer) = 0;

    // Once per frame, before the render is planned: what changes by itself (playback, streaming).
    // Returns whether the picture changed, so that the viewport renders again.
    virtual bool update(double /*seconds since the last frame*/) { return false; }
    // Whether the picture keeps changing by itself (the frame loop then does not wait for input).
    virtual bool animating() const { return false; }

    // Sidebar panels of this kind (after the Scene panel), its keys (when the UI does not take the
    // keyboard) and lines over the viewport: they read the snapshot and this object (const) and
    // append commands; SceneCommand carries the kind's own commands back to apply().
    virtual void draw_panels(const ViewerSnapshot& /*snapshot*/, Commands& /*out*/) const {}
    virtual void shortcuts(Commands& /*out*/) const {}
    virtual void draw_overlay(const Camera& /*camera*/, const UiRect& /*rect*/) const {}
    // Applies a SceneCommand's payload; returns whether the picture changed. Payloads of other
    // kinds are ignored (a panel's command may arrive after the scene was replaced).
    virtual bool apply(const std::any& /*payload*/) { return false; }

    // Bumped whenever the GPU data is replaced, so that statistics of a render of the old data are
    // not taken for the new. Unique across all scenes.
    uint64_t content_version() const { return m_content_version; }

protected:
    DrawnScene() { content_changed(); }
    void content_changed();

private:
    uint64_t m_content_version = 0;
};

// What the command line asks of the kinds of scene (the window's options, app/gui/gui.hpp).
struct DrawOptions {
    double budget_splats = 0; // tiled scenes: splats drawn at once (0: no limit)
    double budget_mb = 0;     // tiled scenes: GPU memory for resident tiles, MiB (0: the streamer's default)
};

// The kind of scene that draws `scene` (its tiles, else its 4D Gaussians, else its sags model, else
// its NeRF, else its Gaussians); null
// when it has nothing to draw. Uploads at once (a tiled scene starts streaming).
std::unique_ptr<DrawnScene> make_drawn_scene(const ScenePasses& passes, const LoadedScene& scene,
                                             const DrawOptions& options = {});

} // namespace splatscape::gui
