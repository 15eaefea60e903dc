#version 460
// Prefix scan, step 3 of 3: each block scans its values, offset by the scanned block sum.
#include "common.glsl"
#include "shared/sort_types.h"
#include "scan.glsl"

layout(local_size_x = 256) in;
layout(push_constant, scalar) uniform Push { ScanPush pc; };

void main() {
    uint n = min(UintBuf(pc.count).v[0], pc.max_count);
    if (pc.count_div > 0) n = (n + pc.count_div - 1) / pc.count_div * pc.count_mul;
    uint block = linear_group_id();
    uint base = block * kScanBlock;
    if (base >= n) return;
    UintBuf input_buf = UintBuf(pc.source);
    UintBuf output_buf = UintBuf(pc.destination);
    uint carry = UintBuf(pc.block_sums).v[block];
    for (uint r = 0; r < kScanItems; ++r) {
        uint i = base + r * kScanThreads + subgroup_major_index();
        uint v = i < n ? input_buf.v[i] : 0;
        uint round_total;
        uint prefix = workgroup_exclusive_add(v, round_total);
        if (i < n) output_buf.v[i] = carry + prefix;
        carry += round_total;
        if (base + (r + 1) * kScanThreads >= n) break;
    }
}
