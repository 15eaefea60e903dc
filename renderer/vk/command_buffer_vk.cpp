#include "renderer/vk/command_buffer_vk.hpp"

#include <chrono>

#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::vk {

CommandBuffer::CommandBuffer(Context& context) : m_context(context) {
    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_RESET_COMMAND_BUFFER_BIT;
    pool_info.queueFamilyIndex = context.queue_family();
    VkCommandPool pool = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateCommandPool(context.device(), &pool_info, nullptr, &pool));
    m_pool = UniqueCommandPool(context.device(), pool);
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    SPLATSCAPE_VK_CHECK(vkAllocateCommandBuffers(context.device(), &alloc, &m_cmd));
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateFence(context.device(), &fence_info, nullptr, &fence));
    m_fence = UniqueFence(context.device(), fence);
}

VkCommandBuffer CommandBuffer::begin() {
    SPLATSCAPE_VK_CHECK(vkResetCommandBuffer(m_cmd, 0));
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    SPLATSCAPE_VK_CHECK(vkBeginCommandBuffer(m_cmd, &begin));
    return m_cmd;
}

void CommandBuffer::end() {
    host_read_barrier(m_cmd);
    SPLATSCAPE_VK_CHECK(vkEndCommandBuffer(m_cmd));
}

double CommandBuffer::submit_and_wait() {
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &m_cmd;
    VkFence fence = m_fence;
    SPLATSCAPE_VK_CHECK(vkResetFences(m_context.device(), 1, &fence));
    const auto t0 = std::chrono::steady_clock::now();
    SPLATSCAPE_VK_CHECK(vkQueueSubmit(m_context.queue(), 1, &submit, fence));
    SPLATSCAPE_VK_CHECK(vkWaitForFences(m_context.device(), 1, &fence, VK_TRUE, UINT64_MAX));
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

} // namespace splatscape::vk
