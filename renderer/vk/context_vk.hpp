#pragma once
// The Vulkan instance, the chosen physical device, one logical device with one queue, the memory
// allocator, and the validation messenger that counts errors so tests can assert there were none.
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "renderer/vk/raii_vk.hpp"

namespace splatscape::vk {

class Allocator;

struct DeviceInfo {
    uint32_t index = 0; // position in vkEnumeratePhysicalDevices: what --gpu N selects
    std::string name;
    VkPhysicalDeviceType type = VK_PHYSICAL_DEVICE_TYPE_OTHER;
    uint32_t api_version = 0;
    std::string unsuitable; // why the renderer cannot use it; empty when it can
};

std::string to_string(VkPhysicalDeviceType type);
std::string describe(const DeviceInfo& info); // "0: NVIDIA H200 (discrete GPU, Vulkan 1.4.312)"

struct ContextOptions {
    // Index among all Vulkan devices (--gpu N); -1 picks the best suitable one: discrete GPUs
    // first, then integrated, virtual, and CPU devices such as lavapipe.
    int gpu_index = -1;
    // Khronos validation layer: -1 = on in debug builds or when SPLATSCAPE_VK_VALIDATION=1 (=0
    // turns it off everywhere), 0 = off, 1 = on (a warning when the layer is not installed).
    int validation = -1;
    // Instance extensions a window system needs (glfwGetRequiredInstanceExtensions, say).
    std::vector<std::string> instance_extensions;
    // Creates the surface to present to, given the instance; the device chosen must be able to
    // present to it, and the context destroys it. Unset for headless use.
    std::function<VkSurfaceKHR(VkInstance)> create_surface;
};

class Context {
public:
    explicit Context(const ContextOptions& options = {});
    ~Context();
    Context(const Context&) = delete;
    Context& operator=(const Context&) = delete;

    // Every Vulkan device with why it can or cannot be used. Throws Error when Vulkan itself is
    // missing (no loader, no driver).
    static std::vector<DeviceInfo> list_devices();

    VkInstance instance() const { return m_instance; }
    VkPhysicalDevice physical_device() const { return m_physical_device; }
    VkDevice device() const { return m_device; }
    VkQueue queue() const { return m_queue; }
    uint32_t queue_family() const { return m_queue_family; }
    // A transfer-only queue when the device has one (else the main queue: then only the thread that
    // records frames may submit to it).
    VkQueue transfer_queue() const { return m_transfer_queue; }
    uint32_t transfer_queue_family() const { return m_transfer_family; }
    bool separate_transfer_queue() const { return m_transfer_family != m_queue_family; }
    VkSurfaceKHR surface() const { return m_surface; }
    const DeviceInfo& info() const { return m_info; }
    const VkPhysicalDeviceLimits& limits() const { return m_properties.limits; }
    Allocator& allocator() { return *m_allocator; }

    // Compute subgroup size, and whether pipelines can require exactly that size.
    uint32_t subgroup_size() const { return m_subgroup_size; }
    bool subgroup_size_control() const { return m_subgroup_size_control; }
    bool full_subgroups() const { return m_full_subgroups; }
    // Largest single buffer (maxBufferSize or maxMemoryAllocationSize, whichever is smaller).
    VkDeviceSize max_buffer_size() const { return m_max_buffer_size; }
    VkDeviceSize device_local_bytes() const { return m_device_local_bytes; }
    bool timestamps() const { return m_timestamp_valid_bits > 0; }
    // VK_KHR_external_memory_fd is enabled: buffers can be exported to CUDA (renderer/interop_vk.hpp).
    bool external_memory_fd() const { return m_external_memory_fd; }
    double timestamp_period_ns() const { return m_properties.limits.timestampPeriod; }
    uint32_t timestamp_valid_bits() const { return m_timestamp_valid_bits; }

    bool validation_enabled() const { return m_messenger != VK_NULL_HANDLE; }
    uint32_t validation_errors() const { return m_validation_errors.load(); }
    uint32_t validation_warnings() const { return m_validation_warnings.load(); }

    // Records commands with `record` into a one-time command buffer, submits it and waits; what the
    // commands wrote is then visible to the host.
    void submit_and_wait(const std::function<void(VkCommandBuffer)>& record);
    void wait_idle() const;
    // Names an object for validation messages and GPU debuggers (no-op without debug utils).
    void set_name(VkObjectType type, uint64_t handle, const char* name) const;

private:
    static VKAPI_ATTR VkBool32 VKAPI_CALL on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity,
                                                     VkDebugUtilsMessageTypeFlagsEXT types,
                                                     const VkDebugUtilsMessengerCallbackDataEXT* data, void* self);

    UniqueInstance m_instance;
    VkDebugUtilsMessengerEXT m_messenger = VK_NULL_HANDLE;
    PFN_vkDestroyDebugUtilsMessengerEXT m_destroy_messenger = nullptr;
    PFN_vkSetDebugUtilsObjectNameEXT m_set_object_name = nullptr;
    UniqueSurface m_surface;
    VkPhysicalDevice m_physical_device = VK_NULL_HANDLE;
    VkPhysicalDeviceProperties m_properties{};
    DeviceInfo m_info;
    UniqueDevice m_device;
    VkQueue m_queue = VK_NULL_HANDLE;
    uint32_t m_queue_family = 0;
    VkQueue m_transfer_queue = VK_NULL_HANDLE;
    uint32_t m_transfer_family = 0;
    uint32_t m_subgroup_size = 0;
    bool m_subgroup_size_control = false;
    bool m_full_subgroups = false;
    VkDeviceSize m_max_buffer_size = 0;
    VkDeviceSize m_device_local_bytes = 0;
    uint32_t m_timestamp_valid_bits = 0;
    bool m_external_memory_fd = false;
    std::unique_ptr<Allocator> m_allocator;
    UniqueCommandPool m_command_pool;
    UniqueFence m_fence;
    std::atomic<uint32_t> m_validation_errors{0};
    std::atomic<uint32_t> m_validation_warnings{0};
};

// A compute/transfer memory barrier between passes: everything written before is visible after.
void memory_barrier(VkCommandBuffer cmd);
// Makes compute writes visible to the dispatches that read their workgroup counts from them
// (ComputePipeline::run_indirect), and to compute and transfer reads as memory_barrier does.
void indirect_barrier(VkCommandBuffer cmd);
// Makes transfer and compute writes visible to host reads after the command buffer's fence.
void host_read_barrier(VkCommandBuffer cmd);
// Layout transition of a colour image, waiting on and blocking all commands.
void image_barrier(VkCommandBuffer cmd, VkImage image, VkImageLayout from, VkImageLayout to);

} // namespace splatscape::vk
