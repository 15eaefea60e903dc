// Per-Gaussian math of docs/rasterizer.md, mirroring training/kernels/*.hpp step for step.
#ifndef SPLATSCAPE_SPLAT_GLSL
#define SPLATSCAPE_SPLAT_GLSL

#include "shared/splat_types.h"

layout(buffer_reference, scalar, buffer_reference_align = 8) readonly buffer FrameRef { FrameParams f; };
layout(buffer_reference, scalar, buffer_reference_align = 4) buffer CountersRef { FrameCounters c; };

layout(push_constant, scalar) uniform Push { SplatPush pc; };

const float kAlphaMax = 0.99;
const float kAlphaMin = 1.0 / 255.0;
const float kTransmittanceMin = 1e-4;

// Rotation matrix of q / |q| (w x y z), rows as in training/kernels/covariance.hpp. A zero
// quaternion maps to the identity.
mat3 rotation_rows(vec4 q) {
    float n2 = dot(q, q);
    if (!(n2 > 0.0)) q = vec4(1.0, 0.0, 0.0, 0.0);
    else q *= 1.0 / sqrt(n2);
    float w = q.x, x = q.y, y = q.z, z = q.w;
    // GLSL matrices are column-major: column c holds row c of the transposed matrix, so build the
    // transpose and index it as m[row][col] from here on.
    return mat3(1.0 - 2.0 * (y * y + z * z), 2.0 * (x * y - w * z), 2.0 * (x * z + w * y),
                2.0 * (x * y + w * z), 1.0 - 2.0 * (x * x + z * z), 2.0 * (y * z - w * x),
                2.0 * (x * z - w * y), 2.0 * (y * z + w * x), 1.0 - 2.0 * (x * x + y * y));
}

const float kShC0 = 0.28209479177387814;
const float kShC1 = 0.4886025119029199;
const float kShC2[5] = float[5](1.0925484305920792, -1.0925484305920792, 0.31539156525252005, -1.0925484305920792,
                                0.5462742152960396);
const float kShC3[7] = float[7](-0.5900435899266435, 2.890611442640554, -0.4570457994644658, 0.3731763325901154,
                                -0.4570457994644658, 1.445305721320277, -0.5900435899266435);

// rgb = max(SH(degree, dir) + 0.5, 0); sh points at this Gaussian's [K, 3] coefficients.
vec3 sh_to_rgb(uint degree, vec3 d, FloatBuf sh, uint base) {
    float basis[16];
    basis[0] = kShC0;
    uint count = 1;
    if (degree >= 1) {
        float x = d.x, y = d.y, z = d.z;
        basis[1] = -kShC1 * y;
        basis[2] = kShC1 * z;
        basis[3] = -kShC1 * x;
        count = 4;
        if (degree >= 2) {
            float xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
            basis[4] = kShC2[0] * xy;
            basis[5] = kShC2[1] * yz;
            basis[6] = kShC2[2] * (2.0 * zz - xx - yy);
            basis[7] = kShC2[3] * xz;
            basis[8] = kShC2[4] * (xx - yy);
            count = 9;
            if (degree >= 3) {
                basis[9] = kShC3[0] * y * (3.0 * xx - yy);
                basis[10] = kShC3[1] * xy * z;
                basis[11] = kShC3[2] * y * (4.0 * zz - xx - yy);
                basis[12] = kShC3[3] * z * (2.0 * zz - 3.0 * xx - 3.0 * yy);
                basis[13] = kShC3[4] * x * (4.0 * zz - xx - yy);
                basis[14] = kShC3[5] * z * (xx - yy);
                basis[15] = kShC3[6] * x * (xx - 3.0 * yy);
                count = 16;
            }
        }
    }
    vec3 rgb = vec3(0.5);
    for (uint k = 0; k < count; ++k)
        rgb += basis[k] * vec3(sh.v[base + 3 * k], sh.v[base + 3 * k + 1], sh.v[base + 3 * k + 2]);
    return max(rgb, vec3(0.0));
}

uint tile_count(uvec2 rect) {
    uint x0 = rect.x & 0xffffu, y0 = rect.x >> 16, x1 = rect.y & 0xffffu, y1 = rect.y >> 16;
    return (x1 - x0) * (y1 - y0);
}

#endif
