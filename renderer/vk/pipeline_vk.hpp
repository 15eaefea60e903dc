#pragma once
// Compute pipelines built from the embedded SPIR-V. All data goes through buffer device addresses
// in push constants, so the pipelines have no descriptor sets.
#include <cstdint>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "renderer/vk/raii_vk.hpp"

namespace splatscape::vk {

class Context;

class ComputePipeline {
public:
    ComputePipeline() = default;
    // `shader` is the .comp file name without extension. Specialisation constants get ids 0, 1, ...
    // in the order given. When the device allows it, the pipeline requires the subgroup size the
    // context reports (and full subgroups), which shaders that size shared arrays by it rely on.
    ComputePipeline(Context& context, const std::string& shader, uint32_t push_constant_size,
                    const std::vector<uint32_t>& specialization = {});

    VkPipeline pipeline() const { return m_pipeline; }
    VkPipelineLayout layout() const { return m_layout; }
    const std::string& name() const { return m_name; }

    void bind(VkCommandBuffer cmd) const;
    void push(VkCommandBuffer cmd, const void* data, uint32_t size) const;
    // Dispatches `groups` workgroups, split over x and y when there are more than 65535; shaders
    // read their index with linear_group_id() and skip the extra groups of the last row.
    void dispatch(VkCommandBuffer cmd, uint32_t groups) const;
    template <class Push>
    void run(VkCommandBuffer cmd, const Push& push_constants, uint32_t groups) const {
        bind(cmd);
        push(cmd, &push_constants, sizeof(Push));
        dispatch(cmd, groups);
    }
    // The same with the workgroup counts a pass wrote on the GPU: the VkDispatchIndirectCommand at
    // `offset` of `args` (a buffer with VK_BUFFER_USAGE_INDIRECT_BUFFER_BIT; split over x and y as
    // dispatch() splits them). After indirect_barrier() when a shader wrote it.
    template <class Push>
    void run_indirect(VkCommandBuffer cmd, const Push& push_constants, VkBuffer args, VkDeviceSize offset) const {
        bind(cmd);
        push(cmd, &push_constants, sizeof(Push));
        vkCmdDispatchIndirect(cmd, args, offset);
    }

private:
    std::string m_name;
    UniquePipelineLayout m_layout;
    UniquePipeline m_pipeline;
};

} // namespace splatscape::vk
