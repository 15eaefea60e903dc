#pragma once
// The CUDA devices this process can use, for device selection (`--device auto|cuda[:N]`) and for
// matching a Vulkan device by UUID. No CUDA types: included by code built without nvcc.
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace splatscape::cuda {

struct DeviceDescription {
    int index = 0;
    std::string name;
    size_t total_memory = 0;
    int major = 0, minor = 0;          // compute capability
    std::array<uint8_t, 16> uuid = {}; // matches VkPhysicalDeviceIDProperties::deviceUUID
};

// Every CUDA device; empty when there is none, with the runtime's reason in `why` (no driver,
// no device, a driver too old for this build).
std::vector<DeviceDescription> list_devices(std::string* why = nullptr);

// "cuda:0 NVIDIA H200 (139.8 GiB, sm_90)"
std::string describe(const DeviceDescription& device);

} // namespace splatscape::cuda
