#include "training/backend.hpp"

#include "core/error.hpp"
#include "training/cpu/cpu_backend.hpp"

namespace splatscape {

std::string to_string(Device device) {
    return device == Device::Cpu ? "cpu" : "cuda";
}

std::unique_ptr<Backend> create_backend(const std::string& device, int threads) {
    if (device == "cpu" || device == "auto") return std::make_unique<CpuBackend>(threads);
    if (device.rfind("cuda", 0) == 0)
        throw UsageError(cat("--device ", device, ": this build has no CUDA training backend; use --device cpu"));
    throw UsageError(cat("--device ", device, ": expected cpu, cuda[:N] or auto"));
}

} // namespace splatscape
