#include "renderer/vk/context_vk.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/log.hpp"
#include "renderer/vk/check_vk.hpp"
#include "renderer/vk/memory_vk.hpp"

namespace splatscape::vk {
namespace {

constexpr const char* kValidationLayer = "VK_LAYER_KHRONOS_validation";
// The subgroup operations the scan, sort and rasterizer shaders use.
constexpr VkSubgroupFeatureFlags kSubgroupOps = VK_SUBGROUP_FEATURE_BASIC_BIT | VK_SUBGROUP_FEATURE_VOTE_BIT |
                                                VK_SUBGROUP_FEATURE_ARITHMETIC_BIT | VK_SUBGROUP_FEATURE_BALLOT_BIT |
                                                VK_SUBGROUP_FEATURE_SHUFFLE_BIT;

bool env_flag(const char* name, bool& value) {
    const char* v = std::getenv(name);
    if (!v || !*v) return false;
    value = std::strcmp(v, "0") != 0 && std::strcmp(v, "off") != 0 && std::strcmp(v, "false") != 0;
    return true;
}

bool want_validation(int option) {
    if (option == 0 || option == 1) return option == 1;
    bool env = false;
    if (env_flag("SPLATSCAPE_VK_VALIDATION", env)) return env;
#ifdef NDEBUG
    return false;
#else
    return true;
#endif
}

bool has_layer(const char* name) {
    uint32_t count = 0;
    vkEnumerateInstanceLayerProperties(&count, nullptr);
    std::vector<VkLayerProperties> layers(count);
    vkEnumerateInstanceLayerProperties(&count, layers.data());
    return std::any_of(layers.begin(), layers.end(), [&](auto& l) { return std::strcmp(l.layerName, name) == 0; });
}

bool has_instance_extension(const char* name) {
    uint32_t count = 0;
    vkEnumerateInstanceExtensionProperties(nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> exts(count);
    vkEnumerateInstanceExtensionProperties(nullptr, &count, exts.data());
    return std::any_of(exts.begin(), exts.end(), [&](auto& e) { return std::strcmp(e.extensionName, name) == 0; });
}

bool has_device_extension(VkPhysicalDevice device, const char* name) {
    uint32_t count = 0;
    vkEnumerateDeviceExtensionProperties(device, nullptr, &count, nullptr);
    std::vector<VkExtensionProperties> exts(count);
    vkEnumerateDeviceExtensionProperties(device, nullptr, &count, exts.data());
    return std::any_of(exts.begin(), exts.end(), [&](auto& e) { return std::strcmp(e.extensionName, name) == 0; });
}

std::string version_string(uint32_t v) {
    return cat(VK_API_VERSION_MAJOR(v), ".", VK_API_VERSION_MINOR(v), ".", VK_API_VERSION_PATCH(v));
}

const char* kNoVulkan =
    "install a Vulkan driver (the GPU vendor's, or Mesa's CPU driver lavapipe from mesa-vulkan-drivers), "
    "or render with --renderer cpu";

UniqueInstance create_instance(const std::vector<const char*>& layers, const std::vector<const char*>& extensions,
                               const void* next) {
    VkApplicationInfo app{VK_STRUCTURE_TYPE_APPLICATION_INFO};
    app.pApplicationName = "splatscape";
    app.applicationVersion = VK_MAKE_API_VERSION(0, 0, 1, 0);
    app.pEngineName = "splatscape";
    app.apiVersion = VK_API_VERSION_1_3;
    VkInstanceCreateInfo info{VK_STRUCTURE_TYPE_INSTANCE_CREATE_INFO};
    info.pNext = next;
    info.pApplicationInfo = &app;
    info.enabledLayerCount = uint32_t(layers.size());
    info.ppEnabledLayerNames = layers.data();
    info.enabledExtensionCount = uint32_t(extensions.size());
    info.ppEnabledExtensionNames = extensions.data();
    VkInstance instance = VK_NULL_HANDLE;
    VkResult r = vkCreateInstance(&info, nullptr, &instance);
    if (r == VK_ERROR_INCOMPATIBLE_DRIVER) throw Error(cat("no Vulkan driver was found: ", kNoVulkan));
    if (r == VK_ERROR_EXTENSION_NOT_PRESENT)
        throw Error("the Vulkan loader lacks an instance extension the window system needs (VK_KHR_surface and "
                    "the platform's surface extension)");
    SPLATSCAPE_VK_CHECK(r);
    return UniqueInstance(instance);
}

struct Candidate {
    VkPhysicalDevice device = VK_NULL_HANDLE;
    DeviceInfo info;
    uint32_t queue_family = 0;
};

// Whether the renderer can run on `device`; fills `c.unsuitable` with the reason when not.
Candidate examine(VkPhysicalDevice device, uint32_t index, VkSurfaceKHR surface) {
    Candidate c;
    c.device = device;
    VkPhysicalDeviceProperties props{};
    vkGetPhysicalDeviceProperties(device, &props);
    c.info.index = index;
    c.info.name = props.deviceName;
    c.info.type = props.deviceType;
    c.info.api_version = props.apiVersion;
    auto fail = [&](std::string why) {
        c.info.unsuitable = std::move(why);
        return c;
    };
    if (props.apiVersion < VK_API_VERSION_1_2)
        return fail("needs Vulkan 1.2, it has " + version_string(props.apiVersion));

    VkPhysicalDeviceVulkan12Features f12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES};
    VkPhysicalDeviceFeatures2 f{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &f12};
    vkGetPhysicalDeviceFeatures2(device, &f);
    if (!f12.bufferDeviceAddress) return fail("no bufferDeviceAddress");
    if (!f12.scalarBlockLayout) return fail("no scalarBlockLayout");
    if (!f.features.shaderInt64) return fail("no shaderInt64");

    VkPhysicalDeviceSubgroupProperties sub{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, &sub};
    vkGetPhysicalDeviceProperties2(device, &p2);
    if (!(sub.supportedStages & VK_SHADER_STAGE_COMPUTE_BIT) ||
        (sub.supportedOperations & kSubgroupOps) != kSubgroupOps)
        return fail("compute shaders lack subgroup basic/vote/arithmetic/ballot/shuffle operations");
    if (sub.subgroupSize < 4 || sub.subgroupSize > 128 || (sub.subgroupSize & (sub.subgroupSize - 1)))
        return fail(cat("unsupported subgroup size ", sub.subgroupSize));
    // The sort's scatter shares one area between 256 / subgroup size histograms of 512 bytes and a
    // 16 KiB block of keys, plus 2 KiB of offsets (sort_scatter.comp).
    const uint32_t shared_needed = std::max(256 / sub.subgroupSize * 512, 16384u) + 2048 + 260;
    if (props.limits.maxComputeSharedMemorySize < shared_needed)
        return fail(cat("has ", props.limits.maxComputeSharedMemorySize, " bytes of compute shared memory, needs ",
                        shared_needed));

    uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    vkGetPhysicalDeviceQueueFamilyProperties(device, &family_count, families.data());
    int best = -1;
    for (uint32_t i = 0; i < family_count; ++i) {
        VkQueueFlags flags = families[i].queueFlags;
        if (!(flags & VK_QUEUE_COMPUTE_BIT)) continue;
        if (surface) {
            VkBool32 present = VK_FALSE;
            vkGetPhysicalDeviceSurfaceSupportKHR(device, i, surface, &present);
            // The window's UI is drawn with graphics commands on the same queue.
            if (!present || !(flags & VK_QUEUE_GRAPHICS_BIT)) continue;
        }
        // Prefer the graphics+compute family (the main queue on every desktop driver).
        if (best < 0 || ((flags & VK_QUEUE_GRAPHICS_BIT) && !(families[best].queueFlags & VK_QUEUE_GRAPHICS_BIT)))
            best = int(i);
    }
    if (best < 0) return fail(surface ? "no queue can both compute and present to the window" : "no compute queue");
    if (surface && !has_device_extension(device, VK_KHR_SWAPCHAIN_EXTENSION_NAME)) return fail("no VK_KHR_swapchain");
    c.queue_family = uint32_t(best);
    return c;
}

int type_rank(VkPhysicalDeviceType type) {
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return 0;
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return 1;
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return 2;
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return 3;
    default:
        return 4;
    }
}

std::vector<Candidate> enumerate(VkInstance instance, VkSurfaceKHR surface) {
    uint32_t count = 0;
    VkResult r = vkEnumeratePhysicalDevices(instance, &count, nullptr);
    if (r == VK_ERROR_INITIALIZATION_FAILED)
        count = 0;
    else
        SPLATSCAPE_VK_CHECK(r);
    std::vector<VkPhysicalDevice> devices(count);
    if (count) SPLATSCAPE_VK_CHECK(vkEnumeratePhysicalDevices(instance, &count, devices.data()));
    std::vector<Candidate> out;
    for (uint32_t i = 0; i < count; ++i) out.push_back(examine(devices[i], i, surface));
    return out;
}

} // namespace

std::string to_string(VkPhysicalDeviceType type) {
    switch (type) {
    case VK_PHYSICAL_DEVICE_TYPE_DISCRETE_GPU:
        return "discrete GPU";
    case VK_PHYSICAL_DEVICE_TYPE_INTEGRATED_GPU:
        return "integrated GPU";
    case VK_PHYSICAL_DEVICE_TYPE_VIRTUAL_GPU:
        return "virtual GPU";
    case VK_PHYSICAL_DEVICE_TYPE_CPU:
        return "CPU";
    default:
        return "other";
    }
}

std::string describe(const DeviceInfo& info) {
    std::string s = cat(info.index, ": ", info.name, " (", to_string(info.type), ", Vulkan ",
                        version_string(info.api_version), ")");
    if (!info.unsuitable.empty()) s += ", unusable: " + info.unsuitable;
    return s;
}

std::vector<DeviceInfo> Context::list_devices() {
    UniqueInstance instance = create_instance({}, {}, nullptr);
    std::vector<DeviceInfo> out;
    for (auto& c : enumerate(instance, VK_NULL_HANDLE)) out.push_back(c.info);
    return out;
}

Context::Context(const ContextOptions& options) {
    std::vector<const char*> layers;
    std::vector<const char*> extensions;
    for (auto& e : options.instance_extensions) extensions.push_back(e.c_str());
    const bool validation = want_validation(options.validation);
    bool debug_utils = false;
    if (validation) {
        if (has_layer(kValidationLayer)) {
            layers.push_back(kValidationLayer);
        } else {
            log::warn("Vulkan validation was asked for but ", kValidationLayer,
                      " is not installed (Debian: vulkan-validationlayers); running without it");
        }
    }
    if ((validation || options.validation != 0) && has_instance_extension(VK_EXT_DEBUG_UTILS_EXTENSION_NAME)) {
        extensions.push_back(VK_EXT_DEBUG_UTILS_EXTENSION_NAME);
        debug_utils = true;
    }

    VkDebugUtilsMessengerCreateInfoEXT messenger_info{VK_STRUCTURE_TYPE_DEBUG_UTILS_MESSENGER_CREATE_INFO_EXT};
    messenger_info.messageSeverity =
        VK_DEBUG_UTILS_MESSAGE_SEVERITY_WARNING_BIT_EXT | VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT;
    messenger_info.messageType = VK_DEBUG_UTILS_MESSAGE_TYPE_GENERAL_BIT_EXT |
                                 VK_DEBUG_UTILS_MESSAGE_TYPE_VALIDATION_BIT_EXT |
                                 VK_DEBUG_UTILS_MESSAGE_TYPE_PERFORMANCE_BIT_EXT;
    messenger_info.pfnUserCallback = &Context::on_message;
    messenger_info.pUserData = this;
    const bool messenger = debug_utils && !layers.empty();
    m_instance = create_instance(layers, extensions, messenger ? &messenger_info : nullptr);
    if (messenger) {
        auto create = reinterpret_cast<PFN_vkCreateDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(m_instance, "vkCreateDebugUtilsMessengerEXT"));
        m_destroy_messenger = reinterpret_cast<PFN_vkDestroyDebugUtilsMessengerEXT>(
            vkGetInstanceProcAddr(m_instance, "vkDestroyDebugUtilsMessengerEXT"));
        if (create && m_destroy_messenger)
            SPLATSCAPE_VK_CHECK(create(m_instance, &messenger_info, nullptr, &m_messenger));
    }
    if (debug_utils)
        m_set_object_name = reinterpret_cast<PFN_vkSetDebugUtilsObjectNameEXT>(
            vkGetInstanceProcAddr(m_instance, "vkSetDebugUtilsObjectNameEXT"));

    if (options.create_surface) {
        VkSurfaceKHR surface = options.create_surface(m_instance);
        if (!surface) throw Error("could not create a Vulkan surface for the window");
        m_surface = UniqueSurface(m_instance, surface);
    }

    std::vector<Candidate> candidates = enumerate(m_instance, m_surface);
    if (candidates.empty()) throw Error(cat("no Vulkan device found: ", kNoVulkan));
    const Candidate* chosen = nullptr;
    if (options.gpu_index >= 0) {
        if (size_t(options.gpu_index) >= candidates.size()) {
            std::string list;
            for (auto& c : candidates) list += "\n  " + describe(c.info);
            throw UsageError(cat("--gpu ", options.gpu_index, ": there ", candidates.size() == 1 ? "is " : "are ",
                                 candidates.size(), " Vulkan device", candidates.size() == 1 ? "" : "s", ":", list));
        }
        chosen = &candidates[size_t(options.gpu_index)];
        if (!chosen->info.unsuitable.empty())
            throw Error(cat("Vulkan device ", describe(chosen->info), " cannot run the renderer"));
    } else {
        for (auto& c : candidates)
            if (c.info.unsuitable.empty() && (!chosen || type_rank(c.info.type) < type_rank(chosen->info.type)))
                chosen = &c;
        if (!chosen) {
            std::string list;
            for (auto& c : candidates) list += "\n  " + describe(c.info);
            throw Error(cat("no Vulkan device can run the renderer:", list));
        }
    }
    m_physical_device = chosen->device;
    m_info = chosen->info;
    m_queue_family = chosen->queue_family;
    vkGetPhysicalDeviceProperties(m_physical_device, &m_properties);

    // Properties that size pipelines and buffers.
    VkPhysicalDeviceSubgroupProperties sub{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_PROPERTIES};
    VkPhysicalDeviceMaintenance3Properties m3{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_3_PROPERTIES, &sub};
    VkPhysicalDeviceSubgroupSizeControlProperties size_control{
        VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_SUBGROUP_SIZE_CONTROL_PROPERTIES, &m3};
    VkPhysicalDeviceMaintenance4Properties m4{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_MAINTENANCE_4_PROPERTIES,
                                              &size_control};
    const bool v13 = m_info.api_version >= VK_API_VERSION_1_3;
    VkPhysicalDeviceProperties2 p2{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_PROPERTIES_2, v13 ? (void*)&m4 : (void*)&m3};
    vkGetPhysicalDeviceProperties2(m_physical_device, &p2);
    m_subgroup_size = sub.subgroupSize;
    m_max_buffer_size = m3.maxMemoryAllocationSize;
    if (v13) m_max_buffer_size = std::min(m_max_buffer_size, m4.maxBufferSize);

    VkPhysicalDeviceVulkan13Features f13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    VkPhysicalDeviceFeatures2 supported{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, v13 ? &f13 : nullptr};
    vkGetPhysicalDeviceFeatures2(m_physical_device, &supported);
    if (v13 && f13.subgroupSizeControl && (size_control.requiredSubgroupSizeStages & VK_SHADER_STAGE_COMPUTE_BIT) &&
        size_control.minSubgroupSize <= m_subgroup_size && m_subgroup_size <= size_control.maxSubgroupSize) {
        m_subgroup_size_control = true;
        m_full_subgroups = f13.computeFullSubgroups;
    }

    VkPhysicalDeviceMemoryProperties memory{};
    vkGetPhysicalDeviceMemoryProperties(m_physical_device, &memory);
    for (uint32_t i = 0; i < memory.memoryHeapCount; ++i)
        if (memory.memoryHeaps[i].flags & VK_MEMORY_HEAP_DEVICE_LOCAL_BIT)
            m_device_local_bytes = std::max(m_device_local_bytes, memory.memoryHeaps[i].size);

    uint32_t family_count = 0;
    vkGetPhysicalDeviceQueueFamilyProperties(m_physical_device, &family_count, nullptr);
    std::vector<VkQueueFamilyProperties> families(family_count);
    vkGetPhysicalDeviceQueueFamilyProperties(m_physical_device, &family_count, families.data());
    m_timestamp_valid_bits = families[m_queue_family].timestampValidBits;

    // Logical device.
    const float priority = 1.0f;
    VkDeviceQueueCreateInfo queue_infos[2] = {{VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO},
                                              {VK_STRUCTURE_TYPE_DEVICE_QUEUE_CREATE_INFO}};
    queue_infos[0].queueFamilyIndex = m_queue_family;
    queue_infos[0].queueCount = 1;
    queue_infos[0].pQueuePriorities = &priority;
    // A transfer-only family (the copy engines of discrete GPUs) streams tiles beside the frames
    // (renderer/tile_streamer_vk.hpp); without one, uploads go through the main queue.
    m_transfer_family = m_queue_family;
    for (uint32_t i = 0; i < family_count; ++i)
        if ((families[i].queueFlags & VK_QUEUE_TRANSFER_BIT) &&
            !(families[i].queueFlags & (VK_QUEUE_GRAPHICS_BIT | VK_QUEUE_COMPUTE_BIT))) {
            m_transfer_family = i;
            break;
        }
    uint32_t queue_count = 1;
    if (m_transfer_family != m_queue_family) {
        queue_infos[1].queueFamilyIndex = m_transfer_family;
        queue_infos[1].queueCount = 1;
        queue_infos[1].pQueuePriorities = &priority;
        queue_count = 2;
    }
    VkPhysicalDeviceVulkan13Features enable13{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_3_FEATURES};
    enable13.subgroupSizeControl = m_subgroup_size_control;
    enable13.computeFullSubgroups = m_full_subgroups;
    VkPhysicalDeviceVulkan12Features enable12{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_VULKAN_1_2_FEATURES,
                                              v13 ? &enable13 : nullptr};
    enable12.bufferDeviceAddress = VK_TRUE;
    enable12.scalarBlockLayout = VK_TRUE;
    VkPhysicalDeviceFeatures2 enable{VK_STRUCTURE_TYPE_PHYSICAL_DEVICE_FEATURES_2, &enable12};
    enable.features.shaderInt64 = VK_TRUE;
    std::vector<const char*> device_extensions;
    if (m_surface) device_extensions.push_back(VK_KHR_SWAPCHAIN_EXTENSION_NAME);
    // Memory shared with CUDA (renderer/interop_vk.hpp), where the driver can export it.
    m_external_memory_fd = has_device_extension(m_physical_device, VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
    if (m_external_memory_fd) device_extensions.push_back(VK_KHR_EXTERNAL_MEMORY_FD_EXTENSION_NAME);
    VkDeviceCreateInfo device_info{VK_STRUCTURE_TYPE_DEVICE_CREATE_INFO, &enable};
    device_info.queueCreateInfoCount = queue_count;
    device_info.pQueueCreateInfos = queue_infos;
    device_info.enabledExtensionCount = uint32_t(device_extensions.size());
    device_info.ppEnabledExtensionNames = device_extensions.data();
    VkDevice device = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateDevice(m_physical_device, &device_info, nullptr, &device));
    m_device = UniqueDevice(device);
    vkGetDeviceQueue(m_device, m_queue_family, 0, &m_queue);
    vkGetDeviceQueue(m_device, m_transfer_family, 0, &m_transfer_queue);

    m_allocator = std::make_unique<Allocator>(*this);

    VkCommandPoolCreateInfo pool_info{VK_STRUCTURE_TYPE_COMMAND_POOL_CREATE_INFO};
    pool_info.flags = VK_COMMAND_POOL_CREATE_TRANSIENT_BIT;
    pool_info.queueFamilyIndex = m_queue_family;
    VkCommandPool pool = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateCommandPool(m_device, &pool_info, nullptr, &pool));
    m_command_pool = UniqueCommandPool(m_device, pool);
    VkFenceCreateInfo fence_info{VK_STRUCTURE_TYPE_FENCE_CREATE_INFO};
    VkFence fence = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkCreateFence(m_device, &fence_info, nullptr, &fence));
    m_fence = UniqueFence(m_device, fence);

    log::debug("Vulkan device ", describe(m_info), ", subgroup size ", m_subgroup_size,
               m_subgroup_size_control ? " (required per pipeline)" : "", ", validation ",
               validation_enabled() ? "on" : "off");
}

Context::~Context() {
    if (m_device) vkDeviceWaitIdle(m_device);
    m_fence.reset();
    m_command_pool.reset();
    m_allocator.reset();
    m_device.reset();
    m_surface.reset();
    if (m_messenger) m_destroy_messenger(m_instance, m_messenger, nullptr);
    m_instance.reset();
}

VkBool32 Context::on_message(VkDebugUtilsMessageSeverityFlagBitsEXT severity, VkDebugUtilsMessageTypeFlagsEXT,
                             const VkDebugUtilsMessengerCallbackDataEXT* data, void* self) {
    auto* context = static_cast<Context*>(self);
    const char* text = data && data->pMessage ? data->pMessage : "(no message)";
    if (severity & VK_DEBUG_UTILS_MESSAGE_SEVERITY_ERROR_BIT_EXT) {
        context->m_validation_errors.fetch_add(1);
        log::error("Vulkan validation: ", text);
    } else {
        context->m_validation_warnings.fetch_add(1);
        log::warn("Vulkan validation: ", text);
    }
    return VK_FALSE;
}

void Context::submit_and_wait(const std::function<void(VkCommandBuffer)>& record) {
    VkCommandBufferAllocateInfo alloc{VK_STRUCTURE_TYPE_COMMAND_BUFFER_ALLOCATE_INFO};
    alloc.commandPool = m_command_pool;
    alloc.level = VK_COMMAND_BUFFER_LEVEL_PRIMARY;
    alloc.commandBufferCount = 1;
    VkCommandBuffer cmd = VK_NULL_HANDLE;
    SPLATSCAPE_VK_CHECK(vkAllocateCommandBuffers(m_device, &alloc, &cmd));
    struct Release {
        VkDevice device;
        VkCommandPool pool;
        VkCommandBuffer cmd;
        ~Release() { vkFreeCommandBuffers(device, pool, 1, &cmd); }
    } release{m_device, m_command_pool, cmd};
    VkCommandBufferBeginInfo begin{VK_STRUCTURE_TYPE_COMMAND_BUFFER_BEGIN_INFO};
    begin.flags = VK_COMMAND_BUFFER_USAGE_ONE_TIME_SUBMIT_BIT;
    SPLATSCAPE_VK_CHECK(vkBeginCommandBuffer(cmd, &begin));
    record(cmd);
    // Whatever the commands wrote may be read through a mapping once this returns.
    host_read_barrier(cmd);
    SPLATSCAPE_VK_CHECK(vkEndCommandBuffer(cmd));
    VkSubmitInfo submit{VK_STRUCTURE_TYPE_SUBMIT_INFO};
    submit.commandBufferCount = 1;
    submit.pCommandBuffers = &cmd;
    VkFence fence = m_fence;
    SPLATSCAPE_VK_CHECK(vkResetFences(m_device, 1, &fence));
    SPLATSCAPE_VK_CHECK(vkQueueSubmit(m_queue, 1, &submit, fence));
    SPLATSCAPE_VK_CHECK(vkWaitForFences(m_device, 1, &fence, VK_TRUE, UINT64_MAX));
}

void Context::wait_idle() const {
    SPLATSCAPE_VK_CHECK(vkDeviceWaitIdle(m_device));
}

void Context::set_name(VkObjectType type, uint64_t handle, const char* name) const {
    if (!m_set_object_name || !name) return;
    VkDebugUtilsObjectNameInfoEXT info{VK_STRUCTURE_TYPE_DEBUG_UTILS_OBJECT_NAME_INFO_EXT};
    info.objectType = type;
    info.objectHandle = handle;
    info.pObjectName = name;
    m_set_object_name(m_device, &info);
}

void memory_barrier(VkCommandBuffer cmd) {
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_SHADER_READ_BIT | VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT |
                            VK_ACCESS_TRANSFER_WRITE_BIT;
    const VkPipelineStageFlags stages = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(cmd, stages, stages, 0, 1, &barrier, 0, nullptr, 0, nullptr);
}

void indirect_barrier(VkCommandBuffer cmd) {
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_INDIRECT_COMMAND_READ_BIT | VK_ACCESS_SHADER_READ_BIT |
                            VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_READ_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    const VkPipelineStageFlags src = VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT;
    vkCmdPipelineBarrier(cmd, src, src | VK_PIPELINE_STAGE_DRAW_INDIRECT_BIT, 0, 1, &barrier, 0, nullptr, 0, nullptr);
}

void host_read_barrier(VkCommandBuffer cmd) {
    VkMemoryBarrier barrier{VK_STRUCTURE_TYPE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_SHADER_WRITE_BIT | VK_ACCESS_TRANSFER_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_HOST_READ_BIT;
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_COMPUTE_SHADER_BIT | VK_PIPELINE_STAGE_TRANSFER_BIT,
                         VK_PIPELINE_STAGE_HOST_BIT, 0, 1, &barrier, 0, nullptr, 0, nullptr);
}

void image_barrier(VkCommandBuffer cmd, VkImage image, VkImageLayout from, VkImageLayout to) {
    VkImageMemoryBarrier barrier{VK_STRUCTURE_TYPE_IMAGE_MEMORY_BARRIER};
    barrier.srcAccessMask = VK_ACCESS_MEMORY_WRITE_BIT;
    barrier.dstAccessMask = VK_ACCESS_MEMORY_READ_BIT | VK_ACCESS_MEMORY_WRITE_BIT;
    barrier.oldLayout = from;
    barrier.newLayout = to;
    barrier.srcQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.dstQueueFamilyIndex = VK_QUEUE_FAMILY_IGNORED;
    barrier.image = image;
    barrier.subresourceRange = {VK_IMAGE_ASPECT_COLOR_BIT, 0, 1, 0, 1};
    vkCmdPipelineBarrier(cmd, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, VK_PIPELINE_STAGE_ALL_COMMANDS_BIT, 0, 0, nullptr, 0,
                         nullptr, 1, &barrier);
}

} // namespace splatscape::vk
