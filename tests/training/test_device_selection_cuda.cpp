// Device selection (training/backend.cpp): `--device cpu|auto|cuda[:N]` on machines with and without
// a CUDA device. Runs everywhere (label unit): without a GPU, `auto` must quietly take the CPU and
// `cuda` must fail with a message a user can act on.
#include <gtest/gtest.h>

#include "core/error.hpp"
#include "training/backend.hpp"
#if defined(SPLATSCAPE_HAVE_CUDA)
#include "training/cuda/device_cuda.hpp"
#endif

namespace splatscape::test {
namespace {

size_t cuda_devices() {
#if defined(SPLATSCAPE_HAVE_CUDA)
    return cuda::list_devices().size();
#else
    return 0;
#endif
}

std::string usage_error(const std::string& device) {
    try {
        create_backend(device, 1);
    } catch (const UsageError& e) {
        return e.what();
    }
    return "";
}

TEST(DeviceSelection, CpuAlwaysWorks) {
    EXPECT_EQ(create_backend("cpu", 1)->device(), Device::Cpu);
}

TEST(DeviceSelection, AutoTakesCudaWhenPresent) {
    const auto backend = create_backend("auto", 1);
    EXPECT_EQ(backend->device(), cuda_devices() > 0 ? Device::Cuda : Device::Cpu) << backend->description();
}

TEST(DeviceSelection, CudaWithoutADeviceFailsClearly) {
    if (cuda_devices() > 0) {
        EXPECT_EQ(create_backend("cuda", 1)->device(), Device::Cuda);
        EXPECT_EQ(create_backend("cuda:0", 1)->device(), Device::Cuda);
        const std::string e = usage_error(cat("cuda:", cuda_devices()));
        EXPECT_NE(e.find("no such CUDA device"), std::string::npos) << e;
        return;
    }
    for (const char* d : {"cuda", "cuda:0", "cuda:1"}) {
        const std::string e = usage_error(d);
        EXPECT_NE(e.find(d), std::string::npos) << e;
        EXPECT_NE(e.find("--device cpu"), std::string::npos) << e;
    }
}

TEST(DeviceSelection, MalformedNamesAreUsageErrors) {
    for (const char* d : {"gpu", "cuda:", "cuda:x", "cuda:-1", "cuda0", "CPU", ""}) {
        const std::string e = usage_error(d);
        EXPECT_NE(e.find("expected cpu, cuda[:N] or auto"), std::string::npos) << d << ": " << e;
    }
}

} // namespace
} // namespace splatscape::test
