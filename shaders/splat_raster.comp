#version 460
// Forward, per pixel (docs/rasterizer.md): one workgroup per 16x16 tile, one invocation per pixel.
// The tile's Gaussians pass through shared memory in batches of 256; the workgroup stops once every
// pixel's transmittance has fallen below the threshold.
#include "common.glsl"
#include "splat.glsl"

layout(local_size_x = 16, local_size_y = 16) in;
// 1: each invocation of a subgroup reads a different Gaussian of the batch and the compositing
// loop takes them from it with subgroup shuffles. On CPU drivers (lavapipe) a shared-memory read
// costs a gather per invocation even when all read the same address, so this reads shared memory
// subgroup-size times less; GPUs broadcast shared reads and use 0.
layout(constant_id = 0) const uint kShuffleBatches = 0;

shared vec4 s_geom0[kTileThreads];  // mean2d.xy, conic.xy
shared vec4 s_geom1[kTileThreads];  // conic.z, alpha_base, depth
shared vec4 s_color[kTileThreads];
shared uint s_alive[2];             // invocations still compositing, double-buffered by batch parity

void main() {
    FrameRef frame = FrameRef(pc.frame);
    uint tiles_x = frame.f.tiles_x;
    uint tile = linear_group_id();
    if (tile >= tiles_x * frame.f.tiles_y) return;
    uint width = frame.f.width, height = frame.f.height;
    uvec2 pixel = uvec2(tile % tiles_x, tile / tiles_x) * kTileSize + gl_LocalInvocationID.xy;
    bool inside = pixel.x < width && pixel.y < height;
    vec2 center = vec2(pixel) + 0.5;
    uvec2 range = Uvec2Buf(frame.f.tile_ranges).v[tile];
    uint local = gl_LocalInvocationIndex;
    if (local == 0) {
        s_alive[0] = 0;
        if (range.y > range.x) atomicMax(CountersRef(frame.f.counters).c.max_tile_count, range.y - range.x);
    }
    barrier();

    UintBuf values = UintBuf(frame.f.sorted_values);
    Vec4Buf geom = Vec4Buf(frame.f.splat_geom);
    Vec4Buf colors = Vec4Buf(frame.f.splat_color);
    bool done = !inside;
    float T = 1.0;
    vec3 C = vec3(0.0);
    float D = 0.0;
    uint batch = 0;
    for (uint start = range.x; start < range.y; start += kTileThreads, ++batch) {
        uint parity = batch & 1u;
        if (local == 0) s_alive[parity ^ 1u] = 0;
        uint index = start + local;
        if (index < range.y) {
            uint g = values.v[index];
            s_geom0[local] = geom.v[2 * g];
            s_geom1[local] = geom.v[2 * g + 1];
            s_color[local] = colors.v[g];
        }
        bool any_alive = subgroupAny(!done);
        if (subgroupElect() && any_alive) atomicAdd(s_alive[parity], 1u);
        barrier();
        if (s_alive[parity] == 0) break;
        uint batch_size = min(kTileThreads, range.y - start);
        if (kShuffleBatches != 0) {
            for (uint chunk = 0; chunk < batch_size; chunk += gl_SubgroupSize) {
                if (subgroupAll(done)) break;
                uint mine = min(chunk + gl_SubgroupInvocationID, kTileThreads - 1);
                vec4 m0 = s_geom0[mine], m1 = s_geom1[mine], mc = s_color[mine];
                uint count = min(gl_SubgroupSize, batch_size - chunk);
                for (uint k = 0; k < count; ++k) {
                    vec4 g0 = vec4(subgroupShuffle(m0.x, k), subgroupShuffle(m0.y, k), subgroupShuffle(m0.z, k),
                                   subgroupShuffle(m0.w, k));
                    vec3 g1 = vec3(subgroupShuffle(m1.x, k), subgroupShuffle(m1.y, k), subgroupShuffle(m1.z, k));
                    vec3 rgb = vec3(subgroupShuffle(mc.x, k), subgroupShuffle(mc.y, k), subgroupShuffle(mc.z, k));
                    vec2 d = g0.xy - center;
                    float power = -0.5 * (g0.z * d.x * d.x + g1.x * d.y * d.y) - g0.w * d.x * d.y;
                    float alpha = min(kAlphaMax, g1.y * exp(power));
                    if (!done && power <= 0.0 && alpha >= kAlphaMin) {
                        float T_next = T * (1.0 - alpha);
                        if (T_next < kTransmittanceMin) {
                            done = true;
                        } else {
                            float w = alpha * T;
                            C += rgb * w;
                            D += g1.z * w;
                            T = T_next;
                        }
                    }
                }
            }
        } else if (!done) {
            for (uint k = 0; k < batch_size; ++k) {
                vec4 g0 = s_geom0[k];
                vec4 g1 = s_geom1[k];
                vec2 d = g0.xy - center;
                float power = -0.5 * (g0.z * d.x * d.x + g1.x * d.y * d.y) - g0.w * d.x * d.y;
                if (power > 0.0) continue;
                float alpha = min(kAlphaMax, g1.y * exp(power));
                if (alpha < kAlphaMin) continue;
                float T_next = T * (1.0 - alpha);
                if (T_next < kTransmittanceMin) {
                    done = true;
                    break;
                }
                float w = alpha * T;
                C += s_color[k].rgb * w;
                D += g1.z * w;
                T = T_next;
            }
        }
        barrier();
    }
    if (inside) {
        uint p = pixel.y * width + pixel.x;
        Vec4Buf(frame.f.out_color).v[p] = vec4(C + T * frame.f.background.rgb, 1.0 - T);
        FloatBuf(frame.f.out_depth).v[p] = D;
    }
}
