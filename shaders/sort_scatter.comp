#version 460
// Radix sort pass, step 3 of 3 (step 2 scans the histogram): each block ranks its keys by digit,
// stably, and writes them to their place in the output.
//
// Stability: subgroup s of the block owns keys [s * chunk, (s + 1) * chunk) of the block, taken in
// rounds of one key per invocation, so the block's order is (subgroup, round, lane). A key's place
// among the block's keys of the same digit is: keys of that digit in earlier subgroups, plus those
// in earlier rounds of its own subgroup, plus those on lower lanes of its round.
//
// Coalescing: the block's keys are then placed in digit order in shared memory and written out by
// consecutive invocations, so each digit's run leaves as contiguous stores rather than a scatter.
// Keys go first, then values, through the same area, which also held the per-subgroup counts
// before: 18 KiB in all, within lavapipe's 32 KiB.
#include "common.glsl"
#include "shared/sort_types.h"

layout(local_size_x = 256) in;
layout(push_constant, scalar) uniform Push { SortPush pc; };
// Equal to gl_SubgroupSize: the pipeline is created with this as the required subgroup size.
layout(constant_id = 0) const uint kSubgroupSize = 32;
const uint kSubgroups = kSortThreads / kSubgroupSize;
const uint kChunk = kSubgroupSize * kSortItems;
// Per subgroup, per digit, a count of at most kChunk (< 65536), two 16-bit counts per word.
const uint kCountWords = kSubgroups * (kRadix / 2);
const uint kWorkWords = kCountWords > kSortBlock ? kCountWords : kSortBlock;

#include "radix.glsl"
#include "scan.glsl"

shared uint s_work[kWorkWords];     // first the counts, then the staged keys, then the values
shared uint s_offsets[kRadix];      // where this block's keys of each digit go in the output
shared uint s_local_start[kRadix];  // where they start among the block's keys, in digit order

void main() {
    uint n = sort_count();
    uint blocks = (n + kSortBlock - 1) / kSortBlock;
    uint block = linear_group_id();
    if (block >= blocks) return;
    uint t = gl_LocalInvocationIndex;
    for (uint i = t; i < kCountWords; i += kSortThreads) s_work[i] = 0;
    s_offsets[t] = UintBuf(pc.histogram).v[t * blocks + block];
    barrier();

    uint sg = gl_SubgroupID;
    uint lane = gl_SubgroupInvocationID;
    uint base = block * kSortBlock + sg * kChunk;
    UintBuf keys_in = UintBuf(pc.keys_in);
    UintBuf values_in = UintBuf(pc.values_in);
    uint keys[kSortItems];
    uint values[kSortItems];
    uint places[kSortItems];  // rank within the subgroup's keys of the same digit, then place in the block
    for (uint r = 0; r < kSortItems; ++r) {
        uint i = base + r * kSubgroupSize + lane;
        bool valid = i < n;
        keys[r] = valid ? keys_in.v[i] : 0;
        values[r] = valid ? values_in.v[i] : 0;
        uint digit = (keys[r] >> pc.shift) & pc.digit_mask;
        uvec4 peers = match_digit(digit, valid);
        uint leader = subgroupBallotFindLSB(peers);
        uint before = 0;
        if (valid && leader == lane) {
            uint half_shift = (digit & 1u) * 16u;
            uint count = subgroupBallotBitCount(peers);
            uint word = atomicAdd(s_work[sg * (kRadix / 2) + (digit >> 1)], count << half_shift);
            before = (word >> half_shift) & 0xffffu;
        }
        before = subgroupShuffle(before, leader);
        places[r] = before + subgroupBallotExclusiveBitCount(peers);
    }
    barrier();
    // Counts of earlier subgroups, per digit pair; the two 16-bit halves never carry (a block has
    // kSortBlock <= 65535 keys). `running` ends as the block's count of each digit pair.
    uint running = 0;
    if (t < kRadix / 2) {
        for (uint s = 0; s < kSubgroups; ++s) {
            uint c = s_work[s * (kRadix / 2) + t];
            s_work[s * (kRadix / 2) + t] = running;
            running += c;
        }
        s_local_start[2 * t] = running;
    }
    barrier();
    // Digit d's count is half (d & 1) of pair d >> 1's total. The scan runs in subgroup-major order,
    // so digit d is handled by the invocation at that position.
    uint d = subgroup_major_index();
    uint pair = s_local_start[d & ~1u];
    uint digit_count = (d & 1u) != 0 ? pair >> 16 : pair & 0xffffu;
    barrier();
    uint unused_total;
    s_local_start[d] = workgroup_exclusive_add(digit_count, unused_total);
    barrier();

    uint valid_items = n > base ? min(kSortItems, (n - base + kSubgroupSize - 1 - lane) / kSubgroupSize) : 0;
    for (uint r = 0; r < valid_items; ++r) {
        uint digit = (keys[r] >> pc.shift) & pc.digit_mask;
        uint half_shift = (digit & 1u) * 16u;
        places[r] += s_local_start[digit] + ((s_work[sg * (kRadix / 2) + (digit >> 1)] >> half_shift) & 0xffffu);
    }
    barrier();
    for (uint r = 0; r < valid_items; ++r) s_work[places[r]] = keys[r];
    barrier();
    uint in_block = min(kSortBlock, n - block * kSortBlock);
    UintBuf keys_out = UintBuf(pc.keys_out);
    uint destinations[kSortItems];
    for (uint k = 0; k < kSortItems; ++k) {
        uint i = k * kSortThreads + t;
        if (i >= in_block) break;
        uint key = s_work[i];
        uint digit = (key >> pc.shift) & pc.digit_mask;
        destinations[k] = s_offsets[digit] + i - s_local_start[digit];
        keys_out.v[destinations[k]] = key;
    }
    barrier();
    for (uint r = 0; r < valid_items; ++r) s_work[places[r]] = values[r];
    barrier();
    UintBuf values_out = UintBuf(pc.values_out);
    for (uint k = 0; k < kSortItems; ++k) {
        uint i = k * kSortThreads + t;
        if (i >= in_block) break;
        values_out.v[destinations[k]] = s_work[i];
    }
}
