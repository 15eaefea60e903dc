#pragma once
// GPU timestamps around passes: mark(cmd, "sort") after the sort's commands; after the command
// buffer completed, read() gives each pass's milliseconds (time since the previous mark).
#include <cstdint>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "renderer/render_settings.hpp"
#include "renderer/vk/raii_vk.hpp"

namespace splatscape::vk {

class Context;

class TimestampQueries {
public:
    TimestampQueries() = default;
    TimestampQueries(Context& context, uint32_t capacity);

    bool enabled() const { return bool(m_pool); }
    // Starts a new set of marks in `cmd` (resets the queries); the first mark is the start time.
    void begin(VkCommandBuffer cmd);
    void mark(VkCommandBuffer cmd, const char* pass);
    // Durations between consecutive marks, after the command buffer has finished. Empty when the
    // device has no timestamps.
    std::vector<PassTiming> read() const;

private:
    VkDevice m_device = VK_NULL_HANDLE;
    UniqueQueryPool m_pool;
    uint32_t m_capacity = 0;
    double m_period_ns = 1.0;
    uint64_t m_mask = ~0ull;
    std::vector<std::string> m_names;
};

} // namespace splatscape::vk
