#pragma once
// Everything the rasterizer computes for one Gaussian before binning (docs/rasterizer.md, "Forward,
// per Gaussian"), and the chain back from the screen-space gradients to the Gaussian's parameters.
#include "training/kernels/composite.hpp"
#include "training/kernels/covariance.hpp"
#include "training/kernels/filter3d.hpp"
#include "training/kernels/projection.hpp"
#include "training/kernels/sh.hpp"

namespace splatscape::kern {

// One Gaussian's inputs. Either (log_scale, rotation) or cov3d is given; either sh or rgb.
template <class T>
struct GaussianRef {
    const T* mean;      // [3]
    const T* log_scale; // [3], or null when cov3d is given
    const T* rotation;  // [4] w x y z
    const T* cov3d;     // [6] xx xy xz yy yz zz, precomputed world covariance (e.g. a 4D slice)
    T opacity_logit;
    const T* sh;   // [K, 3]
    int sh_degree; // active degree
    const T* rgb;  // [3] precomputed colour, replaces sh when not null
    T filter_3d = T(0); // variance of the 3D smoothing filter (world units^2); 0: none
};

template <class T>
struct Preprocessed {
    Projected<T> proj;
    Vec3<T> rgb;
    unsigned clamped; // SH channels clamped at 0
    T alpha_base;     // sigmoid(opacity) * compensation * coef3d
};

// The world covariance the projection sees (after the 3D filter, when the Gaussian has one) and
// the filter's opacity factor coef3d (1 without a filter).
template <class T>
SPLATSCAPE_HD Sym3<T> gaussian_covariance(const GaussianRef<T>& g, const RasterSettings& s, T& coef3d) {
    coef3d = T(1);
    if (g.cov3d) {
        const T m2 = T(s.scale_modifier) * T(s.scale_modifier);
        const Sym3<T> c = {g.cov3d[0] * m2, g.cov3d[1] * m2, g.cov3d[2] * m2,
                           g.cov3d[3] * m2, g.cov3d[4] * m2, g.cov3d[5] * m2};
        if (!(g.filter_3d > T(0))) return c;
        Sym3<T> filtered;
        coef3d = filter_3d_covariance(c, g.filter_3d, filtered);
        return filtered;
    }
    const Quat<T> q = {g.rotation[0], g.rotation[1], g.rotation[2], g.rotation[3]};
    if (!(g.filter_3d > T(0)))
        return covariance_3d(Vec3<T>{g.log_scale[0], g.log_scale[1], g.log_scale[2]}, q, T(s.scale_modifier));
    T ls[3];
    const T m = T(s.scale_modifier);
    coef3d = filter_3d_log_scales(g.log_scale, g.filter_3d / (m * m), ls);
    return covariance_3d(Vec3<T>{ls[0], ls[1], ls[2]}, q, m);
}

// Returns false when the Gaussian is culled.
template <class T>
SPLATSCAPE_HD bool preprocess_gaussian(const GaussianRef<T>& g, const RasterCamera<T>& cam, const RasterSettings& s,
                                       Preprocessed<T>& out) {
    const Vec3<T> mean = {g.mean[0], g.mean[1], g.mean[2]};
    T coef3d;
    const Sym3<T> cov = gaussian_covariance(g, s, coef3d);
    if (!project_gaussian(mean, cov, cam, s, out.proj)) return false;
    if (g.rgb) {
        out.rgb = {g.rgb[0], g.rgb[1], g.rgb[2]};
        out.clamped = 0;
    } else {
        out.rgb = sh_to_rgb(g.sh_degree, view_direction(mean, cam.center), g.sh, out.clamped);
    }
    out.alpha_base = hd_sigmoid(g.opacity_logit) * out.proj.compensation * coef3d;
    return true;
}

// Gradients of one Gaussian's parameters. Arrays are written (not accumulated); d_sh receives
// (sh_degree + 1)^2 coefficients. Pointers that do not apply may be null (d_cov3d unless cov3d was
// given, d_log_scale/d_rotation when it was, d_sh/d_rgb likewise).
template <class T>
struct GaussianGradRef {
    T* mean;      // [3]
    T* log_scale; // [3]
    T* rotation;  // [4]
    T* cov3d;     // [6]
    T* opacity;   // [1]
    T* sh;        // [K, 3]
    T* rgb;       // [3]
};

// Backward from the screen-space gradients of a visible Gaussian (summed over its pixels).
template <class T>
SPLATSCAPE_HD void preprocess_gaussian_backward(const GaussianRef<T>& g, const RasterCamera<T>& cam,
                                                const RasterSettings& s, const Preprocessed<T>& fwd,
                                                const SplatGrad<T>& d, GaussianGradRef<T> out) {
    const Vec3<T> mean = {g.mean[0], g.mean[1], g.mean[2]};
    T coef3d;
    const Sym3<T> cov = gaussian_covariance(g, s, coef3d);
    // alpha_base = sigmoid(o) * compensation * coef3d
    const T sig = hd_sigmoid(g.opacity_logit);
    *out.opacity = d.alpha_base * fwd.proj.compensation * coef3d * sig * (T(1) - sig);
    const T d_comp = d.alpha_base * sig * coef3d;
    const T d_coef3d = d.alpha_base * sig * fwd.proj.compensation;
    Vec3<T> d_mean = {T(0), T(0), T(0)};
    Sym3<T> d_cov = {T(0), T(0), T(0), T(0), T(0), T(0)};
    project_gaussian_backward(mean, cov, cam, s, Vec2<T>{d.mean2d[0], d.mean2d[1]},
                              Vec3<T>{d.conic[0], d.conic[1], d.conic[2]}, d.depth, d_comp, d_mean, d_cov);
    const Vec3<T> d_rgb = {d.rgb[0], d.rgb[1], d.rgb[2]};
    if (g.rgb) {
        out.rgb[0] = d_rgb.x;
        out.rgb[1] = d_rgb.y;
        out.rgb[2] = d_rgb.z;
    } else {
        d_mean = d_mean + sh_to_rgb_backward(g.sh_degree, mean, cam.center, g.sh, fwd.clamped, d_rgb, out.sh);
    }
    out.mean[0] = d_mean.x;
    out.mean[1] = d_mean.y;
    out.mean[2] = d_mean.z;
    const bool filtered = g.filter_3d > T(0);
    if (g.cov3d) {
        const T m2 = T(s.scale_modifier) * T(s.scale_modifier);
        if (filtered) {
            // d_cov is the gradient of the filtered covariance; take it back to the scaled input.
            const Sym3<T> c = {g.cov3d[0] * m2, g.cov3d[1] * m2, g.cov3d[2] * m2,
                               g.cov3d[3] * m2, g.cov3d[4] * m2, g.cov3d[5] * m2};
            Sym3<T> d_c = {T(0), T(0), T(0), T(0), T(0), T(0)};
            filter_3d_covariance_backward(c, g.filter_3d, d_cov, d_coef3d, d_c);
            d_cov = d_c;
        }
        const T v[6] = {d_cov.xx, d_cov.xy, d_cov.xz, d_cov.yy, d_cov.yz, d_cov.zz};
        for (int i = 0; i < 6; ++i) out.cov3d[i] = v[i] * m2;
    } else {
        const Quat<T> q = {g.rotation[0], g.rotation[1], g.rotation[2], g.rotation[3]};
        const T m = T(s.scale_modifier);
        T ls[3] = {g.log_scale[0], g.log_scale[1], g.log_scale[2]};
        if (filtered) filter_3d_log_scales(g.log_scale, g.filter_3d / (m * m), ls);
        Vec3<T> d_ls;
        Quat<T> d_q;
        covariance_3d_backward(Vec3<T>{ls[0], ls[1], ls[2]}, q, m, d_cov, d_ls, d_q);
        if (filtered) {
            const T d_out[3] = {d_ls.x, d_ls.y, d_ls.z};
            T d_in[3] = {T(0), T(0), T(0)};
            filter_3d_log_scales_backward(g.log_scale, g.filter_3d / (m * m), d_out, d_coef3d, d_in);
            d_ls = {d_in[0], d_in[1], d_in[2]};
        }
        out.log_scale[0] = d_ls.x;
        out.log_scale[1] = d_ls.y;
        out.log_scale[2] = d_ls.z;
        out.rotation[0] = d_q.w;
        out.rotation[1] = d_q.x;
        out.rotation[2] = d_q.y;
        out.rotation[3] = d_q.z;
    }
}

} // namespace splatscape::kern
