#include "training/cuda/device_cuda.hpp"

#include <cuda_runtime_api.h>

#include <cstring>

#include "core/error.hpp"

namespace splatscape::cuda {

std::vector<DeviceDescription> list_devices(std::string* why) {
    std::vector<DeviceDescription> out;
    int count = 0;
    const cudaError_t e = cudaGetDeviceCount(&count);
    if (e != cudaSuccess) {
        cudaGetLastError();
        if (why) *why = cat(cudaGetErrorName(e), ": ", cudaGetErrorString(e));
        return out;
    }
    if (count == 0 && why) *why = "the CUDA driver reports no devices";
    for (int i = 0; i < count; ++i) {
        cudaDeviceProp p{};
        if (cudaGetDeviceProperties(&p, i) != cudaSuccess) {
            cudaGetLastError();
            continue;
        }
        DeviceDescription d;
        d.index = i;
        d.name = p.name;
        d.total_memory = p.totalGlobalMem;
        d.major = p.major;
        d.minor = p.minor;
        std::memcpy(d.uuid.data(), p.uuid.bytes, 16);
        out.push_back(d);
    }
    return out;
}

std::string describe(const DeviceDescription& d) {
    char mem[32];
    std::snprintf(mem, sizeof mem, "%.1f GiB", double(d.total_memory) / double(size_t(1) << 30));
    return cat("cuda:", d.index, " ", d.name, " (", mem, ", sm_", d.major, d.minor, ")");
}

} // namespace splatscape::cuda
