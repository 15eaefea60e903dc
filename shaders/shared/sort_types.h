// Prefix scan and radix sort: constants and push constants shared by C++ and GLSL.
#ifndef SPLATSCAPE_SORT_TYPES_H
#define SPLATSCAPE_SORT_TYPES_H
#ifdef __cplusplus
#include "shaders/shared/gpu_compat.h"
#else
#include "shared/gpu_compat.h"
#endif

SPLATSCAPE_GPU_BEGIN

// Every scan and sort workgroup has 256 invocations.
SPLATSCAPE_CONST(uint, kScanThreads, 256)
// Elements a scan workgroup covers: 16 rounds of 256.
SPLATSCAPE_CONST(uint, kScanItems, 16)
SPLATSCAPE_CONST(uint, kScanBlock, 4096)

SPLATSCAPE_CONST(uint, kSortThreads, 256)
// Keys each sort invocation holds in registers; a workgroup sorts one block of 256 * 16 keys.
SPLATSCAPE_CONST(uint, kSortItems, 16)
SPLATSCAPE_CONST(uint, kSortBlock, 4096)
SPLATSCAPE_CONST(uint, kRadixBits, 8)
SPLATSCAPE_CONST(uint, kRadix, 256)

// Exclusive prefix sum of `count` uint32 values. The count is read on the GPU:
// n = min(*count, max_count); when count_div > 0 the scan covers ceil(n / count_div) * count_mul
// values instead (the digit-major histogram of a radix sort pass).
struct ScanPush {
    address source;      // uint [n]
    address destination; // uint [n], may alias source
    address block_sums;  // uint [ceil(n / kScanBlock)] scratch
    address count;       // uint, element count
    address total;       // uint, receives the sum of all inputs; 0: not written
    uint max_count;
    uint count_div;
    uint count_mul;
    uint pad0;
};
SPLATSCAPE_CHECK_LAYOUT(ScanPush, 56)

// One 8-bit digit pass of a least-significant-digit radix sort of (uint key, uint value) pairs.
struct SortPush {
    address keys_in;    // uint [n]
    address values_in;  // uint [n]
    address keys_out;   // uint [n]
    address values_out; // uint [n]
    address histogram;  // uint [kRadix * blocks], digit-major: entry (digit * blocks + block)
    address count;      // uint, n (clamped to max_count)
    uint max_count;
    uint shift;         // bit offset of this pass's digit
    uint digit_mask;    // kRadix - 1, or fewer bits on the last pass
    uint pad0;
};
SPLATSCAPE_CHECK_LAYOUT(SortPush, 64)

SPLATSCAPE_GPU_END

#endif
