#pragma once
// The picture under the UI: the splat renderer draws into an image of its own at the internal
// resolution (lower while the camera moves on a slow device), which is scaled into the viewport
// rectangle of the window; a ground-truth photo can sit beside it. A frame that needs no new render
// (nothing changed) only copies the last one again, so an idle viewer costs next to nothing even
// when a render takes half a second (lavapipe).
#include <array>
#include <cstdint>
#include <memory>
#include <optional>

#include <vulkan/vulkan.h>

#include "core/camera.hpp"
#include "core/gaussian_cloud.hpp"
#include "core/image.hpp"
#include "renderer/render_settings.hpp"
#include "renderer/slice4d_vk.hpp"
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

class ViewportRenderer {
public:
    // `window_format` is the swapchain's: images it blits into must match its encoding.
    ViewportRenderer(vk::Context& context, VkFormat window_format);
    ~ViewportRenderer();
    ViewportRenderer(const ViewportRenderer&) = delete;
    ViewportRenderer& operator=(const ViewportRenderer&) = delete;

    // Uploads a scene (null or empty: nothing to splat). Waits for frames in flight first.
    void set_scene(const std::shared_ptr<const GaussianCloud>& cloud);
    // Draws Gaussians from buffers owned elsewhere (the zero-copy live view of CUDA training,
    // app/session/live_view.hpp). Waits for frames in flight first, as set_scene does, which the
    // live view's fence scheme relies on.
    void set_external_scene(const vk::GpuScene::External& scene);
    // A streamed tiled scene's buffers for the next render (renderer/tile_streamer_vk.hpp), set every
    // frame without waiting: the streamer keeps what frames in flight read alive.
    void set_streamed_scene(const vk::GpuScene::External& scene);
    // A 4D scene (gs4d): each render first slices it at RenderSettings::time on the GPU
    // (renderer/slice4d_vk.hpp), leaving out Gaussians whose marginal in t is below `min_weight`.
    void set_scene_4d(const std::shared_ptr<const GaussianCloud4d>& cloud, float min_weight);
    bool has_scene() const { return bool(m_scene) || bool(m_scene_4d); }
    size_t scene_size() const { return m_scene_size; }

    // The photo shown beside the render (RGB floats), or none.
    void set_reference(const Image& rgb);
    void clear_reference();
    bool has_reference() const { return bool(m_reference); }

    // After SwapchainTarget::begin_frame for `slot`: the statistics of the render that slot recorded
    // last time, once (nullopt when it recorded none).
    std::optional<vk::FrameResult> collect(uint32_t slot);
    // Whether a recorded render has not been collected yet.
    bool results_pending() const {
        for (bool p : m_pending)
            if (p) return true;
        return false;
    }

    // Records the viewport into the frame: clears the window image, renders the scene from `camera`
    // when given (its width x height is the internal resolution; null: show the last render again),
    // and scales the render (and the reference) into `layout`. Leaves the window image in
    // VK_IMAGE_LAYOUT_COLOR_ATTACHMENT_OPTIMAL for the UI pass.
    void record(const vk::SwapchainFrame& frame, const Camera* camera, const RenderSettings& settings,
                const ViewportLayout& layout);

    // Size of the last render (0 x 0 before the first).
    uint32_t render_width() const { return m_render_w; }
    uint32_t render_height() const { return m_render_h; }
    // The last render's pixels (RGB), read back after waiting for the device.
    Image read_render();

    // Window screenshots: record_window_capture() after the UI pass (the image ends in
    // TRANSFER_SRC_OPTIMAL: pass that to end_frame), read_window_capture() once the frame completed.
    void record_window_capture(const vk::SwapchainFrame& frame);
    Image read_window_capture();

    // Device memory held by this context's allocator (scene, renderer buffers, images).
    uint64_t gpu_memory_bytes() const;

private:
    void ensure_render_image(uint32_t width, uint32_t height);
    VkFormat image_format() const;

    vk::Context& m_context;
    VkFormat m_window_format;
    vk::SplatRenderer m_renderer;
    std::unique_ptr<vk::GpuScene> m_scene;
    std::unique_ptr<vk::GpuScene4d> m_scene_4d;
    std::unique_ptr<vk::Slice4dPass> m_slice;
    float m_min_weight = 0.05f;
    size_t m_scene_size = 0;
    std::array<vk::TimestampQueries, vk::SplatRenderer::kFrameSlots> m_timers;
    std::array<bool, vk::SplatRenderer::kFrameSlots> m_pending{};

    vk::Image2D m_render_image; // may be larger than the render: renders sit at its top-left corner
    VkImageLayout m_render_layout = VK_IMAGE_LAYOUT_UNDEFINED;
    uint32_t m_render_w = 0, m_render_h = 0;

    vk::Image2D m_reference;

    vk::Buffer m_capture;
    VkExtent2D m_capture_extent{};
    bool m_capture_bgra = false;
};

} // namespace splatscape::gui
