#pragma once
// The splat rasterizer of docs/rasterizer.md in Vulkan compute: preprocess, compaction, depth sort,
// per-tile keys, tile sort, tile ranges, tile rasterisation, and a compose pass that turns the
// render mode into 8-bit pixels. It records into a caller's command buffer, so the same object
// serves the offscreen renderer, the window, and benchmarks.
//
// Frame flow: prepare() (outside recording; may reallocate) -> record() -> submit -> wait ->
// finish(). When a frame had more (tile, Gaussian) pairs than room, finish() says so, the next
// prepare() grows the buffers, and the frame should be rendered again.
#include <array>
#include <cstdint>
#include <memory>

#include <vulkan/vulkan.h>

#include "core/camera.hpp"
#include "renderer/gpu_scene_vk.hpp"
#include "renderer/gpu_sort_vk.hpp"
#include "renderer/render_settings.hpp"
#include "renderer/vk/memory_vk.hpp"
#include "renderer/vk/pipeline_vk.hpp"

namespace splatscape::vk {

class Context;
class TimestampQueries;

// An image the renderer copies its picture into: 8-bit RGBA or BGRA (UNORM or SRGB: the bytes are
// the sRGB-encoded colours either way), created with VK_IMAGE_USAGE_TRANSFER_DST_BIT. The image is
// moved from `layout_before` to `layout_after`.
struct RenderTarget {
    VkImage image = VK_NULL_HANDLE;
    VkFormat format = VK_FORMAT_R8G8B8A8_UNORM;
    VkImageLayout layout_before = VK_IMAGE_LAYOUT_UNDEFINED;
    VkImageLayout layout_after = VK_IMAGE_LAYOUT_TRANSFER_SRC_OPTIMAL;
};

bool is_bgra(VkFormat format);
bool is_supported_target_format(VkFormat format);

struct FrameResult {
    RenderStats stats;
    bool overflowed = false; // more instances than room: prepare() again and re-render
};

class SplatRenderer {
public:
    static constexpr uint32_t kFrameSlots = 2; // frames that may be in flight at once

    explicit SplatRenderer(Context& context);
    ~SplatRenderer();

    // Sizes the frame buffers for `scene` at width x height (and any overflow seen by finish()).
    // Waits for the device to go idle before it frees buffers a frame in flight may use.
    void prepare(const GpuScene& scene, uint32_t width, uint32_t height);

    // Records one frame. The image size is the one given to prepare(); the camera's intrinsics are
    // used as they are. `slot` (< kFrameSlots) selects where the frame's counters are read back.
    void record(VkCommandBuffer cmd, const GpuScene& scene, const Camera& camera, const RenderSettings& settings,
                const RenderTarget* target, TimestampQueries* timer, uint32_t slot = 0);
    // Reads the counters of the frame recorded with `slot`, after it completed (zero stats when no
    // frame was recorded with that slot yet).
    FrameResult finish(uint32_t slot = 0, const TimestampQueries* timer = nullptr);

    uint32_t width() const { return m_width; }
    uint32_t height() const { return m_height; }
    uint32_t instance_capacity() const { return m_instance_capacity; }
    // Per-pixel results of the last frame, row-major: vec4 (rgb over background, alpha), float
    // alpha-weighted depth, packed 8-bit pixels.
    const Buffer& color_buffer() const { return m_out_color; }
    const Buffer& depth_buffer() const { return m_out_depth; }
    const Buffer& display_buffer() const { return m_display; }
    VkDeviceSize bytes() const;

private:
    void ensure(Buffer& buffer, VkDeviceSize bytes, const char* name);

    Context& m_context;
    RadixSort m_sort;
    PrefixScan m_scan;
    ComputePipeline m_preprocess_pass;
    ComputePipeline m_compact_pass;
    ComputePipeline m_tile_counts_pass;
    ComputePipeline m_keys_pass;
    ComputePipeline m_ranges_pass;
    ComputePipeline m_raster_pass;
    ComputePipeline m_centers_pass;
    ComputePipeline m_compose_pass;

    uint32_t m_width = 0, m_height = 0;
    uint32_t m_gaussian_capacity = 0;
    uint32_t m_instance_capacity = 0;
    uint64_t m_instances_needed = 0; // from the last overflowing frame

    Buffer m_frame;    // FrameParams
    Buffer m_counters; // FrameCounters
    std::array<Buffer, kFrameSlots> m_readback;
    std::array<bool, kFrameSlots> m_recorded{};
    // Per Gaussian.
    Buffer m_geom, m_color, m_rect, m_visible_flags, m_visible_index;
    Buffer m_depth_keys, m_depth_values, m_depth_keys_alt, m_depth_values_alt, m_tile_counts, m_tile_offsets;
    // Per instance.
    Buffer m_instance_keys, m_instance_values, m_instance_keys_alt, m_instance_values_alt;
    Buffer m_sort_scratch, m_scan_scratch;
    // Per tile and per pixel.
    Buffer m_ranges;
    Buffer m_out_color, m_out_depth, m_centers_buffer, m_display;
};

} // namespace splatscape::vk
