// The CUDA backend's memory and device: tensors from the stream-ordered pool, transfers, row
// surgery; the op families it provides live in training/cuda/*_ops_cuda.*.
#include "training/cuda/cuda_backend.hpp"

#include <cuda_runtime_api.h>

#include <cmath>
#include <cstdint>

#include "core/error.hpp"
#include "training/cuda/appearance_ops_cuda.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/cuda/densify_ops_cuda.hpp"
#include "training/cuda/device_cuda.hpp"
#include "training/cuda/device_memory_cuda.hpp"
#include "training/cuda/encoding_ops_cuda.hpp"
#include "training/cuda/expert_ops_cuda.hpp"
#include "training/cuda/filter3d_ops_cuda.hpp"
#include "training/cuda/image_loss_ops_cuda.hpp"
#include "training/cuda/mcmc_ops_cuda.hpp"
#include "training/cuda/mlp_ops_cuda.hpp"
#include "training/cuda/neighbour_ops_cuda.hpp"
#include "training/cuda/ops_common_cuda.hpp"
#include "training/cuda/ops_cuda.hpp"
#include "training/cuda/optimizer_ops_cuda.hpp"
#include "training/cuda/raster_ops_cuda.hpp"
#include "training/cuda/ray_march_ops_cuda.hpp"
#include "training/cuda/sags_ops_cuda.hpp"
#include "training/cuda/slice4d_ops_cuda.hpp"

namespace splatscape {

using namespace cuda;

namespace {

void release_cuda(void* p) {
    cuda::device_free(p);
}

} // namespace

CudaBackend::CudaBackend(int device_index) : m_device(device_index) {
    std::string why;
    const auto devices = cuda::list_devices(&why);
    if (devices.empty()) throw UsageError(cat("cuda:", device_index, ": no CUDA device is available (", why, ")"));
    if (device_index < 0 || size_t(device_index) >= devices.size())
        throw UsageError(cat("cuda:", device_index, ": this machine has ", devices.size(), " CUDA device",
                             devices.size() == 1 ? "" : "s", " (cuda:0",
                             devices.size() > 1 ? cat("..cuda:", devices.size() - 1) : "", ")"));
    use_device();
    cuda::configure_pool(m_device);
    m_description = cuda::describe(devices[size_t(device_index)]);
    provide<RasterOps>(std::make_unique<RasterOpsCuda>(*this));
    provide<ImageLossOps>(std::make_unique<ImageLossOpsCuda>(*this));
    provide<OptimizerOps>(std::make_unique<OptimizerOpsCuda>(*this));
    provide<DensifyOps>(std::make_unique<DensifyOpsCuda>(*this));
    provide<Slice4dOps>(std::make_unique<Slice4dOpsCuda>(*this));
    provide<EncodingOps>(std::make_unique<EncodingOpsCuda>(*this));
    provide<MlpOps>(std::make_unique<MlpOpsCuda>(*this));
    provide<NeighbourOps>(std::make_unique<NeighbourOpsCuda>(*this));
    provide<McmcOps>(std::make_unique<McmcOpsCuda>(*this));
    provide<Filter3dOps>(std::make_unique<Filter3dOpsCuda>(*this));
    provide<AppearanceOps>(std::make_unique<AppearanceOpsCuda>(*this));
    provide<SagsOps>(std::make_unique<SagsOpsCuda>(*this));
    provide<ExpertOps>(std::make_unique<ExpertOpsCuda>(*this));
    provide<RayMarchOps>(std::make_unique<RayMarchOpsCuda>(*this));
}

CudaBackend::~CudaBackend() {
    release_families();
}

void CudaBackend::use_device() const {
    SPLATSCAPE_CUDA_CHECK(cudaSetDevice(m_device));
}

void CudaBackend::synchronize() {
    use_device();
    cuda::sync();
}

CudaBackend::MemoryUse CudaBackend::memory_use() const {
    use_device();
    const cuda::PoolStats s = cuda::pool_stats();
    return {s.used, s.used_high, s.reserved_high};
}

void CudaBackend::reset_peak_memory() {
    use_device();
    cuda::reset_pool_peaks();
}

// ---- memory -------------------------------------------------------------------------------------

Tensor CudaBackend::zeros(size_t rows, int cols, DType dtype) {
    use_device();
    const size_t bytes = rows * size_t(cols) * dtype_size(dtype);
    void* p = cuda::device_alloc(bytes, "a training tensor");
    if (bytes) SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(p, 0, bytes, cudaStreamLegacy));
    return Tensor(p, rows, cols, dtype, Device::Cuda, release_cuda);
}

void CudaBackend::upload(Tensor& dst, const void* host) {
    require_on_gpu(&dst, "upload", "dst");
    if (dst.bytes()) SPLATSCAPE_CUDA_CHECK(cudaMemcpy(dst.raw(), host, dst.bytes(), cudaMemcpyHostToDevice));
}

void CudaBackend::download(const Tensor& src, void* host) {
    require_on_gpu(&src, "download", "src");
    if (src.bytes()) SPLATSCAPE_CUDA_CHECK(cudaMemcpy(host, src.raw(), src.bytes(), cudaMemcpyDeviceToHost));
}

void CudaBackend::fill(Tensor& t, float value) {
    require_on_gpu(&t, "fill", "t");
    if (t.empty()) return;
    if (value == 0.0f && !std::signbit(value)) {
        SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(t.raw(), 0, t.bytes(), cudaStreamLegacy));
    } else if (t.dtype() == DType::F32) {
        cuda::launch_fill_f32(t.f32(), t.numel(), value);
    } else {
        cuda::launch_fill_i32(t.i32(), t.numel(), int32_t(value));
    }
}

Tensor CudaBackend::clone(const Tensor& src) {
    require_on_gpu(&src, "clone", "src");
    Tensor t = zeros(src.rows(), src.cols(), src.dtype());
    if (src.bytes())
        SPLATSCAPE_CUDA_CHECK(
            cudaMemcpyAsync(t.raw(), src.raw(), src.bytes(), cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    return t;
}

// ---- rows ---------------------------------------------------------------------------------------

Tensor CudaBackend::gather_rows(const Tensor& src, const Tensor& rows) {
    use_device();
    require_on_gpu(&src, "gather_rows", "src");
    require_on_gpu(&rows, "gather_rows", "rows");
    require(rows.dtype() == DType::I32 && rows.cols() == 1, "gather_rows", "rows must be int32 [M, 1]");
    Tensor out = zeros(rows.rows(), src.cols(), src.dtype());
    cuda::launch_gather_rows(static_cast<const uint32_t*>(src.raw()), src.cols(), rows.i32(), rows.rows(),
                             static_cast<uint32_t*>(out.raw()));
    return out;
}

Tensor CudaBackend::concat_rows(const Tensor& a, const Tensor& b) {
    use_device();
    require_on_gpu(&a, "concat_rows", "a");
    require_on_gpu(&b, "concat_rows", "b");
    if (a.cols() != b.cols() || a.dtype() != b.dtype())
        throw Error(cat("concat_rows: column counts differ (", a.cols(), " vs ", b.cols(), ")"));
    Tensor out = zeros(a.rows() + b.rows(), a.cols(), a.dtype());
    if (a.bytes())
        SPLATSCAPE_CUDA_CHECK(
            cudaMemcpyAsync(out.raw(), a.raw(), a.bytes(), cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    if (b.bytes())
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(static_cast<uint8_t*>(out.raw()) + a.bytes(), b.raw(), b.bytes(),
                                              cudaMemcpyDeviceToDevice, cudaStreamLegacy));
    return out;
}

} // namespace splatscape
