#version 460
// The NeRF ray marcher, one round: each ray of the list marches on through the occupancy cascades
// (kern::nerf_march's steps and skips) for at most round_samples samples and round_steps steps
// through empty space (NerfFrameParams), evaluates each sample in an occupied cell (the gate's hash
// grid and MLP, top-1 routing scaled by the gate probability, the chosen expert's hash grid and MLP,
// and in colour mode the colour head on [expert output, SH of the view direction, appearance]) and
// composites it front to back (kern::nerf_accumulate), as RayMarchOps::march and accumulate do; rays
// that go on join the other list.
#include "nerf.glsl"

layout(push_constant, scalar) uniform Push { NerfPush pc; };
layout(local_size_x = 64) in;

// Marches the ray of `pixel` one round; returns whether it goes on.
bool march_round(NerfFrameParams P, uint pixel) {
    NerfRay ray = NerfRayRef(P.rays).v[pixel];
    vec3 o, d;
    camera_ray(P, pixel, o, d);
    NerfGridRef grids = NerfGridRef(P.grids);
    NerfNetRef nets = NerfNetRef(P.nets);
    FloatBuf weights = FloatBuf(P.weights);
    UintBuf bits = UintBuf(P.occupancy);
    uint E = P.experts, G = P.geometry_features;
    uint sh_col = 1u + G, app_col = sh_col + (P.sh_degree + 1u) * (P.sh_degree + 1u);
    bool experts_mode = P.mode == kNerfModeExperts;

    precise float t = ray.t;
    precise float optical_depth = ray.optical_depth;
    precise float tr = exp(-optical_depth);
    precise float t_weighted = ray.t_weighted;
    precise vec3 rgb = vec3(ray.r, ray.g, ray.b);
    uint n = ray.samples;
    float expert_weight[kNerfMaxExperts];
    if (experts_mode)
        for (uint e = 0u; e < E; ++e) expert_weight[e] = FloatBuf(P.expert_weights).v[pixel * E + e];
    uint taken = 0u, steps = 0u;
    while (t < ray.t_end && n < P.max_samples && tr > P.stop_transmittance && taken < P.round_samples) {
        // To the next sample: steps and skips through empty space (at most round_steps a round). The
        // lanes of a subgroup then evaluate their samples together, so a round's network loops run
        // once per sample of its busiest ray.
        bool found = false;
        float dt = 0.0;
        vec3 u = vec3(0.0);
        while (t < ray.t_end && steps < P.round_steps) {
            precise vec3 at = vec3(o.x + t * d.x, o.y + t * d.y, o.z + t * d.z);
            u = at;
            dt = min(max(t * P.cone_angle, P.min_step), P.max_step);
            int k = march_cascade(P, u, dt);
            int bit = cell_bit(P, k, u);
            if (bit_set(bits, bit)) {
                found = true;
                break;
            }
            if (bit < 0) {
                t += dt; // just outside the grid (its entry, by rounding): no cell to skip
            } else {
                // To the first lattice point past the cell.
                float skip = cell_exit(P, k, u, d);
                precise float lattice = max(ceil(skip / dt - 1e-3), 1.0);
                t += lattice * dt;
            }
            ++steps;
        }
        if (!found) break;
        // A sample at t: the networks see the outermost cascade as [0, 1]^3.
        precise vec3 x = vec3((u.x - 0.5) * P.to_network + 0.5, (u.y - 0.5) * P.to_network + 0.5,
                              (u.z - 0.5) * P.to_network + 0.5);
        // Gate: logits, top-1 (the lowest index among equal maxima), its softmax probability.
        hash_encode(grids, 0u, x, 0u);
        run_net(nets, weights, 0u);
        uint best = 0u;
        for (uint e = 1u; e < E; ++e)
            if (net_io[e] > net_io[best]) best = e;
        precise float sum = 0.0;
        for (uint e = 0u; e < E; ++e) sum += exp(net_io[e] - net_io[best]);
        precise float p = 1.0 / sum;
        // The expert, its outputs scaled by p: [density logit, geometry features].
        hash_encode(grids, 1u + best, x, 0u);
        run_net(nets, weights, 2u + best);
        for (uint c = 0u; c < 1u + G; ++c) {
            precise float h = p * net_io[c];
            net_io[c] = h;
        }
        // kern::nerf_accumulate.
        float sigma = exp(net_io[0]);
        optical_depth += sigma * dt;
        float next = exp(-optical_depth);
        precise float w = tr - next;
        tr = next;
        // A sample of weight 0 adds nothing: its colour is not needed.
        if (P.mode == kNerfModeColour && w != 0.0) {
            sh_encode(P.sh_degree, d, sh_col);
            for (uint j = 0u; j < P.appearance_dims; ++j) net_io[app_col + j] = weights.v[P.appearance_offset + j];
            run_net(nets, weights, 1u);
            rgb += vec3(w * net_io[0], w * net_io[1], w * net_io[2]);
        }
        t_weighted += w * t;
        if (experts_mode) expert_weight[best] += w;
        ++n;
        ++taken;
        t += dt;
    }
    ray.t = t;
    ray.optical_depth = optical_depth;
    ray.t_weighted = t_weighted;
    ray.r = rgb.x;
    ray.g = rgb.y;
    ray.b = rgb.z;
    ray.samples = n;
    NerfRayRef(P.rays).v[pixel] = ray;
    if (experts_mode)
        for (uint e = 0u; e < E; ++e) FloatBuf(P.expert_weights).v[pixel * E + e] = expert_weight[e];
    return ray_goes_on(P, ray);
}

void main() {
    NerfFrameParams P = NerfParamsRef(pc.params).p;
    uint i = linear_group_id() * kNerfMarchThreads + gl_LocalInvocationIndex;
    uint list = pc.list, pixels = P.width * P.height;
    bool valid = i < NerfCountersRef(P.counters).c.listed[list];
    uint pixel = valid ? UintBuf(P.lists).v[list * pixels + i] : 0u;
    bool goes_on = valid && march_round(P, pixel);
    append_ray(P, 1u - list, pixel, goes_on);
}
