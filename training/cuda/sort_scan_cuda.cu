// The CUB primitives of the CUDA backend, kept in this one file so that only it pays for CUB's
// templates at compile time: a stable radix sort of (64-bit key, 32-bit value) pairs on the key bits
// that matter, and an inclusive prefix sum of 64-bit counts.
#include <cub/device/device_radix_sort.cuh>
#include <cub/device/device_scan.cuh>

#include "training/cuda/cuda_check.hpp"
#include "training/cuda/rasterize_cuda.hpp"

namespace splatscape::cuda {

size_t inclusive_scan_temp_bytes(size_t n) {
    size_t bytes = 0;
    SPLATSCAPE_CUDA_CHECK(cub::DeviceScan::InclusiveSum(nullptr, bytes, static_cast<const uint64_t*>(nullptr),
                                                        static_cast<uint64_t*>(nullptr), int64_t(n)));
    return bytes;
}

void inclusive_scan(void* temp, size_t temp_bytes, const uint64_t* in, uint64_t* out, size_t n) {
    if (n == 0) return;
    SPLATSCAPE_CUDA_CHECK(cub::DeviceScan::InclusiveSum(temp, temp_bytes, in, out, int64_t(n), cudaStreamLegacy));
}

size_t sort_pairs_temp_bytes(size_t m, int end_bit) {
    size_t bytes = 0;
    cub::DoubleBuffer<uint64_t> keys(nullptr, nullptr);
    cub::DoubleBuffer<uint32_t> values(nullptr, nullptr);
    SPLATSCAPE_CUDA_CHECK(cub::DeviceRadixSort::SortPairs(nullptr, bytes, keys, values, int64_t(m), 0, end_bit));
    return bytes;
}

int sort_pairs(void* temp, size_t temp_bytes, uint64_t* keys[2], uint32_t* values[2], size_t m, int end_bit) {
    if (m == 0) return 0;
    cub::DoubleBuffer<uint64_t> k(keys[0], keys[1]);
    cub::DoubleBuffer<uint32_t> v(values[0], values[1]);
    SPLATSCAPE_CUDA_CHECK(
        cub::DeviceRadixSort::SortPairs(temp, temp_bytes, k, v, int64_t(m), 0, end_bit, cudaStreamLegacy));
    return k.selector;
}

} // namespace splatscape::cuda
