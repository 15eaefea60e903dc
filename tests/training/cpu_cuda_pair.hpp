#pragma once
// The CUDA op tests' shared harness: whether the machine has a CUDA device, random inputs, and the
// same tensors on the CPU and the CUDA backend, to run one op on both and compare.
#include <cstdint>
#include <memory>
#include <random>
#include <vector>

#include <gtest/gtest.h>

#include "training/cpu/cpu_backend.hpp"
#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/device_cuda.hpp"

namespace splatscape::test {

inline bool have_gpu() {
    return !cuda::list_devices().empty();
}

#define SKIP_WITHOUT_GPU()                                                                                             \
    if (!have_gpu()) GTEST_SKIP() << "no CUDA device on this machine; skipping"

inline std::vector<float> uniform(std::mt19937& rng, size_t n, float lo, float hi) {
    std::uniform_real_distribution<float> d(lo, hi);
    std::vector<float> v(n);
    for (auto& x : v) x = d(rng);
    return v;
}

// Both backends, and tensors made on both from the same host data.
struct CpuCudaPair {
    CpuBackend cpu{0};
    std::unique_ptr<CudaBackend> gpu = std::make_unique<CudaBackend>(0);

    struct Pair {
        Tensor c, g;
    };
    Pair f32(const std::vector<float>& v, size_t rows, int cols) {
        return filled(v.data(), v.empty(), rows, cols, DType::F32);
    }
    Pair i32(const std::vector<int32_t>& v, size_t rows, int cols = 1) {
        return filled(v.data(), v.empty(), rows, cols, DType::I32);
    }
    Pair zeros(size_t rows, int cols, DType dt = DType::F32) {
        return {cpu.zeros(rows, cols, dt), gpu->zeros(rows, cols, dt)};
    }

private:
    Pair filled(const void* data, bool empty, size_t rows, int cols, DType dt) {
        Pair p = zeros(rows, cols, dt);
        if (!empty) {
            cpu.upload(p.c, data);
            gpu->upload(p.g, data);
        }
        return p;
    }
};

// A tensor's values on the host.
template <class T>
std::vector<T> host(Backend& b, const Tensor& t) {
    std::vector<T> v(t.numel());
    b.download(t, v.data());
    return v;
}

} // namespace splatscape::test
