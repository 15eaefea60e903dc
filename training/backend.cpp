#include "training/backend.hpp"

#include <cstdlib>

#include "core/error.hpp"
#include "core/log.hpp"
#include "training/cpu/cpu_backend.hpp"
#if defined(SPLATSCAPE_HAVE_CUDA)
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/device_cuda.hpp"
#endif

namespace splatscape {

std::string to_string(Device device) {
    return device == Device::Cpu ? "cpu" : "cuda";
}

std::vector<std::string> Backend::op_families() const {
    std::vector<std::string> names;
    for (const auto& [name, family] : m_families) names.push_back(name);
    return names;
}

namespace {

// "cuda" -> 0, "cuda:3" -> 3; -1 for anything else.
int parse_cuda_index(const std::string& device) {
    if (device == "cuda") return 0;
    if (device.rfind("cuda:", 0) != 0 || device.size() == 5 || device.size() > 9) return -1;
    int index = 0;
    for (size_t i = 5; i < device.size(); ++i) {
        if (device[i] < '0' || device[i] > '9') return -1;
        index = index * 10 + (device[i] - '0');
    }
    return index;
}

} // namespace

std::unique_ptr<Backend> create_backend(const std::string& device, int threads) {
    if (device == "cpu") return std::make_unique<CpuBackend>(threads);
    if (device == "auto") {
#if defined(SPLATSCAPE_HAVE_CUDA)
        const auto devices = cuda::list_devices();
        if (!devices.empty()) {
            log::info("--device auto: training on ", cuda::describe(devices.front()));
            return std::make_unique<CudaBackend>(0);
        }
#endif
        return std::make_unique<CpuBackend>(threads);
    }
    const int index = parse_cuda_index(device);
    if (index < 0) throw UsageError(cat("--device ", device, ": expected cpu, cuda[:N] or auto"));
#if defined(SPLATSCAPE_HAVE_CUDA)
    std::string why;
    const auto devices = cuda::list_devices(&why);
    if (devices.empty())
        throw UsageError(cat("--device ", device, ": no CUDA device is available (", why,
                             "); use --device cpu, or auto to pick whatever is there"));
    if (size_t(index) >= devices.size()) {
        std::string list;
        for (const auto& d : devices) list += cat("\n  ", cuda::describe(d));
        throw UsageError(cat("--device ", device, ": no such CUDA device; this machine has", list));
    }
    return std::make_unique<CudaBackend>(index);
#else
    throw UsageError(cat("--device ", device, ": this build has no CUDA training backend; use --device cpu"));
#endif
}

} // namespace splatscape
