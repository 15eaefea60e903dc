// The splat rasterizer's per-frame parameters, counters and constants, shared by C++ and GLSL.
// The algorithm is docs/rasterizer.md; the GLSL mirrors it step by step.
#ifndef SPLATSCAPE_SPLAT_TYPES_H
#define SPLATSCAPE_SPLAT_TYPES_H
#ifdef __cplusplus
#include "shaders/shared/gpu_compat.h"
#else
#include "shared/gpu_compat.h"
#endif

SPLATSCAPE_GPU_BEGIN

SPLATSCAPE_CONST(uint, kTileSize, 16)
SPLATSCAPE_CONST(uint, kTileThreads, 256)
SPLATSCAPE_CONST(uint, kPreprocessThreads, 256)

// RenderMode as the compose pass sees it (renderer/render_settings.hpp maps the C++ enum).
SPLATSCAPE_CONST(uint, kModeColor, 0)
SPLATSCAPE_CONST(uint, kModeDepth, 1)
SPLATSCAPE_CONST(uint, kModeAlpha, 2)
SPLATSCAPE_CONST(uint, kModeCenters, 3)
SPLATSCAPE_CONST(uint, kModeHeatmap, 4)

// Counters the GPU fills during a frame; read back after it.
struct FrameCounters {
    uint gaussians;       // N, set by the host
    uint visible;         // Gaussians that survived culling
    uint instances;       // (tile, Gaussian) pairs, before clamping to the capacity
    uint max_tile_count;  // most Gaussians listed for one tile
    uint depth_min_bits;  // float bits of the smallest visible depth
    uint depth_max_bits;  // float bits of the largest visible depth
    uint pad0;
    uint pad1;
};
SPLATSCAPE_CHECK_LAYOUT(FrameCounters, 32)

// Everything a pass needs: buffer addresses, camera and settings. Written once per frame.
struct FrameParams {
    // Scene, [N] unless noted.
    address means_opacity;  // vec4: world mean xyz, opacity logit
    address log_scales;     // vec4: log-scales xyz, unused
    address rotations;      // vec4: quaternion w x y z, unnormalised
    address sh;             // float [N, sh_stride, 3]
    // Per Gaussian, written by preprocess.
    address splat_geom;     // vec4 [2N]: (mean2d.x, mean2d.y, conic.x, conic.y), (conic.z, alpha_base, depth, 0)
    address splat_color;    // vec4: rgb, 0
    address tile_rect;      // uvec2: (x0 | y0 << 16, x1 | y1 << 16), exclusive upper corner
    address visible_flags;  // uint: 1 when not culled
    address visible_index;  // uint: exclusive prefix sum of visible_flags
    // Per visible Gaussian, in depth order after the depth sort.
    address depth_keys;     // uint: float bits of depth
    address depth_values;   // uint: Gaussian index
    address tile_counts;    // uint: tiles touched
    address tile_offsets;   // uint: exclusive prefix sum of tile_counts
    // Per (tile, Gaussian) instance, [instance_capacity].
    address instance_keys;    // uint: tile id, as key generation writes them
    address instance_values;  // uint: Gaussian index
    address sorted_keys;      // the same after the sort (instance_* or their ping-pong partners)
    address sorted_values;
    // Per tile.
    address tile_ranges;    // uvec2: [start, end) into the sorted instances
    // Per pixel, row-major.
    address out_color;      // vec4: rgb composited over the background, alpha = 1 - T
    address out_depth;      // float: alpha-weighted depth D
    address centers;        // uint: depth rank of the nearest centre dot, ~0 for none
    address display;        // uint: RGBA8 (or BGRA8) of the chosen render mode
    address counters;       // FrameCounters
    address cov3d;          // float [N, 6] xx xy xz yy yz zz replacing log_scales/rotations (a 4D slice), or 0
    // Streamed scenes (renderer/tile_streamer_vk.hpp), or 0: uvec4 per page of 2^page_shift draw
    // slots: (pool page, splats used in it, fade as float bits, 0). Draw slot i reads scene element
    // page * 2^page_shift + (i mod 2^page_shift); slots past the splats used are skipped, and the
    // opacity is multiplied by the fade.
    address page_table;
    uint page_shift;
    uint page_pad;

    // World-to-camera rotation rows and translation (x_cam = R x_world + t).
    vec4 rot_row0;
    vec4 rot_row1;
    vec4 rot_row2;
    vec4 translation;
    vec4 camera_center;  // world position of the camera
    vec4 intrinsics;     // fx, fy, cx, cy in pixels
    vec4 background;     // rgb, unused

    uint width;
    uint height;
    uint tiles_x;
    uint tiles_y;
    uint gaussian_count;
    uint sh_degree;  // active degree: min(setting, stored)
    uint sh_stride;  // coefficients stored per Gaussian, (stored degree + 1)^2
    uint mode;       // kMode*
    float scale_modifier;
    float near_plane;
    float far_plane;
    float eps2d;
    uint antialiased;
    uint instance_capacity;
    uint center_radius;  // half-size in pixels of a centre dot
    uint display_bgra;   // 1: display is written as B, G, R, A bytes (swapchain formats)
};
SPLATSCAPE_CHECK_OFFSET(FrameParams, rot_row0, 208)
SPLATSCAPE_CHECK_OFFSET(FrameParams, width, 320)
SPLATSCAPE_CHECK_LAYOUT(FrameParams, 384)

struct SplatPush {
    address frame;  // FrameParams
};
SPLATSCAPE_CHECK_LAYOUT(SplatPush, 8)

SPLATSCAPE_GPU_END

#endif
