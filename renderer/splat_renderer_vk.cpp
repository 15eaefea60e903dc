#include "renderer/splat_renderer_vk.hpp"

#include <algorithm>
#include <bit>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"
#include "core/log.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/timestamps_vk.hpp"
#include "shaders/shared/splat_types.h"

namespace splatscape::vk {
namespace {

constexpr VkBufferUsageFlags kWork =
    VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;

uint32_t div_up(uint64_t a, uint64_t b) {
    return uint32_t((a + b - 1) / b);
}

uint32_t tiles_along(uint32_t pixels) {
    return div_up(pixels, gpu::kTileSize);
}

// splat_raster.comp's kShuffleBatches: on for CPU drivers, where a shared-memory read is a gather
// per invocation (about 5x faster rasterisation on lavapipe), off for GPUs. SPLATSCAPE_RASTER_SHUFFLE=0/1
// overrides it, so that tests can run both variants on one device.
uint32_t shuffle_batches(const Context& context) {
    if (const char* env = std::getenv("SPLATSCAPE_RASTER_SHUFFLE"); env && (*env == '0' || *env == '1'))
        return uint32_t(*env - '0');
    return context.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU ? 1u : 0u;
}

gpu::uint mode_code(RenderMode mode) {
    switch (mode) {
    case RenderMode::Color:
        return gpu::kModeColor;
    case RenderMode::Depth:
        return gpu::kModeDepth;
    case RenderMode::Alpha:
        return gpu::kModeAlpha;
    case RenderMode::Centers:
        return gpu::kModeCenters;
    case RenderMode::Heatmap:
        return gpu::kModeHeatmap;
    case RenderMode::Points:
    case RenderMode::Graph:
    case RenderMode::Curvature:
    case RenderMode::Experts:
        return gpu::kModeColor; // drawn by the sags and NeRF kinds; alone, the splats in colour
    }
    return gpu::kModeColor;
}

} // namespace

bool is_bgra(VkFormat format) {
    return format == VK_FORMAT_B8G8R8A8_UNORM || format == VK_FORMAT_B8G8R8A8_SRGB;
}

bool is_supported_target_format(VkFormat format) {
    return is_bgra(format) || format == VK_FORMAT_R8G8B8A8_UNORM || format == VK_FORMAT_R8G8B8A8_SRGB;
}

SplatRenderer::SplatRenderer(Context& context)
    : m_context(context), m_sort(context), m_scan(context),
      m_preprocess_pass(context, "splat_preprocess", sizeof(gpu::SplatPush)),
      m_compact_pass(context, "splat_compact", sizeof(gpu::SplatPush)),
      m_tile_counts_pass(context, "splat_tile_counts", sizeof(gpu::SplatPush)),
      m_keys_pass(context, "splat_keys", sizeof(gpu::SplatPush)),
      m_ranges_pass(context, "splat_ranges", sizeof(gpu::SplatPush)),
      m_raster_pass(context, "splat_raster", sizeof(gpu::SplatPush), {shuffle_batches(context)}),
      m_centers_pass(context, "splat_centers", sizeof(gpu::SplatPush)),
      m_compose_pass(context, "splat_compose", sizeof(gpu::SplatPush)) {
    m_frame = Buffer(context, sizeof(gpu::FrameParams), kWork, MemoryUsage::GpuOnly, "frame parameters");
    m_counters = Buffer(context, sizeof(gpu::FrameCounters), kWork, MemoryUsage::GpuOnly, "frame counters");
    for (auto& r : m_readback)
        r = Buffer(context, sizeof(gpu::FrameCounters), VK_BUFFER_USAGE_TRANSFER_DST_BIT, MemoryUsage::Readback,
                   "frame counters read-back");
}

SplatRenderer::~SplatRenderer() = default;

void SplatRenderer::ensure(Buffer& buffer, VkDeviceSize bytes, const char* name) {
    bytes = std::max<VkDeviceSize>(bytes, 16);
    if (buffer && buffer.size() >= bytes) return;
    buffer = Buffer(m_context, bytes, kWork, MemoryUsage::GpuOnly, name);
}

void SplatRenderer::prepare(const GpuScene& scene, uint32_t width, uint32_t height) {
    if (width == 0 || height == 0) throw Error(cat("cannot render an image of ", width, "x", height, " pixels"));
    if (width > 32768 || height > 32768)
        throw Error(cat("cannot render ", width, "x", height, " pixels: at most 32768 per side"));
    const uint32_t n = std::max<uint32_t>(scene.size(), 1);
    const uint64_t pixels = uint64_t(width) * height;
    const uint64_t tiles = uint64_t(tiles_along(width)) * tiles_along(height);
    // A first guess at (tile, Gaussian) pairs; a frame that needs more says so and is redone.
    uint64_t instances = std::max<uint64_t>({uint64_t(m_instance_capacity), uint64_t(n) * 4, 1u << 16});
    if (m_instances_needed > m_instance_capacity) instances = std::max(instances, m_instances_needed * 5 / 4);
    const uint64_t instance_limit = std::min<uint64_t>(m_context.max_buffer_size() / sizeof(uint32_t), UINT32_MAX);
    instances = std::min(instances, instance_limit);

    const bool grow =
        n > m_gaussian_capacity || instances > m_instance_capacity || width != m_width || height != m_height;
    if (!grow) return;
    // Buffers about to be replaced may still be read by a frame in flight.
    m_context.wait_idle();
    const VkDeviceSize N = n;
    ensure(m_geom, N * 32, "splat geometry");
    ensure(m_color, N * 16, "splat colours");
    ensure(m_rect, N * 8, "splat tile rectangles");
    ensure(m_visible_flags, N * 4, "visibility flags");
    ensure(m_visible_index, N * 4, "visible index");
    ensure(m_depth_keys, N * 4, "depth keys");
    ensure(m_depth_values, N * 4, "depth values");
    ensure(m_depth_keys_alt, N * 4, "depth keys (ping-pong)");
    ensure(m_depth_values_alt, N * 4, "depth values (ping-pong)");
    ensure(m_tile_counts, N * 4, "tile counts");
    ensure(m_tile_offsets, N * 4, "tile offsets");
    const VkDeviceSize M = instances;
    ensure(m_instance_keys, M * 4, "tile keys");
    ensure(m_instance_values, M * 4, "tile values");
    ensure(m_instance_keys_alt, M * 4, "tile keys (ping-pong)");
    ensure(m_instance_values_alt, M * 4, "tile values (ping-pong)");
    ensure(m_sort_scratch, RadixSort::scratch_bytes(std::max<uint64_t>(N, M)), "sort scratch");
    ensure(m_scan_scratch, PrefixScan::scratch_bytes(N), "scan scratch");
    ensure(m_ranges, tiles * 8, "tile ranges");
    ensure(m_out_color, pixels * 16, "output colour");
    ensure(m_out_depth, pixels * 4, "output depth");
    ensure(m_centers_buffer, pixels * 4, "centre dots");
    ensure(m_display, pixels * 4, "display pixels");
    m_gaussian_capacity = std::max(m_gaussian_capacity, n);
    m_instance_capacity = uint32_t(std::max<uint64_t>(m_instance_capacity, instances));
    m_width = width;
    m_height = height;
}

void SplatRenderer::record(VkCommandBuffer cmd, const GpuScene& scene, const Camera& camera,
                           const RenderSettings& settings, const RenderTarget* target, TimestampQueries* timer,
                           uint32_t slot) {
    if (scene.size() > m_gaussian_capacity || m_width == 0)
        throw Error("SplatRenderer::record: prepare() was not called for this scene");
    if (uint32_t(camera.width) != m_width || uint32_t(camera.height) != m_height)
        throw Error(cat("SplatRenderer::record: the camera is ", camera.width, "x", camera.height,
                        " but prepare() was for ", m_width, "x", m_height));
    if (camera.fx <= 0.0f || camera.fy <= 0.0f)
        throw Error("cannot render with a camera whose focal length is not positive");
    if (target && !is_supported_target_format(target->format))
        throw Error("render target format must be 8-bit RGBA or BGRA");
    const uint32_t n = scene.size();
    const uint32_t tiles_x = tiles_along(m_width), tiles_y = tiles_along(m_height);
    const uint32_t tiles = tiles_x * tiles_y;

    // Which buffers hold the tile sort's result depends on its pass count.
    const uint32_t tile_bits = std::max<uint32_t>(1, uint32_t(std::bit_width(tiles - 1)));
    const bool sorted_in_place = RadixSort::passes(tile_bits) % 2 == 0;

    gpu::FrameParams f{};
    f.means_opacity = scene.means_opacity();
    f.log_scales = scene.log_scales();
    f.rotations = scene.rotations();
    f.sh = scene.sh();
    f.cov3d = scene.cov3d();
    f.page_table = scene.page_table();
    f.page_shift = scene.page_shift();
    f.splat_geom = m_geom.address();
    f.splat_color = m_color.address();
    f.tile_rect = m_rect.address();
    f.visible_flags = m_visible_flags.address();
    f.visible_index = m_visible_index.address();
    f.depth_keys = m_depth_keys.address();
    f.depth_values = m_depth_values.address();
    f.tile_counts = m_tile_counts.address();
    f.tile_offsets = m_tile_offsets.address();
    f.instance_keys = m_instance_keys.address();
    f.instance_values = m_instance_values.address();
    f.sorted_keys = sorted_in_place ? m_instance_keys.address() : m_instance_keys_alt.address();
    f.sorted_values = sorted_in_place ? m_instance_values.address() : m_instance_values_alt.address();
    f.tile_ranges = m_ranges.address();
    f.out_color = m_out_color.address();
    f.out_depth = m_out_depth.address();
    f.centers = m_centers_buffer.address();
    f.display = m_display.address();
    f.counters = m_counters.address();
    const glm::mat3& R = camera.R; // column-major: R[col][row]
    f.rot_row0 = {R[0][0], R[1][0], R[2][0], 0.0f};
    f.rot_row1 = {R[0][1], R[1][1], R[2][1], 0.0f};
    f.rot_row2 = {R[0][2], R[1][2], R[2][2], 0.0f};
    f.translation = {camera.t.x, camera.t.y, camera.t.z, 0.0f};
    const glm::vec3 center = camera.center();
    f.camera_center = {center.x, center.y, center.z, 0.0f};
    f.intrinsics = {camera.fx, camera.fy, camera.cx, camera.cy};
    f.background = {settings.background.x, settings.background.y, settings.background.z, 0.0f};
    f.width = m_width;
    f.height = m_height;
    f.tiles_x = tiles_x;
    f.tiles_y = tiles_y;
    f.gaussian_count = n;
    f.sh_degree = uint32_t(std::clamp(settings.sh_degree, 0, scene.sh_degree()));
    f.sh_stride = scene.sh_stride();
    f.mode = mode_code(settings.mode);
    f.scale_modifier = settings.scale_modifier;
    f.near_plane = 0.01f;
    f.far_plane = 1e10f;
    f.eps2d = settings.eps2d;
    f.antialiased = settings.antialiased ? 1u : 0u;
    f.instance_capacity = m_instance_capacity;
    f.center_radius = uint32_t(std::clamp(settings.center_radius, 0, 16));
    f.display_bgra = target && is_bgra(target->format) ? 1u : 0u;

    gpu::FrameCounters counters{};
    counters.gaussians = n;
    counters.depth_min_bits = 0xffffffffu;

    if (timer) timer->begin(cmd);
    // The previous frame on this queue may still read these buffers.
    memory_barrier(cmd);
    vkCmdUpdateBuffer(cmd, m_frame.handle(), 0, sizeof(f), &f);
    vkCmdUpdateBuffer(cmd, m_counters.handle(), 0, sizeof(counters), &counters);
    vkCmdFillBuffer(cmd, m_ranges.handle(), 0, VkDeviceSize(tiles) * 8, 0);
    if (settings.mode == RenderMode::Centers)
        vkCmdFillBuffer(cmd, m_centers_buffer.handle(), 0, VkDeviceSize(m_width) * m_height * 4, 0xffffffffu);
    memory_barrier(cmd);

    const gpu::SplatPush push{m_frame.address()};
    const uint32_t gaussian_groups = std::max<uint32_t>(div_up(n, 256), 1);
    const VkDeviceAddress counter_base = m_counters.address();
    const VkDeviceAddress visible_count = counter_base + offsetof(gpu::FrameCounters, visible);
    const VkDeviceAddress instance_count = counter_base + offsetof(gpu::FrameCounters, instances);

    m_preprocess_pass.run(cmd, push, gaussian_groups);
    memory_barrier(cmd);
    if (timer) timer->mark(cmd, "preprocess");

    PrefixScan::Args visible_scan;
    visible_scan.source = m_visible_flags.address();
    visible_scan.destination = m_visible_index.address();
    visible_scan.count = counter_base + offsetof(gpu::FrameCounters, gaussians);
    visible_scan.total = visible_count;
    visible_scan.scratch = m_scan_scratch.address();
    visible_scan.max_count = std::max<uint32_t>(n, 1);
    m_scan.record(cmd, visible_scan);
    m_compact_pass.run(cmd, push, gaussian_groups);
    memory_barrier(cmd);
    if (timer) timer->mark(cmd, "compact");

    RadixSort::Args depth_sort{
        m_depth_keys.address(), m_depth_values.address(), m_depth_keys_alt.address(), m_depth_values_alt.address(),
        visible_count,          m_sort_scratch.address(), std::max<uint32_t>(n, 1)};
    // Depths are positive floats: their bits sort as unsigned integers, all 32 of them (4 passes,
    // so the result lands back in depth_keys/depth_values).
    m_sort.record(cmd, depth_sort, 32);
    if (timer) timer->mark(cmd, "depth sort");

    m_tile_counts_pass.run(cmd, push, gaussian_groups);
    memory_barrier(cmd);
    PrefixScan::Args tile_scan;
    tile_scan.source = m_tile_counts.address();
    tile_scan.destination = m_tile_offsets.address();
    tile_scan.count = visible_count;
    tile_scan.total = instance_count;
    tile_scan.scratch = m_scan_scratch.address();
    tile_scan.max_count = std::max<uint32_t>(n, 1);
    m_scan.record(cmd, tile_scan);
    m_keys_pass.run(cmd, push, gaussian_groups);
    memory_barrier(cmd);
    if (timer) timer->mark(cmd, "tile keys");

    RadixSort::Args tile_sort{m_instance_keys.address(),
                              m_instance_values.address(),
                              m_instance_keys_alt.address(),
                              m_instance_values_alt.address(),
                              instance_count,
                              m_sort_scratch.address(),
                              m_instance_capacity};
    m_sort.record(cmd, tile_sort, tile_bits);
    if (timer) timer->mark(cmd, "tile sort");

    m_ranges_pass.run(cmd, push, div_up(m_instance_capacity, 256));
    memory_barrier(cmd);
    if (timer) timer->mark(cmd, "tile ranges");

    m_raster_pass.run(cmd, push, tiles);
    memory_barrier(cmd);
    if (timer) timer->mark(cmd, "rasterize");

    if (settings.mode == RenderMode::Centers) {
        m_centers_pass.run(cmd, push, gaussian_groups);
        memory_barrier(cmd);
    }
    m_compose_pass.run(cmd, push, div_up(uint64_t(m_width) * m_height, 256));
    memory_barrier(cmd);
    if (target) {
        image_barrier(cmd, target->image, target->layout_before, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL);
        VkBufferImageCopy copy{};
        copy.imageSubresource = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 0, 1};
        copy.imageExtent = {m_width, m_height, 1};
        vkCmdCopyBufferToImage(cmd, m_display.handle(), target->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, 1, &copy);
        image_barrier(cmd, target->image, VK_IMAGE_LAYOUT_TRANSFER_DST_OPTIMAL, target->layout_after);
    }
    if (timer) timer->mark(cmd, "compose");

    VkBufferCopy copy{0, 0, sizeof(gpu::FrameCounters)};
    vkCmdCopyBuffer(cmd, m_counters.handle(), m_readback[slot % kFrameSlots].handle(), 1, &copy);
    host_read_barrier(cmd);
    m_recorded[slot % kFrameSlots] = true;
}

FrameResult SplatRenderer::finish(uint32_t slot, const TimestampQueries* timer) {
    FrameResult r;
    if (!m_recorded[slot % kFrameSlots]) return r;
    gpu::FrameCounters c{};
    std::memcpy(&c, m_readback[slot % kFrameSlots].mapped(), sizeof(c));
    r.stats.gaussians = c.gaussians;
    r.stats.visible = c.visible;
    r.stats.instances = c.instances;
    r.stats.max_tile_count = c.max_tile_count;
    if (c.visible > 0) {
        std::memcpy(&r.stats.depth_min, &c.depth_min_bits, 4);
        std::memcpy(&r.stats.depth_max, &c.depth_max_bits, 4);
    }
    if (timer) r.stats.passes = timer->read();
    for (auto& p : r.stats.passes) r.stats.gpu_ms += p.ms;
    r.stats.gpu_memory_bytes = m_context.allocator().bytes_reserved();
    if (c.instances > m_instance_capacity) {
        r.overflowed = true;
        m_instances_needed = c.instances;
        log::debug("splat renderer: ", c.instances, " tile instances exceed the room for ", m_instance_capacity,
                   "; growing");
    }
    return r;
}

VkDeviceSize SplatRenderer::bytes() const {
    VkDeviceSize total = 0;
    for (const Buffer* b : {&m_geom,
                            &m_color,
                            &m_rect,
                            &m_visible_flags,
                            &m_visible_index,
                            &m_depth_keys,
                            &m_depth_values,
                            &m_depth_keys_alt,
                            &m_depth_values_alt,
                            &m_tile_counts,
                            &m_tile_offsets,
                            &m_instance_keys,
                            &m_instance_values,
                            &m_instance_keys_alt,
                            &m_instance_values_alt,
                            &m_sort_scratch,
                            &m_scan_scratch,
                            &m_ranges,
                            &m_out_color,
                            &m_out_depth,
                            &m_centers_buffer,
                            &m_display})
        total += b->size();
    return total;
}

} // namespace splatscape::vk
