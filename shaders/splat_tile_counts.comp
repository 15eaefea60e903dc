#version 460
// Tiles touched by each visible Gaussian, in depth order, for the prefix sum that places their keys.
#include "common.glsl"
#include "splat.glsl"

layout(local_size_x = 256) in;

void main() {
    FrameRef frame = FrameRef(pc.frame);
    uint j = linear_group_id() * 256 + gl_LocalInvocationIndex;
    if (j >= CountersRef(frame.f.counters).c.visible) return;
    uint g = UintBuf(frame.f.depth_values).v[j];
    UintBuf(frame.f.tile_counts).v[j] = tile_count(Uvec2Buf(frame.f.tile_rect).v[g]);
}
