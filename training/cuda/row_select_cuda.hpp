#pragma once
// Row selection on the GPU for densification (3D and 4D): per-row flags written by a decision
// kernel, then the flagged rows as ascending int32 [M, 1] tensors, one prefix sum and one small
// read-back each. Internal to training/cuda.
#include <cstddef>
#include <cstdint>

#include "training/cuda/device_memory_cuda.hpp"
#include "training/ops/densify_ops.hpp"

namespace splatscape {

class CudaBackend;

class RowSelectCuda {
public:
    explicit RowSelectCuda(CudaBackend& backend) : m_backend(backend) {}

    // Flag buffers for n rows; flags_a and flags_b are what decision kernels write (one uint64 per row).
    void ensure(size_t n);
    uint64_t* flags_a() const { return m_flags_a.as<uint64_t>(); }
    uint64_t* flags_b() const { return m_flags_b.as<uint64_t>(); }

    // flags_a: clone, flags_b: split.
    AdcCounts grow_rows(size_t n, Tensor& clone_rows, Tensor& split_rows);
    // flags_b = 1 at the rows `drop` lists (sorted int32 rows), 0 elsewhere.
    void mark_dropped(size_t n, const Tensor& drop, const char* op);
    // flags_a: keep.
    Tensor keep_rows(size_t n);

private:
    CudaBackend& m_backend;
    cuda::DeviceBuffer m_flags_a, m_flags_b, m_positions_a, m_positions_b, m_scan_temp;
    cuda::PinnedBuffer m_host{64};
};

} // namespace splatscape
