#include "renderer/nerf_vk.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "core/log.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/timestamps_vk.hpp"
#include "shaders/shared/nerf_types.h"

namespace splatscape::vk {
namespace {

uint32_t div_up(uint64_t a, uint64_t b) {
    return uint32_t((a + b - 1) / b);
}

int sh_width(int degree) {
    return (degree + 1) * (degree + 1);
}

void check_buffer(VkDeviceSize bytes, VkDeviceSize limit, const std::string& where, const std::string& field,
                  const char* advice) {
    if (bytes > limit)
        throw Error(where, field,
                    cat(format_bytes(bytes), " in one buffer, but the Vulkan device allows at most ",
                        format_bytes(limit), " per buffer (", advice, ")"));
}

void check_grid(const NerfHashGrid& g, VkDeviceSize limit, const std::string& where, const std::string& field) {
    const int L = g.levels();
    if (L < 1 || L > int(gpu::kNerfMaxLevels) || g.offset.size() != size_t(L) + 1)
        throw Error(where, field + ".resolution",
                    cat("expected 1 to ", gpu::kNerfMaxLevels, " levels with one offset more (found ", L, ")"));
    if (g.features != 1 && g.features != 2 && g.features != 4 && g.features != 8)
        throw Error(where, field + ".features", "expected 1, 2, 4 or 8");
    if (L * g.features > int(gpu::kNerfMaxWidth))
        throw Error(where, field,
                    cat(L, " levels of ", g.features, " features; the Vulkan ray marcher holds at most ",
                        gpu::kNerfMaxWidth, " encoded values"));
    if (g.table_size == 0 || (g.table_size & (g.table_size - 1)) != 0)
        throw Error(where, field + ".table_size", "expected a power of two");
    if (g.offset[0] != 0) throw Error(where, field + ".offset[0]", "expected 0");
    for (int l = 0; l < L; ++l) {
        const uint64_t n = g.resolution[size_t(l)];
        if (n < 1 || n > (1u << 20)) throw Error(where, field + ".resolution", "expected 1 .. 2^20 cells per axis");
        const bool hashed = (g.hashed >> l) & 1u;
        const uint64_t vertices = (n + 1) * (n + 1) * (n + 1);
        if (g.offset[size_t(l) + 1] < g.offset[size_t(l)] ||
            g.offset[size_t(l) + 1] - uint64_t(g.offset[size_t(l)]) != (hashed ? uint64_t(g.table_size) : vertices))
            throw Error(where, cat(field, ".offset[", l + 1, "]"),
                        cat("level ", l, " does not match its resolution and table size"));
    }
    if (L < 32 && (g.hashed >> L) != 0) throw Error(where, field + ".hashed", "bits set beyond the levels");
    if (g.table.size() != g.rows() * size_t(g.features))
        throw Error(where, field + ".table",
                    cat("expected ", g.rows() * size_t(g.features), " values, found ", g.table.size()));
    check_buffer(VkDeviceSize(g.table.size()) * 4, limit, where, field + ".table", "use smaller hash tables");
}

void check_mlp(const NerfMlp& m, int inputs, int outputs, const std::string& where, const std::string& field) {
    if (m.widths.size() < 2 || m.widths.size() > size_t(gpu::kNerfMaxLayers) + 1)
        throw Error(where, field + ".widths", cat("expected 2 to ", gpu::kNerfMaxLayers + 1, " layer widths"));
    for (size_t i = 0; i < m.widths.size(); ++i)
        if (m.widths[i] < 1 || m.widths[i] > int(gpu::kNerfMaxWidth))
            throw Error(
                where, cat(field, ".widths[", i, "]"),
                cat(m.widths[i], " values; the Vulkan ray marcher holds 1 to ", gpu::kNerfMaxWidth, " per layer"));
    for (NerfActivation a : {m.hidden_activation, m.output_activation})
        if (int32_t(a) < 0 || int32_t(a) > 4) throw Error(where, field, "unknown activation");
    if (m.inputs() != inputs || m.outputs() != outputs)
        throw Error(
            where, field + ".widths",
            cat("expected ", inputs, " inputs and ", outputs, " outputs, found ", m.inputs(), " and ", m.outputs()));
    if (m.params.size() != m.parameter_count())
        throw Error(where, field + ".params",
                    cat("expected ", m.parameter_count(), " values, found ", m.params.size()));
}

gpu::NerfGrid grid_layout(const NerfHashGrid& g, VkDeviceAddress table) {
    gpu::NerfGrid out{};
    out.table = table;
    out.levels = uint32_t(g.levels());
    out.features = uint32_t(g.features);
    out.table_mask = g.table_size - 1u;
    out.hashed = g.hashed;
    for (int l = 0; l < g.levels(); ++l) out.resolution[l] = g.resolution[size_t(l)];
    for (int l = 0; l <= g.levels(); ++l) out.offset[l] = g.offset[size_t(l)];
    return out;
}

gpu::NerfNet net_layout(const NerfMlp& m, std::vector<float>& weights) {
    gpu::NerfNet out{};
    out.offset = uint32_t(weights.size());
    out.layers = uint32_t(m.layers());
    out.hidden_activation = uint32_t(m.hidden_activation);
    out.output_activation = uint32_t(m.output_activation);
    for (size_t i = 0; i < m.widths.size(); ++i) out.widths[i] = uint32_t(m.widths[i]);
    weights.insert(weights.end(), m.params.begin(), m.params.end());
    return out;
}

// Loop iterations the marching shader runs for one MLP (shaders/nerf.glsl run_net: per layer an
// iteration per output, its products 4 inputs an iteration and the rest one by one, the copy),
// and for one hash grid (its levels; the rest is unrolled). A little more than they are.
uint32_t net_loops(const NerfMlp& m) {
    uint32_t n = 2;
    for (int l = 0; l < m.layers(); ++l) {
        const uint32_t in = uint32_t(m.widths[size_t(l)]), out = uint32_t(m.widths[size_t(l) + 1]);
        n += 4 + out * (3 + in / 4 + in % 4) + out;
    }
    return n;
}

uint32_t grid_loops(const NerfHashGrid& g) {
    return uint32_t(g.levels()) + 2;
}

// On CPU drivers, a round's loops stay this far below llvmpipe's 65,535 iterations. The loop
// limiter counts a subgroup's iterations: the lanes evaluate their samples together (the busiest
// lane's samples count), but their steps through empty space interleave (all lanes' steps may).
constexpr uint32_t kCpuLoopBudget = 60000;
constexpr uint32_t kCpuRoundSteps = 128;
constexpr uint32_t kGpuRoundSamples = 64;
constexpr uint32_t kMaxRounds = 4096;

uint32_t mode_code(RenderMode mode) {
    switch (mode) {
    case RenderMode::Depth:
        return gpu::kNerfModeDepth;
    case RenderMode::Experts:
        return gpu::kNerfModeExperts;
    default:
        return gpu::kNerfModeColour;
    }
}

} // namespace

void check_nerf_scene(const NerfScene& s, VkDeviceSize limit, const std::string& where) {
    const int E = s.experts();
    if (E < 1 || E > int(gpu::kNerfMaxExperts))
        throw Error(where, "experts", cat(E, " experts; the Vulkan ray marcher draws 1 to ", gpu::kNerfMaxExperts));
    if (s.expert_grids.size() != size_t(E))
        throw Error(where, "expert_grids", cat("expected one grid per expert MLP (", E, ")"));
    if (s.cascades < 1 || s.cascades > int(gpu::kNerfMaxCascades) || s.resolution < 8 || s.resolution > 512 ||
        s.resolution % 8 != 0)
        throw Error(where, "occupancy", "expected 1 .. 8 cascades of 8 .. 512 cells per axis (a multiple of 8)");
    const uint64_t cells = uint64_t(s.cascades) * uint64_t(s.resolution) * uint64_t(s.resolution) * s.resolution;
    if (s.occupancy.size() != (cells + 31) / 32)
        throw Error(where, "occupancy", cat("expected ", (cells + 31) / 32, " words for the cascades and resolution"));
    if (!(s.scale > 0.0f) || !(s.min_step > 0.0f) || !(s.max_step >= s.min_step) || s.max_samples < 1 ||
        !(s.cone_angle >= 0.0f))
        throw Error(where, "space", "scale, steps and max_samples must be positive, cone_angle not negative");
    if (s.sh_degree < 0 || s.sh_degree > 3) throw Error(where, "sh_degree", "expected 0 .. 3");
    if (s.geometry_features < 0) throw Error(where, "geometry_features", "expected at least 0");
    check_grid(s.gate_grid, limit, where, "gate_grid");
    check_mlp(s.gate_mlp, s.gate_grid.levels() * s.gate_grid.features, E, where, "gate_mlp");
    for (int e = 0; e < E; ++e) {
        const NerfHashGrid& g = s.expert_grids[size_t(e)];
        check_grid(g, limit, where, cat("expert_grids[", e, "]"));
        check_mlp(s.expert_mlps[size_t(e)], g.levels() * g.features, 1 + s.geometry_features, where,
                  cat("expert_mlps[", e, "]"));
    }
    check_mlp(s.colour_mlp, 1 + s.geometry_features + sh_width(s.sh_degree) + int(s.appearance.size()), 3, where,
              "colour_mlp");
    size_t weights = s.gate_mlp.params.size() + s.colour_mlp.params.size() + s.appearance.size();
    for (const NerfMlp& m : s.expert_mlps) weights += m.params.size();
    check_buffer(VkDeviceSize(weights) * 4, limit, where, "expert_mlps", "use smaller networks");
    check_buffer(VkDeviceSize(s.occupancy.size()) * 4, limit, where, "occupancy", "use a coarser occupancy grid");
}

GpuNerfScene::GpuNerfScene(Context& context, const NerfScene& s, const std::string& where) {
    check_nerf_scene(s, context.max_buffer_size(), where);
    m_experts = s.experts();
    m_parameters = s.parameter_count();
    m_centre = s.center;
    m_scale = s.scale;
    m_cascades = s.cascades;
    m_resolution = s.resolution;
    m_max_samples = s.max_samples;
    m_min_step = s.min_step;
    m_max_step = s.max_step;
    m_cone_angle = s.cone_angle;
    m_stop_transmittance = s.stop_transmittance;
    m_geometry_features = s.geometry_features;
    m_sh_degree = s.sh_degree;
    m_appearance_dims = int(s.appearance.size());
    for (int e = 0; e < m_experts; ++e) m_expert_colours.push_back(nerf_expert_colour(e, m_experts));

    std::vector<gpu::NerfGrid> grids;
    m_tables.push_back(storage_buffer(context, s.gate_grid.table, "NeRF gate hash table"));
    grids.push_back(grid_layout(s.gate_grid, m_tables.back().address()));
    for (int e = 0; e < m_experts; ++e) {
        const std::string name = cat("NeRF expert ", e, " hash table");
        m_tables.push_back(storage_buffer(context, s.expert_grids[size_t(e)].table, name.c_str()));
        grids.push_back(grid_layout(s.expert_grids[size_t(e)], m_tables.back().address()));
    }
    std::vector<float> weights;
    std::vector<gpu::NerfNet> nets;
    nets.push_back(net_layout(s.gate_mlp, weights));
    nets.push_back(net_layout(s.colour_mlp, weights));
    for (const NerfMlp& m : s.expert_mlps) nets.push_back(net_layout(m, weights));
    m_appearance_offset = uint32_t(weights.size());
    uint32_t expert_loops = 0;
    for (int e = 0; e < m_experts; ++e)
        expert_loops =
            std::max(expert_loops, grid_loops(s.expert_grids[size_t(e)]) + net_loops(s.expert_mlps[size_t(e)]));
    m_sample_loops = grid_loops(s.gate_grid) + net_loops(s.gate_mlp) + 2 * uint32_t(m_experts) + 4 + expert_loops +
                     uint32_t(s.geometry_features) + 4;
    m_sample_loops_colour = m_sample_loops + net_loops(s.colour_mlp) + uint32_t(m_appearance_dims) + 2;
    weights.insert(weights.end(), s.appearance.begin(), s.appearance.end());
    m_grids = storage_buffer(context, grids, "NeRF grid layouts");
    m_nets = storage_buffer(context, nets, "NeRF network layouts");
    m_weights = storage_buffer(context, weights, "NeRF network weights");
    m_occupancy = storage_buffer(context, s.occupancy, "NeRF occupancy bits");
}

VkDeviceSize GpuNerfScene::bytes() const {
    VkDeviceSize total = m_grids.size() + m_nets.size() + m_weights.size() + m_occupancy.size();
    for (const Buffer& b : m_tables) total += b.size();
    return total;
}

NerfRenderer::NerfRenderer(Context& context)
    : m_context(context), m_rays_pass(context, "nerf_rays", sizeof(gpu::NerfPush)),
      m_march_pass(context, "nerf_march", sizeof(gpu::NerfPush)),
      m_dispatch_pass(context, "nerf_dispatch", sizeof(gpu::NerfPush)),
      m_resolve_pass(context, "nerf_resolve", sizeof(gpu::NerfPush)),
      m_compose_pass(context, "nerf_compose", sizeof(gpu::NerfPush)),
      m_params(storage_buffer(context, sizeof(gpu::NerfFrameParams), "NeRF frame parameters")),
      m_counters(storage_buffer(context, sizeof(gpu::NerfCounters), "NeRF frame counters")),
      m_dispatch(context, 2 * sizeof(gpu::NerfDispatch),
                 VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT |
                     VK_BUFFER_USAGE_TRANSFER_DST_BIT,
                 MemoryUsage::GpuOnly, "NeRF marching rounds") {
    for (auto& r : m_readback)
        r = Buffer(context, sizeof(gpu::NerfCounters), VK_BUFFER_USAGE_TRANSFER_DST_BIT, MemoryUsage::Readback,
                   "NeRF counter read-back");
}

void NerfRenderer::prepare(const GpuNerfScene& scene, uint32_t width, uint32_t height, RenderMode mode) {
    if (width == 0 || height == 0) throw Error(cat("cannot render an image of ", width, "x", height, " pixels"));
    const VkDeviceSize pixels = VkDeviceSize(width) * height;
    const VkDeviceSize weights = mode == RenderMode::Experts ? pixels * VkDeviceSize(scene.experts()) * 4 : 0;
    const bool grow = !m_pixels || m_pixels.size() < pixels * sizeof(gpu::NerfPixel) ||
                      (weights > 0 && (!m_expert_weights || m_expert_weights.size() < weights));
    if (grow) {
        m_context.wait_idle(); // frames in flight may use the old buffers
        const VkDeviceSize room =
            std::max<VkDeviceSize>(pixels, m_pixels ? m_pixels.size() / sizeof(gpu::NerfPixel) : 0);
        m_pixels = storage_buffer(m_context, room * sizeof(gpu::NerfPixel), "NeRF pixels");
        m_display = storage_buffer(m_context, room * 4, "NeRF display pixels");
        m_rays = storage_buffer(m_context, room * sizeof(gpu::NerfRay), "NeRF rays");
        m_lists = storage_buffer(m_context, room * 8, "NeRF lists of rays to march");
        if (weights > 0 || m_expert_weights)
            m_expert_weights = storage_buffer(
                m_context, std::max<VkDeviceSize>(weights, m_expert_weights ? m_expert_weights.size() : 0),
                "NeRF expert weights");
    }
    m_width = width;
    m_height = height;
}

void NerfRenderer::record(VkCommandBuffer cmd, const GpuNerfScene& scene, const Camera& camera,
                          const RenderSettings& settings, const RenderTarget* target, TimestampQueries* timer,
                          uint32_t slot) {
    if (m_width == 0) throw Error("NerfRenderer::record: prepare() was not called");
    if (uint32_t(camera.width) != m_width || uint32_t(camera.height) != m_height)
        throw Error(cat("NerfRenderer::record: the camera is ", camera.width, "x", camera.height,
                        " but prepare() was for ", m_width, "x", m_height));
    if (!(camera.fx > 0.0f) || !(camera.fy > 0.0f))
        throw Error("cannot render with a camera whose focal length is not positive");
    if (target && !is_supported_target_format(target->format))
        throw Error("render target format must be 8-bit RGBA or BGRA");
    const uint32_t mode = mode_code(settings.mode);
    const VkDeviceSize pixels = VkDeviceSize(m_width) * m_height;
    if (mode == gpu::kNerfModeExperts &&
        (!m_expert_weights || m_expert_weights.size() < pixels * VkDeviceSize(scene.experts()) * 4))
        throw Error("NerfRenderer::record: prepare() was not called for the experts mode");

    // How much of a ray one round marches, and the rounds that finish every ray.
    uint32_t round_samples = kGpuRoundSamples, round_steps = 0xffffffffu;
    const uint64_t max_steps = 3ull * uint64_t(scene.m_resolution) * uint64_t(scene.m_cascades) + 64;
    uint64_t rounds = 0;
    if (m_context.info().type == VK_PHYSICAL_DEVICE_TYPE_CPU) {
        const uint32_t sample = scene.sample_loops(mode == gpu::kNerfModeColour) + 8;
        const uint32_t step = 2 * uint32_t(scene.m_cascades) + 10;
        const uint32_t overhead = 4 * uint32_t(scene.experts()) + 64 +
                                  std::max<uint32_t>(m_context.subgroup_size(), 1) * kCpuRoundSteps * step;
        if (overhead + 2 * sample > kCpuLoopBudget)
            throw Error(cat("the NeRF's networks run about ", sample,
                            " loop iterations a sample, more than the CPU Vulkan driver '", m_context.info().name,
                            "' runs in one shader invocation (65,535 in all): render it with --renderer cpu"));
        round_samples = std::min<uint32_t>((kCpuLoopBudget - overhead) / sample - 1, kGpuRoundSamples);
        round_steps = kCpuRoundSteps;
        rounds = (max_steps + round_steps - 1) / round_steps;
    }
    rounds += (uint64_t(scene.m_max_samples) + round_samples - 1) / round_samples + 1;
    m_rounds = uint32_t(std::min<uint64_t>(rounds, kMaxRounds));
    m_round_samples = round_samples;

    gpu::NerfFrameParams p{};
    p.grids = scene.m_grids.address();
    p.nets = scene.m_nets.address();
    p.weights = scene.m_weights.address();
    p.occupancy = scene.m_occupancy.address();
    p.pixels = m_pixels.address();
    p.display = m_display.address();
    p.counters = m_counters.address();
    p.rays = m_rays.address();
    p.lists = m_lists.address();
    p.dispatch = m_dispatch.address();
    p.expert_weights = m_expert_weights ? m_expert_weights.address() : 0;
    // nerf_camera_row: rows of the camera-to-world rotation (glm is column-major), the centre.
    const glm::mat4 c2w = camera.camera_to_world();
    p.rot0 = {c2w[0][0], c2w[1][0], c2w[2][0], 0.0f};
    p.rot1 = {c2w[0][1], c2w[1][1], c2w[2][1], 0.0f};
    p.rot2 = {c2w[0][2], c2w[1][2], c2w[2][2], 0.0f};
    const glm::vec3 c = camera.center();
    p.centre = {c.x, c.y, c.z, 0.0f};
    p.intrinsics = {camera.fx, camera.fy, camera.cx, camera.cy};
    const glm::vec3 axis = camera.forward();
    p.axis = {axis.x, axis.y, axis.z, 0.0f};
    p.background = {settings.background.x, settings.background.y, settings.background.z, 0.0f};
    // kern::NerfSpace's quotients, computed as the CPU computes them.
    p.space_centre = {scene.m_centre.x, scene.m_centre.y, scene.m_centre.z, 1.0f / scene.m_scale};
    float cell[8] = {};
    for (int k = 0; k < scene.m_cascades; ++k) cell[k] = float(1 << k) / float(scene.m_resolution);
    p.cell_size_lo = {cell[0], cell[1], cell[2], cell[3]};
    p.cell_size_hi = {cell[4], cell[5], cell[6], cell[7]};
    p.scale = scene.m_scale;
    p.outer_half = 0.5f * float(1 << (scene.m_cascades - 1));
    p.to_network = 0.5f / p.outer_half;
    p.min_step = scene.m_min_step;
    p.max_step = scene.m_max_step;
    p.cone_angle = scene.m_cone_angle;
    p.stop_transmittance = scene.m_stop_transmittance;
    p.cascades = uint32_t(scene.m_cascades);
    p.resolution = uint32_t(scene.m_resolution);
    p.max_samples = uint32_t(scene.m_max_samples);
    p.experts = uint32_t(scene.m_experts);
    p.geometry_features = uint32_t(scene.m_geometry_features);
    p.sh_degree = uint32_t(scene.m_sh_degree);
    p.appearance_dims = uint32_t(scene.m_appearance_dims);
    p.appearance_offset = scene.m_appearance_offset;
    p.width = m_width;
    p.height = m_height;
    p.blocks_x = div_up(m_width, gpu::kNerfBlock);
    p.mode = mode;
    p.display_bgra = target && is_bgra(target->format) ? 1u : 0u;
    p.round_samples = round_samples;
    p.round_steps = round_steps;
    for (size_t e = 0; e < scene.m_expert_colours.size(); ++e) {
        const glm::vec3& col = scene.m_expert_colours[e];
        p.expert_colours[e] = {col.x, col.y, col.z, 1.0f};
    }
    gpu::NerfCounters counters{};
    counters.depth_min_bits = 0xffffffffu;

    if (timer) timer->begin(cmd);
    // The previous frame on this queue may still read these buffers.
    memory_barrier(cmd);
    vkCmdUpdateBuffer(cmd, m_params.handle(), 0, sizeof(p), &p);
    vkCmdUpdateBuffer(cmd, m_counters.handle(), 0, sizeof(counters), &counters);
    memory_barrier(cmd);
    const VkDeviceAddress params = m_params.address();
    m_rays_pass.run(cmd, gpu::NerfPush{params, 0, 0}, p.blocks_x * div_up(m_height, gpu::kNerfBlock));
    memory_barrier(cmd);
    m_dispatch_pass.run(cmd, gpu::NerfPush{params, 0, 0}, 1);
    indirect_barrier(cmd);
    if (timer) timer->mark(cmd, "rays");
    for (uint32_t r = 0; r < m_rounds; ++r) {
        const uint32_t list = r % 2;
        m_march_pass.run_indirect(cmd, gpu::NerfPush{params, list, 0}, m_dispatch.handle(),
                                  VkDeviceSize(list) * sizeof(gpu::NerfDispatch));
        memory_barrier(cmd);
        m_dispatch_pass.run(cmd, gpu::NerfPush{params, 1 - list, 0}, 1);
        indirect_barrier(cmd);
    }
    if (timer) timer->mark(cmd, "march");
    const uint32_t pixel_groups = div_up(pixels, gpu::kNerfPixelThreads);
    m_resolve_pass.run(cmd, gpu::NerfPush{params, 0, 0}, pixel_groups);
    memory_barrier(cmd);
    if (timer) timer->mark(cmd, "resolve");
    m_compose_pass.run(cmd, gpu::NerfPush{params, 0, 0}, pixel_groups);
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
    VkBufferCopy copy{0, 0, sizeof(gpu::NerfCounters)};
    vkCmdCopyBuffer(cmd, m_counters.handle(), m_readback[slot % kFrameSlots].handle(), 1, &copy);
    host_read_barrier(cmd);
    m_recorded[slot % kFrameSlots] = true;
    m_parameters[slot % kFrameSlots] = scene.parameters();
}

FrameResult NerfRenderer::finish(uint32_t slot, const TimestampQueries* timer) {
    FrameResult r;
    if (!m_recorded[slot % kFrameSlots]) return r;
    gpu::NerfCounters c{};
    std::memcpy(&c, m_readback[slot % kFrameSlots].mapped(), sizeof(c));
    r.stats.samples = c.samples;
    r.stats.visible = c.hit;
    r.stats.parameters = m_parameters[slot % kFrameSlots];
    r.stats.unfinished = c.unfinished;
    if (c.depth_min_bits <= c.depth_max_bits) {
        std::memcpy(&r.stats.depth_min, &c.depth_min_bits, 4);
        std::memcpy(&r.stats.depth_max, &c.depth_max_bits, 4);
    }
    if (c.unfinished > 0)
        log::warn("NeRF ray marcher: ", c.unfinished, " rays were still marching after the last of ", m_rounds,
                  " rounds");
    if (timer) r.stats.passes = timer->read();
    for (auto& p : r.stats.passes) r.stats.gpu_ms += p.ms;
    r.stats.gpu_memory_bytes = m_context.allocator().bytes_reserved();
    return r;
}

VkDeviceSize NerfRenderer::bytes() const {
    VkDeviceSize total = 0;
    for (const Buffer* b :
         {&m_params, &m_counters, &m_dispatch, &m_pixels, &m_display, &m_rays, &m_lists, &m_expert_weights})
        total += b->size();
    return total;
}

} // namespace splatscape::vk
