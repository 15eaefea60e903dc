#include "renderer/vk/timestamps_vk.hpp"

#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::vk {

TimestampQueries::TimestampQueries(Context& context, uint32_t capacity)
    : m_device(context.device()), m_capacity(capacity), m_period_ns(context.timestamp_period_ns()) {
    if (!context.timestamps()) return;
    const uint32_t bits = context.timestamp_valid_bits();
    m_mask = bits >= 64 ? ~0ull : ((1ull << bits) - 1);
    VkQueryPoolCreateInfo info{VK_STRUCTURE_TYPE_QUERY_POOL_CREATE_INFO};
    info.queryType = VK_QUERY_TYPE_TIMESTAMP;
    info.queryCount = capacity;
    VkQueryPool pool = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateQueryPool(context.device(), &info, nullptr, &pool));
    m_pool = UniqueQueryPool(context.device(), pool);
}

void TimestampQueries::begin(VkCommandBuffer cmd) {
    m_names.clear();
    if (!m_pool) return;
    vkCmdResetQueryPool(cmd, m_pool, 0, m_capacity);
    mark(cmd, "start");
}

void TimestampQueries::mark(VkCommandBuffer cmd, const char* pass) {
    if (!m_pool || m_names.size() >= m_capacity) return;
    // Bottom of pipe: the time when every command recorded before has finished.
    vkCmdWriteTimestamp(cmd, VK_PIPELINE_STAGE_BOTTOM_OF_PIPE_BIT, m_pool, uint32_t(m_names.size()));
    m_names.emplace_back(pass);
}

std::vector<PassTiming> TimestampQueries::read() const {
    std::vector<PassTiming> out;
    if (!m_pool || m_names.size() < 2) return out;
    std::vector<uint64_t> ticks(m_names.size());
    SPLATSCAPE_VK_CHECK(vkGetQueryPoolResults(m_device, m_pool, 0, uint32_t(ticks.size()),
                                              ticks.size() * sizeof(uint64_t), ticks.data(), sizeof(uint64_t),
                                              VK_QUERY_RESULT_64_BIT | VK_QUERY_RESULT_WAIT_BIT));
    for (size_t i = 1; i < ticks.size(); ++i) {
        const uint64_t delta = (ticks[i] - ticks[i - 1]) & m_mask;
        out.push_back({m_names[i], double(delta) * m_period_ns * 1e-6});
    }
    return out;
}

} // namespace splatscape::vk
