#version 460
// Radix sort pass, step 1 of 3: per block, how many keys have each digit. Written digit-major
// (digit * blocks + block) so that one exclusive scan over the whole array gives every block's
// output offset for every digit.
#include "common.glsl"
#include "shared/sort_types.h"

layout(local_size_x = 256) in;
layout(push_constant, scalar) uniform Push { SortPush pc; };

#include "radix.glsl"

shared uint s_hist[kRadix];

void main() {
    uint n = sort_count();
    uint blocks = (n + kSortBlock - 1) / kSortBlock;
    uint block = linear_group_id();
    if (block >= blocks) return;
    s_hist[gl_LocalInvocationIndex] = 0;
    barrier();
    UintBuf keys = UintBuf(pc.keys_in);
    uint base = block * kSortBlock;
    for (uint r = 0; r < kSortItems; ++r) {
        uint i = base + r * kSortThreads + gl_LocalInvocationIndex;
        bool valid = i < n;
        uint digit = valid ? (keys.v[i] >> pc.shift) & pc.digit_mask : 0;
        // One shared atomic per distinct digit in the subgroup: sorted inputs (the tile keys) would
        // otherwise serialise a whole subgroup on one counter.
        uvec4 peers = match_digit(digit, valid);
        if (valid && subgroupBallotFindLSB(peers) == gl_SubgroupInvocationID)
            atomicAdd(s_hist[digit], subgroupBallotBitCount(peers));
    }
    barrier();
    UintBuf(pc.histogram).v[gl_LocalInvocationIndex * blocks + block] = s_hist[gl_LocalInvocationIndex];
}
