#pragma once
// Mip-Splatting's 3D smoothing filter (Yu et al., "Mip-Splatting: Alias-free 3D Gaussian Splatting",
// CVPR 2024, section 4.1) for one Gaussian (docs/rasterizer.md, forward step 2): the Gaussian
// convolved with an isotropic Gaussian of variance v, its opacity scaled by
// coef3d = sqrt(det Sigma / det(Sigma + v I)); and the sampling rate that sets v.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

// Filtered log-scales of a scale-rotation Gaussian: exp(out_k) = sqrt(exp(2 ls_k) + w) with
// w = v / scale_modifier^2. Returns coef3d = prod_k exp(ls_k - out_k).
template <class T>
SPLATSCAPE_HD T filter_3d_log_scales(const T ls[3], T w, T out[3]) {
    T log_coef = T(0);
    for (int k = 0; k < 3; ++k) {
        out[k] = T(0.5) * hd_log(hd_exp(T(2) * ls[k]) + w);
        log_coef += ls[k] - out[k];
    }
    return hd_exp(log_coef);
}

// Adds to d_ls the gradient through filter_3d_log_scales, given the gradients of its outputs.
template <class T>
SPLATSCAPE_HD void filter_3d_log_scales_backward(const T ls[3], T w, const T d_out[3], T d_coef, T d_ls[3]) {
    T out[3];
    const T coef = filter_3d_log_scales(ls, w, out);
    for (int k = 0; k < 3; ++k) {
        const T e = hd_exp(T(2) * ls[k]);
        const T ratio = e / (e + w); // d out_k / d ls_k
        d_ls[k] += d_out[k] * ratio + d_coef * coef * (T(1) - ratio);
    }
}

template <class T>
SPLATSCAPE_HD T sym3_det(const Sym3<T>& s) {
    return s.xx * (s.yy * s.zz - s.yz * s.yz) - s.xy * (s.xy * s.zz - s.yz * s.xz) + s.xz * (s.xy * s.yz - s.yy * s.xz);
}

// d det / d stored entry (xx xy xz yy yz zz; an off-diagonal entry stands for both of its places).
template <class T>
SPLATSCAPE_HD Sym3<T> sym3_det_gradient(const Sym3<T>& s) {
    return {s.yy * s.zz - s.yz * s.yz, T(2) * (s.yz * s.xz - s.xy * s.zz), T(2) * (s.xy * s.yz - s.yy * s.xz),
            s.xx * s.zz - s.xz * s.xz, T(2) * (s.xy * s.xz - s.xx * s.yz), s.xx * s.yy - s.xy * s.xy};
}

// A given covariance: out = cov + v I; returns coef3d = sqrt(max(det cov, 0) / det out).
template <class T>
SPLATSCAPE_HD T filter_3d_covariance(const Sym3<T>& cov, T v, Sym3<T>& out) {
    out = {cov.xx + v, cov.xy, cov.xz, cov.yy + v, cov.yz, cov.zz + v};
    const T d0 = sym3_det(cov), d1 = sym3_det(out);
    return d0 > T(0) && d1 > T(0) ? hd_sqrt(d0 / d1) : T(0);
}

// Adds to d_cov (stored-entry gradients) the gradient through filter_3d_covariance.
template <class T>
SPLATSCAPE_HD void filter_3d_covariance_backward(const Sym3<T>& cov, T v, const Sym3<T>& d_out, T d_coef,
                                                 Sym3<T>& d_cov) {
    Sym3<T> out;
    const T coef = filter_3d_covariance(cov, v, out);
    d_cov.xx += d_out.xx;
    d_cov.xy += d_out.xy;
    d_cov.xz += d_out.xz;
    d_cov.yy += d_out.yy;
    d_cov.yz += d_out.yz;
    d_cov.zz += d_out.zz;
    if (!(coef > T(0))) return;
    // d coef = coef / 2 (d det0 / det0 - d det1 / det1); d det1 / d cov = d det / d out.
    const T d0 = sym3_det(cov), d1 = sym3_det(out);
    const Sym3<T> g0 = sym3_det_gradient(cov), g1 = sym3_det_gradient(out);
    const T a = d_coef * T(0.5) * coef / d0, b = d_coef * T(0.5) * coef / d1;
    d_cov.xx += a * g0.xx - b * g1.xx;
    d_cov.xy += a * g0.xy - b * g1.xy;
    d_cov.xz += a * g0.xz - b * g1.xz;
    d_cov.yy += a * g0.yy - b * g1.yy;
    d_cov.yz += a * g0.yz - b * g1.yz;
    d_cov.zz += a * g0.zz - b * g1.zz;
}

// The opacity logit of a baked filter: logit(sigmoid(logit) * coef3d), in double so that opaque
// Gaussians (sigmoid rounding to 1 in float) keep a finite, accurate logit.
SPLATSCAPE_HD float filter_3d_baked_logit(float logit, float coef3d) {
    if (!(coef3d < 1.0f)) return logit;
    const double p = double(coef3d) / (1.0 + ::exp(-double(logit)));
    return float(::log(p) - ::log1p(-p));
}

// Mip-Splatting's frustum test widens the image by this fraction on each side: Gaussians just
// outside a view still get its rate.
constexpr float kFilter3dScreenMargin = 0.15f;

// The rate (pixels per world unit: focal length over depth) at which `cam` samples a point at
// `mean` [3], or 0 when the point is not in front of `near` or outside the widened image.
template <class T>
SPLATSCAPE_HD T sampling_rate(const T* mean, const RasterCamera<T>& cam, T near) {
    const Vec3<T> p = mul(cam.R, Vec3<T>{mean[0], mean[1], mean[2]}) + cam.t;
    if (!(p.z > near)) return T(0);
    const T u = cam.fx * p.x / p.z + cam.cx, v = cam.fy * p.y / p.z + cam.cy;
    const T mx = T(kFilter3dScreenMargin) * T(cam.width), my = T(kFilter3dScreenMargin) * T(cam.height);
    if (!(u >= -mx && u <= T(cam.width) + mx && v >= -my && v <= T(cam.height) + my)) return T(0);
    return hd_max(cam.fx, cam.fy) / p.z;
}

// The filter's variance for the highest sampling rate `rate` of a Gaussian: s / rate^2, with s the
// paper's filter size (0.2, in pixels^2 at that rate).
template <class T>
SPLATSCAPE_HD T filter_3d_variance(T rate, T s) {
    return rate > T(0) ? s / (rate * rate) : T(0);
}

} // namespace splatscape::kern
