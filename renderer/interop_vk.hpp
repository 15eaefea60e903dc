#pragma once
// The Vulkan side of sharing GPU memory with CUDA training (a live view that reads the model where
// training writes it). Buffers are device-local, reachable by device address, and allocated with
// exportable memory (VK_KHR_external_memory_fd, opaque POSIX fds); CUDA imports an fd with
// cudaImportExternalMemory (training/cuda/interop_cuda.hpp). Both sides must be the same physical
// GPU: match Vulkan's deviceUUID with CUDA's device UUID, and fall back to host copies when they
// differ. This library never links CUDA: it only hands out fds, sizes and UUIDs.
//
// Synchronisation is the owner's (app/session/live_view.hpp documents the scheme used: the CUDA
// side finishes its writes before it publishes a slot, Vulkan reads a slot only after that, and
// CUDA reuses a slot only once the frames that read it have completed).
#include <array>
#include <cstdint>
#include <string>
#include <vector>

#include <vulkan/vulkan.h>

#include "renderer/vk/raii_vk.hpp"

namespace splatscape::vk {

class Context;

using DeviceUuid = std::array<uint8_t, 16>;

// The UUID of the context's physical device (VkPhysicalDeviceIDProperties::deviceUUID).
DeviceUuid device_uuid(const Context& context);
// UUIDs of all Vulkan devices, in the order ContextOptions::gpu_index counts them. Empty when Vulkan
// itself is missing.
std::vector<DeviceUuid> list_device_uuids();
// Index (ContextOptions::gpu_index) of the Vulkan device with this UUID, or -1.
int find_device(const DeviceUuid& uuid);
std::string to_string(const DeviceUuid& uuid);

// Whether the context can export buffers to CUDA.
bool can_export_memory(const Context& context);

class ExportableBuffer {
public:
    ExportableBuffer() = default;
    // Throws Error when the context cannot export memory (can_export_memory) or is out of memory.
    ExportableBuffer(Context& context, VkDeviceSize size, const char* name);
    ExportableBuffer(ExportableBuffer&&) noexcept = default;
    ExportableBuffer& operator=(ExportableBuffer&&) noexcept = default;
    ExportableBuffer(const ExportableBuffer&) = delete;
    ExportableBuffer& operator=(const ExportableBuffer&) = delete;
    ~ExportableBuffer() = default;

    VkBuffer handle() const { return m_buffer; }
    VkDeviceSize size() const { return m_size; }
    // The allocation's size, which the importer must map (at least size()).
    VkDeviceSize allocation_size() const { return m_allocation_size; }
    VkDeviceAddress address() const { return m_address; }
    // A new fd for the memory; the receiver owns it (cudaImportExternalMemory takes ownership).
    int export_fd() const;
    explicit operator bool() const { return bool(m_buffer); }

private:
    VkDevice m_device = VK_NULL_HANDLE;
    UniqueDeviceMemory m_memory; // destroyed after the buffer (members are destroyed in reverse)
    UniqueBuffer m_buffer;
    VkDeviceSize m_size = 0;
    VkDeviceSize m_allocation_size = 0;
    VkDeviceAddress m_address = 0;
    PFN_vkGetMemoryFdKHR m_get_fd = nullptr;
};

// Copies between a host array and an ExportableBuffer through a staging buffer (tests, fallbacks).
void write_buffer(Context& context, const ExportableBuffer& dst, const void* data, VkDeviceSize bytes);
void read_buffer(Context& context, const ExportableBuffer& src, void* data, VkDeviceSize bytes);

} // namespace splatscape::vk
