#version 460
// Prefix scan, step 1 of 3: the sum of each block of kScanBlock values.
#include "common.glsl"
#include "shared/sort_types.h"

layout(local_size_x = 256) in;
layout(push_constant, scalar) uniform Push { ScanPush pc; };

shared uint s_sum[64];

uint scan_count() {
    uint n = min(UintBuf(pc.count).v[0], pc.max_count);
    if (pc.count_div > 0) n = (n + pc.count_div - 1) / pc.count_div * pc.count_mul;
    return n;
}

void main() {
    uint n = scan_count();
    uint block = linear_group_id();
    uint base = block * kScanBlock;
    if (base >= n) return;
    UintBuf input_buf = UintBuf(pc.source);
    uint sum = 0;
    for (uint r = 0; r < kScanItems; ++r) {
        uint i = base + r * kScanThreads + gl_LocalInvocationIndex;
        if (i < n) sum += input_buf.v[i];
    }
    sum = subgroupAdd(sum);
    if (subgroupElect()) s_sum[gl_SubgroupID] = sum;
    barrier();
    if (gl_LocalInvocationIndex == 0) {
        uint total = 0;
        for (uint s = 0; s < gl_NumSubgroups; ++s) total += s_sum[s];
        UintBuf(pc.block_sums).v[block] = total;
    }
}
