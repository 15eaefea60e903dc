// The sags decode pre-pass (shaders/sags_global.comp, shaders/sags_decode.comp,
// renderer/sags_vk.hpp): parameters shared by C++ and GLSL. The math is training/kernels/sags.hpp
// and training/kernels/mlp.hpp, mirrored line for line.
#ifndef SPLATSCAPE_SAGS_TYPES_H
#define SPLATSCAPE_SAGS_TYPES_H
#ifdef __cplusplus
#include "shaders/shared/gpu_compat.h"
#else
#include "shared/gpu_compat.h"
#endif

SPLATSCAPE_GPU_BEGIN

SPLATSCAPE_CONST(uint, kSagsThreads, 64)
// Widths the per-invocation networks hold in registers: a decoder's inputs (the encoded feature and
// the 4 view columns), its hidden layers and its outputs.
SPLATSCAPE_CONST(uint, kSagsMaxInputs, 160)
SPLATSCAPE_CONST(uint, kSagsMaxHidden, 64)
SPLATSCAPE_CONST(uint, kSagsMaxOutputs, 8)
SPLATSCAPE_CONST(uint, kSagsMaxLocal, 64)

// One decoder: where its parameters start in the weights buffer (training/kernels/mlp.hpp's layout,
// W [out, in] row-major then b per layer) and its widths and activations (kern::Activation values).
struct SagsNet {
    uint offset;
    uint inputs;
    uint hidden;
    uint hidden_layers;
    uint outputs;
    uint hidden_activation;
    uint output_activation;
    uint pad;
};
SPLATSCAPE_CHECK_LAYOUT(SagsNet, 32)

struct SagsDecodeParams {
    address points;            // float [N, 3]
    address scales;            // float [N, 6]: the offset's log-scales, then the Gaussian's
    address encoded;           // float [N, hash_width + feature_dim]: hash | local, before the affine
    address affine;            // float [E, 2]: scale, shift (E = hash_width + 2 feature_dim)
    address weights;           // float: the four decoders' parameters
    address global_bits;       // uint [feature_dim]: order-preserving bits of the global maximum (0: none)
    address visible;           // uint [N]: 1 when the point is in the view
    address out_means_opacity; // vec4 [N]: decoded mean, opacity logit
    address out_covariances;   // float [N, 6] xx xy xz yy yz zz; xx = -1 marks a point left out
    address out_sh;            // float [N, 3]: the decoded colour as the SH DC term
    address frames;            // float [N, 4]: the points' frame quaternions (w x y z); 0: none
    SagsNet nets[4];           // opacity, colour, covariance, offset
    vec4 rot0;                 // world-to-camera rotation rows (xyz) and translation (w)
    vec4 rot1;
    vec4 rot2;
    vec4 centre;     // camera centre (xyz)
    vec4 intrinsics; // fx, fy, cx, cy
    float width;
    float height;
    float margin; // kern::sags_in_view's margin and near plane
    float near_z;
    uint count;
    uint hash_width;
    uint feature_dim;
    uint pad;
};
SPLATSCAPE_CHECK_OFFSET(SagsDecodeParams, nets, 88)
SPLATSCAPE_CHECK_OFFSET(SagsDecodeParams, rot0, 216)
SPLATSCAPE_CHECK_LAYOUT(SagsDecodeParams, 328)

struct SagsDecodePush {
    address params; // SagsDecodeParams
};
SPLATSCAPE_CHECK_LAYOUT(SagsDecodePush, 8)

SPLATSCAPE_GPU_END

#endif
