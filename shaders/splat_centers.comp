#version 460
// Centers mode: a square dot per visible Gaussian. Each pixel keeps the smallest depth rank that
// covers it, so the nearest centre wins regardless of invocation order.
#include "common.glsl"
#include "splat.glsl"

layout(local_size_x = 256) in;

void main() {
    FrameRef frame = FrameRef(pc.frame);
    uint j = linear_group_id() * 256 + gl_LocalInvocationIndex;
    if (j >= CountersRef(frame.f.counters).c.visible) return;
    uint g = UintBuf(frame.f.depth_values).v[j];
    vec2 mean2d = Vec4Buf(frame.f.splat_geom).v[2 * g].xy;
    int r = int(frame.f.center_radius);
    int w = int(frame.f.width), h = int(frame.f.height);
    // mean2d can lie far outside the image (the guard band only clamps the Jacobian).
    vec2 c = clamp(floor(mean2d), vec2(-r - 1), vec2(w + r + 1, h + r + 1));
    ivec2 lo = max(ivec2(c) - r, ivec2(0)), hi = min(ivec2(c) + r, ivec2(w - 1, h - 1));
    UintBuf centers = UintBuf(frame.f.centers);
    for (int y = lo.y; y <= hi.y; ++y)
        for (int x = lo.x; x <= hi.x; ++x) atomicMin(centers.v[uint(y) * uint(w) + uint(x)], j);
}
