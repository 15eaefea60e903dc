#version 460
// The slice of 4D Gaussians at one time (training/kernels/slice4d.hpp and sh4d.hpp, step for
// step): conditional mean and covariance, opacity times the marginal in t, the colour's SH
// collapsed at that time. Writes a 3D scene for the splat renderer; Gaussians whose marginal is
// below min_weight get covariance xx = -1, which the preprocess pass culls.
#include "common.glsl"
#include "shared/slice4d_types.h"

layout(buffer_reference, scalar, buffer_reference_align = 8) readonly buffer ParamsRef { Slice4dParams p; };
layout(push_constant, scalar) uniform Push { Slice4dPush pc; };

layout(local_size_x = 256) in;

const float kTwoPi = 6.283185307179586;

vec4 normalize_quat(vec4 q) {
    float n2 = dot(q, q);
    return n2 > 0.0 ? q * (1.0 / sqrt(n2)) : vec4(1.0, 0.0, 0.0, 0.0);
}

float sigmoid(float x) { return 1.0 / (1.0 + exp(-x)); }

void main() {
    ParamsRef P = ParamsRef(pc.params);
    uint i = linear_group_id() * kSliceThreads + gl_LocalInvocationIndex;
    if (i >= P.p.count) return;
    vec4 mean = Vec4Buf(P.p.means).v[i];
    vec4 ls = Vec4Buf(P.p.log_scales).v[i];
    // R = L(ql) R(qr) (isoclinic matrices, rows as in slice4d.hpp), M = R diag(exp(ls)).
    vec4 l = normalize_quat(Vec4Buf(P.p.rot_l).v[i]);
    vec4 r = normalize_quat(Vec4Buf(P.p.rot_r).v[i]);
    float a = l.x, b = l.y, c = l.z, d = l.w;
    float L[4][4] = float[4][4](float[4](a, -b, -c, -d), float[4](b, a, -d, c), float[4](c, d, a, -b),
                                float[4](d, -c, b, a));
    float p = r.x, q = r.y, rr = r.z, s = r.w;
    float Rr[4][4] = float[4][4](float[4](p, -q, -rr, -s), float[4](q, p, s, -rr), float[4](rr, -s, p, q),
                                 float[4](s, rr, -q, p));
    vec4 scale = exp(ls);
    float M[4][4];
    for (int row = 0; row < 4; ++row)
        for (int k = 0; k < 4; ++k)
            M[row][k] = (L[row][0] * Rr[0][k] + L[row][1] * Rr[1][k] + L[row][2] * Rr[2][k] + L[row][3] * Rr[3][k]) *
                        scale[k];
    float S[4][4];
    for (int row = 0; row < 4; ++row)
        for (int col = 0; col < 4; ++col)
            S[row][col] = M[row][0] * M[col][0] + M[row][1] * M[col][1] + M[row][2] * M[col][2] + M[row][3] * M[col][3];
    float v = S[3][3];
    float inv = 1.0 / v;
    float dt = P.p.time - mean.w;
    float weight = exp(-0.5 * dt * dt * inv);
    FloatBuf cov_out = FloatBuf(P.p.out_covariances);
    if (!(weight >= P.p.min_weight)) {
        cov_out.v[6 * i] = -1.0;
        return;
    }
    vec3 cc = vec3(S[0][3], S[1][3], S[2][3]);
    vec3 mean3 = mean.xyz + cc * (inv * dt);
    cov_out.v[6 * i] = S[0][0] - cc.x * cc.x * inv;
    cov_out.v[6 * i + 1] = S[0][1] - cc.x * cc.y * inv;
    cov_out.v[6 * i + 2] = S[0][2] - cc.x * cc.z * inv;
    cov_out.v[6 * i + 3] = S[1][1] - cc.y * cc.y * inv;
    cov_out.v[6 * i + 4] = S[1][2] - cc.y * cc.z * inv;
    cov_out.v[6 * i + 5] = S[2][2] - cc.z * cc.z * inv;
    float o = FloatBuf(P.p.opacities).v[i];
    float po = sigmoid(o), qo = sigmoid(-o);
    float logit = log(po * weight) - log(qo + po * (1.0 - weight));
    Vec4Buf(P.p.out_means_opacity).v[i] = vec4(mean3, logit);
    // Colour: sh3[k] = sum_n cos(2 pi n dt / T) sh4[n * K + k].
    FloatBuf src = FloatBuf(P.p.sh);
    FloatBuf dst = FloatBuf(P.p.out_sh);
    uint K = P.p.sh_coeffs, out_floats = P.p.out_coeffs * 3;
    uint src_base = i * P.p.sh_stride * 3, dst_base = i * out_floats;
    for (uint k = 0; k < out_floats; ++k) dst.v[dst_base + k] = src.v[src_base + k];
    for (uint n = 1; n <= P.p.sh_degree_t; ++n) {
        float f = cos(kTwoPi * float(n) * dt / P.p.time_period);
        uint base = src_base + n * K * 3;
        for (uint k = 0; k < out_floats; ++k) dst.v[dst_base + k] += f * src.v[base + k];
    }
}
