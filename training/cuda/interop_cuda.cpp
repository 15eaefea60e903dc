#include "training/cuda/interop_cuda.hpp"

#include <cuda_runtime_api.h>
#include <unistd.h>

#include <cstring>
#include <utility>

#include "core/error.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/tensor.hpp"

namespace splatscape::cuda {

void launch_write_renderer_scene(size_t n, const float* means, const float* opacities, const float* log_scales,
                                 int scale_cols, const float* rotations, const float* sh, int sh_stride,
                                 const RendererScene& out);

ImportedMemory::ImportedMemory(int fd, size_t allocation_size, int device) {
    SPLATSCAPE_CUDA_CHECK(cudaSetDevice(device));
    cudaExternalMemoryHandleDesc desc{};
    desc.type = cudaExternalMemoryHandleTypeOpaqueFd;
    desc.handle.fd = fd;
    desc.size = allocation_size;
    desc.flags = cudaExternalMemoryDedicated;
    cudaExternalMemory_t handle = nullptr;
    const cudaError_t e = cudaImportExternalMemory(&handle, &desc);
    if (e != cudaSuccess) {
        close(fd);
        check(e, "cudaImportExternalMemory", __FILE__, __LINE__);
    }
    m_handle = handle;
    cudaExternalMemoryBufferDesc buffer{};
    buffer.offset = 0;
    buffer.size = allocation_size;
    void* data = nullptr;
    const cudaError_t m = cudaExternalMemoryGetMappedBuffer(&data, handle, &buffer);
    if (m != cudaSuccess) {
        release();
        check(m, "cudaExternalMemoryGetMappedBuffer", __FILE__, __LINE__);
    }
    m_data = data;
    m_size = allocation_size;
}

ImportedMemory::~ImportedMemory() {
    release();
}

ImportedMemory::ImportedMemory(ImportedMemory&& o) noexcept
    : m_handle(std::exchange(o.m_handle, nullptr)), m_data(std::exchange(o.m_data, nullptr)),
      m_size(std::exchange(o.m_size, 0)) {}

ImportedMemory& ImportedMemory::operator=(ImportedMemory&& o) noexcept {
    if (this != &o) {
        release();
        m_handle = std::exchange(o.m_handle, nullptr);
        m_data = std::exchange(o.m_data, nullptr);
        m_size = std::exchange(o.m_size, 0);
    }
    return *this;
}

void ImportedMemory::release() noexcept {
    // Mapped buffers are freed with cudaFree, after the work that uses them.
    if (m_data) {
        cudaStreamSynchronize(cudaStreamLegacy);
        cudaFree(m_data);
    }
    if (m_handle) cudaDestroyExternalMemory(static_cast<cudaExternalMemory_t>(m_handle));
    m_data = nullptr;
    m_handle = nullptr;
    m_size = 0;
}

void write_renderer_scene(size_t n, const Tensor& means, const Tensor& opacities, const Tensor& log_scales,
                          const Tensor& rotations, const Tensor& sh, const RendererScene& out) {
    if (means.rows() < n || opacities.rows() < n || log_scales.rows() < n || rotations.rows() < n || sh.rows() < n ||
        log_scales.cols() < 3 || sh.cols() % 3 != 0)
        throw Error("write_renderer_scene: the tensors do not hold the Gaussians asked for");
    launch_write_renderer_scene(n, means.f32(), opacities.f32(), log_scales.f32(), log_scales.cols(), rotations.f32(),
                                sh.f32(), sh.cols() / 3, out);
}

void finish_writes() {
    SPLATSCAPE_CUDA_CHECK(cudaStreamSynchronize(cudaStreamLegacy));
}

std::array<uint8_t, 16> device_uuid(int device) {
    cudaDeviceProp p{};
    SPLATSCAPE_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
    std::array<uint8_t, 16> uuid;
    std::memcpy(uuid.data(), p.uuid.bytes, 16);
    return uuid;
}

} // namespace splatscape::cuda
