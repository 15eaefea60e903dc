#include "training/cuda/row_select_cuda.hpp"

#include <cuda_runtime_api.h>

#include <algorithm>

#include "training/cuda/cuda_backend.hpp"
#include "training/cuda/ops_common_cuda.hpp"
#include "training/cuda/ops_cuda.hpp"
#include "training/cuda/rasterize_cuda.hpp"

namespace splatscape {

void RowSelectCuda::ensure(size_t n) {
    const size_t bytes = std::max<size_t>(n, 1) * 8;
    m_flags_a.ensure(bytes, "densification flags");
    m_flags_b.ensure(bytes, "densification flags");
    m_positions_a.ensure(bytes, "densification positions");
    m_positions_b.ensure(bytes, "densification positions");
    m_scan_temp.ensure(std::max<size_t>(cuda::inclusive_scan_temp_bytes(n), 1), "densification scan scratch");
}

AdcCounts RowSelectCuda::grow_rows(size_t n, Tensor& clone_rows, Tensor& split_rows) {
    AdcCounts counts;
    if (n > 0) {
        cuda::inclusive_scan(m_scan_temp.get(), m_scan_temp.bytes(), m_flags_a.as<uint64_t>(),
                             m_positions_a.as<uint64_t>(), n);
        cuda::inclusive_scan(m_scan_temp.get(), m_scan_temp.bytes(), m_flags_b.as<uint64_t>(),
                             m_positions_b.as<uint64_t>(), n);
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(m_host.as<uint64_t>(), m_positions_a.as<uint64_t>() + (n - 1), 8,
                                              cudaMemcpyDeviceToHost, cudaStreamLegacy));
        SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(m_host.as<uint64_t>() + 1, m_positions_b.as<uint64_t>() + (n - 1), 8,
                                              cudaMemcpyDeviceToHost, cudaStreamLegacy));
        cuda::sync();
        counts.clone = size_t(m_host.as<uint64_t>()[0]);
        counts.split = size_t(m_host.as<uint64_t>()[1]);
    }
    clone_rows = m_backend.zeros(counts.clone, 1, DType::I32);
    split_rows = m_backend.zeros(counts.split, 1, DType::I32);
    if (counts.clone)
        cuda::launch_compact_rows(n, m_flags_a.as<uint64_t>(), m_positions_a.as<uint64_t>(), clone_rows.i32());
    if (counts.split)
        cuda::launch_compact_rows(n, m_flags_b.as<uint64_t>(), m_positions_b.as<uint64_t>(), split_rows.i32());
    return counts;
}

void RowSelectCuda::mark_dropped(size_t n, const Tensor& drop, const char* op) {
    cuda::require_on_gpu(&drop, op, "drop");
    cuda::require(drop.dtype() == DType::I32, op, "drop must be int32 rows");
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(m_flags_b.get(), 0, n * 8, cudaStreamLegacy));
    cuda::launch_mark_rows(drop.i32(), drop.rows(), m_flags_b.as<uint64_t>());
}

Tensor RowSelectCuda::keep_rows(size_t n) {
    cuda::inclusive_scan(m_scan_temp.get(), m_scan_temp.bytes(), m_flags_a.as<uint64_t>(),
                         m_positions_a.as<uint64_t>(), n);
    SPLATSCAPE_CUDA_CHECK(cudaMemcpyAsync(m_host.as<uint64_t>(), m_positions_a.as<uint64_t>() + (n - 1), 8,
                                          cudaMemcpyDeviceToHost, cudaStreamLegacy));
    cuda::sync();
    const size_t kept = size_t(m_host.as<uint64_t>()[0]);
    Tensor out = m_backend.zeros(kept, 1, DType::I32);
    if (kept) cuda::launch_compact_rows(n, m_flags_a.as<uint64_t>(), m_positions_a.as<uint64_t>(), out.i32());
    return out;
}

} // namespace splatscape
