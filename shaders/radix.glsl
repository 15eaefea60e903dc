// Warp-level multi-split for the radix sort: which invocations of this subgroup hold the same
// 8-bit digit. Works for any subgroup size up to 128 (ballots are uvec4).
#ifndef SPLATSCAPE_RADIX_GLSL
#define SPLATSCAPE_RADIX_GLSL

// Mask of the valid invocations of this subgroup whose digit equals this invocation's.
// Every invocation of the subgroup must call it.
uvec4 match_digit(uint digit, bool valid) {
    uvec4 peers = subgroupBallot(valid);
    for (uint b = 0; b < kRadixBits; ++b) {
        bool bit = ((digit >> b) & 1u) != 0u;
        uvec4 vote = subgroupBallot(bit);
        peers &= bit ? vote : ~vote;
    }
    return peers;
}

uint sort_count() { return min(UintBuf(pc.count).v[0], pc.max_count); }

#endif
