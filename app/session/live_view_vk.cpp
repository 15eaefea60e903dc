// Built with the Vulkan renderer only (the app compiles every session/*.cpp).
#if defined(SPLATSCAPE_HAVE_VULKAN)
#include "app/session/live_view_vk.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"
#include "core/gaussian_cloud.hpp"
#include "renderer/vk/context_vk.hpp"
#if defined(SPLATSCAPE_HAVE_CUDA)
#include "training/cuda/device_cuda.hpp"
#endif

namespace splatscape {

LiveViewHost::LiveViewHost(vk::Context& context, std::shared_ptr<LiveViewExchange> exchange, size_t capacity,
                           int sh_degree)
    : m_context(context), m_exchange(std::move(exchange)), m_sh_degree(sh_degree) {
    for (int s = 0; s < LiveViewExchange::kSlots; ++s) allocate(s, capacity);
}

void LiveViewHost::allocate(int slot, size_t capacity) {
    capacity = std::max<size_t>(capacity, 1);
    const int stride = sh_coeff_count(m_sh_degree);
    auto& b = m_buffers[size_t(slot)];
    const VkDeviceSize rows = VkDeviceSize(capacity) * 16;
    b = {vk::ExportableBuffer(m_context, rows, "live view means"),
         vk::ExportableBuffer(m_context, rows, "live view scales"),
         vk::ExportableBuffer(m_context, rows, "live view rotations"),
         vk::ExportableBuffer(m_context, VkDeviceSize(capacity) * stride * 12, "live view SH")};
    LiveSlotMemory m;
    for (int k = 0; k < 4; ++k) {
        m.fds[size_t(k)] = b[size_t(k)].export_fd();
        m.sizes[size_t(k)] = size_t(b[size_t(k)].allocation_size());
    }
    m.capacity = capacity;
    m.sh_stride = stride;
    m_exchange->offer(slot, m);
}

int LiveViewHost::update(const std::function<void(const vk::GpuScene::External&)>& show) {
    if (const size_t wanted = m_exchange->wanted_capacity()) {
        // Half again what was asked for, so a growing model does not reallocate at every step.
        for (int s = 0; s < LiveViewExchange::kSlots; ++s)
            if (s != m_shown && m_exchange->capacity(s) < wanted && m_exchange->withdraw(s))
                allocate(s, wanted + wanted / 2);
    }
    const auto ready = m_exchange->take_ready();
    if (!ready) return -1;
    const auto& b = m_buffers[size_t(ready->slot)];
    vk::GpuScene::External e;
    e.count = uint32_t(ready->count);
    e.sh_degree = m_sh_degree;
    e.means_opacity = b[0].address();
    e.log_scales = b[1].address();
    e.rotations = b[2].address();
    e.sh = b[3].address();
    show(e);
    if (m_shown >= 0) m_exchange->release(m_shown);
    m_shown = ready->slot;
    return ready->iteration;
}

size_t LiveViewHost::capacity() const {
    size_t c = 0;
    for (int s = 0; s < LiveViewExchange::kSlots; ++s) c = std::max(c, m_exchange->capacity(s));
    return c;
}

bool live_view_shares_memory(const vk::Context& context, const std::string& device, std::string* why) {
    auto fail = [&](const std::string& reason) {
        if (why) *why = reason;
        return false;
    };
    if (device == "cpu") return fail("training runs on the CPU");
    if (!vk::can_export_memory(context)) return fail(cat(context.info().name, " cannot export memory"));
#if defined(SPLATSCAPE_HAVE_CUDA)
    const auto devices = cuda::list_devices();
    if (devices.empty()) return fail("no CUDA device");
    int index = 0;
    if (device.rfind("cuda:", 0) == 0) index = std::atoi(device.c_str() + 5);
    if (index < 0 || size_t(index) >= devices.size()) return fail(cat("no CUDA device ", index));
    vk::DeviceUuid uuid;
    std::memcpy(uuid.data(), devices[size_t(index)].uuid.data(), 16);
    if (uuid != vk::device_uuid(context))
        return fail(cat("the window draws on ", context.info().name, ", training runs on ",
                        cuda::describe(devices[size_t(index)])));
    return true;
#else
    return fail("this build has no CUDA backend");
#endif
}

} // namespace splatscape
#endif
