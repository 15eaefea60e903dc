// Workgroup-wide exclusive prefix sum for 256 invocations with any subgroup size from 4 to 128
// (lavapipe runs 32 subgroups of 8, NVIDIA 8 subgroups of 32).
#ifndef SPLATSCAPE_SCAN_GLSL
#define SPLATSCAPE_SCAN_GLSL

shared uint s_scan_partial[64];
shared uint s_scan_total;

// Returns the sum of `x` over the invocations before this one; `total` gets the sum over all.
// Every invocation of the workgroup must call it (it has barriers).
uint workgroup_exclusive_add(uint x, out uint total) {
    uint inclusive = subgroupInclusiveAdd(x);
    if (gl_SubgroupInvocationID == gl_SubgroupSize - 1) s_scan_partial[gl_SubgroupID] = inclusive;
    barrier();
    if (gl_SubgroupID == 0) {
        // There can be more subgroup totals than lanes (32 totals, 8 lanes on lavapipe).
        uint carry = 0;
        for (uint base = 0; base < gl_NumSubgroups; base += gl_SubgroupSize) {
            uint i = base + gl_SubgroupInvocationID;
            uint v = i < gl_NumSubgroups ? s_scan_partial[i] : 0;
            uint vi = subgroupInclusiveAdd(v);
            if (i < gl_NumSubgroups) s_scan_partial[i] = carry + vi - v;
            carry += subgroupAdd(v);
        }
        if (gl_SubgroupInvocationID == 0) s_scan_total = carry;
    }
    barrier();
    uint result = s_scan_partial[gl_SubgroupID] + inclusive - x;
    total = s_scan_total;
    barrier();
    return result;
}

#endif
