#version 460
// The NeRF ray marcher, between rounds (one invocation does the work; the workgroup is one subgroup
// wide or more, as pipelines that require full subgroups must be): the workgroups of the round that
// marches list pc.list (the one just filled), and the other list emptied for the rays that round keeps.
#include "nerf.glsl"

layout(push_constant, scalar) uniform Push { NerfPush pc; };
layout(local_size_x = 64) in;

void main() {
    if (gl_LocalInvocationIndex != 0u) return;
    NerfFrameParams P = NerfParamsRef(pc.params).p;
    NerfCountersRef counters = NerfCountersRef(P.counters);
    uint groups = (counters.c.listed[pc.list] + kNerfMarchThreads - 1u) / kNerfMarchThreads;
    NerfDispatch next;
    next.x = min(groups, 65535u);
    next.y = (groups + 65534u) / 65535u;
    next.z = 1u;
    next.pad = 0u;
    NerfDispatchRef(P.dispatch).v[pc.list] = next;
    counters.c.listed[1u - pc.list] = 0u;
}
