#pragma once
// Host entry points of training/cuda/kernels_probe.cu (built when the CUDA toolkit is found).
#include <string>

#include "training/kernels/adam.hpp"
#include "training/kernels/binning.hpp"
#include "training/kernels/composite.hpp"
#include "training/kernels/covariance.hpp"
#include "training/kernels/densify.hpp"
#include "training/kernels/preprocess.hpp"
#include "training/kernels/projection.hpp"
#include "training/kernels/random.hpp"
#include "training/kernels/sh.hpp"
#include "training/kernels/ssim.hpp"

namespace splatscape::cuda {

// Per Gaussian: mean [3], log-scales [3], rotation [4], opacity logit, SH [16, 3].
constexpr int kProbeInputs = 11 + 48;
constexpr int kProbeOutputs = 34;

// The accumulated view-space gradient the probe's clone/split decision sees over 4 views: below the
// threshold (keep) for about half of the Gaussians, above it (clone or split) for the rest.
SPLATSCAPE_HD float probe_grad_accum(const float* g) {
    return 0.0008f * (1.0f + 5.0f * g[14]);
}

// Every per-element function once, for Gaussian `i` with inputs `g` [kProbeInputs], writing
// `o` [kProbeOutputs]. The probe kernel runs it on the device; tests run it on the host and compare.
SPLATSCAPE_HD void probe_gaussian(int i, const float* g, const kern::RasterCamera<float>& cam,
                                  const kern::RasterSettings& settings, float* o) {
    using namespace splatscape::kern;
    for (int k = 0; k < kProbeOutputs; ++k) o[k] = 0.0f;

    GaussianRef<float> ref;
    ref.mean = g;
    ref.log_scale = g + 3;
    ref.rotation = g + 6;
    ref.cov3d = nullptr;
    ref.opacity_logit = g[10];
    ref.sh = g + 11;
    ref.sh_degree = 3;
    ref.rgb = nullptr;
    Preprocessed<float> pre;
    const bool visible = preprocess_gaussian(ref, cam, settings, pre);
    o[0] = visible ? 1.0f : 0.0f;
    if (!visible) return;
    o[1] = pre.proj.mean2d.x;
    o[2] = pre.proj.mean2d.y;
    o[3] = pre.proj.conic.x;
    o[4] = pre.proj.conic.y;
    o[5] = pre.proj.conic.z;
    o[6] = pre.proj.depth;
    o[7] = float(pre.proj.radius);
    o[8] = pre.rgb.x;
    o[9] = pre.rgb.y;
    o[10] = pre.rgb.z;
    o[11] = pre.alpha_base;

    // Composite at the pixel whose centre is nearest the mean, and step back over it.
    const float dx = pre.proj.mean2d.x - (floorf(pre.proj.mean2d.x) + 0.5f);
    const float dy = pre.proj.mean2d.y - (floorf(pre.proj.mean2d.y) + 0.5f);
    const float alpha = splat_alpha(pre.alpha_base, pre.proj.conic, dx, dy);
    o[12] = alpha;
    PixelBackward<float> st;
    const float background[3] = {0.25f, 0.5f, 0.75f};
    const float dC[3] = {1.0f, -0.5f, 0.25f};
    pixel_backward_init(st, 1.0f - alpha, background, dC, 0.3f, 0.1f);
    SplatGrad<float> sg = {};
    const float rgb[3] = {pre.rgb.x, pre.rgb.y, pre.rgb.z};
    composite_backward_step(st, pre.alpha_base, pre.proj.conic, dx, dy, 0u, 1u, rgb, pre.proj.depth, sg);

    float d_mean[3], d_ls[3], d_rot[4], d_op, d_sh[48];
    GaussianGradRef<float> grads = {d_mean, d_ls, d_rot, nullptr, &d_op, d_sh, nullptr};
    preprocess_gaussian_backward(ref, cam, settings, pre, sg, grads);
    for (int k = 0; k < 3; ++k) o[13 + k] = d_mean[k];
    for (int k = 0; k < 3; ++k) o[16 + k] = d_ls[k];
    for (int k = 0; k < 4; ++k) o[19 + k] = d_rot[k];
    o[23] = d_op;
    o[24] = d_sh[0];

    // The remaining per-element functions.
    const uint64_t key = tile_depth_key(uint32_t(i), pre.proj.depth);
    o[25] = float(key_tile(key));
    float p = g[0], m = 0.0f, v = 0.0f;
    adam_update(p, 0.5f, m, v, adam_step_for(1e-3f, 1));
    o[26] = p;
    float d_mx, d_exx, d_exy;
    o[27] = ssim_pixel(0.4f, 0.5f, 0.2f, 0.3f, 0.21f, &d_mx, &d_exx, &d_exy);
    o[28] = d_mx;
    AdcThresholds t;
    t.dense_scale = 0.05f;
    t.min_opacity = 0.3f;      // prunes about a third by opacity
    t.max_world_scale = 0.08f; // and a quarter by size
    o[29] = float(adc_grow_action(probe_grad_accum(g), 4.0f, g[3], t));
    o[30] = adc_prune(g[10], 5.0f, g[3], t) ? 1.0f : 0.0f;
    float child_mean[3], child_ls[3];
    split_child(g, g + 3, g + 6, 1.6f, 7, 11, uint64_t(i), child_mean, child_ls);
    o[31] = child_mean[0];
    o[32] = child_ls[0];
    o[33] = random_uniform(7, 3, uint64_t(i));
}

// Evaluates the probe kernel on `count` Gaussians; returns "" on success or the CUDA error.
std::string kernels_probe_run(int count, const float* inputs, const kern::RasterCamera<float>& camera,
                              const kern::RasterSettings& settings, float* outputs);
bool cuda_device_present();

} // namespace splatscape::cuda
