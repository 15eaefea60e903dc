#include "renderer/tile_streamer_vk.hpp"

#include <algorithm>
#include <chrono>
#include <cstring>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/log.hpp"
#include "renderer/splat_renderer_vk.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::vk {
namespace {

constexpr VkBufferUsageFlags kPoolUsage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT;
constexpr size_t kBatches = 3;

uint64_t div_up(uint64_t a, uint64_t b) {
    return (a + b - 1) / b;
}

} // namespace

uint64_t TileStreamer::page_bytes() const {
    return uint64_t(m_page_splats) * (3 * 16 + uint64_t(m_sh_coeffs) * 12);
}

TileStreamer::TileStreamer(Context& context, TileTree tree, const StreamingOptions& options)
    : m_context(context), m_tree(std::move(tree)), m_options(options) {
    if (m_tree.empty()) throw Error("the tiled scene has no tiles");
    if (options.page_shift < 6 || options.page_shift > 20) throw Error("page_shift must be within 6..20");
    m_sh_coeffs = sh_coeff_count(m_tree.sh_degree);
    m_page_splats = 1u << options.page_shift;
    uint64_t budget = options.budget_bytes;
    if (budget == 0) budget = std::min<uint64_t>(context.device_local_bytes() / 4, uint64_t(4) << 30);
    // Every pool buffer must fit one Vulkan buffer; the SH buffer is the largest.
    const uint64_t largest_row = std::max<uint64_t>(16, uint64_t(m_sh_coeffs) * 12);
    const uint64_t max_pages = context.max_buffer_size() / (uint64_t(m_page_splats) * largest_row);
    m_pages = std::min(budget / page_bytes(), max_pages);
    if (m_pages == 0)
        throw Error(cat("a memory budget of ", format_bytes(budget), " holds no page of ", m_page_splats, " splats (",
                        format_bytes(page_bytes()), "): raise --budget-mb"));
    if (m_pages > uint64_t(UINT32_MAX) >> options.page_shift) m_pages = uint64_t(UINT32_MAX) >> options.page_shift;
    const uint64_t n = m_pages * m_page_splats;
    m_means = Buffer(context, n * 16, kPoolUsage, MemoryUsage::GpuOnly, "tile pool means", true);
    m_scales = Buffer(context, n * 16, kPoolUsage, MemoryUsage::GpuOnly, "tile pool scales", true);
    m_rotations = Buffer(context, n * 16, kPoolUsage, MemoryUsage::GpuOnly, "tile pool rotations", true);
    m_sh = Buffer(context, n * uint64_t(m_sh_coeffs) * 12, kPoolUsage, MemoryUsage::GpuOnly, "tile pool SH", true);
    m_free_pages.resize(m_pages);
    for (uint64_t p = 0; p < m_pages; ++p) m_free_pages[p] = uint32_t(m_pages - 1 - p);
    for (uint32_t s = 0; s < SplatRenderer::kFrameSlots; ++s) {
        m_page_tables.emplace_back(context, m_pages * 16, VK_BUFFER_USAGE_STORAGE_BUFFER_BIT, MemoryUsage::Upload,
                                   "tile page table");
        m_scenes.push_back(nullptr);
    }
    m_tile_pages.resize(m_tree.nodes.size());
    m_tile_splats.assign(m_tree.nodes.size(), 0);

    uint64_t largest_tile = 0;
    for (const TileNode& t : m_tree.nodes) largest_tile = std::max(largest_tile, t.splats);
    const uint64_t staging =
        std::max<uint64_t>(options.upload_bytes_per_frame / kBatches,
                           std::max<uint64_t>(largest_tile, 1 << 16) * page_bytes() / m_page_splats);
    m_batches.resize(kBatches);
    for (UploadBatch& b : m_batches) {
        b.staging = Buffer(context, staging, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, MemoryUsage::Upload, "tile staging");
        VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
        pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
        pool_info.queueFamilyIndex = context.transfer_queue_family();
        VkCommandPool pool = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateCommandPool(context.device(), &pool_info, nullptr, &pool));
        b.pool = UniqueCommandPool(context.device(), pool);
        VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
        alloc.commandPool = pool;
        alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
        alloc.commandBufferCount = 1;
        SPLATSCAPE_VK_CHECK(vkAllocateCommandBuffers(context.device(), &alloc, &b.cmd));
        VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
        VkFence fence = VK_NULL_HANDLE;
        SPLATSCAPE_VK_CHECK(vkCreateFence(context.device(), &fence_info, nullptr, &fence));
        b.fence = UniqueFence(context.device(), fence);
    }

    SelectionBudget sb;
    sb.max_splats = options.budget_splats ? options.budget_splats : std::numeric_limits<uint64_t>::max();
    sb.max_bytes = m_pages * page_bytes();
    sb.tau_px = options.tau_px;
    sb.fade_frames = options.fade_frames;
    const uint64_t pb = page_bytes(), ps = m_page_splats;
    m_selector =
        std::make_unique<LodSelector>(m_tree, sb, [pb, ps](uint64_t splats) { return div_up(splats, ps) * pb; });
    m_messages = m_tree.problems;
    m_stats.tiles = m_tree.nodes.size();
    m_stats.pool_bytes = m_pages * page_bytes();
    m_stats.page_bytes = page_bytes();
    m_stats.pages_total = m_pages;
    for (int i = 0; i < std::max(1, options.loader_threads); ++i) m_threads.emplace_back([this] { loader_main(); });
}

TileStreamer::~TileStreamer() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_wake.notify_all();
    for (std::thread& t : m_threads) t.join();
    finish_uploads(true);
    m_context.wait_idle(); // frames in flight may still read the pool
}

void TileStreamer::loader_main() {
    for (;;) {
        int tile = -1;
        {
            std::unique_lock lock(m_mutex);
            m_wake.wait(lock, [&] { return m_stop || !m_requests.empty(); });
            if (m_stop) return;
            tile = m_requests.front();
            m_requests.pop_front();
        }
        auto out = std::make_unique<Loaded>();
        out->tile = tile;
        try {
            const GaussianCloud c = load_tile(m_tree, tile);
            const size_t n = c.size();
            out->count = n;
            out->file_bytes = m_tree.nodes[size_t(tile)].bytes;
            out->means.resize(n * 4);
            out->scales.resize(n * 4);
            out->rotations = c.rotations;
            out->sh = c.sh;
            for (size_t i = 0; i < n; ++i) {
                for (int a = 0; a < 3; ++a) {
                    out->means[4 * i + a] = c.positions[3 * i + a];
                    out->scales[4 * i + a] = c.log_scales[3 * i + a];
                }
                out->means[4 * i + 3] = c.opacities[i];
                out->scales[4 * i + 3] = 0.0f;
            }
        } catch (const std::exception& e) {
            out->error = e.what();
        }
        std::lock_guard lock(m_mutex);
        m_done.push_back(std::move(out));
    }
}

void TileStreamer::release_pages(int tile) {
    std::vector<uint32_t>& pages = m_tile_pages[size_t(tile)];
    if (!pages.empty()) m_retired.emplace_back(m_frame, std::move(pages));
    pages.clear();
    m_tile_splats[size_t(tile)] = 0;
}

void TileStreamer::finish_uploads(bool wait) {
    for (UploadBatch& b : m_batches) {
        if (!b.busy) continue;
        VkFence fence = b.fence;
        if (wait) SPLATSCAPE_VK_CHECK(vkWaitForFences(m_context.device(), 1, &fence, VK_TRUE, UINT64_MAX));
        if (vkGetFenceStatus(m_context.device(), fence) != VK_SUCCESS) continue;
        b.busy = false;
        for (auto [tile, count] : b.tiles)
            if (!m_selector->set_state(tile, TileResidency::Resident, count)) release_pages(tile);
        b.tiles.clear();
    }
}

void TileStreamer::start_uploads() {
    {
        std::lock_guard lock(m_mutex);
        while (!m_done.empty()) {
            m_arrived.push_back(std::move(m_done.front()));
            m_done.pop_front();
        }
    }
    uint64_t budget = m_options.upload_bytes_per_frame;
    for (UploadBatch& b : m_batches) {
        if (b.busy || m_arrived.empty() || budget == 0) continue;
        VkDeviceSize used = 0;
        std::vector<VkBufferCopy> copies[4];
        while (!m_arrived.empty()) {
            Loaded& l = *m_arrived.front();
            if (!l.error.empty()) {
                m_selector->set_state(l.tile, TileResidency::Failed);
                m_messages.push_back(cat(l.error, " (tile ", l.tile, " skipped)"));
                m_arrived.pop_front();
                continue;
            }
            const uint64_t rows[4] = {16, 16, 16, uint64_t(m_sh_coeffs) * 12};
            const uint64_t bytes = l.count * (rows[0] + rows[1] + rows[2] + rows[3]);
            if (used + bytes > b.staging.size()) {
                if (used == 0) { // larger than a staging buffer: cannot be streamed
                    m_selector->set_state(l.tile, TileResidency::Failed);
                    m_messages.push_back(cat("tile ", l.tile, ": ", l.count, " splats are more than one upload holds"));
                    m_arrived.pop_front();
                    continue;
                }
                break;
            }
            const uint64_t need = div_up(l.count, m_page_splats);
            if (need > m_free_pages.size()) {
                // Larger than announced and no room: let the selection ask again later.
                m_selector->set_state(l.tile, TileResidency::Absent);
                m_arrived.pop_front();
                continue;
            }
            std::vector<uint32_t>& pages = m_tile_pages[size_t(l.tile)];
            for (uint64_t k = 0; k < need; ++k) {
                pages.push_back(m_free_pages.back());
                m_free_pages.pop_back();
            }
            const float* src[4] = {l.means.data(), l.scales.data(), l.rotations.data(), l.sh.data()};
            for (int a = 0; a < 4; ++a) {
                std::memcpy(b.staging.mapped() + used, src[a], l.count * rows[a]);
                for (uint64_t k = 0; k < need; ++k) {
                    const uint64_t first = k * m_page_splats,
                                   count = std::min<uint64_t>(m_page_splats, l.count - first);
                    copies[a].push_back(
                        {used + first * rows[a], uint64_t(pages[k]) * m_page_splats * rows[a], count * rows[a]});
                }
                used += l.count * rows[a];
            }
            m_tile_splats[size_t(l.tile)] = l.count;
            b.tiles.emplace_back(l.tile, l.count);
            m_stats.loaded_total += 1;
            m_stats.bytes_read += l.file_bytes;
            m_arrived.pop_front();
        }
        if (b.tiles.empty()) continue;
        budget = used >= budget ? 0 : budget - used;
        SPLATSCAPE_VK_CHECK(vkResetCommandBuffer(b.cmd, 0));
        VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
        begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
        SPLATSCAPE_VK_CHECK(vkBeginCommandBuffer(b.cmd, &begin));
        const Buffer* dst[4] = {&m_means, &m_scales, &m_rotations, &m_sh};
        for (int a = 0; a < 4; ++a)
            if (!copies[a].empty())
                vkCmdCopyBuffer(b.cmd, b.staging.handle(), dst[a]->handle(), uint32_t(copies[a].size()),
                                copies[a].data());
        SPLATSCAPE_VK_CHECK(vkEndCommandBuffer(b.cmd));
        VkFence fence = b.fence;
        SPLATSCAPE_VK_CHECK(vkResetFences(m_context.device(), 1, &fence));
        VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
        submit.commandBufferCount = 1;
        submit.pCommandBuffers = &b.cmd;
        SPLATSCAPE_VK_CHECK(vkQueueSubmit(m_context.transfer_queue(), 1, &submit, fence));
        b.busy = true;
    }
}

void TileStreamer::set_budget(uint64_t splats, uint64_t bytes, double tau_px) {
    SelectionBudget b = m_selector->budget();
    b.max_splats = splats ? splats : std::numeric_limits<uint64_t>::max();
    b.max_bytes = bytes ? std::min(bytes, m_pages * page_bytes()) : m_pages * page_bytes();
    b.tau_px = tau_px;
    m_selector->set_budget(b);
}

const GpuScene& TileStreamer::update(const Camera& camera, uint32_t slot) {
    slot %= SplatRenderer::kFrameSlots;
    ++m_frame;
    // Pages dropped kFrameSlots frames ago are no longer read by any frame in flight.
    while (!m_retired.empty() && m_retired.front().first + SplatRenderer::kFrameSlots <= m_frame) {
        for (uint32_t p : m_retired.front().second) m_free_pages.push_back(p);
        m_retired.pop_front();
    }
    finish_uploads(false);
    start_uploads();
    const size_t in_flight = m_selector->loading_tiles();
    m_plan = m_selector->plan(camera, in_flight >= m_options.max_in_flight ? 0 : m_options.max_in_flight - in_flight);
    for (int t : m_plan.evict) release_pages(t);
    if (!m_plan.load.empty()) {
        {
            std::lock_guard lock(m_mutex);
            for (int t : m_plan.load) m_requests.push_back(t);
        }
        m_wake.notify_all();
    }

    // The page table of this slot: the drawn tiles' pages.
    auto* table = m_page_tables[slot].data<uint32_t>();
    uint64_t entries = 0;
    for (const DrawnTile& d : m_plan.draw) {
        const std::vector<uint32_t>& pages = m_tile_pages[size_t(d.tile)];
        uint64_t left = m_tile_splats[size_t(d.tile)];
        for (size_t k = 0; k < pages.size() && entries < m_pages; ++k) {
            table[4 * entries] = pages[k];
            table[4 * entries + 1] = uint32_t(std::min<uint64_t>(m_page_splats, left));
            std::memcpy(&table[4 * entries + 2], &d.fade, 4);
            table[4 * entries + 3] = 0;
            left -= std::min<uint64_t>(m_page_splats, left);
            ++entries;
        }
    }
    GpuScene::External e;
    e.count = uint32_t(entries * m_page_splats);
    e.sh_degree = m_tree.sh_degree;
    e.means_opacity = m_means.address();
    e.log_scales = m_scales.address();
    e.rotations = m_rotations.address();
    e.sh = m_sh.address();
    e.page_table = m_page_tables[slot].address();
    e.page_shift = m_options.page_shift;
    m_scenes[slot] = std::make_unique<GpuScene>(e);
    m_last_external = e;

    m_stats.resident_tiles = m_selector->resident_tiles();
    m_stats.loading_tiles = m_selector->loading_tiles();
    m_stats.failed_tiles = m_selector->failed_tiles();
    m_stats.drawn_tiles = m_plan.draw.size();
    m_stats.desired_tiles = m_plan.desired.size();
    m_stats.resident_splats = m_selector->resident_splats();
    m_stats.drawn_splats = m_plan.drawn_splats;
    m_stats.resident_bytes = m_selector->resident_bytes();
    m_stats.pages_used = m_pages - m_free_pages.size();
    m_stats.budget_splats = m_selector->budget().max_splats;
    m_stats.budget_bytes = m_selector->budget().max_bytes;
    m_stats.refined = m_plan.refined;
    return *m_scenes[slot];
}

bool TileStreamer::settle(const Camera& camera, double seconds) {
    const auto start = std::chrono::steady_clock::now();
    for (;;) {
        m_context.wait_idle();
        update(camera, 0);
        if (m_plan.refined) return true;
        if (std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() > seconds) return false;
        finish_uploads(true);
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

std::vector<std::string> TileStreamer::take_messages() {
    std::vector<std::string> out;
    out.swap(m_messages);
    return out;
}

} // namespace splatscape::vk
