#pragma once
// The picture under the UI: the scene shown (a DrawnScene) renders into an image of its own at the
// internal resolution (lower while the camera moves on a slow device), which is scaled into the
// viewport rectangle of the window; a ground-truth photo can sit beside it. A frame that needs no
// new render (nothing changed) only copies the last one again, so an idle viewer costs next to
// nothing even when a render takes half a second (lavapipe).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include <vulkan/vulkan.h>

#include "core/camera.hpp"
#include "core/image.hpp"
#include "renderer/render_settings.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/swapchain_target_vk.hpp"
#include "renderer/vk/timestamps_vk.hpp"

namespace splatscape::vk {
class Context;
}

namespace splatscape::gui {

// A rectangle of window framebuffer pixels.
struct PixelRect {
    int x = 0, y = 0, width = 0, height = 0;
    bool empty() const { return width <= 0 || height <= 0; }
};

struct ViewportLayout {
    PixelRect render;                   // where the render is shown
    std::optional<PixelRect> reference; // where the ground-truth photo is shown
    glm::vec3 window_color{0.08f};      // around and behind them
};

class DrawnScene;

class ViewportRenderer {
public:
    // `window_format` is the swapchain's: images it blits into must match its encoding.
    ViewportRenderer(vk::Context& context, VkFormat window_format);
    ~ViewportRenderer();
    ViewportRenderer(const ViewportRenderer&) = delete;
    ViewportRenderer& operator=(const ViewportRenderer&) = delete;

    // The photo shown beside the render (RGB floats), or none.
    void set_reference(const Image& rgb);
    void clear_reference();
    bool has_reference() const { return bool(m_reference); }

    // After SwapchainTarget::begin_frame for `slot`: the statistics of the render that slot recorded
    // last time, once (nullopt when it recorded none, or `scene` is not what it drew any more).
    std::optional<vk::FrameResult> collect(uint32_t slot, DrawnScene* scene);
    // Whether a render of `scene` (as it is now) has not been collected yet.
    bool results_pending(const DrawnScene* scene) const;

    // Records the viewport into the frame: clears the window image, renders `scene` from `camera`
    // when given (its width x height is the internal resolution; null: show the last render again;
    // a null or empty scene renders the background), and scales the render (and the reference)
    // into `layout`. Leaves the window image in VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL for the UI.
    void record(const vk::SwapchainFrame& frame, DrawnScene* scene, const Camera* camera,
                const RenderSettings& settings, const ViewportLayout& layout);

    // Size of the last render (0 x 0 before the first).
    uint32_t render_width() const { return m_render_w; }
    uint32_t render_height() const { return m_render_h; }
    // The last render's pixels (RGB), read back after waiting for the device.
    Image read_render();

    // Device memory held by this context's allocator (scene, renderer buffers, images).
    uint64_t gpu_memory_bytes() const;

private:
    void ensure_render_image(uint32_t width, uint32_t height);
    VkFormat image_format() const;

    vk::Context& m_context;
    VkFormat m_window_format;
    std::array<vk::TimestampQueries, vk::SplatRenderer::kFrameSlots> m_timers;
    // Per frame slot: the content version (DrawnScene::content_version) of the render it recorded;
    // 0: none waiting to be collected.
    std::array<uint64_t, vk::SplatRenderer::kFrameSlots> m_pending{};

    vk::Image2D m_render_image; // may be larger than the render: renders sit at its top-left corner
    VkImageLayout m_render_layout = VK_IMAGE_LAYOUT_UNDEFINED;
    uint32_t m_render_w = 0, m_render_h = 0;

    vk::Image2D m_reference;
};

} // namespace splatscape::gui
