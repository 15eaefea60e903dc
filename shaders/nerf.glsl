// The per-sample math of the NeRF ray marcher, each function the GLSL twin of one in
// training/kernels/ (named beside it). `precise` keeps the compiler from fusing a multiply and an add
// where the CPU code rounds twice (its launchers are built without FMA), so samples land where the
// CPU's do; the MLPs use fma() where the CPU's products do (training/cpu/mlp_ops_cpu.cpp runs them
// with FMA). Loops of a constant count are unrolled and the MLPs' products go 4 inputs an
// iteration: CPU drivers end a shader's loops after 65,535 iterations in all (NerfFrameParams).
#ifndef SPLATSCAPE_NERF_GLSL
#define SPLATSCAPE_NERF_GLSL

#extension GL_EXT_control_flow_attributes : require

#include "common.glsl"
#include "mlp.glsl"
#include "shared/nerf_types.h"

layout(buffer_reference, scalar, buffer_reference_align = 8) readonly buffer NerfParamsRef { NerfFrameParams p; };
layout(buffer_reference, scalar, buffer_reference_align = 8) readonly buffer NerfGridRef { NerfGrid v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 4) readonly buffer NerfNetRef { NerfNet v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 16) buffer NerfPixelRef { NerfPixel v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 16) buffer NerfRayRef { NerfRay v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 16) buffer NerfDispatchRef { NerfDispatch v[]; };
layout(buffer_reference, scalar, buffer_reference_align = 4) buffer NerfCountersRef { NerfCounters c; };

const uint kHashPrime1 = 2654435761u; // kern::kHashPrime1, kHashPrime2
const uint kHashPrime2 = 805459861u;

// The networks' inputs and outputs: a layer reads net_io and its outputs replace them.
float net_io[kNerfMaxWidth];
float net_next[kNerfMaxWidth];

// kern::hash_unit_coordinate (NaN counts as 0).
float hash_unit(float x) { return x > 0.0 ? (x < 1.0 ? x : 1.0) : 0.0; }

// kern::hash_encode_level for every level of grid `gi` at network position x: net_io[col + l F + f].
void hash_encode(NerfGridRef grids, uint gi, vec3 x, uint col) {
    float u[3] = float[3](hash_unit(x.x), hash_unit(x.y), hash_unit(x.z));
    uint levels = grids.v[gi].levels, F = grids.v[gi].features, mask = grids.v[gi].table_mask;
    uint hashed = grids.v[gi].hashed;
    FloatBuf table = FloatBuf(grids.v[gi].table);
    for (uint l = 0u; l < levels; ++l) {
        uint n = grids.v[gi].resolution[l];
        uint base[3];
        float frac[3];
        [[unroll]] for (int a = 0; a < 3; ++a) {
            precise float p = u[a] * float(n);
            uint i = uint(floor(p));
            if (i >= n) i = n - 1u; // u = 1: the last cell with fraction 1
            base[a] = i;
            frac[a] = p - float(i);
        }
        bool is_hashed = ((hashed >> l) & 1u) != 0u;
        uint first = grids.v[gi].offset[l];
        float acc[8] = float[8](0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0);
        [[unroll]] for (uint k = 0u; k < 8u; ++k) {
            uint cx = base[0] + (k & 1u), cy = base[1] + ((k >> 1) & 1u), cz = base[2] + ((k >> 2) & 1u);
            uint entry = is_hashed ? ((cx ^ (cy * kHashPrime1) ^ (cz * kHashPrime2)) & mask)
                                   : cx + (n + 1u) * (cy + (n + 1u) * cz);
            float wx = (k & 1u) != 0u ? frac[0] : 1.0 - frac[0];
            float wy = (k & 2u) != 0u ? frac[1] : 1.0 - frac[1];
            float wz = (k & 4u) != 0u ? frac[2] : 1.0 - frac[2];
            precise float w = wx * wy * wz;
            uint row = (first + entry) * F;
            [[unroll]] for (uint f = 0u; f < 8u; ++f) {
                if (f < F) {
                    precise float sum = acc[f] + w * table.v[row + f];
                    acc[f] = sum;
                }
            }
        }
        [[unroll]] for (uint f = 0u; f < 8u; ++f)
            if (f < F) net_io[col + l * F + f] = acc[f];
    }
}

// The MLP `ni` on net_io[0 .. inputs): its outputs replace net_io[0 .. outputs). Every output
// starts at its bias and adds the products in input order, as training/cpu/mlp_ops_cpu.cpp does.
void run_net(NerfNetRef nets, FloatBuf w, uint ni) {
    uint layers = nets.v[ni].layers;
    uint off = nets.v[ni].offset;
    for (uint l = 0u; l < layers; ++l) {
        uint n_in = nets.v[ni].widths[l], n_out = nets.v[ni].widths[l + 1u];
        uint act = l + 1u == layers ? nets.v[ni].output_activation : nets.v[ni].hidden_activation;
        uint bias = off + n_in * n_out;
        for (uint o = 0u; o < n_out; ++o) {
            float acc = w.v[bias + o];
            uint row = off + o * n_in;
            uint k = 0u;
            for (; k + 4u <= n_in; k += 4u) {
                acc = fma(net_io[k], w.v[row + k], acc);
                acc = fma(net_io[k + 1u], w.v[row + k + 1u], acc);
                acc = fma(net_io[k + 2u], w.v[row + k + 2u], acc);
                acc = fma(net_io[k + 3u], w.v[row + k + 3u], acc);
            }
            for (; k < n_in; ++k) acc = fma(net_io[k], w.v[row + k], acc);
            net_next[o] = mlp_activate(act, acc);
        }
        for (uint o = 0u; o < n_out; ++o) net_io[o] = net_next[o];
        off = bias + n_out;
    }
}

// kern::sh_encode (bands 0..degree of the normalised direction) into net_io[col ..].
void sh_encode(uint degree, vec3 v, uint col) {
    precise float len = sqrt(v.x * v.x + v.y * v.y + v.z * v.z);
    precise float inv = 1.0 / len;
    vec3 d = len > 0.0 ? vec3(inv * v.x, inv * v.y, inv * v.z) : vec3(0.0, 0.0, 1.0);
    net_io[col] = 0.28209479177387814;
    if (degree < 1u) return;
    float x = d.x, y = d.y, z = d.z;
    const float C1 = 0.4886025119029199;
    net_io[col + 1u] = -C1 * y;
    net_io[col + 2u] = C1 * z;
    net_io[col + 3u] = -C1 * x;
    if (degree < 2u) return;
    precise float xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
    precise float b4 = 1.0925484305920792 * xy;
    precise float b5 = -1.0925484305920792 * yz;
    precise float b6 = 0.31539156525252005 * (2.0 * zz - xx - yy);
    precise float b7 = -1.0925484305920792 * xz;
    precise float b8 = 0.5462742152960396 * (xx - yy);
    net_io[col + 4u] = b4;
    net_io[col + 5u] = b5;
    net_io[col + 6u] = b6;
    net_io[col + 7u] = b7;
    net_io[col + 8u] = b8;
    if (degree < 3u) return;
    precise float b9 = -0.5900435899266435 * y * (3.0 * xx - yy);
    precise float b10 = 2.890611442640554 * xy * z;
    precise float b11 = -0.4570457994644658 * y * (4.0 * zz - xx - yy);
    precise float b12 = 0.3731763325901154 * z * (2.0 * zz - 3.0 * xx - 3.0 * yy);
    precise float b13 = -0.4570457994644658 * x * (4.0 * zz - xx - yy);
    precise float b14 = 1.445305721320277 * z * (xx - yy);
    precise float b15 = -0.5900435899266435 * x * (xx - 3.0 * yy);
    net_io[col + 9u] = b9;
    net_io[col + 10u] = b10;
    net_io[col + 11u] = b11;
    net_io[col + 12u] = b12;
    net_io[col + 13u] = b13;
    net_io[col + 14u] = b14;
    net_io[col + 15u] = b15;
}

// ---- rays and marching (kern::nerf_march and its helpers) ----

// kern::nerf_camera_ray through the centre of `pixel`, and nerf_ray_setup's origin: the ray in the
// unit cube (origin o, unit direction d).
void camera_ray(NerfFrameParams P, uint pixel, out vec3 o, out vec3 d) {
    precise float cam_x = (float(pixel % P.width) + 0.5 - P.intrinsics.z) / P.intrinsics.x;
    precise float cam_y = (float(pixel / P.width) + 0.5 - P.intrinsics.w) / P.intrinsics.y;
    precise vec3 ray = vec3(P.rot0.x * cam_x + P.rot0.y * cam_y + P.rot0.z, P.rot1.x * cam_x + P.rot1.y * cam_y + P.rot1.z,
                            P.rot2.x * cam_x + P.rot2.y * cam_y + P.rot2.z);
    precise float len = sqrt(ray.x * ray.x + ray.y * ray.y + ray.z * ray.z);
    precise float inv = 1.0 / len;
    precise vec3 dir = vec3(inv * ray.x, inv * ray.y, inv * ray.z);
    precise vec3 origin = (P.centre.xyz - P.space_centre.xyz) * P.space_centre.w + 0.5;
    d = dir;
    o = origin;
}

float cell_size(NerfFrameParams P, int k) { return k < 4 ? P.cell_size_lo[k] : P.cell_size_hi[k - 4]; }

// kern::nerf_cell_coordinate: the division by 2^k is exact as a product.
float cell_coordinate(NerfFrameParams P, int k, float u) {
    precise float c = ((u - 0.5) * (1.0 / float(1 << k)) + 0.5) * float(P.resolution);
    return c;
}

// kern::nerf_march_cascade.
int march_cascade(NerfFrameParams P, vec3 u, float dt) {
    float m = max(abs(u.x - 0.5), max(abs(u.y - 0.5), abs(u.z - 0.5)));
    int K = int(P.cascades), k = 0;
    while (k < K - 1 && m > 0.5 * float(1 << k)) ++k;
    while (k < K - 1 && cell_size(P, k) < dt) ++k;
    return k;
}

// kern::nerf_cell_bit: the cell's bit, -1 outside the cascade (at most 8 x 512^3 cells: an int).
int cell_bit(NerfFrameParams P, int k, vec3 u) {
    float cx = cell_coordinate(P, k, u.x), cy = cell_coordinate(P, k, u.y), cz = cell_coordinate(P, k, u.z);
    float r = float(P.resolution);
    if (!(cx >= 0.0 && cy >= 0.0 && cz >= 0.0 && cx < r && cy < r && cz < r)) return -1;
    uint n = P.resolution;
    return int(uint(k) * n * n * n + (uint(cx) + n * (uint(cy) + n * uint(cz))));
}

bool bit_set(UintBuf bits, int bit) { return bit >= 0 && ((bits.v[bit >> 5] >> (bit & 31)) & 1u) != 0u; }

// kern::nerf_cell_exit.
float cell_exit(NerfFrameParams P, int k, vec3 u, vec3 d) {
    float cell = cell_size(P, k);
    float p[3] = float[3](cell_coordinate(P, k, u.x), cell_coordinate(P, k, u.y), cell_coordinate(P, k, u.z));
    float dir[3] = float[3](d.x, d.y, d.z);
    float t = 1e30;
    [[unroll]] for (int a = 0; a < 3; ++a) {
        if (dir[a] != 0.0) {
            float f = floor(p[a]);
            precise float to = dir[a] > 0.0 ? (f + 1.0 - p[a]) : (p[a] - f);
            precise float c = (to > 0.0 ? to : 1.0) * cell / abs(dir[a]);
            t = c < t ? c : t;
        }
    }
    return t;
}

// kern::nerf_ray_range: where the ray o + t d (unit cube) crosses the outermost cascade.
bool ray_range(NerfFrameParams P, vec3 o, vec3 d, out float t0, out float t1) {
    float lo = 0.5 - P.outer_half, hi = 0.5 + P.outer_half;
    float oo[3] = float[3](o.x, o.y, o.z), dd[3] = float[3](d.x, d.y, d.z);
    t0 = 0.0;
    t1 = 1e30;
    bool hit = true;
    [[unroll]] for (int a = 0; a < 3; ++a) {
        if (dd[a] == 0.0) {
            if (oo[a] < lo || oo[a] > hi) hit = false;
        } else {
            precise float inv = 1.0 / dd[a];
            precise float ta = (lo - oo[a]) * inv, tb = (hi - oo[a]) * inv;
            if (ta > tb) {
                float x = ta;
                ta = tb;
                tb = x;
            }
            t0 = t0 < ta ? ta : t0;
            t1 = tb < t1 ? tb : t1;
        }
    }
    return hit && t1 > t0;
}

// Whether a ray marches on (RayMarchOps::accumulate's rule): not at the grid's end, under
// max_samples, its transmittance above the stop threshold.
bool ray_goes_on(NerfFrameParams P, NerfRay ray) {
    return ray.t < ray.t_end && ray.samples < P.max_samples && exp(-ray.optical_depth) > P.stop_transmittance;
}

// Appends `pixel` to list `list` where `keep`: one atomic per subgroup, so the rays of a block stay
// together. Every invocation of the subgroup calls it.
void append_ray(NerfFrameParams P, uint list, uint pixel, bool keep) {
    uvec4 ballot = subgroupBallot(keep);
    uint count = subgroupBallotBitCount(ballot);
    if (count == 0u) return;
    uint base = 0u;
    if (subgroupElect()) base = atomicAdd(NerfCountersRef(P.counters).c.listed[list], count);
    base = subgroupBroadcastFirst(base);
    if (keep) UintBuf(P.lists).v[list * P.width * P.height + base + subgroupBallotExclusiveBitCount(ballot)] = pixel;
}

#endif
