// The 4D slice pre-pass (shaders/slice4d.comp, renderer/slice4d_vk.hpp): parameters shared by C++
// and GLSL. The math is training/kernels/slice4d.hpp and sh4d.hpp, mirrored line for line.
#ifndef SPLATSCAPE_SLICE4D_TYPES_H
#define SPLATSCAPE_SLICE4D_TYPES_H
#ifdef __cplusplus
#include "shaders/shared/gpu_compat.h"
#else
#include "shared/gpu_compat.h"
#endif

SPLATSCAPE_GPU_BEGIN

SPLATSCAPE_CONST(uint, kSliceThreads, 256)

struct Slice4dParams {
    // The 4D scene, [N] unless noted.
    address means;       // vec4: x y z t
    address log_scales;  // vec4: x y z t
    address rot_l;       // vec4: left quaternion w x y z, unnormalised
    address rot_r;       // vec4: right quaternion w x y z, unnormalised
    address opacities;   // float: logit
    address sh;          // float [N, sh_stride, 3]: coefficient n * sh_coeffs + k (training/kernels/sh4d.hpp)
    // The 3D scene the splat renderer reads (a GpuScene made for a slice).
    address out_means_opacity;  // vec4: sliced mean, logit of opacity times the marginal in t
    address out_covariances;    // float [N, 6] xx xy xz yy yz zz; xx = -1 marks a Gaussian left out
    address out_sh;             // float [N, out_coeffs, 3]: the colour's SH at this time
    uint count;
    uint sh_coeffs;    // K: spatial coefficients per temporal frequency
    uint sh_stride;    // coefficients stored per Gaussian, K * (temporal degree + 1)
    uint sh_degree_t;  // temporal frequencies used: 0..sh_degree_t
    uint out_coeffs;   // spatial coefficients written (<= K)
    float time;
    float time_period;
    float min_weight;  // Gaussians whose marginal in t is below this are left out
};
SPLATSCAPE_CHECK_OFFSET(Slice4dParams, count, 72)
SPLATSCAPE_CHECK_LAYOUT(Slice4dParams, 104)

struct Slice4dPush {
    address params;  // Slice4dParams
};
SPLATSCAPE_CHECK_LAYOUT(Slice4dPush, 8)

SPLATSCAPE_GPU_END

#endif
