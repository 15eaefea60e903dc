#pragma once
// Structure-aware Gaussian splatting (Ververas et al. 2024): the per-point math between the
// encoder, the decoder MLPs and the rasterizer. The CPU launchers are training/cpu/sags_ops_cpu.cpp,
// the CUDA ones training/cuda/sags_ops_cuda.cu, and shaders/sags_decode.comp mirrors the forward.
//
// A point i has a fixed position p_i, learned features (training/models/sags.hpp) and six learned
// log-scales s_i: s_0..2 scale its decoded offset, s_3..5 its decoded Gaussian. For a view, each
// visible point gets one decoder input row
//     x = [a * [hash_i | local_i | global] + b | view direction | camera distance]
// (a, b: the per-channel affine of the encoded feature; direction = (p_i - c) / |p_i - c|), the
// decoder MLPs turn x into a decoded row d (kSags* columns below: the opacity after tanh, the colour
// after a sigmoid, three raw scale factors, a raw quaternion, the raw offset), and compose() makes
// the rasterizer's Gaussian of it:
//     mean = p_i + offset * exp(s_0..2)
//     log-scale = log(sigmoid(scale factor)) + s_3..5      (scale = sigmoid(raw) * exp(s))
//     rotation = the raw quaternion (the rasterizer normalises it), or with point frames q_i (unit
//                quaternions, kern::pca_frame) the product q_i * raw: the decoder's identity is the
//                point's principal frame, so a flat Gaussian lies in the surface its neighbours sample
//     opacity logit = logit(alpha) for alpha > cutoff; points with alpha <= cutoff are dropped from
//                     this view (logit kSagsDroppedLogit, no gradient). In training with a revive
//                     floor r > 0, alpha below r is drawn as r and its gradient passes to alpha as if
//                     it were r (straight through), so a dropped point can come back
//     colour = the decoded RGB (no SH)
#include "training/kernels/covariance.hpp"

namespace splatscape::kern {

// Columns of a decoded row.
constexpr int kSagsOpacityCol = 0;  // alpha in (-1, 1) (tanh)
constexpr int kSagsColorCol = 1;    // RGB in (0, 1) (sigmoid)
constexpr int kSagsScaleCol = 4;    // 3 raw scale factors
constexpr int kSagsRotationCol = 7; // raw quaternion w x y z
constexpr int kSagsOffsetCol = 11;  // raw offset x y z
constexpr int kSagsDecodedCols = 14;
// Columns of a point's log-scales: the offset's, then the Gaussian's.
constexpr int kSagsScaleCols = 6;
// Columns after the encoded feature in a decoder input row: view direction x y z, camera distance.
constexpr int kSagsViewCols = 4;
// Opacity logit of a dropped point: sigmoid(-30) ~ 1e-13, below any pixel's 1/255 cut.
constexpr float kSagsDroppedLogit = -30.0f;
// Alpha is clamped to [kSagsAlphaMin, 1 - kSagsAlphaMin] for the logit (no gradient beyond).
constexpr float kSagsAlphaMin = 1e-6f;

// log(sigmoid(x)), without overflow for either sign.
template <class T>
SPLATSCAPE_HD T log_sigmoid(T x) {
    return x >= T(0) ? -hd_log(T(1) + hd_exp(-x)) : x - hd_log(T(1) + hd_exp(x));
}

// Whether point p is in front of the camera (z > near) and projects inside the image widened by
// `margin` of its size on every side: the points a view decodes (their Gaussians may reach a
// little beyond their points).
SPLATSCAPE_HD bool sags_in_view(const RasterCamera<float>& cam, const float* p, float margin, float near_z) {
    const Vec3<float> pc = mul(cam.R, Vec3<float>{p[0], p[1], p[2]}) + cam.t;
    if (!(pc.z > near_z)) return false;
    const float u = cam.fx * pc.x / pc.z + cam.cx, v = cam.fy * pc.y / pc.z + cam.cy;
    const float mx = margin * float(cam.width), my = margin * float(cam.height);
    return u >= -mx && u <= float(cam.width) + mx && v >= -my && v <= float(cam.height) + my;
}

// The view columns of a decoder input row: direction from the camera centre c to p, and distance.
template <class T>
SPLATSCAPE_HD void sags_view_input(const float* p, const Vec3<float>& c, T* out) {
    const T dx = T(p[0]) - T(c.x), dy = T(p[1]) - T(c.y), dz = T(p[2]) - T(c.z);
    const T dist = hd_sqrt(dx * dx + dy * dy + dz * dz);
    const T inv = dist > T(0) ? T(1) / dist : T(0);
    out[0] = dx * inv;
    out[1] = dy * inv;
    out[2] = dz * inv;
    out[3] = dist;
}

// One decoder input row x [hw + 2 fd + 4]: the affine (affine [E, 2]: scale, shift per channel,
// E = hw + 2 fd) of [hash [hw] | local [fd] | global [fd]], then the view columns.
template <class T>
SPLATSCAPE_HD void sags_assemble_row(const T* hash, int hw, const T* local, const T* global, int fd, const T* affine,
                                     const float* p, const Vec3<float>& c, T* x) {
    for (int k = 0; k < hw; ++k) x[k] = affine[2 * k] * hash[k] + affine[2 * k + 1];
    for (int k = 0; k < fd; ++k) {
        const int e = hw + k;
        x[e] = affine[2 * e] * local[k] + affine[2 * e + 1];
    }
    for (int k = 0; k < fd; ++k) {
        const int e = hw + fd + k;
        x[e] = affine[2 * e] * global[k] + affine[2 * e + 1];
    }
    sags_view_input(p, c, x + hw + 2 * fd);
}

// The rasterizer's Gaussian of one decoded row d [kSagsDecodedCols], point p [3], log-scales s [6].
template <class T>
struct SagsGaussian {
    T mean[3];
    T log_scale[3];
    T rotation[4];
    T opacity_logit;
    T color[3];
    bool kept;
};

// frame: the point's frame quaternion (w x y z), or nullptr for none; revive: the floor r (0: none).
template <class T>
SPLATSCAPE_HD SagsGaussian<T> sags_compose(const T* d, const float* p, const T* s, const float* frame, T cutoff,
                                           T revive) {
    SagsGaussian<T> g;
    for (int a = 0; a < 3; ++a) {
        g.mean[a] = T(p[a]) + d[kSagsOffsetCol + a] * hd_exp(s[a]);
        g.log_scale[a] = log_sigmoid(d[kSagsScaleCol + a]) + s[3 + a];
        g.color[a] = d[kSagsColorCol + a];
    }
    if (frame) {
        const Quat<T> q = quat_mul(
            Quat<T>{T(frame[0]), T(frame[1]), T(frame[2]), T(frame[3])},
            Quat<T>{d[kSagsRotationCol], d[kSagsRotationCol + 1], d[kSagsRotationCol + 2], d[kSagsRotationCol + 3]});
        g.rotation[0] = q.w, g.rotation[1] = q.x, g.rotation[2] = q.y, g.rotation[3] = q.z;
    } else {
        for (int k = 0; k < 4; ++k) g.rotation[k] = d[kSagsRotationCol + k];
    }
    const T alpha = revive > T(0) ? hd_max(d[kSagsOpacityCol], revive) : d[kSagsOpacityCol];
    g.kept = alpha > cutoff;
    const T a = hd_clamp(alpha, T(kSagsAlphaMin), T(1) - T(kSagsAlphaMin));
    g.opacity_logit = g.kept ? hd_log(a / (T(1) - a)) : T(kSagsDroppedLogit);
    return g;
}

// Backward of sags_compose given the gradients of the Gaussian (as in SagsGaussian): writes
// dd [kSagsDecodedCols] and adds to ds [6].
template <class T>
SPLATSCAPE_HD void sags_compose_backward(const T* d, const T* s, const float* frame, T cutoff, T revive,
                                         const T* d_mean, const T* d_log_scale, const T* d_rotation, T d_opacity_logit,
                                         const T* d_color, T* dd, T* ds) {
    for (int a = 0; a < 3; ++a) {
        const T e = hd_exp(s[a]);
        dd[kSagsOffsetCol + a] = d_mean[a] * e;
        ds[a] += d_mean[a] * d[kSagsOffsetCol + a] * e;
        // d log(sigmoid(x)) / dx = sigmoid(-x).
        dd[kSagsScaleCol + a] = d_log_scale[a] * hd_sigmoid(-d[kSagsScaleCol + a]);
        ds[3 + a] += d_log_scale[a];
        dd[kSagsColorCol + a] = d_color[a];
    }
    if (frame) {
        // q = F raw is linear in raw with matrix L(F); L(F)^T = L(conj(F)) for a unit F.
        const Quat<T> g = quat_mul(quat_conjugate(Quat<T>{T(frame[0]), T(frame[1]), T(frame[2]), T(frame[3])}),
                                   Quat<T>{d_rotation[0], d_rotation[1], d_rotation[2], d_rotation[3]});
        dd[kSagsRotationCol] = g.w, dd[kSagsRotationCol + 1] = g.x, dd[kSagsRotationCol + 2] = g.y,
        dd[kSagsRotationCol + 3] = g.z;
    } else {
        for (int k = 0; k < 4; ++k) dd[kSagsRotationCol + k] = d_rotation[k];
    }
    const T alpha = revive > T(0) ? hd_max(d[kSagsOpacityCol], revive) : d[kSagsOpacityCol];
    const bool inside = alpha > cutoff && alpha > T(kSagsAlphaMin) && alpha < T(1) - T(kSagsAlphaMin);
    dd[kSagsOpacityCol] = inside ? d_opacity_logit / (alpha * (T(1) - alpha)) : T(0);
}

// The local feature with the point's own feature kept (`local_residual`):
//     local_i = f_i + kSagsResidualWeight * aggregated_i
// so the decoders see each point's features directly, not only through differences to its neighbours.
constexpr float kSagsResidualWeight = 0.5f;
template <class T>
SPLATSCAPE_HD T sags_residual(T feature, T aggregated) {
    return feature + T(kSagsResidualWeight) * aggregated;
}

// SAGS-Lite mid-point of two rows of a per-point tensor.
template <class T>
SPLATSCAPE_HD T sags_midpoint(T a, T b) {
    return T(0.5) * (a + b);
}

} // namespace splatscape::kern
