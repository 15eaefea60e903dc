#pragma once
// Every Vulkan call that returns a VkResult goes through SPLATSCAPE_VK_CHECK, which names the call,
// the file and the line when it fails.
#include <vulkan/vulkan.h>

#include "core/error.hpp"

namespace splatscape::vk {

// A Vulkan call failed. Out-of-memory results say so in words a user can act on.
class VulkanError : public Error {
public:
    VulkanError(VkResult result, const std::string& message) : Error(message), m_result(result) {}
    VkResult result() const { return m_result; }

private:
    VkResult m_result;
};

const char* to_string(VkResult result);
[[noreturn]] void throw_vk_error(VkResult result, const char* call, const char* file, int line);

inline void check(VkResult result, const char* call, const char* file, int line) {
    if (result < VK_SUCCESS) throw_vk_error(result, call, file, line);
}

} // namespace splatscape::vk

#define SPLATSCAPE_VK_CHECK(call) ::splatscape::vk::check((call), #call, __FILE__, __LINE__)
