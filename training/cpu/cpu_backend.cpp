#include "training/cpu/cpu_backend.hpp"

#include <algorithm>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"
#include "training/cpu/appearance_ops_cpu.hpp"
#include "training/cpu/densify_ops_cpu.hpp"
#include "training/cpu/encoding_ops_cpu.hpp"
#include "training/cpu/expert_ops_cpu.hpp"
#include "training/cpu/filter3d_ops_cpu.hpp"
#include "training/cpu/image_loss_ops_cpu.hpp"
#include "training/cpu/mcmc_ops_cpu.hpp"
#include "training/cpu/mlp_ops_cpu.hpp"
#include "training/cpu/neighbour_ops_cpu.hpp"
#include "training/cpu/optimizer_ops_cpu.hpp"
#include "training/cpu/raster_ops_cpu.hpp"
#include "training/cpu/ray_march_ops_cpu.hpp"
#include "training/cpu/sags_ops_cpu.hpp"
#include "training/cpu/slice4d_ops_cpu.hpp"
#include "training/cpu/thread_pool.hpp"

namespace splatscape {
namespace {

void release_host(void* p) {
    std::free(p);
}

} // namespace

CpuBackend::CpuBackend(int threads) {
    cpu::set_cpu_threads(threads);
    m_threads = cpu::cpu_threads();
    provide<RasterOps>(std::make_unique<RasterOpsCpu>());
    provide<ImageLossOps>(std::make_unique<ImageLossOpsCpu>());
    provide<OptimizerOps>(std::make_unique<OptimizerOpsCpu>());
    provide<DensifyOps>(std::make_unique<DensifyOpsCpu>(*this));
    provide<Slice4dOps>(std::make_unique<Slice4dOpsCpu>(*this));
    provide<EncodingOps>(std::make_unique<EncodingOpsCpu>(*this));
    provide<MlpOps>(std::make_unique<MlpOpsCpu>(*this));
    provide<NeighbourOps>(std::make_unique<NeighbourOpsCpu>(*this));
    provide<McmcOps>(std::make_unique<McmcOpsCpu>(*this));
    provide<Filter3dOps>(std::make_unique<Filter3dOpsCpu>());
    provide<AppearanceOps>(std::make_unique<AppearanceOpsCpu>());
    provide<SagsOps>(std::make_unique<SagsOpsCpu>(*this));
    provide<RayMarchOps>(std::make_unique<RayMarchOpsCpu>(*this));
    provide<ExpertOps>(std::make_unique<ExpertOpsCpu>(*this));
}

CpuBackend::~CpuBackend() {
    release_families();
}

std::string CpuBackend::description() const {
    return cat("cpu (", m_threads, m_threads == 1 ? " thread)" : " threads)");
}

Tensor CpuBackend::zeros(size_t rows, int cols, DType dtype) {
    const size_t bytes = rows * size_t(cols) * dtype_size(dtype);
    // Cache-line aligned; at least one line so that empty tensors still own a valid pointer.
    const size_t alloc = std::max<size_t>(64, (bytes + 63) / 64 * 64);
    void* p = std::aligned_alloc(64, alloc);
    if (!p) throw Error(cat("out of host memory: could not allocate ", alloc, " bytes (", rows, " x ", cols, ")"));
    std::memset(p, 0, alloc);
    return Tensor(p, rows, cols, dtype, Device::Cpu, release_host);
}

void CpuBackend::upload(Tensor& dst, const void* host) {
    if (dst.bytes()) std::memcpy(dst.raw(), host, dst.bytes());
}

void CpuBackend::download(const Tensor& src, void* host) {
    if (src.bytes()) std::memcpy(host, src.raw(), src.bytes());
}

void CpuBackend::fill(Tensor& t, float value) {
    if (t.dtype() == DType::F32)
        std::fill(t.f32(), t.f32() + t.numel(), value);
    else
        std::fill(t.i32(), t.i32() + t.numel(), int32_t(value));
}

Tensor CpuBackend::clone(const Tensor& src) {
    Tensor t = zeros(src.rows(), src.cols(), src.dtype());
    upload(t, src.raw());
    return t;
}

Tensor CpuBackend::gather_rows(const Tensor& src, const Tensor& rows) {
    const size_t m = rows.rows();
    const size_t row_bytes = size_t(src.cols()) * dtype_size(src.dtype());
    Tensor out = zeros(m, src.cols(), src.dtype());
    const auto* s = static_cast<const uint8_t*>(src.raw());
    auto* d = static_cast<uint8_t*>(out.raw());
    cpu::parallel_for_each(
        m, 4096, [&](size_t i) { std::memcpy(d + i * row_bytes, s + size_t(rows.i32()[i]) * row_bytes, row_bytes); });
    return out;
}

Tensor CpuBackend::concat_rows(const Tensor& a, const Tensor& b) {
    if (a.cols() != b.cols() || a.dtype() != b.dtype())
        throw Error(cat("concat_rows: column counts differ (", a.cols(), " vs ", b.cols(), ")"));
    Tensor out = zeros(a.rows() + b.rows(), a.cols(), a.dtype());
    if (a.bytes()) std::memcpy(out.raw(), a.raw(), a.bytes());
    if (b.bytes()) std::memcpy(static_cast<uint8_t*>(out.raw()) + a.bytes(), b.raw(), b.bytes());
    return out;
}

} // namespace splatscape
