#version 460
// The render mode's picture as 8-bit RGBA (or BGRA for swapchain images), one invocation per pixel.
#include "common.glsl"
#include "ramps.glsl"
#include "splat.glsl"

layout(local_size_x = 256) in;

// Heat map: few Gaussians dark blue, the most red.
vec3 heat_ramp(float t) {
    vec3 stops[5] = vec3[5](vec3(0.0, 0.0, 0.3), vec3(0.0, 0.45, 0.9), vec3(0.1, 0.8, 0.3), vec3(0.95, 0.85, 0.1),
                            vec3(0.85, 0.05, 0.05));
    return ramp(stops, t);
}

void main() {
    FrameRef frame = FrameRef(pc.frame);
    uint width = frame.f.width, height = frame.f.height;
    uint p = linear_group_id() * 256 + gl_LocalInvocationIndex;
    if (p >= width * height) return;
    uint x = p % width, y = p / width;
    vec3 background = frame.f.background.rgb;
    vec3 rgb = background;
    uint mode = frame.f.mode;
    if (mode == kModeColor) {
        rgb = Vec4Buf(frame.f.out_color).v[p].rgb;
    } else if (mode == kModeAlpha) {
        rgb = vec3(Vec4Buf(frame.f.out_color).v[p].a);
    } else if (mode == kModeDepth) {
        float alpha = Vec4Buf(frame.f.out_color).v[p].a;
        FrameCounters counters = CountersRef(frame.f.counters).c;
        float lo = uintBitsToFloat(counters.depth_min_bits), hi = uintBitsToFloat(counters.depth_max_bits);
        if (alpha > 1e-4 && hi >= lo) {
            float depth = FloatBuf(frame.f.out_depth).v[p] / alpha;
            float t = hi > lo ? (depth - lo) / (hi - lo) : 0.0;
            rgb = mix(background, depth_ramp(1.0 - t), alpha);
        }
    } else if (mode == kModeCenters) {
        uint rank = UintBuf(frame.f.centers).v[p];
        if (rank != 0xffffffffu) rgb = Vec4Buf(frame.f.splat_color).v[UintBuf(frame.f.depth_values).v[rank]].rgb;
    } else if (mode == kModeHeatmap) {
        uint tile = (y / kTileSize) * frame.f.tiles_x + x / kTileSize;
        uvec2 range = Uvec2Buf(frame.f.tile_ranges).v[tile];
        uint most = CountersRef(frame.f.counters).c.max_tile_count;
        float t = most > 0 ? log(1.0 + float(range.y - range.x)) / log(1.0 + float(most)) : 0.0;
        rgb = heat_ramp(t);
    }
    uvec3 bytes = uvec3(clamp(rgb, 0.0, 1.0) * 255.0 + 0.5);
    if (frame.f.display_bgra != 0) bytes = bytes.bgr;
    UintBuf(frame.f.display).v[p] = bytes.r | (bytes.g << 8) | (bytes.b << 16) | (255u << 24);
}
