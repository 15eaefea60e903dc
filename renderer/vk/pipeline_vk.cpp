#include "renderer/vk/pipeline_vk.hpp"

#include <algorithm>

#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "shaders/embedded_spirv.hpp"

namespace splatscape::vk {

ComputePipeline::ComputePipeline(Context& context, const std::string& shader, uint32_t push_constant_size,
                                 const std::vector<uint32_t>& specialization)
    : m_name(shader) {
    const auto words = shaders::spirv(shader);
    VkShaderModuleCreateInfo module_info{VK_STRUCTURE_TYPE_SHADER_MODULE_CREATE_INFO};
    module_info.codeSize = words.size() * sizeof(uint32_t);
    module_info.pCode = words.data();
    VkShaderModule module_handle = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateShaderModule(context.device(), &module_info, nullptr, &module_handle));
    UniqueShaderModule module(context.device(), module_handle);

    VkPushConstantRange range{VK_SHADER_STAGE_COMPUTE_BIT, 0, push_constant_size};
    VkPipelineLayoutCreateInfo layout_info{VK_STRUCTURE_TYPE_PIPELINE_LAYOUT_CREATE_INFO};
    layout_info.pushConstantRangeCount = push_constant_size ? 1 : 0;
    layout_info.pPushConstantRanges = &range;
    VkPipelineLayout layout = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreatePipelineLayout(context.device(), &layout_info, nullptr, &layout));
    m_layout = UniquePipelineLayout(context.device(), layout);

    std::vector<VkSpecializationMapEntry> entries;
    for (uint32_t i = 0; i < specialization.size(); ++i)
        entries.push_back({i, uint32_t(i * sizeof(uint32_t)), sizeof(uint32_t)});
    VkSpecializationInfo spec{uint32_t(entries.size()), entries.data(), specialization.size() * sizeof(uint32_t),
                              specialization.data()};

    VkPipelineShaderStageRequiredSubgroupSizeCreateInfo subgroup{
        VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_REQUIRED_SUBGROUP_SIZE_CREATE_INFO};
    subgroup.requiredSubgroupSize = context.subgroup_size();
    VkComputePipelineCreateInfo info{VK_STRUCTURE_TYPE_COMPUTE_PIPELINE_CREATE_INFO};
    info.stage.sType = VK_STRUCTURE_TYPE_PIPELINE_SHADER_STAGE_CREATE_INFO;
    info.stage.pNext = context.subgroup_size_control() ? &subgroup : nullptr;
    if (context.full_subgroups()) info.stage.flags = VK_PIPELINE_SHADER_STAGE_CREATE_REQUIRE_FULL_SUBGROUPS_BIT;
    info.stage.stage = VK_SHADER_STAGE_COMPUTE_BIT;
    info.stage.module = module;
    info.stage.pName = "main";
    info.stage.pSpecializationInfo = entries.empty() ? nullptr : &spec;
    info.layout = m_layout;
    VkPipeline pipeline = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateComputePipelines(context.device(), VK_NULL_HANDLE, 1, &info, nullptr, &pipeline));
    m_pipeline = UniquePipeline(context.device(), pipeline);
    context.set_name(VK_OBJECT_TYPE_PIPELINE, uint64_t(pipeline), m_name.c_str());
}

void ComputePipeline::bind(VkCommandBuffer cmd) const {
    vkCmdBindPipeline(cmd, VK_PIPELINE_BIND_POINT_COMPUTE, m_pipeline);
}

void ComputePipeline::push(VkCommandBuffer cmd, const void* data, uint32_t size) const {
    vkCmdPushConstants(cmd, m_layout, VK_SHADER_STAGE_COMPUTE_BIT, 0, size, data);
}

void ComputePipeline::dispatch(VkCommandBuffer cmd, uint32_t groups) const {
    if (groups == 0) return;
    constexpr uint32_t kMaxX = 65535;
    const uint32_t x = std::min(groups, kMaxX);
    const uint32_t y = (groups + x - 1) / x;
    vkCmdDispatch(cmd, x, y, 1);
}

} // namespace splatscape::vk
