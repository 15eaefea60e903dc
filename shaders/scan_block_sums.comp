#version 460
// Prefix scan, step 2 of 3: one workgroup scans the block sums in place and writes the total.
#include "common.glsl"
#include "shared/sort_types.h"
#include "scan.glsl"

layout(local_size_x = 256) in;
layout(push_constant, scalar) uniform Push { ScanPush pc; };

void main() {
    uint n = min(UintBuf(pc.count).v[0], pc.max_count);
    if (pc.count_div > 0) n = (n + pc.count_div - 1) / pc.count_div * pc.count_mul;
    uint blocks = (n + kScanBlock - 1) / kScanBlock;
    UintBuf sums = UintBuf(pc.block_sums);
    uint carry = 0;
    for (uint base = 0; base < blocks; base += kScanThreads) {
        uint i = base + subgroup_major_index();
        uint v = i < blocks ? sums.v[i] : 0;
        uint chunk_total;
        uint prefix = workgroup_exclusive_add(v, chunk_total);
        if (i < blocks) sums.v[i] = carry + prefix;
        carry += chunk_total;
    }
    if (gl_LocalInvocationIndex == 0 && pc.total != 0) UintBuf(pc.total).v[0] = carry;
}
