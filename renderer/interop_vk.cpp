#include "renderer/interop_vk.hpp"

#include <cstdio>
#include <cstring>

#include "core/error.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/context_vk.hpp"
#include "renderer/vk/memory_vk.hpp"

namespace splatscape::vk {

DeviceUuid device_uuid(const Context& context) {
    VkPhysicalDeviceIDProperties id{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
    VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &id};
    vkGetPhysicalDeviceProperties2(context.physical_device(), &props);
    DeviceUuid uuid;
    std::memcpy(uuid.data(), id.deviceUUID, VK_UUID_SIZE);
    return uuid;
}

std::vector<DeviceUuid> list_device_uuids() {
    std::vector<DeviceUuid> out;
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "splatscape";
    app.apiVersion = VK_API_VERSION_1_2;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pApplicationInfo = &app;
    VkInstance instance = VK_NULL_HANDLE;
    if (vkCreateInstance(&info, nullptr, &instance) != VK_SUCCESS) return out;
    UniqueInstance owner(instance);
    uint32_t count = 0;
    vkEnumeratePhysicalDevices(instance, &count, nullptr);
    std::vector<VkPhysicalDevice> devices(count);
    vkEnumeratePhysicalDevices(instance, &count, devices.data());
    for (VkPhysicalDevice d : devices) {
        VkPhysicalDeviceIDProperties id{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_ID_PROPERTIES};
        VkPhysicalDeviceProperties2 props{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &id};
        vkGetPhysicalDeviceProperties2(d, &props);
        DeviceUuid uuid;
        std::memcpy(uuid.data(), id.deviceUUID, VK_UUID_SIZE);
        out.push_back(uuid);
    }
    return out;
}

int find_device(const DeviceUuid& uuid) {
    const auto all = list_device_uuids();
    for (size_t i = 0; i < all.size(); ++i)
        if (all[i] == uuid) return int(i);
    return -1;
}

std::string to_string(const DeviceUuid& uuid) {
    std::string s;
    char hex[3];
    for (size_t i = 0; i < uuid.size(); ++i) {
        std::snprintf(hex, sizeof hex, "%02x", uuid[i]);
        s += hex;
        if (i == 3 || i == 5 || i == 7 || i == 9) s += '-';
    }
    return s;
}

bool can_export_memory(const Context& context) {
    return context.external_memory_fd();
}

namespace {

uint32_t device_local_type(const Context& context, uint32_t type_bits) {
    VkPhysicalDeviceMemoryProperties mem{};
    vkGetPhysicalDeviceMemoryProperties(context.physical_device(), &mem);
    for (uint32_t i = 0; i < mem.memoryTypeCount; ++i)
        if ((type_bits & (1u << i)) && (mem.memoryTypes[i].propertyFlags & VK_MEMORY_PROPERTY_DEVICE_LOCAL_BIT))
            return i;
    for (uint32_t i = 0; i < mem.memoryTypeCount; ++i)
        if (type_bits & (1u << i)) return i;
    throw Error("no Vulkan memory type can hold an exportable buffer");
}

} // namespace

ExportableBuffer::ExportableBuffer(Context& context, VkDeviceSize size, const char* name)
    : m_device(context.device()), m_size(size) {
    if (!can_export_memory(context))
        throw Error(cat("the Vulkan device ", context.info().name,
                        " cannot export memory (no VK_KHR_external_memory_fd); the live view copies through the host"));
    m_get_fd = reinterpret_cast<PFN_vkGetMemoryFdKHR>(vkGetDeviceProcAddr(m_device, "vkGetMemoryFdKHR"));
    if (!m_get_fd) throw Error("vkGetMemoryFdKHR is missing although VK_KHR_external_memory_fd is enabled");

    VkExternalMemoryBufferCreateInfo external{VK_STRUCTURE_TYPE_EXTERNAL_MEMORY_BUFFER_CREATE_INFO};
    external.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    VkBufferCreateInfo info{VK_STRUCTURE_TYPE_BUFFER_CREATE_INFO, &external};
    info.size = std::max<VkDeviceSize>(size, 4);
    info.usage = VK_BUFFER_USAGE_STORAGE_BUFFER_BIT | VK_BUFFER_USAGE_TRANSFER_SRC_BIT |
                 VK_BUFFER_USAGE_TRANSFER_DST_BIT | VK_BUFFER_USAGE_SHADER_DEVICE_ADDRESS_BIT;
    info.sharingMode = VK_SHARING_MODE_EXCLUSIVE;
    VkBuffer buffer = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateBuffer(m_device, &info, nullptr, &buffer));
    m_buffer = UniqueBuffer(m_device, buffer);
    context.set_name(VK_OBJECT_TYPE_BUFFER, uint64_t(buffer), name);

    VkMemoryRequirements req{};
    vkGetBufferMemoryRequirements(m_device, buffer, &req);
    // A dedicated allocation per buffer: what cudaImportExternalMemory's cudaExternalMemoryDedicated
    // expects, and the whole allocation maps to the buffer at offset 0.
    VkMemoryDedicatedAllocateInfo dedicated{VK_STRUCTURE_TYPE_MEMORY_DEDICATED_ALLOCATE_INFO};
    dedicated.buffer = buffer;
    VkExportMemoryAllocateInfo export_info{VK_STRUCTURE_TYPE_EXPORT_MEMORY_ALLOCATE_INFO, &dedicated};
    export_info.handleTypes = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    VkMemoryAllocateFlagsInfo flags{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_FLAGS_INFO, &export_info};
    flags.flags = VK_MEMORY_ALLOCATE_DEVICE_ADDRESS_BIT;
    VkMemoryAllocateInfo alloc{VK_STRUCTURE_TYPE_MEMORY_ALLOCATE_INFO, &flags};
    alloc.allocationSize = req.size;
    alloc.memoryTypeIndex = device_local_type(context, req.memoryTypeBits);
    VkDeviceMemory memory = VK_NULL_HANDLE;
    const VkResult r = vkAllocateMemory(m_device, &alloc, nullptr, &memory);
    if (r == VK_ERROR_OUT_OF_DEVICE_MEMORY || r == VK_ERROR_OUT_OF_HOST_MEMORY)
        throw Error(cat("out of GPU memory: the live view's ", name, " asked for ", req.size,
                        " bytes; train fewer Gaussians (densify.max_gaussians) or watch without --gui"));
    SPLATSCAPE_VK_CHECK(r);
    m_memory = UniqueDeviceMemory(m_device, memory);
    m_allocation_size = req.size;
    SPLATSCAPE_VK_CHECK(vkBindBufferMemory(m_device, buffer, memory, 0));
    VkBufferDeviceAddressInfo address{VK_STRUCTURE_TYPE_BUFFER_DEVICE_ADDRESS_INFO};
    address.buffer = buffer;
    m_address = vkGetBufferDeviceAddress(m_device, &address);
}

int ExportableBuffer::export_fd() const {
    VkMemoryGetFdInfoKHR info{VK_STRUCTURE_TYPE_MEMORY_GET_FD_INFO_KHR};
    info.memory = m_memory;
    info.handleType = VK_EXTERNAL_MEMORY_HANDLE_TYPE_OPAQUE_FD_BIT;
    int fd = -1;
    SPLATSCAPE_VK_CHECK(m_get_fd(m_device, &info, &fd));
    return fd;
}

void write_buffer(Context& context, const ExportableBuffer& dst, const void* data, VkDeviceSize bytes) {
    if (bytes == 0) return;
    Buffer staging(context, bytes, VK_BUFFER_USAGE_TRANSFER_SRC_BIT, MemoryUsage::Upload, "interop staging");
    std::memcpy(staging.mapped(), data, bytes);
    context.submit_and_wait([&](VkCommandBuffer cmd) {
        VkBufferCopy region{0, 0, bytes};
        vkCmdCopyBuffer(cmd, staging.handle(), dst.handle(), 1, &region);
        memory_barrier(cmd);
    });
}

void read_buffer(Context& context, const ExportableBuffer& src, void* data, VkDeviceSize bytes) {
    if (bytes == 0) return;
    Buffer staging(context, bytes, VK_BUFFER_USAGE_TRANSFER_DST_BIT, MemoryUsage::Readback, "interop read-back");
    context.submit_and_wait([&](VkCommandBuffer cmd) {
        memory_barrier(cmd);
        VkBufferCopy region{0, 0, bytes};
        vkCmdCopyBuffer(cmd, src.handle(), staging.handle(), 1, &region);
        host_read_barrier(cmd);
    });
    std::memcpy(data, staging.mapped(), bytes);
}

} // namespace splatscape::vk
