#version 460
// sags, first pass of a frame: which points the view decodes (kern::sags_in_view), and the global
// feature, the channel-wise maximum of their local features (atomic maxima on order-preserving
// bits; global_bits is cleared to 0 before).
#include "sags.glsl"

layout(push_constant, scalar) uniform Push { SagsDecodePush pc; };
layout(local_size_x = 64) in;

void main() {
    SagsParamsRef ref = SagsParamsRef(pc.params);
    uint i = linear_group_id() * kSagsThreads + gl_LocalInvocationIndex;
    if (i >= ref.p.count) return;
    FloatBuf pts = FloatBuf(ref.p.points);
    vec3 p = vec3(pts.v[3 * i], pts.v[3 * i + 1], pts.v[3 * i + 2]);
    bool in_view = sags_in_view(ref.p, p);
    UintBuf(ref.p.visible).v[i] = in_view ? 1u : 0u;
    if (!in_view) return;
    FloatBuf enc = FloatBuf(ref.p.encoded);
    UintBuf bits = UintBuf(ref.p.global_bits);
    uint stride = ref.p.hash_width + ref.p.feature_dim;
    for (uint c = 0; c < ref.p.feature_dim; ++c)
        atomicMax(bits.v[c], sags_ordered_bits(enc.v[i * stride + ref.p.hash_width + c]));
}
