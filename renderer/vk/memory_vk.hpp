#pragma once
// Device memory: a simple sub-allocator (64 MiB blocks per memory type, first fit with
// coalescing; large requests get their own allocation) and RAII buffers and images on top of it.
#include <cstddef>
#include <cstdint>
#include <map>
#include <memory>
#include <mutex>
#include <vector>

#include <vulkan/vulkan.h>

#include "renderer/vk/raii_vk.hpp"

namespace splatscape::vk {

class Context;

enum class MemoryUsage {
    GpuOnly,  // device-local
    Upload,   // host-visible, coherent: staging for uploads, small per-frame data
    Readback, // host-visible, coherent, cached when the device offers it
};

struct Allocation {
    void* block = nullptr; // the allocator's block; null: nothing allocated
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkDeviceSize offset = 0;
    VkDeviceSize size = 0;
    std::byte* mapped = nullptr; // host pointer for host-visible memory
};

class Allocator {
public:
    static constexpr VkDeviceSize kBlockSize = VkDeviceSize(64) << 20;

    explicit Allocator(Context& context);
    ~Allocator();
    Allocator(const Allocator&) = delete;
    Allocator& operator=(const Allocator&) = delete;

    // `linear` separates buffers from optimal-tiling images (bufferImageGranularity). `what` names
    // the allocation in out-of-memory errors.
    Allocation allocate(const VkMemoryRequirements& requirements, MemoryUsage usage, bool linear, const char* what);
    void free(const Allocation& allocation);

    VkDeviceSize bytes_reserved() const; // device memory held in blocks
    VkDeviceSize bytes_in_use() const;   // handed out to buffers and images

private:
    struct Block;
    uint32_t choose_type(uint32_t type_bits, MemoryUsage usage) const;
    Block* new_block(uint32_t type, VkDeviceSize size, bool linear, bool dedicated, const char* what);

    Context& m_context;
    VkPhysicalDeviceMemoryProperties m_memory{};
    mutable std::mutex m_mutex;
    std::vector<std::unique_ptr<Block>> m_blocks;
};

// A buffer with its memory. Storage buffers are always reachable by device address.
class Buffer {
public:
    Buffer() = default;
    // `shared_with_transfer`: used by the main and the transfer queue (concurrent sharing) when they
    // are of different families.
    Buffer(Context& context, VkDeviceSize size, VkBufferUsageFlags usage, MemoryUsage memory, const char* name,
           bool shared_with_transfer = false);
    ~Buffer();
    Buffer(Buffer&& o) noexcept;
    Buffer& operator=(Buffer&& o) noexcept;
    Buffer(const Buffer&) = delete;
    Buffer& operator=(const Buffer&) = delete;

    VkBuffer handle() const { return m_buffer; }
    VkDeviceSize size() const { return m_size; }
    VkDeviceAddress address() const { return m_address; }
    std::byte* mapped() const { return m_allocation.mapped; }
    template <class T>
    T* data() const {
        return reinterpret_cast<T*>(m_allocation.mapped);
    }
    explicit operator bool() const { return bool(m_buffer); }

private:
    void release();
    Allocator* m_allocator = nullptr;
    UniqueBuffer m_buffer;
    Allocation m_allocation;
    VkDeviceSize m_size = 0;
    VkDeviceAddress m_address = 0;
};

// A 2D colour image with one mip level and a view.
class Image2D {
public:
    Image2D() = default;
    Image2D(Context& context, uint32_t width, uint32_t height, VkFormat format, VkImageUsageFlags usage,
            const char* name);
    ~Image2D();
    Image2D(Image2D&& o) noexcept;
    Image2D& operator=(Image2D&& o) noexcept;
    Image2D(const Image2D&) = delete;
    Image2D& operator=(const Image2D&) = delete;

    VkImage handle() const { return m_image; }
    VkImageView view() const { return m_view; }
    VkFormat format() const { return m_format; }
    VkExtent2D extent() const { return m_extent; }
    explicit operator bool() const { return bool(m_image); }

private:
    void release();
    Allocator* m_allocator = nullptr;
    UniqueImage m_image;
    UniqueImageView m_view;
    Allocation m_allocation;
    VkFormat m_format = VK_FORMAT_UNDEFINED;
    VkExtent2D m_extent{};
};

// Copies `bytes` into `dst` at `offset` through a staging buffer, in chunks so that uploading a
// scene of a gigabyte does not need a gigabyte of staging memory.
void upload(Context& context, const Buffer& dst, const void* bytes, VkDeviceSize size, VkDeviceSize offset = 0);
// Reads `size` bytes of `src` back to the host.
void download(Context& context, const Buffer& src, void* bytes, VkDeviceSize size, VkDeviceSize offset = 0);

// A device-local storage buffer of at least `bytes` (16 at least) that transfers may fill and read:
// what scene data and per-frame work buffers of the passes live in.
Buffer storage_buffer(Context& context, VkDeviceSize bytes, const char* name);
// The same, holding `values`.
template <class T>
Buffer storage_buffer(Context& context, const std::vector<T>& values, const char* name) {
    Buffer b = storage_buffer(context, VkDeviceSize(values.size() * sizeof(T)), name);
    if (!values.empty()) upload(context, b, values.data(), VkDeviceSize(values.size() * sizeof(T)));
    return b;
}

std::string format_bytes(VkDeviceSize bytes); // "1.25 GiB"

} // namespace splatscape::vk
