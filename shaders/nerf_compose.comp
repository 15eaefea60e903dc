#version 460
// The NeRF render mode's picture as 8-bit RGBA (or BGRA for swapchain images), one invocation per
// pixel: the colour or the expert colours as marched, or the depth as a colour ramp over the
// frame's depth range (near is bright), faded into the background by opacity.
#include "nerf.glsl"
#include "ramps.glsl"

layout(push_constant, scalar) uniform Push { NerfPush pc; };
layout(local_size_x = 256) in;

void main() {
    NerfParamsRef ref = NerfParamsRef(pc.params);
    uint width = ref.p.width, height = ref.p.height;
    uint p = linear_group_id() * kNerfPixelThreads + gl_LocalInvocationIndex;
    if (p >= width * height) return;
    NerfPixel px = NerfPixelRef(ref.p.pixels).v[p];
    vec3 background = ref.p.background.rgb;
    vec3 rgb = px.colour.rgb;
    if (ref.p.mode == kNerfModeDepth) {
        rgb = background;
        NerfCounters counters = NerfCountersRef(ref.p.counters).c;
        float lo = uintBitsToFloat(counters.depth_min_bits), hi = uintBitsToFloat(counters.depth_max_bits);
        if (px.depth > 0.0 && counters.depth_min_bits <= counters.depth_max_bits) {
            float t = hi > lo ? (px.depth - lo) / (hi - lo) : 0.0;
            rgb = mix(background, depth_ramp(1.0 - t), px.colour.a);
        }
    }
    uvec3 bytes = uvec3(clamp(rgb, 0.0, 1.0) * 255.0 + 0.5);
    if (ref.p.display_bgra != 0u) bytes = bytes.bgr;
    UintBuf(ref.p.display).v[p] = bytes.r | (bytes.g << 8) | (bytes.b << 16) | (255u << 24);
}
