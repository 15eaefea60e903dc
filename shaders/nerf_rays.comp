#version 460
// The NeRF ray marcher, first pass of a frame: every pixel's ray enters the grid (kern::nerf_ray_setup
// without jitter) with a fresh state (RayMarchOps::camera_rays), its expert weights cleared in the
// experts mode, and the rays that cross the grid make the first list of rays to march.
#include "nerf.glsl"

layout(push_constant, scalar) uniform Push { NerfPush pc; };
layout(local_size_x = 8, local_size_y = 8) in;

void main() {
    NerfFrameParams P = NerfParamsRef(pc.params).p;
    uint block = linear_group_id();
    uint px = (block % P.blocks_x) * kNerfBlock + gl_LocalInvocationID.x;
    uint py = (block / P.blocks_x) * kNerfBlock + gl_LocalInvocationID.y;
    bool valid = px < P.width && py < P.height;
    uint pixel = py * P.width + px;
    bool goes_on = false;
    if (valid) {
        vec3 o, d;
        camera_ray(P, pixel, o, d);
        NerfRay ray;
        if (!ray_range(P, o, d, ray.t, ray.t_end)) {
            ray.t = 1.0; // an empty range
            ray.t_end = 0.0;
        }
        ray.optical_depth = 0.0;
        ray.t_weighted = 0.0;
        ray.r = 0.0;
        ray.g = 0.0;
        ray.b = 0.0;
        ray.samples = 0u;
        NerfRayRef(P.rays).v[pixel] = ray;
        if (P.mode == kNerfModeExperts)
            for (uint e = 0u; e < P.experts; ++e) FloatBuf(P.expert_weights).v[pixel * P.experts + e] = 0.0;
        goes_on = ray_goes_on(P, ray);
    }
    append_ray(P, 0u, pixel, goes_on);
}
