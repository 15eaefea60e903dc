#pragma once
// A reusable primary command buffer with its pool and fence: record, submit, wait; record again.
#include <vulkan/vulkan.h>

#include "renderer/vk/raii_vk.hpp"

namespace splatscape::vk {

class Context;

class CommandBuffer {
public:
    explicit CommandBuffer(Context& context);

    // Resets the buffer and begins recording into it.
    VkCommandBuffer begin();
    // Ends recording (making what the commands wrote visible to the host afterwards).
    void end();
    // Submits the recorded commands and waits for them; returns the wall-clock seconds that took.
    // The same recording may be submitted again.
    double submit_and_wait();
    VkCommandBuffer handle() const { return m_cmd; }

private:
    Context& m_context;
    UniqueCommandPool m_pool;
    VkCommandBuffer m_cmd = VK_NULL_HANDLE;
    UniqueFence m_fence;
};

} // namespace splatscape::vk
