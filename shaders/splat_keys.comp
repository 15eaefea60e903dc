#version 460
// One (tile id, Gaussian index) pair per touched tile, visible Gaussians in depth order. Pairs past
// the instance capacity are dropped; the host sees the true count and renders again with room.
//
// A subgroup emits the pairs of its Gaussians together: their slots are consecutive (the prefix
// sum runs in depth order), so invocation k of the subgroup writes slots k, k + S, ... of the
// subgroup's run and every store is coalesced, however unevenly the tiles are spread (a few large
// Gaussians touch hundreds of tiles, most touch one to four).
#include "common.glsl"
#include "splat.glsl"

layout(local_size_x = 256) in;

void main() {
    FrameRef frame = FrameRef(pc.frame);
    uint j = linear_group_id() * 256 + subgroup_major_index();
    bool valid = j < CountersRef(frame.f.counters).c.visible;
    uint g = 0, count = 0, first = 0;
    uvec2 rect = uvec2(0);
    if (valid) {
        g = UintBuf(frame.f.depth_values).v[j];
        rect = Uvec2Buf(frame.f.tile_rect).v[g];
        count = tile_count(rect);
        first = UintBuf(frame.f.tile_offsets).v[j];
    }
    // The subgroup's run starts at its first valid invocation's slot.
    uint base = subgroupBroadcastFirst(valid ? first - subgroupExclusiveAdd(count) : 0u);
    uint before = subgroupExclusiveAdd(count);
    uint total = subgroupAdd(count);
    uint capacity = frame.f.instance_capacity;
    uint tiles_x = frame.f.tiles_x;
    UintBuf keys = UintBuf(frame.f.instance_keys);
    UintBuf values = UintBuf(frame.f.instance_values);
    for (uint k0 = 0; k0 < total; k0 += gl_SubgroupSize) {
        uint k = k0 + gl_SubgroupInvocationID;
        // Owner: the last invocation whose run starts at or before k (binary search over lanes).
        uint owner = 0;
        for (uint step = gl_SubgroupSize >> 1; step > 0; step >>= 1) {
            uint candidate = owner + step;
            uint candidate_before = subgroupShuffle(before, candidate);
            if (candidate_before <= k && candidate < gl_SubgroupSize) owner = candidate;
        }
        uint owner_before = subgroupShuffle(before, owner);
        uvec2 owner_rect = uvec2(subgroupShuffle(rect.x, owner), subgroupShuffle(rect.y, owner));
        uint owner_g = subgroupShuffle(g, owner);
        uint slot = base + k;
        if (k < total && slot < capacity) {
            uint x0 = owner_rect.x & 0xffffu, y0 = owner_rect.x >> 16, x1 = owner_rect.y & 0xffffu;
            uint r = k - owner_before;
            uint w = x1 - x0;
            keys.v[slot] = (y0 + r / w) * tiles_x + x0 + r % w;
            values.v[slot] = owner_g;
        }
    }
}
