#include "training/cuda/device_memory_cuda.hpp"

#include <cuda_runtime.h>

#include <cstdint>

#include "core/error.hpp"
#include "training/cuda/cuda_check.hpp"

namespace splatscape::cuda {
namespace {

std::string gib(size_t bytes) {
    return cat(double(bytes) / double(size_t(1) << 30), " GiB");
}

std::string human(size_t bytes) {
    if (bytes >= (size_t(1) << 30)) return gib(bytes);
    return cat(double(bytes) / double(size_t(1) << 20), " MiB");
}

} // namespace

void throw_cuda_error(cudaError_t error, const char* call, const char* file, int line) {
    throw Error(cat("CUDA error in ", call, " (", file, ":", line, "): ", cudaGetErrorName(error), ": ",
                    cudaGetErrorString(error)));
}

void throw_out_of_memory(size_t bytes, const char* what) {
    size_t free_bytes = 0, total_bytes = 0;
    int device = 0;
    cudaGetDevice(&device);
    cudaMemGetInfo(&free_bytes, &total_bytes);
    cudaDeviceProp prop{};
    cudaGetDeviceProperties(&prop, device);
    cudaGetLastError(); // an allocation failure is not sticky; clear it
    const PoolStats pool = pool_stats();
    throw Error(cat("out of GPU memory: ", what, " asked for ", human(bytes), " (", human(free_bytes), " free of ",
                    human(total_bytes), " on cuda:", device, " ", prop.name, "; training holds ", human(pool.used),
                    "). Reduce the image size (--downscale, --max-width) or the number of Gaussians "
                    "(densify.max_gaussians, a higher densify.grad_threshold), close other programs using the GPU, "
                    "or train on a GPU with more memory"));
}

void* device_alloc(size_t bytes, const char* what) {
    if (bytes == 0) return nullptr;
    void* p = nullptr;
    const cudaError_t e = cudaMallocAsync(&p, bytes, cudaStreamLegacy);
    if (e == cudaErrorMemoryAllocation) throw_out_of_memory(bytes, what);
    check(e, "cudaMallocAsync", __FILE__, __LINE__);
    return p;
}

void device_free(void* p) noexcept {
    if (p) cudaFreeAsync(p, cudaStreamLegacy);
}

void DeviceBuffer::ensure(size_t bytes, const char* what) {
    if (bytes <= m_bytes) return;
    const size_t grown = bytes + bytes / 2;
    device_free(m_data);
    m_data = nullptr;
    m_bytes = 0;
    m_data = device_alloc(grown, what);
    m_bytes = grown;
}

PinnedBuffer::PinnedBuffer(size_t bytes) {
    SPLATSCAPE_CUDA_CHECK(cudaMallocHost(&m_data, bytes));
}

PinnedBuffer::~PinnedBuffer() {
    if (m_data) cudaFreeHost(m_data);
}

PinnedBuffer& PinnedBuffer::operator=(PinnedBuffer&& o) noexcept {
    if (this != &o) {
        if (m_data) cudaFreeHost(m_data);
        m_data = o.m_data;
        o.m_data = nullptr;
    }
    return *this;
}

Event::Event() {
    SPLATSCAPE_CUDA_CHECK(cudaEventCreate(&m_event));
}

Event::~Event() {
    if (m_event) cudaEventDestroy(m_event);
}

Event& Event::operator=(Event&& o) noexcept {
    if (this != &o) {
        if (m_event) cudaEventDestroy(m_event);
        m_event = o.m_event;
        o.m_event = nullptr;
    }
    return *this;
}

void Event::record() {
    SPLATSCAPE_CUDA_CHECK(cudaEventRecord(m_event, cudaStreamLegacy));
}

void Event::synchronize() {
    SPLATSCAPE_CUDA_CHECK(cudaEventSynchronize(m_event));
}

float Event::since(const Event& start) const {
    float ms = 0.0f;
    SPLATSCAPE_CUDA_CHECK(cudaEventElapsedTime(&ms, start.m_event, m_event));
    return ms;
}

namespace {

cudaMemPool_t current_pool() {
    int device = 0;
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&device));
    cudaMemPool_t pool = nullptr;
    SPLATSCAPE_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
    return pool;
}

} // namespace

PoolStats pool_stats() {
    PoolStats s;
    cudaMemPool_t pool = current_pool();
    uint64_t v = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemCurrent, &v));
    s.used = size_t(v);
    SPLATSCAPE_CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &v));
    s.used_high = size_t(v);
    SPLATSCAPE_CUDA_CHECK(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemHigh, &v));
    s.reserved_high = size_t(v);
    return s;
}

void reset_pool_peaks() {
    cudaMemPool_t pool = current_pool();
    uint64_t zero = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrUsedMemHigh, &zero));
    SPLATSCAPE_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReservedMemHigh, &zero));
}

void configure_pool(int device) {
    cudaMemPool_t pool = nullptr;
    SPLATSCAPE_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
    uint64_t threshold = UINT64_MAX;
    SPLATSCAPE_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
}

} // namespace splatscape::cuda
