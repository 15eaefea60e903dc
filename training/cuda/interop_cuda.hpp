#pragma once
// The CUDA side of sharing GPU memory with the Vulkan renderer (renderer/interop_vk.hpp exports it):
// device memory imported from an opaque POSIX fd, and a kernel that writes Gaussians into it in the
// renderer's scene layout (vk::GpuScene). No CUDA types here: the app includes it from plain C++.
#include <array>
#include <cstddef>
#include <cstdint>

namespace splatscape {
class Tensor;
}

namespace splatscape::cuda {

// Memory another API exported (VK_KHR_external_memory_fd, a dedicated allocation of
// `allocation_size` bytes), mapped for kernels on CUDA device `device`. Takes ownership of `fd`
// (CUDA closes it when the import succeeds; this class closes it when it fails). Throws Error.
class ImportedMemory {
public:
    ImportedMemory() = default;
    ImportedMemory(int fd, size_t allocation_size, int device);
    ~ImportedMemory();
    ImportedMemory(ImportedMemory&& o) noexcept;
    ImportedMemory& operator=(ImportedMemory&& o) noexcept;
    ImportedMemory(const ImportedMemory&) = delete;
    ImportedMemory& operator=(const ImportedMemory&) = delete;

    void* data() const { return m_data; }
    size_t size() const { return m_size; }

private:
    void release() noexcept;
    void* m_handle = nullptr; // cudaExternalMemory_t
    void* m_data = nullptr;
    size_t m_size = 0;
};

// Where the renderer reads one scene (vk::GpuScene's layout), device pointers.
struct RendererScene {
    float* means_opacity = nullptr; // [N, 4] x y z, opacity logit
    float* log_scales = nullptr;    // [N, 4] x y z, 0
    float* rotations = nullptr;     // [N, 4] w x y z
    float* sh = nullptr;            // [N, out_sh_stride, 3]
    int out_sh_stride = 16;         // coefficients per Gaussian the renderer reads
};

// Writes `n` Gaussians from training tensors (means [N, 3], opacities [N, 1], log_scales [N, >= 3],
// rotations [N, 4], sh [N, K * 3]) into `out`; coefficients beyond K are zeroed, beyond
// out_sh_stride dropped. Queued on the legacy default stream; call finish_writes() before another
// API reads the memory.
void write_renderer_scene(size_t n, const Tensor& means, const Tensor& opacities, const Tensor& log_scales,
                          const Tensor& rotations, const Tensor& sh, const RendererScene& out);
// Waits until every queued write is complete (the live view's fence scheme).
void finish_writes();

// The UUID of CUDA device `device` (to match a Vulkan device).
std::array<uint8_t, 16> device_uuid(int device);

} // namespace splatscape::cuda
