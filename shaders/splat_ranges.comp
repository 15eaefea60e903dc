#version 460
// Per tile, the [start, end) of its entries in the sorted instance list (tiles without any keep
// the (0, 0) they were cleared to).
#include "common.glsl"
#include "splat.glsl"

layout(local_size_x = 256) in;

void main() {
    FrameRef frame = FrameRef(pc.frame);
    uint k = linear_group_id() * 256 + gl_LocalInvocationIndex;
    uint count = min(CountersRef(frame.f.counters).c.instances, frame.f.instance_capacity);
    if (k >= count) return;
    UintBuf keys = UintBuf(frame.f.sorted_keys);
    uint tile = keys.v[k];
    Uvec2Buf ranges = Uvec2Buf(frame.f.tile_ranges);
    if (k == 0 || keys.v[k - 1] != tile) ranges.v[tile].x = k;
    if (k + 1 == count || keys.v[k + 1] != tile) ranges.v[tile].y = k + 1;
}
