#include "renderer/vk/memory_vk.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"

namespace splatscape::vk {

struct Allocator::Block {
    UniqueDeviceMemory memory;
    VkDeviceSize size = 0;
    uint32_t type = 0;
    bool linear = true;
    bool dedicated = false;
    std::byte* mapped = nullptr;
    std::map<VkDeviceSize, VkDeviceSize> free; // offset -> size of each free range
    VkDeviceSize used = 0;
};

std::string format_bytes(VkDeviceSize bytes) {
    const char* units[] = {"bytes", "KiB", "MiB", "GiB", "TiB"};
    double v = double(bytes);
    int u = 0;
    while (v >= 1024.0 && u < 4) v /= 1024.0, ++u;
    char buf[64];
    std::snprintf(buf, sizeof(buf), u == 0 ? "%.0f %s" : "%.2f %s", v, units[u]);
    return buf;
}

Allocator::Allocator(Context& context) : m_context(context) {
    vkGetPhysicalDeviceMemoryProperties(context.physical_device(), &m_memory);
}

Allocator::~Allocator() = default;

uint32_t Allocator::choose_type(uint32_t type_bits, MemoryUsage usage) const {
    VkMemoryPropertyFlags required = 0, preferred = 0, avoided = 0;
    switch (usage) {
    case MemoryUsage::GpuOnly:
        preferred = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
        break;
    case MemoryUsage::Upload:
        required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
        // Host memory: a discrete GPU's host-visible VRAM window is small and slow to write.
        avoided = VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT;
        break;
    case MemoryUsage::Readback:
        required = VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT | VK_MEMORY_PROPERTY_HOST_COHERENT_BIT;
        preferred = VK_MEMORY_PROPERTY_HOST_CACHED_BIT;
        break;
    }
    int best = -1, best_score = -1;
    for (uint32_t i = 0; i < m_memory.memoryTypeCount; ++i) {
        if (!(type_bits & (1u << i))) continue;
        VkMemoryPropertyFlags flags = m_memory.memoryTypes[i].propertyFlags;
        if ((flags & required) != required) continue;
        int score = ((flags & preferred) == preferred ? 2 : 0) + ((flags & avoided) ? 0 : 1);
        if (score > best_score) best = int(i), best_score = score;
    }
    if (best < 0) throw Error("the Vulkan device offers no memory type for this buffer (needs host-visible memory)");
    return uint32_t(best);
}

Allocator::Block* Allocator::new_block(uint32_t type, VkDeviceSize size, bool linear, bool dedicated,
                                       const char* what) {
    VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO};
    flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
    VkMemoryAllocateInfo info{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, linear ? &flags : nullptr};
    info.allocationSize = size;
    info.memoryTypeIndex = type;
    VkDeviceMemory memory = VK_NULL_HANDLE;
    VkResult r = vkAllocateMemory(m_context.device(), &info, nullptr, &memory);
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY) {
        VkDeviceSize held = 0;
        for (auto& b : m_blocks) held += b->size;
        throw VulkanError(r,
                          cat("out of GPU memory: ", what, " needs ", format_bytes(size), " more (this program holds ",
                              format_bytes(held), "; the device has ", format_bytes(m_context.device_local_bytes()),
                              "): render fewer Gaussians or a smaller image, or choose a larger GPU with --gpu"));
    }
    SPLATSCAPE_VK_CHECK(r);
    auto block = std::make_unique<Block>();
    block->memory = UniqueDeviceMemory(m_context.device(), memory);
    block->size = size;
    block->type = type;
    block->linear = linear;
    block->dedicated = dedicated;
    block->free[0] = size;
    if (m_memory.memoryTypes[type].propertyFlags & VK_MEMORY_PROPERTY_HOST_VISIBLE_BIT) {
        void* p = nullptr;
        SPLATSCAPE_VK_CHECK(vkMapMemory(m_context.device(), memory, 0, VK_WHOLE_SIZE, 0, &p));
        block->mapped = static_cast<std::byte*>(p);
    }
    m_blocks.push_back(std::move(block));
    return m_blocks.back().get();
}

Allocation Allocator::allocate(const VkMemoryRequirements& req, MemoryUsage usage, bool linear, const char* what) {
    std::lock_guard lock(m_mutex);
    const uint32_t type = choose_type(req.memoryTypeBits, usage);
    const VkDeviceSize align = std::max<VkDeviceSize>(req.alignment, 16);
    auto take = [&](Block* b, VkDeviceSize offset) {
        auto it = b->free.upper_bound(offset);
        --it; // the free range holding `offset`
        const VkDeviceSize range_start = it->first, range_end = it->first + it->second;
        b->free.erase(it);
        if (offset > range_start) b->free[range_start] = offset - range_start;
        if (offset + req.size < range_end) b->free[offset + req.size] = range_end - (offset + req.size);
        b->used += req.size;
        return Allocation{b, b->memory.get(), offset, req.size, b->mapped ? b->mapped + offset : nullptr};
    };
    if (req.size <= kBlockSize / 2) {
        for (auto& b : m_blocks) {
            if (b->dedicated || b->type != type || b->linear != linear) continue;
            for (auto& [start, size] : b->free) {
                const VkDeviceSize offset = (start + align - 1) / align * align;
                if (offset + req.size <= start + size) return take(b.get(), offset);
            }
        }
        return take(new_block(type, kBlockSize, linear, false, what), 0);
    }
    return take(new_block(type, req.size, linear, true, what), 0);
}

void Allocator::free(const Allocation& a) {
    if (!a.block) return;
    std::lock_guard lock(m_mutex);
    auto* b = static_cast<Block*>(a.block);
    b->used -= a.size;
    if (b->used == 0) {
        // Give empty blocks back to the driver: scenes come and go in a viewer.
        std::erase_if(m_blocks, [&](auto& p) { return p.get() == b; });
        return;
    }
    VkDeviceSize start = a.offset, size = a.size;
    auto next = b->free.lower_bound(start);
    if (next != b->free.end() && next->first == start + size) {
        size += next->second;
        next = b->free.erase(next);
    }
    if (next != b->free.begin()) {
        auto prev = std::prev(next);
        if (prev->first + prev->second == start) {
            start = prev->first;
            size += prev->second;
            b->free.erase(prev);
        }
    }
    b->free[start] = size;
}

VkDeviceSize Allocator::bytes_reserved() const {
    std::lock_guard lock(m_mutex);
    VkDeviceSize total = 0;
    for (auto& b : m_blocks) total += b->size;
    return total;
}

VkDeviceSize Allocator::bytes_in_use() const {
    std::lock_guard lock(m_mutex);
    VkDeviceSize total = 0;
    for (auto& b : m_blocks) total += b->used;
    return total;
}

// --- Buffer ---------------------------------------------------------------------------------------

Buffer::Buffer(Context& context, VkDeviceSize size, VkBufferUsageFlags usage, MemoryUsage memory, const char* name,
               bool shared_with_transfer)
    : m_allocator(&context.allocator()), m_size(size) {
    size = std::max<VkDeviceSize>(size, 16);
    if (size > context.max_buffer_size())
        throw Error(cat(name, " needs one buffer of ", format_bytes(size), " but the Vulkan device '",
                        context.info().name, "' allows at most ", format_bytes(context.max_buffer_size()),
                        " per buffer: render fewer Gaussians or use a device with larger buffers"));
    if (usage & VK_BUFFER_USAGE_STORAGE_BUFFER_BIT) usage |= VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO};
    info.size = size;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    const uint32_t families[2] = {context.queue_family(), context.transfer_queue_family()};
    if (shared_with_transfer && context.separate_transfer_queue()) {
        info.sharingMode = VK_SHARING_MODE_CONCURRENT;
        info.queueFamilyIndexCount = 2;
        info.pQueueFamilyIndices = families;
    }
    VkBuffer buffer = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateBuffer(context.device(), &info, nullptr, &buffer));
    m_buffer = UniqueBuffer(context.device(), buffer);
    context.set_name(VK_OBJECT_TYPE_BUFFER, uint64_t(buffer), name);
    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(context.device(), buffer, &req);
    m_allocation = m_allocator->allocate(req, memory, true, name);
    SPLATSCAPE_VK_CHECK(vkBindBufferMemory(context.device(), buffer, m_allocation.memory, m_allocation.offset));
    if (usage & VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT) {
        VkBufferDeviceAddressInfo address{VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO};
        address.buffer = buffer;
        m_address = vkGetBufferDeviceAddress(context.device(), &address);
    }
}

Buffer::~Buffer() {
    release();
}

void Buffer::release() {
    m_buffer.reset();
    if (m_allocator) m_allocator->free(m_allocation);
    m_allocation = {};
    m_size = 0;
    m_address = 0;
}

Buffer::Buffer(Buffer&& o) noexcept
    : m_allocator(o.m_allocator), m_buffer(std::move(o.m_buffer)), m_allocation(std::exchange(o.m_allocation, {})),
      m_size(std::exchange(o.m_size, 0)), m_address(std::exchange(o.m_address, 0)) {}

Buffer& Buffer::operator=(Buffer&& o) noexcept {
    if (this != &o) {
        release();
        m_allocator = o.m_allocator;
        m_buffer = std::move(o.m_buffer);
        m_allocation = std::exchange(o.m_allocation, {});
        m_size = std::exchange(o.m_size, 0);
        m_address = std::exchange(o.m_address, 0);
    }
    return *this;
}

// --- Image2D --------------------------------------------------------------------------------------

Image2D::Image2D(Context& context, uint32_t width, uint32_t height, VkFormat format, VkImageUsageFlags usage,
                 const char* name)
    : m_allocator(&context.allocator()), m_format(format), m_extent{width, height} {
    VkImageCreateInfo info{VK_STRUCTURE_TYPE_IMAGE_CREATE_INFO};
    info.imageType = VK_IMAGE_TYPE_2D;
    info.format = format;
    info.extent = {width, height, 1};
    info.mipLevels = 1;
    info.arrayLayers = 1;
    info.samples = VK_SAMPLE_COUNT_1_BIT;
    info.tiling = VK_IMAGE_TILING_OPTIMAL;
    info.usage = usage;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    info.initialLayout = VK_IMAGE_LAYOUT_UNDEFINED;
    VkImage image = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateImage(context.device(), &info, nullptr, &image));
    m_image = UniqueImage(context.device(), image);
    context.set_name(VK_OBJECT_TYPE_IMAGE, uint64_t(image), name);
    VkMemoryRequirements req{};
    vkGetImageMemoryRequirements(context.device(), image, &req);
    m_allocation = m_allocator->allocate(req, MemoryUsage::GpuOnly, false, name);
    SPLATSCAPE_VK_CHECK(vkBindImageMemory(context.device(), image, m_allocation.memory, m_allocation.offset));
    VkImageViewCreateInfo view{VK_STRUCTURE_TYPE_IMAGE_VIEW_CREATE_INFO};
    view.image = image;
    view.viewType = VK_IMAGE_VIEW_TYPE_2D;
    view.format = format;
    view.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    VkImageView handle = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateImageView(context.device(), &view, nullptr, &handle));
    m_view = UniqueImageView(context.device(), handle);
}

Image2D::~Image2D() {
    release();
}

void Image2D::release() {
    m_view.reset();
    m_image.reset();
    if (m_allocator) m_allocator->free(m_allocation);
    m_allocation = {};
}

Image2D::Image2D(Image2D&& o) noexcept
    : m_allocator(o.m_allocator), m_image(std::move(o.m_image)), m_view(std::move(o.m_view)),
      m_allocation(std::exchange(o.m_allocation, {})), m_format(o.m_format), m_extent(o.m_extent) {}

Image2D& Image2D::operator=(Image2D&& o) noexcept {
    if (this != &o) {
        release();
        m_allocator = o.m_allocator;
        m_image = std::move(o.m_image);
        m_view = std::move(o.m_view);
        m_allocation = std::exchange(o.m_allocation, {});
        m_format = o.m_format;
        m_extent = o.m_extent;
    }
    return *this;
}

// --- Transfers ------------------------------------------------------------------------------------

namespace {
constexpr VkDeviceSize kStagingChunk = VkDeviceSize(32) << 20;
}

Buffer storage_buffer(Context& context, VkDeviceSize bytes, const char* name) {
    return Buffer(context, std::max<VkDeviceSize>(bytes, 16),
                  VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_DST_BIT |
                      VK_BUFFER_USAGE_TRANSFER_SRC_BIT,
                  MemoryUsage::GpuOnly, name);
}

void upload(Context& context, const Buffer& dst, const void* bytes, VkDeviceSize size, VkDeviceSize offset) {
    if (size == 0) return;
    if (dst.mapped()) {
        std::memcpy(dst.mapped() + offset, bytes, size);
        return;
    }
    Buffer staging(context, std::min(size, kStagingChunk), VK_BUFFER_USAGE_TRANSFER_SRC_BIT, MemoryUsage::Upload,
                   "upload staging");
    for (VkDeviceSize done = 0; done < size; done += kStagingChunk) {
        const VkDeviceSize n = std::min(kStagingChunk, size - done);
        std::memcpy(staging.mapped(), static_cast<const std::byte*>(bytes) + done, n);
        context.submit_and_wait([&](VkCommandBuffer cmd) {
            VkBufferCopy copy{0, offset + done, n};
            vkCmdCopyBuffer(cmd, staging.handle(), dst.handle(), 1, &copy);
        });
    }
}

void download(Context& context, const Buffer& src, void* bytes, VkDeviceSize size, VkDeviceSize offset) {
    if (size == 0) return;
    if (src.mapped()) {
        std::memcpy(bytes, src.mapped() + offset, size);
        return;
    }
    Buffer staging(context, std::min(size, kStagingChunk), VK_BUFFER_USAGE_TRANSFER_DST_BIT, MemoryUsage::Readback,
                   "download staging");
    for (VkDeviceSize done = 0; done < size; done += kStagingChunk) {
        const VkDeviceSize n = std::min(kStagingChunk, size - done);
        context.submit_and_wait([&](VkCommandBuffer cmd) {
            VkBufferCopy copy{offset + done, 0, n};
            vkCmdCopyBuffer(cmd, src.handle(), staging.handle(), 1, &copy);
        });
        std::memcpy(static_cast<std::byte*>(bytes) + done, staging.mapped(), n);
    }
}

} // namespace splatscape::vk
