// Shared by the sags decode passes: the view test of training/kernels/sags.hpp (sags_in_view) and
// the order-preserving float bits the global maximum is taken on.
#ifndef SPLATSCAPE_SAGS_GLSL
#define SPLATSCAPE_SAGS_GLSL

#include "common.glsl"
#include "shared/sags_types.h"

layout(buffer_reference, scalar, buffer_reference_align = 8) readonly buffer SagsParamsRef { SagsDecodeParams p; };

bool sags_in_view(SagsDecodeParams P, vec3 p) {
    vec3 pc = vec3(dot(P.rot0.xyz, p), dot(P.rot1.xyz, p), dot(P.rot2.xyz, p)) + vec3(P.rot0.w, P.rot1.w, P.rot2.w);
    if (!(pc.z > P.near_z)) return false;
    float u = P.intrinsics.x * pc.x / pc.z + P.intrinsics.z, v = P.intrinsics.y * pc.y / pc.z + P.intrinsics.w;
    float mx = P.margin * P.width, my = P.margin * P.height;
    return u >= -mx && u <= P.width + mx && v >= -my && v <= P.height + my;
}

// Monotonic map of floats to uints (larger float, larger uint); 0 is below every float's image.
uint sags_ordered_bits(float f) {
    uint u = floatBitsToUint(f);
    return (u & 0x80000000u) != 0u ? ~u : (u | 0x80000000u);
}

float sags_from_ordered_bits(uint u) {
    if (u == 0u) return 0.0; // no visible point (training's max_rows gives 0 then)
    return (u & 0x80000000u) != 0u ? uintBitsToFloat(u & 0x7fffffffu) : uintBitsToFloat(~u);
}

#endif
