#version 460
// Visible Gaussians, in index order, as (depth bits, index) pairs for the depth sort. Sorting by
// depth first and then stably by tile gives the same order as sorting the 64-bit keys
// (tile << 32 | depth bits) of docs/rasterizer.md: (tile, depth, index), with fewer key bits.
#include "common.glsl"
#include "splat.glsl"

layout(local_size_x = 256) in;

void main() {
    FrameRef frame = FrameRef(pc.frame);
    uint i = linear_group_id() * 256 + gl_LocalInvocationIndex;
    if (i >= frame.f.gaussian_count || UintBuf(frame.f.visible_flags).v[i] == 0) return;
    uint slot = UintBuf(frame.f.visible_index).v[i];
    float depth = Vec4Buf(frame.f.splat_geom).v[2 * i + 1].z;
    UintBuf(frame.f.depth_keys).v[slot] = floatBitsToUint(depth);
    UintBuf(frame.f.depth_values).v[slot] = i;
}
