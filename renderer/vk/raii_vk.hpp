#pragma once
// Move-only owners for Vulkan handles: each destroys its handle exactly once, in its destructor.
#include <utility>

#include <vulkan/vulkan.h>

namespace splatscape::vk {

// Owns a handle created from a parent (a VkDevice or a VkInstance) and destroyed by
// `Destroy(parent, handle, allocator)`.
template <class Parent, class T, void (*Destroy)(Parent, T, const VkAllocationCallbacks*)>
class ChildHandle {
public:
    ChildHandle() = default;
    ChildHandle(Parent parent, T handle) : m_parent(parent), m_handle(handle) {}
    ChildHandle(ChildHandle&& o) noexcept : m_parent(o.m_parent), m_handle(std::exchange(o.m_handle, VK_NULL_HANDLE)) {}
    ChildHandle& operator=(ChildHandle&& o) noexcept {
        if (this != &o) {
            reset();
            m_parent = o.m_parent;
            m_handle = std::exchange(o.m_handle, VK_NULL_HANDLE);
        }
        return *this;
    }
    ChildHandle(const ChildHandle&) = delete;
    ChildHandle& operator=(const ChildHandle&) = delete;
    ~ChildHandle() { reset(); }

    void reset() {
        if (m_handle != VK_NULL_HANDLE) Destroy(m_parent, m_handle, nullptr);
        m_handle = VK_NULL_HANDLE;
    }
    T get() const { return m_handle; }
    operator T() const { return m_handle; } // NOLINT: handles pass straight into vk* calls
    explicit operator bool() const { return m_handle != VK_NULL_HANDLE; }
    Parent parent() const { return m_parent; }

private:
    Parent m_parent = VK_NULL_HANDLE;
    T m_handle = VK_NULL_HANDLE;
};

template <class T, void (*Destroy)(VkDevice, T, const VkAllocationCallbacks*)>
using DeviceHandle = ChildHandle<VkDevice, T, Destroy>;

// Owns a handle destroyed by `Destroy(handle, allocator)` (instances, devices).
template <class T, void (*Destroy)(T, const VkAllocationCallbacks*)>
class RootHandle {
public:
    RootHandle() = default;
    explicit RootHandle(T handle) : m_handle(handle) {}
    RootHandle(RootHandle&& o) noexcept : m_handle(std::exchange(o.m_handle, VK_NULL_HANDLE)) {}
    RootHandle& operator=(RootHandle&& o) noexcept {
        if (this != &o) {
            reset();
            m_handle = std::exchange(o.m_handle, VK_NULL_HANDLE);
        }
        return *this;
    }
    RootHandle(const RootHandle&) = delete;
    RootHandle& operator=(const RootHandle&) = delete;
    ~RootHandle() { reset(); }

    void reset() {
        if (m_handle != VK_NULL_HANDLE) Destroy(m_handle, nullptr);
        m_handle = VK_NULL_HANDLE;
    }
    T get() const { return m_handle; }
    operator T() const { return m_handle; } // NOLINT
    explicit operator bool() const { return m_handle != VK_NULL_HANDLE; }

private:
    T m_handle = VK_NULL_HANDLE;
};

using UniqueInstance = RootHandle<VkInstance, vkDestroyInstance>;
using UniqueDevice = RootHandle<VkDevice, vkDestroyDevice>;
using UniqueBuffer = DeviceHandle<VkBuffer, vkDestroyBuffer>;
using UniqueImage = DeviceHandle<VkImage, vkDestroyImage>;
using UniqueImageView = DeviceHandle<VkImageView, vkDestroyImageView>;
using UniqueDeviceMemory = DeviceHandle<VkDeviceMemory, vkFreeMemory>;
using UniqueCommandPool = DeviceHandle<VkCommandPool, vkDestroyCommandPool>;
using UniqueFence = DeviceHandle<VkFence, vkDestroyFence>;
using UniqueSemaphore = DeviceHandle<VkSemaphore, vkDestroySemaphore>;
using UniqueQueryPool = DeviceHandle<VkQueryPool, vkDestroyQueryPool>;
using UniqueShaderModule = DeviceHandle<VkShaderModule, vkDestroyShaderModule>;
using UniquePipeline = DeviceHandle<VkPipeline, vkDestroyPipeline>;
using UniquePipelineLayout = DeviceHandle<VkPipelineLayout, vkDestroyPipelineLayout>;
using UniqueDescriptorSetLayout = DeviceHandle<VkDescriptorSetLayout, vkDestroyDescriptorSetLayout>;
using UniqueDescriptorPool = DeviceHandle<VkDescriptorPool, vkDestroyDescriptorPool>;
using UniqueSwapchain = DeviceHandle<VkSwapchainKHR, vkDestroySwapchainKHR>;
using UniqueSurface = ChildHandle<VkInstance, VkSurfaceKHR, vkDestroySurfaceKHR>;

} // namespace splatscape::vk
