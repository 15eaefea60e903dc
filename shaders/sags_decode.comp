#version 460
// sags, second pass of a frame: each visible point's Gaussian for this view (training/kernels/
// sags.hpp and mlp.hpp, step for step): the decoder input [affine(hash | local | global) | view
// direction | distance], the opacity, colour, covariance and offset decoders, and the composition.
// Writes a 3D scene for the splat renderer with precomputed covariances; points out of view or
// with opacity <= 0 get xx = -1, which preprocess culls.
#include "mlp.glsl"
#include "sags.glsl"

layout(push_constant, scalar) uniform Push { SagsDecodePush pc; };
layout(local_size_x = 64) in;

const float kShC0 = 0.28209479177387814;
const float kAlphaMin = 1e-6;

float x_in[kSagsMaxInputs];
float y_out[kSagsMaxOutputs];

// y_out[0 .. outputs) = network(x_in[0 .. inputs)).
void run_net(SagsNet n, FloatBuf w) {
    float cur[kSagsMaxHidden], nxt[kSagsMaxHidden];
    uint layers = n.hidden_layers + 1u;
    uint off = n.offset;
    for (uint l = 0; l < layers; ++l) {
        uint in_w = l == 0u ? n.inputs : n.hidden;
        uint out_w = l == layers - 1u ? n.outputs : n.hidden;
        uint act = l == layers - 1u ? n.output_activation : n.hidden_activation;
        uint bias = off + in_w * out_w;
        for (uint o = 0; o < out_w; ++o) {
            float s = 0.0;
            uint row = off + o * in_w;
            if (l == 0u)
                for (uint k = 0; k < in_w; ++k) s += w.v[row + k] * x_in[k];
            else
                for (uint k = 0; k < in_w; ++k) s += w.v[row + k] * cur[k];
            s += w.v[bias + o];
            float v = mlp_activate(act, s);
            if (l == layers - 1u)
                y_out[o] = v;
            else
                nxt[o] = v;
        }
        for (uint o = 0; o < out_w && l + 1u < layers; ++o) cur[o] = nxt[o];
        off = bias + out_w;
    }
}

float log_sigmoid(float x) { return x >= 0.0 ? -log(1.0 + exp(-x)) : x - log(1.0 + exp(x)); }

void main() {
    SagsParamsRef ref = SagsParamsRef(pc.params);
    uint i = linear_group_id() * kSagsThreads + gl_LocalInvocationIndex;
    if (i >= ref.p.count) return;
    FloatBuf cov = FloatBuf(ref.p.out_covariances);
    if (UintBuf(ref.p.visible).v[i] == 0u) {
        cov.v[6 * i] = -1.0;
        return;
    }
    FloatBuf pts = FloatBuf(ref.p.points);
    FloatBuf enc = FloatBuf(ref.p.encoded);
    FloatBuf aff = FloatBuf(ref.p.affine);
    UintBuf bits = UintBuf(ref.p.global_bits);
    FloatBuf w = FloatBuf(ref.p.weights);
    vec3 p = vec3(pts.v[3 * i], pts.v[3 * i + 1], pts.v[3 * i + 2]);
    uint hw = ref.p.hash_width, fd = ref.p.feature_dim, stride = hw + fd, E = hw + 2u * fd;
    for (uint k = 0; k < hw + fd; ++k) x_in[k] = aff.v[2 * k] * enc.v[i * stride + k] + aff.v[2 * k + 1];
    for (uint k = 0; k < fd; ++k) {
        uint e = hw + fd + k;
        x_in[e] = aff.v[2 * e] * sags_from_ordered_bits(bits.v[k]) + aff.v[2 * e + 1];
    }
    vec3 d = p - ref.p.centre.xyz;
    float dist = sqrt(d.x * d.x + d.y * d.y + d.z * d.z);
    float inv = dist > 0.0 ? 1.0 / dist : 0.0;
    x_in[E] = d.x * inv;
    x_in[E + 1] = d.y * inv;
    x_in[E + 2] = d.z * inv;
    x_in[E + 3] = dist;

    run_net(ref.p.nets[0], w);
    float alpha = y_out[0];
    if (!(alpha > 0.0)) {
        cov.v[6 * i] = -1.0;
        return;
    }
    run_net(ref.p.nets[1], w);
    vec3 rgb = vec3(y_out[0], y_out[1], y_out[2]);
    run_net(ref.p.nets[2], w);
    vec3 raw_scale = vec3(y_out[0], y_out[1], y_out[2]);
    vec4 q = vec4(y_out[3], y_out[4], y_out[5], y_out[6]);
    if (ref.p.frames != uint64_t(0)) {
        // The point's frame F times the decoded quaternion (w x y z in x y z w of the vec4s).
        FloatBuf fb = FloatBuf(ref.p.frames);
        vec4 f = vec4(fb.v[4 * i], fb.v[4 * i + 1], fb.v[4 * i + 2], fb.v[4 * i + 3]);
        q = vec4(f.x * q.x - f.y * q.y - f.z * q.z - f.w * q.w, f.x * q.y + f.y * q.x + f.z * q.w - f.w * q.z,
                 f.x * q.z - f.y * q.w + f.z * q.x + f.w * q.y, f.x * q.w + f.y * q.z - f.z * q.y + f.w * q.x);
    }
    run_net(ref.p.nets[3], w);
    vec3 offset = vec3(y_out[0], y_out[1], y_out[2]);

    FloatBuf sc = FloatBuf(ref.p.scales);
    vec3 s_off = vec3(sc.v[6 * i], sc.v[6 * i + 1], sc.v[6 * i + 2]);
    vec3 s_g = vec3(sc.v[6 * i + 3], sc.v[6 * i + 4], sc.v[6 * i + 5]);
    vec3 mean = p + offset * exp(s_off);
    vec3 ls = vec3(log_sigmoid(raw_scale.x), log_sigmoid(raw_scale.y), log_sigmoid(raw_scale.z)) + s_g;
    float a = clamp(alpha, kAlphaMin, 1.0 - kAlphaMin);
    float logit = log(a / (1.0 - a));
    // Covariance R diag(exp(2 ls)) R^T of the normalised quaternion (w x y z), as
    // training/kernels/covariance.hpp.
    float n2 = dot(q, q);
    q = n2 > 0.0 ? q * (1.0 / sqrt(n2)) : vec4(1.0, 0.0, 0.0, 0.0);
    float qw = q.x, qx = q.y, qy = q.z, qz = q.w;
    mat3 R = mat3(1.0 - 2.0 * (qy * qy + qz * qz), 2.0 * (qx * qy + qw * qz), 2.0 * (qx * qz - qw * qy),
                  2.0 * (qx * qy - qw * qz), 1.0 - 2.0 * (qx * qx + qz * qz), 2.0 * (qy * qz + qw * qx),
                  2.0 * (qx * qz + qw * qy), 2.0 * (qy * qz - qw * qx), 1.0 - 2.0 * (qx * qx + qy * qy));
    vec3 s2 = exp(2.0 * ls);
    mat3 S = R * mat3(s2.x, 0.0, 0.0, 0.0, s2.y, 0.0, 0.0, 0.0, s2.z) * transpose(R);
    cov.v[6 * i] = S[0][0];
    cov.v[6 * i + 1] = S[1][0];
    cov.v[6 * i + 2] = S[2][0];
    cov.v[6 * i + 3] = S[1][1];
    cov.v[6 * i + 4] = S[2][1];
    cov.v[6 * i + 5] = S[2][2];
    Vec4Buf(ref.p.out_means_opacity).v[i] = vec4(mean, logit);
    FloatBuf sh = FloatBuf(ref.p.out_sh);
    for (uint c = 0; c < 3; ++c) sh.v[3 * i + c] = (rgb[c] - 0.5) / kShC0;
}
