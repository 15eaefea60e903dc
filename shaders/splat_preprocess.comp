#version 460
// Forward, per Gaussian (docs/rasterizer.md steps 1-10): cull, project, conic, radius, tile
// rectangle, colour for this view.
#include "common.glsl"
#include "splat.glsl"

layout(local_size_x = 256) in;

void main() {
    FrameRef frame = FrameRef(pc.frame);
    uint i = linear_group_id() * kPreprocessThreads + gl_LocalInvocationIndex;
    uint n = frame.f.gaussian_count;
    bool visible = false;
    float depth = 0.0;
    if (i < n) {
        UintBuf flags = UintBuf(frame.f.visible_flags);
        // Streamed scenes draw pages of a pool: slot i -> pool element src (see FrameParams).
        uint src = i;
        float fade = 1.0;
        bool present = true;
        if (frame.f.page_table != 0) {
            uvec4 page = Uvec4Buf(frame.f.page_table).v[i >> frame.f.page_shift];
            uint offset = i & ((1u << frame.f.page_shift) - 1u);
            present = offset < page.y;
            src = (page.x << frame.f.page_shift) + offset;
            fade = uintBitsToFloat(page.z);
        }
        vec4 mo = present ? Vec4Buf(frame.f.means_opacity).v[src] : vec4(0.0);
        vec3 mean = mo.xyz;
        // 1. Camera space, near/far cull.
        vec3 r0 = frame.f.rot_row0.xyz, r1 = frame.f.rot_row1.xyz, r2 = frame.f.rot_row2.xyz;
        vec3 t = frame.f.translation.xyz;
        vec3 p = vec3(dot(r0, mean), dot(r1, mean), dot(r2, mean)) + t;
        if (present && p.z > frame.f.near_plane && p.z < frame.f.far_plane) {
            float sigma[3][3];
            bool in_slice = true;
            if (frame.f.cov3d != 0) {
                // 2. A covariance given directly (a 4D slice, shaders/slice4d.comp) times modifier^2;
                // xx < 0 marks a Gaussian the slice left out.
                FloatBuf cov = FloatBuf(frame.f.cov3d);
                float m2 = frame.f.scale_modifier * frame.f.scale_modifier;
                float e[6];
                for (int k = 0; k < 6; ++k) e[k] = cov.v[6 * i + k] * m2;
                in_slice = cov.v[6 * i] >= 0.0;
                sigma = float[3][3](float[3](e[0], e[1], e[2]), float[3](e[1], e[3], e[4]), float[3](e[2], e[4], e[5]));
            } else {
                // 2. Sigma = M M^T with M = Rq diag(exp(s) * modifier).
                mat3 rq = rotation_rows(Vec4Buf(frame.f.rotations).v[src]);
                vec3 s = exp(Vec4Buf(frame.f.log_scales).v[src].xyz) * frame.f.scale_modifier;
                float m[3][3];
                for (int r = 0; r < 3; ++r)
                    for (int c = 0; c < 3; ++c) m[r][c] = rq[r][c] * s[c];
                for (int r = 0; r < 3; ++r)
                    for (int c = 0; c < 3; ++c)
                        sigma[r][c] = m[r][0] * m[c][0] + m[r][1] * m[c][1] + m[r][2] * m[c][2];
            }
            // 3. Jacobian with the guard band.
            vec4 K = frame.f.intrinsics;
            float lx = 1.3 * 0.5 * float(frame.f.width) / K.x;
            float ly = 1.3 * 0.5 * float(frame.f.height) / K.y;
            float tx = clamp(p.x / p.z, -lx, lx) * p.z;
            float ty = clamp(p.y / p.z, -ly, ly) * p.z;
            float J[2][3];
            J[0][0] = K.x / p.z;
            J[0][1] = 0.0;
            J[0][2] = -K.x * tx / (p.z * p.z);
            J[1][0] = 0.0;
            J[1][1] = K.y / p.z;
            J[1][2] = -K.y * ty / (p.z * p.z);
            // 4. cov2d = Tm Sigma Tm^T with Tm = J R.
            float R[3][3] = float[3][3](float[3](r0.x, r0.y, r0.z), float[3](r1.x, r1.y, r1.z),
                                        float[3](r2.x, r2.y, r2.z));
            float Tm[2][3];
            for (int r = 0; r < 2; ++r)
                for (int c = 0; c < 3; ++c) Tm[r][c] = J[r][0] * R[0][c] + J[r][1] * R[1][c] + J[r][2] * R[2][c];
            float TS[2][3];
            for (int r = 0; r < 2; ++r)
                for (int c = 0; c < 3; ++c)
                    TS[r][c] = Tm[r][0] * sigma[0][c] + Tm[r][1] * sigma[1][c] + Tm[r][2] * sigma[2][c];
            float a0 = TS[0][0] * Tm[0][0] + TS[0][1] * Tm[0][1] + TS[0][2] * Tm[0][2];
            float b = TS[0][0] * Tm[1][0] + TS[0][1] * Tm[1][1] + TS[0][2] * Tm[1][2];
            float c0 = TS[1][0] * Tm[1][0] + TS[1][1] * Tm[1][1] + TS[1][2] * Tm[1][2];
            float det0 = a0 * c0 - b * b;
            float a = a0 + frame.f.eps2d, c = c0 + frame.f.eps2d;
            float det = a * c - b * b;
            if (det > 0.0 && in_slice) {
                float compensation = frame.f.antialiased != 0 ? sqrt(max(det0 / det, 0.0)) : 1.0;
                // 5. Conic.
                float inv = 1.0 / det;
                vec3 conic = vec3(c * inv, -b * inv, a * inv);
                // 6. Centre in pixels.
                vec2 mean2d = vec2(K.x * p.x / p.z + K.z, K.y * p.y / p.z + K.w);
                // 7. Radius.
                float mid = 0.5 * (a + c);
                float lambda = mid + sqrt(max(0.1, mid * mid - det));
                float radius = ceil(3.0 * sqrt(lambda));
                // 8. Tile rectangle, [x0, x1) x [y0, y1).
                float tiles_x = float(frame.f.tiles_x), tiles_y = float(frame.f.tiles_y);
                const float ts = float(kTileSize);
                uint x0 = uint(clamp(floor((mean2d.x - radius) / ts), 0.0, tiles_x));
                uint x1 = uint(clamp(floor((mean2d.x + radius) / ts) + 1.0, 0.0, tiles_x));
                uint y0 = uint(clamp(floor((mean2d.y - radius) / ts), 0.0, tiles_y));
                uint y1 = uint(clamp(floor((mean2d.y + radius) / ts) + 1.0, 0.0, tiles_y));
                if ((x1 - x0) * (y1 - y0) != 0) {
                    // 9. Colour for this view.
                    vec3 v = mean - frame.f.camera_center.xyz;
                    float len = length(v);
                    vec3 dir = len > 0.0 ? (1.0 / len) * v : vec3(0.0, 0.0, 1.0);
                    uint K_stored = frame.f.sh_stride;
                    vec3 rgb = sh_to_rgb(frame.f.sh_degree, dir, FloatBuf(frame.f.sh), src * K_stored * 3);
                    // 10. Opacity and depth.
                    float alpha_base = (1.0 / (1.0 + exp(-mo.w))) * compensation * fade;
                    depth = p.z;
                    Vec4Buf geom = Vec4Buf(frame.f.splat_geom);
                    geom.v[2 * i] = vec4(mean2d, conic.xy);
                    geom.v[2 * i + 1] = vec4(conic.z, alpha_base, depth, 0.0);
                    Vec4Buf(frame.f.splat_color).v[i] = vec4(rgb, 0.0);
                    Uvec2Buf(frame.f.tile_rect).v[i] = uvec2(x0 | (y0 << 16), x1 | (y1 << 16));
                    visible = true;
                }
            }
        }
        flags.v[i] = visible ? 1u : 0u;
    }
    // Depth range of the visible centres for the depth view; positive floats order as their bits.
    uint bits = floatBitsToUint(depth);
    uint lo = subgroupMin(visible ? bits : 0xffffffffu);
    uint hi = subgroupMax(visible ? bits : 0u);
    bool any_visible = subgroupAny(visible);
    if (subgroupElect() && any_visible) {
        CountersRef counters = CountersRef(frame.f.counters);
        atomicMin(counters.c.depth_min_bits, lo);
        atomicMax(counters.c.depth_max_bits, hi);
    }
}
