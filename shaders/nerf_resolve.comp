#version 460
// The NeRF ray marcher, after the last round: each pixel's result as HmoheNetwork::render computes
// it from the ray's state: colour over the background, or the expert colours; the depth along the
// camera axis; the expert carrying most of the weight. Counts samples, pixels hit and the depth range.
#include "nerf.glsl"

layout(push_constant, scalar) uniform Push { NerfPush pc; };
layout(local_size_x = 256) in;

void main() {
    NerfFrameParams P = NerfParamsRef(pc.params).p;
    uint pixel = linear_group_id() * kNerfPixelThreads + gl_LocalInvocationIndex;
    if (pixel >= P.width * P.height) return;
    NerfRay ray = NerfRayRef(P.rays).v[pixel];
    precise float T = exp(-ray.optical_depth);
    float opacity = 1.0 - T;
    vec3 bg = P.background.rgb;
    NerfPixel out_pixel;
    out_pixel.depth = 0.0;
    out_pixel.expert = -1;
    out_pixel.samples = ray.samples;
    out_pixel.pad = 0u;
    if (P.mode == kNerfModeExperts) {
        int most = -1;
        float most_weight = 0.0;
        for (uint e = 0u; e < P.experts; ++e) {
            float w = FloatBuf(P.expert_weights).v[pixel * P.experts + e];
            if (w > most_weight) {
                most_weight = w;
                most = int(e);
            }
        }
        out_pixel.expert = opacity > 0.5 ? most : -1;
        vec3 c = most >= 0 ? P.expert_colours[most].rgb : bg;
        precise vec3 shown = vec3(opacity * c.x + T * bg.x, opacity * c.y + T * bg.y, opacity * c.z + T * bg.z);
        out_pixel.colour = vec4(shown, opacity);
    } else {
        precise vec3 shown = vec3(ray.r + T * bg.x, ray.g + T * bg.y, ray.b + T * bg.z);
        out_pixel.colour = vec4(shown, opacity);
    }
    if (P.mode == kNerfModeDepth && opacity > 1e-3) {
        vec3 o, d;
        camera_ray(P, pixel, o, d);
        precise float along = d.x * P.axis.x + d.y * P.axis.y + d.z * P.axis.z;
        precise float depth = ray.t_weighted / opacity * P.scale * along;
        out_pixel.depth = depth;
    }
    NerfPixelRef(P.pixels).v[pixel] = out_pixel;

    NerfCountersRef counters = NerfCountersRef(P.counters);
    atomicAdd(counters.c.samples, ray.samples);
    if (opacity > 0.5) atomicAdd(counters.c.hit, 1u);
    if (out_pixel.depth > 0.0) {
        atomicMin(counters.c.depth_min_bits, floatBitsToUint(out_pixel.depth));
        atomicMax(counters.c.depth_max_bits, floatBitsToUint(out_pixel.depth));
    }
    if (ray_goes_on(P, ray)) atomicAdd(counters.c.unfinished, 1u);
}
