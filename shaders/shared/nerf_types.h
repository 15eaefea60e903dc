// The NeRF ray marcher (shaders/nerf_*.comp, renderer/nerf_vk.hpp): the scene's layouts, the rays'
// state between marching rounds and the per-frame parameters, shared by C++ and GLSL. The math is
// training/kernels/nerf_march.hpp, hash_grid.hpp, mlp.hpp and sh_encoding.hpp, and the compositing of
// HmoheNetwork::render (training/models/hmohe.cpp), mirrored step for step.
#ifndef SPLATSCAPE_NERF_TYPES_H
#define SPLATSCAPE_NERF_TYPES_H
#ifdef __cplusplus
#include "shaders/shared/gpu_compat.h"
#else
#include "shared/gpu_compat.h"
#endif

SPLATSCAPE_GPU_BEGIN

// The ray set-up pass takes 8x8 blocks of pixels (rays of a block stay together in the lists of
// rays to march); the marching rounds take 64 rays of a list a workgroup; the per-pixel passes 256.
SPLATSCAPE_CONST(uint, kNerfBlock, 8)
SPLATSCAPE_CONST(uint, kNerfMarchThreads, 64)
SPLATSCAPE_CONST(uint, kNerfPixelThreads, 256)
// What one invocation holds: experts (their weights per pixel in the experts mode), hash-grid
// levels, linear layers of an MLP, and the widest layer input or output (registers / private memory).
SPLATSCAPE_CONST(uint, kNerfMaxExperts, 32)
SPLATSCAPE_CONST(uint, kNerfMaxLevels, 32)
SPLATSCAPE_CONST(uint, kNerfMaxLayers, 9)
SPLATSCAPE_CONST(uint, kNerfMaxWidth, 128)
SPLATSCAPE_CONST(uint, kNerfMaxCascades, 8)

// What a frame shows (RenderMode as the ray marcher sees it).
SPLATSCAPE_CONST(uint, kNerfModeColour, 0)
SPLATSCAPE_CONST(uint, kNerfModeDepth, 1)
SPLATSCAPE_CONST(uint, kNerfModeExperts, 2)

// One multiresolution hash grid (kern::HashGridLayout with its table's address).
struct NerfGrid {
    address table; // float [offset[levels], features]
    uint levels;
    uint features;   // 1, 2, 4 or 8
    uint table_mask; // T - 1 (T, a power of two: the entries of a hashed level)
    uint hashed;     // bit l: level l is indexed by the spatial hash (else densely)
    uint resolution[kNerfMaxLevels];
    uint offset[kNerfMaxLevels + 1];
    uint pad;
};
SPLATSCAPE_CHECK_OFFSET(NerfGrid, resolution, 24)
SPLATSCAPE_CHECK_LAYOUT(NerfGrid, 288)

// One MLP (kern::MlpLayout): layer l has W [widths[l + 1], widths[l]] row-major then b
// [widths[l + 1]], from `offset` on in the weights buffer; activations numbered as kern::Activation.
struct NerfNet {
    uint offset;
    uint layers;
    uint hidden_activation;
    uint output_activation;
    uint widths[kNerfMaxLayers + 1];
    uint pad0;
    uint pad1;
};
SPLATSCAPE_CHECK_LAYOUT(NerfNet, 64)

// A pixel's ray between marching rounds (the state RayMarchOps::accumulate keeps, kNerfStateCols):
// its origin and direction are computed again from the pixel each round, the same way.
struct NerfRay {
    float t;              // where the next sample is looked for (unit-cube units)
    float t_end;          // where the ray leaves the grid
    float optical_depth;  // transmittance exp(-optical_depth)
    float t_weighted;     // sum of weight x t (depth)
    float r;              // accumulated colour (colour mode)
    float g;
    float b;
    uint samples;         // network evaluations so far
};
SPLATSCAPE_CHECK_LAYOUT(NerfRay, 32)

// Per pixel, what the march found (HmoheNetwork::RenderResult's values).
struct NerfPixel {
    vec4 colour;  // rgb: over the background (colour mode) or the expert colours (experts mode); a: opacity
    float depth;  // depth along the camera axis in world units; 0 where opacity <= 1e-3 (depth mode)
    int expert;   // the expert with the largest weight where opacity > 0.5, else -1 (experts mode)
    uint samples; // network evaluations along the ray
    uint pad;
};
SPLATSCAPE_CHECK_LAYOUT(NerfPixel, 32)

// Filled during a frame, read back after it.
struct NerfCounters {
    uint listed[2];      // rays appended to each of the two lists of rays to march
    uint samples;        // network evaluations of the frame
    uint hit;            // pixels with opacity > 0.5
    uint depth_min_bits; // float bits of the smallest and largest pixel depth (depth mode)
    uint depth_max_bits;
    uint unfinished; // rays still marching after the last round (0 unless the rounds were too few)
    uint pad;
};
SPLATSCAPE_CHECK_LAYOUT(NerfCounters, 32)

// The workgroups of the next marching round, as vkCmdDispatchIndirect reads them (x at most 65535).
struct NerfDispatch {
    uint x;
    uint y;
    uint z;
    uint pad;
};
SPLATSCAPE_CHECK_LAYOUT(NerfDispatch, 16)

struct NerfFrameParams {
    address grids;          // NerfGrid [1 + experts]: the gate's, then expert e's at 1 + e
    address nets;           // NerfNet [2 + experts]: the gate, the colour head, then expert e's at 2 + e
    address weights;        // float: every MLP's parameters, then the appearance embedding
    address occupancy;      // uint [ceil(cascades resolution^3 / 32)]: occupancy bits (kern::nerf_cell_bit)
    address pixels;         // NerfPixel [width * height]
    address display;        // uint [width * height]: 8-bit RGBA (BGRA with display_bgra)
    address counters;       // NerfCounters
    address rays;           // NerfRay [width * height]
    address lists;          // uint [2, width * height]: pixels whose rays still march
    address dispatch;       // NerfDispatch [2]: the workgroups of a round marching list 0, list 1
    address expert_weights; // float [width * height, experts]: weight per expert (experts mode)
    address pad_address;
    // Camera (nerf_camera_row): camera-to-world rotation rows, centre, intrinsics, viewing axis.
    vec4 rot0;
    vec4 rot1;
    vec4 rot2;
    vec4 centre;
    vec4 intrinsics; // fx, fy, cx, cy
    vec4 axis;       // the camera's forward direction (world)
    vec4 background;
    // Sampling space (kern::NerfSpace), with the quotients the CPU computes, computed the same way.
    vec4 space_centre; // xyz; w: 1 / scale
    vec4 cell_size_lo; // float(1 << k) / resolution for cascades 0..3
    vec4 cell_size_hi; // ... and 4..7
    float scale;
    float to_network; // 0.5 / outer_half: unit cube to the networks' [0, 1]^3
    float outer_half; // 0.5 * 2^(cascades - 1)
    float min_step;
    float max_step;
    float cone_angle;
    float stop_transmittance;
    uint cascades;
    uint resolution;
    uint max_samples;
    uint experts;
    uint geometry_features; // the experts' features after the density logit
    uint sh_degree;
    uint appearance_dims;
    uint appearance_offset; // first value of the appearance embedding in weights
    uint width;
    uint height;
    uint blocks_x; // 8x8 blocks per row
    uint mode;     // kNerfMode*
    uint display_bgra;
    // What one marching round does at most per ray: samples, and steps through empty space. CPU
    // drivers end every loop of an invocation once all its loops together ran 65,535 iterations
    // (llvmpipe's loop limiter), so there a round takes as many samples as the networks' loops
    // allow; GPUs take 64 a round.
    uint round_samples;
    uint round_steps;
    uint pad0;
    uint pad1;
    vec4 expert_colours[kNerfMaxExperts]; // rgb: nerf_expert_colour (core/nerf_scene.hpp)
};
SPLATSCAPE_CHECK_OFFSET(NerfFrameParams, rot0, 96)
SPLATSCAPE_CHECK_OFFSET(NerfFrameParams, scale, 256)
SPLATSCAPE_CHECK_OFFSET(NerfFrameParams, expert_colours, 352)
SPLATSCAPE_CHECK_LAYOUT(NerfFrameParams, 864)

struct NerfPush {
    address params; // NerfFrameParams
    uint list;      // marching rounds: the list they march (rays that go on join the other one)
    uint pad;
};
SPLATSCAPE_CHECK_LAYOUT(NerfPush, 16)

SPLATSCAPE_GPU_END

#endif
