#pragma once
// The 4D Gaussian of "Real-time Photorealistic Dynamic Scene Representation and Rendering with 4D
// Gaussian Splatting" (Yang et al., ICLR 2024) and its slice at a time t, with the backward.
//
// A 4D Gaussian has a mean mu = (x, y, z, t), four log-scales and a 4D rotation R = L(ql) R(qr)
// from a left and a right unit quaternion (the isoclinic decomposition; the paper's matrices,
// quaternions stored w x y z). Its covariance is Sigma = R S S^T R^T, S = diag(exp(log_scale)).
// With Sigma split into the spatial block Sigma11 (3x3), the column Sigma12 (3) and Sigma22 (the
// temporal variance), the slice at time t is
//   mean3  = mu_xyz + Sigma12 / Sigma22 * (t - mu_t)            (conditional mean)
//   cov3   = Sigma11 - Sigma12 Sigma12^T / Sigma22               (conditional covariance)
//   weight = exp(-0.5 (t - mu_t)^2 / Sigma22)                    (marginal density in t, peak 1)
// and the opacity of the sliced 3D Gaussian is sigmoid(o) * weight, which the slice hands to the
// rasterizer as the logit logit(sigmoid(o) * weight). The marginal is left unnormalised (peak 1)
// so that a Gaussian's opacity means the same whatever its temporal extent, as the reference code.
#include "training/kernels/covariance.hpp"
#include "training/kernels/math.hpp"

namespace splatscape::kern {

// Row-major 4x4 matrix.
template <class T>
struct Mat4 {
    T m[4][4];
};

// Symmetric 4x4 matrix, full storage (the slice reads its blocks).
template <class T>
struct Sym4 {
    T m[4][4];
};

// Left isoclinic matrix of q = (a, b, c, d): L(q) v is the quaternion product q * v.
template <class T>
SPLATSCAPE_HD Mat4<T> left_isoclinic(Quat<T> q) {
    const T a = q.w, b = q.x, c = q.y, d = q.z;
    return {{{a, -b, -c, -d}, {b, a, -d, c}, {c, d, a, -b}, {d, -c, b, a}}};
}

// Right isoclinic matrix of q = (p, q, r, s): R(q) v is the quaternion product v * q.
template <class T>
SPLATSCAPE_HD Mat4<T> right_isoclinic(Quat<T> q) {
    const T p = q.w, a = q.x, r = q.y, s = q.z;
    return {{{p, -a, -r, -s}, {a, p, s, -r}, {r, -s, p, a}, {s, r, -a, p}}};
}

// Gradient of sum_ij g_ij L(q)_ij (or R(q)_ij) with respect to q's components, taken independently.
template <class T>
SPLATSCAPE_HD Quat<T> left_isoclinic_backward(const Mat4<T>& g) {
    const auto& m = g.m;
    return {m[0][0] + m[1][1] + m[2][2] + m[3][3], -m[0][1] + m[1][0] - m[2][3] + m[3][2],
            -m[0][2] + m[1][3] + m[2][0] - m[3][1], -m[0][3] - m[1][2] + m[2][1] + m[3][0]};
}
template <class T>
SPLATSCAPE_HD Quat<T> right_isoclinic_backward(const Mat4<T>& g) {
    const auto& m = g.m;
    return {m[0][0] + m[1][1] + m[2][2] + m[3][3], -m[0][1] + m[1][0] + m[2][3] - m[3][2],
            -m[0][2] - m[1][3] + m[2][0] + m[3][1], -m[0][3] + m[1][2] - m[2][1] + m[3][0]};
}

template <class T>
SPLATSCAPE_HD Mat4<T> mul4(const Mat4<T>& a, const Mat4<T>& b) {
    Mat4<T> r;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            r.m[i][j] = a.m[i][0] * b.m[0][j] + a.m[i][1] * b.m[1][j] + a.m[i][2] * b.m[2][j] + a.m[i][3] * b.m[3][j];
    return r;
}

// The 4D rotation R = L(ql / |ql|) R(qr / |qr|).
template <class T>
SPLATSCAPE_HD Mat4<T> rotation_4d(Quat<T> ql, Quat<T> qr) {
    return mul4(left_isoclinic(normalize_quat(ql)), right_isoclinic(normalize_quat(qr)));
}

// One 4D Gaussian's parameters as the slice reads them.
template <class T>
struct Gaussian4d {
    T mean[4];      // x y z t
    T log_scale[4]; // x y z t (before rotation)
    Quat<T> rot_l;  // w x y z, unnormalised
    Quat<T> rot_r;
};

// Sigma = M M^T with M = R diag(exp(log_scale)); also returns M.
template <class T>
SPLATSCAPE_HD Sym4<T> covariance_4d(const Gaussian4d<T>& g, Mat4<T>* M_out = nullptr) {
    const Mat4<T> R = rotation_4d(g.rot_l, g.rot_r);
    Mat4<T> M;
    for (int i = 0; i < 4; ++i)
        for (int k = 0; k < 4; ++k) M.m[i][k] = R.m[i][k] * hd_exp(g.log_scale[k]);
    Sym4<T> S;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j)
            S.m[i][j] = M.m[i][0] * M.m[j][0] + M.m[i][1] * M.m[j][1] + M.m[i][2] * M.m[j][2] + M.m[i][3] * M.m[j][3];
    if (M_out) *M_out = M;
    return S;
}

// Variance of the marginal in t: Sigma22 = sum_k R[3][k]^2 exp(2 log_scale_k).
template <class T>
SPLATSCAPE_HD T temporal_variance(const Gaussian4d<T>& g) {
    const Mat4<T> R = rotation_4d(g.rot_l, g.rot_r);
    T v = T(0);
    for (int k = 0; k < 4; ++k) {
        const T s = R.m[3][k] * hd_exp(g.log_scale[k]);
        v += s * s;
    }
    return v;
}

template <class T>
struct Slice3d {
    Vec3<T> mean;
    Sym3<T> cov;
    T weight; // marginal density at t, in (0, 1]
    T dt;     // t - mu_t
};

template <class T>
SPLATSCAPE_HD Slice3d<T> slice_4d(const Gaussian4d<T>& g, T time) {
    const Sym4<T> S = covariance_4d(g);
    const T v = S.m[3][3];
    const T inv = T(1) / v;
    Slice3d<T> out;
    out.dt = time - g.mean[3];
    const T c[3] = {S.m[0][3], S.m[1][3], S.m[2][3]};
    out.mean = {g.mean[0] + c[0] * inv * out.dt, g.mean[1] + c[1] * inv * out.dt, g.mean[2] + c[2] * inv * out.dt};
    out.cov = {S.m[0][0] - c[0] * c[0] * inv, S.m[0][1] - c[0] * c[1] * inv, S.m[0][2] - c[0] * c[2] * inv,
               S.m[1][1] - c[1] * c[1] * inv, S.m[1][2] - c[1] * c[2] * inv, S.m[2][2] - c[2] * c[2] * inv};
    out.weight = hd_exp(T(-0.5) * out.dt * out.dt * inv);
    return out;
}

// Gradients of one 4D Gaussian's parameters (written, not accumulated).
template <class T>
struct Gaussian4dGrad {
    T mean[4];
    T log_scale[4];
    Quat<T> rot_l;
    Quat<T> rot_r;
};

// Backward of slice_4d: gradients of the loss with respect to the sliced mean, the six stored
// covariance entries (each off-diagonal counted once, as Sym3 gradients are), the weight, and
// directly with respect to dt (from terms that use dt themselves, such as the temporal colour
// basis) in; parameter gradients out.
template <class T>
SPLATSCAPE_HD void slice_4d_backward(const Gaussian4d<T>& g, T time, Vec3<T> d_mean, const Sym3<T>& d_cov, T d_weight,
                                     T d_dt, Gaussian4dGrad<T>& out) {
    Mat4<T> M;
    const Sym4<T> S = covariance_4d(g, &M);
    const T v = S.m[3][3], inv = T(1) / v, inv2 = inv * inv;
    const T dt = time - g.mean[3];
    const T c[3] = {S.m[0][3], S.m[1][3], S.m[2][3]};
    const T w = hd_exp(T(-0.5) * dt * dt * inv);

    T dc[3] = {T(0), T(0), T(0)}; // dL/dSigma12
    T dv = T(0);                  // dL/dSigma22
    // weight = exp(-dt^2 / (2 v))
    d_dt += d_weight * w * (-dt * inv);
    dv += d_weight * w * T(0.5) * dt * dt * inv2;
    // mean3 = mu + c / v * dt
    const T dm[3] = {d_mean.x, d_mean.y, d_mean.z};
    for (int i = 0; i < 3; ++i) {
        d_dt += dm[i] * c[i] * inv;
        dc[i] += dm[i] * dt * inv;
        dv -= dm[i] * c[i] * dt * inv2;
    }
    // cov3 = Sigma11 - c c^T / v; G is the symmetric full-matrix gradient of cov3.
    const T G[3][3] = {{d_cov.xx, T(0.5) * d_cov.xy, T(0.5) * d_cov.xz},
                       {T(0.5) * d_cov.xy, d_cov.yy, T(0.5) * d_cov.yz},
                       {T(0.5) * d_cov.xz, T(0.5) * d_cov.yz, d_cov.zz}};
    T Gc[3];
    for (int i = 0; i < 3; ++i) Gc[i] = G[i][0] * c[0] + G[i][1] * c[1] + G[i][2] * c[2];
    for (int i = 0; i < 3; ++i) dc[i] -= T(2) * Gc[i] * inv;
    dv += (c[0] * Gc[0] + c[1] * Gc[1] + c[2] * Gc[2]) * inv2;

    // Symmetric full gradient of Sigma: the blocks above, Sigma12 appearing twice.
    T G4[4][4];
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) G4[i][j] = G[i][j];
    for (int i = 0; i < 3; ++i) G4[i][3] = G4[3][i] = T(0.5) * dc[i];
    G4[3][3] = dv;
    // Sigma = M M^T: dM = 2 G4 M; M = R diag(s).
    const Mat4<T> R = rotation_4d(g.rot_l, g.rot_r);
    Mat4<T> dR;
    T ds[4] = {T(0), T(0), T(0), T(0)};
    for (int i = 0; i < 4; ++i)
        for (int k = 0; k < 4; ++k) {
            const T dMik =
                T(2) * (G4[i][0] * M.m[0][k] + G4[i][1] * M.m[1][k] + G4[i][2] * M.m[2][k] + G4[i][3] * M.m[3][k]);
            const T s = hd_exp(g.log_scale[k]);
            dR.m[i][k] = dMik * s;
            ds[k] += dMik * R.m[i][k];
        }
    for (int k = 0; k < 4; ++k) out.log_scale[k] = ds[k] * hd_exp(g.log_scale[k]);
    // R = L R_r: dL = dR R_r^T, dR_r = L^T dR.
    const Quat<T> ql = normalize_quat(g.rot_l), qr = normalize_quat(g.rot_r);
    const Mat4<T> Lm = left_isoclinic(ql), Rm = right_isoclinic(qr);
    Mat4<T> dL, dRr;
    for (int i = 0; i < 4; ++i)
        for (int j = 0; j < 4; ++j) {
            T a = T(0), b = T(0);
            for (int k = 0; k < 4; ++k) {
                a += dR.m[i][k] * Rm.m[j][k];
                b += Lm.m[k][i] * dR.m[k][j];
            }
            dL.m[i][j] = a;
            dRr.m[i][j] = b;
        }
    out.rot_l = normalize_quat_backward(g.rot_l, left_isoclinic_backward(dL));
    out.rot_r = normalize_quat_backward(g.rot_r, right_isoclinic_backward(dRr));
    out.mean[0] = d_mean.x;
    out.mean[1] = d_mean.y;
    out.mean[2] = d_mean.z;
    out.mean[3] = -d_dt; // dt = t - mu_t
}

// Opacity logit of the slice: logit(sigmoid(o) * weight), written as
// log(sigmoid(o) w) - log(sigmoid(-o) + sigmoid(o) (1 - w)) so that opaque Gaussians (sigmoid(o)
// rounding to 1) at their temporal centre (w rounding to 1) give a large finite logit, not inf.
template <class T>
SPLATSCAPE_HD T sliced_opacity_logit(T opacity_logit, T weight) {
    const T p = hd_sigmoid(opacity_logit), q = hd_sigmoid(-opacity_logit);
    return hd_log(p * weight) - hd_log(q + p * (T(1) - weight));
}

// Backward of sliced_opacity_logit: returns dL/d(opacity_logit) and adds dL/dweight to d_weight.
// The rasterizer's gradient with respect to the sliced logit carries the factor s (1 - s) of its
// sigmoid; dividing by that same factor recovers dL/d(alpha) exactly, and where it underflows the
// rasterizer passed no gradient (d_logit is 0) and neither does this.
template <class T>
SPLATSCAPE_HD T sliced_opacity_logit_backward(T opacity_logit, T weight, T d_logit, T& d_weight) {
    const T s = hd_sigmoid(sliced_opacity_logit(opacity_logit, weight));
    const T ds = s * (T(1) - s);
    const T d_alpha = ds > T(0) ? d_logit / ds : T(0);
    const T p = hd_sigmoid(opacity_logit), q = hd_sigmoid(-opacity_logit);
    d_weight += d_alpha * p;
    return d_alpha * weight * p * q;
}

// Whether a Gaussian's marginal in t reaches `min_weight` anywhere in [t0, t1]: the weight peaks
// at mu_t, or at the end of the range nearest to it.
template <class T>
SPLATSCAPE_HD bool temporal_support_reaches(T mean_t, T variance, T t0, T t1, T min_weight) {
    const T nearest = hd_clamp(mean_t, t0, t1);
    const T d = nearest - mean_t;
    return hd_exp(T(-0.5) * d * d / variance) >= min_weight;
}

// Whether the slice at `time` keeps a Gaussian: its marginal weight there reaches `min_weight`.
template <class T>
SPLATSCAPE_HD bool slice_keeps(const Gaussian4d<T>& g, T time, T min_weight) {
    return temporal_support_reaches(g.mean[3], temporal_variance(g), time, time, min_weight);
}

} // namespace splatscape::kern
