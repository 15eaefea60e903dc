#pragma once
// 3D covariance from a rotation quaternion and log-scales (docs/rasterizer.md, forward step 2):
// Sigma = Rq S S^T Rq^T with Rq the rotation of q / |q| and S = diag(exp(s) * scale_modifier).
#include "training/kernels/math.hpp"

namespace splatscape::kern {

// Rotation matrix of a unit quaternion (w x y z).
template <class T>
SPLATSCAPE_HD Mat3<T> rotation_matrix(Quat<T> q) {
    const T w = q.w, x = q.x, y = q.y, z = q.z;
    return {{{T(1) - T(2) * (y * y + z * z), T(2) * (x * y - w * z), T(2) * (x * z + w * y)},
             {T(2) * (x * y + w * z), T(1) - T(2) * (x * x + z * z), T(2) * (y * z - w * x)},
             {T(2) * (x * z - w * y), T(2) * (y * z + w * x), T(1) - T(2) * (x * x + y * y)}}};
}

// The unit quaternion (w >= 0) of a rotation matrix (determinant +1), the inverse of
// rotation_matrix (Shepperd's method: the largest of w, x, y, z is found first).
template <class T>
SPLATSCAPE_HD Quat<T> quat_from_rotation(const Mat3<T>& R) {
    const auto& m = R.m;
    const T tr = m[0][0] + m[1][1] + m[2][2];
    Quat<T> q;
    if (tr > m[0][0] && tr > m[1][1] && tr > m[2][2]) {
        const T s = T(2) * hd_sqrt(T(1) + tr); // 4 w
        q = {T(0.25) * s, (m[2][1] - m[1][2]) / s, (m[0][2] - m[2][0]) / s, (m[1][0] - m[0][1]) / s};
    } else if (m[0][0] >= m[1][1] && m[0][0] >= m[2][2]) {
        const T s = T(2) * hd_sqrt(hd_max(T(1) + m[0][0] - m[1][1] - m[2][2], T(0))); // 4 x
        q = {(m[2][1] - m[1][2]) / s, T(0.25) * s, (m[0][1] + m[1][0]) / s, (m[0][2] + m[2][0]) / s};
    } else if (m[1][1] >= m[2][2]) {
        const T s = T(2) * hd_sqrt(hd_max(T(1) + m[1][1] - m[0][0] - m[2][2], T(0))); // 4 y
        q = {(m[0][2] - m[2][0]) / s, (m[0][1] + m[1][0]) / s, T(0.25) * s, (m[1][2] + m[2][1]) / s};
    } else {
        const T s = T(2) * hd_sqrt(hd_max(T(1) + m[2][2] - m[0][0] - m[1][1], T(0))); // 4 z
        q = {(m[1][0] - m[0][1]) / s, (m[0][2] + m[2][0]) / s, (m[1][2] + m[2][1]) / s, T(0.25) * s};
    }
    const T n = hd_sqrt(q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z);
    const T sign = q.w < T(0) ? T(-1) : T(1);
    return {sign * q.w / n, sign * q.x / n, sign * q.y / n, sign * q.z / n};
}

// Hamilton product a b: the rotation of b, then of a (rotation_matrix(a b) = R(a) R(b)).
template <class T>
SPLATSCAPE_HD Quat<T> quat_mul(Quat<T> a, Quat<T> b) {
    return {a.w * b.w - a.x * b.x - a.y * b.y - a.z * b.z, a.w * b.x + a.x * b.w + a.y * b.z - a.z * b.y,
            a.w * b.y - a.x * b.z + a.y * b.w + a.z * b.x, a.w * b.z + a.x * b.y - a.y * b.x + a.z * b.w};
}
template <class T>
SPLATSCAPE_HD Quat<T> quat_conjugate(Quat<T> q) {
    return {q.w, -q.x, -q.y, -q.z};
}

template <class T>
SPLATSCAPE_HD Quat<T> normalize_quat(Quat<T> q) {
    const T n2 = q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z;
    // A zero quaternion (never produced by training, possible in a file) maps to the identity.
    if (!(n2 > T(0))) return {T(1), T(0), T(0), T(0)};
    const T inv = T(1) / hd_sqrt(n2);
    return {q.w * inv, q.x * inv, q.y * inv, q.z * inv};
}

// Gradient of the rotation matrix entries `g` ([3][3]) with respect to the (unit) quaternion's
// components, treating them as independent.
template <class T>
SPLATSCAPE_HD Quat<T> rotation_matrix_backward(Quat<T> q, const Mat3<T>& g) {
    const T w = q.w, x = q.x, y = q.y, z = q.z;
    const auto& m = g.m;
    Quat<T> d;
    d.w = T(2) * (-z * m[0][1] + y * m[0][2] + z * m[1][0] - x * m[1][2] - y * m[2][0] + x * m[2][1]);
    d.x = T(2) * (y * m[0][1] + z * m[0][2] + y * m[1][0] - T(2) * x * m[1][1] - w * m[1][2] + z * m[2][0] +
                  w * m[2][1] - T(2) * x * m[2][2]);
    d.y = T(2) * (-T(2) * y * m[0][0] + x * m[0][1] + w * m[0][2] + x * m[1][0] + z * m[1][2] - w * m[2][0] +
                  z * m[2][1] - T(2) * y * m[2][2]);
    d.z = T(2) * (-T(2) * z * m[0][0] - w * m[0][1] + x * m[0][2] + w * m[1][0] - T(2) * z * m[1][1] + y * m[1][2] +
                  x * m[2][0] + y * m[2][1]);
    return d;
}

// Gradient through q -> q / |q|: removes the radial component and divides by |q|.
template <class T>
SPLATSCAPE_HD Quat<T> normalize_quat_backward(Quat<T> q, Quat<T> d_unit) {
    const T n2 = q.w * q.w + q.x * q.x + q.y * q.y + q.z * q.z;
    if (!(n2 > T(0))) return {T(0), T(0), T(0), T(0)};
    const T inv = T(1) / hd_sqrt(n2);
    const Quat<T> u{q.w * inv, q.x * inv, q.y * inv, q.z * inv};
    const T radial = u.w * d_unit.w + u.x * d_unit.x + u.y * d_unit.y + u.z * d_unit.z;
    return {(d_unit.w - u.w * radial) * inv, (d_unit.x - u.x * radial) * inv, (d_unit.y - u.y * radial) * inv,
            (d_unit.z - u.z * radial) * inv};
}

template <class T>
SPLATSCAPE_HD Sym3<T> covariance_3d(Vec3<T> log_scale, Quat<T> q, T scale_modifier) {
    const Mat3<T> R = rotation_matrix(normalize_quat(q));
    const T s[3] = {hd_exp(log_scale.x) * scale_modifier, hd_exp(log_scale.y) * scale_modifier,
                    hd_exp(log_scale.z) * scale_modifier};
    // M = R S; Sigma = M M^T.
    Mat3<T> M;
    for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 3; ++k) M.m[i][k] = R.m[i][k] * s[k];
    auto e = [&](int i, int j) { return M.m[i][0] * M.m[j][0] + M.m[i][1] * M.m[j][1] + M.m[i][2] * M.m[j][2]; };
    return {e(0, 0), e(0, 1), e(0, 2), e(1, 1), e(1, 2), e(2, 2)};
}

// Backward of covariance_3d: gradient with respect to the six stored entries of Sigma in,
// gradients with respect to the log-scales and the (unnormalised) quaternion out.
template <class T>
SPLATSCAPE_HD void covariance_3d_backward(Vec3<T> log_scale, Quat<T> q, T scale_modifier, const Sym3<T>& d_sigma,
                                          Vec3<T>& d_log_scale, Quat<T>& d_q) {
    const Quat<T> qn = normalize_quat(q);
    const Mat3<T> R = rotation_matrix(qn);
    const T s[3] = {hd_exp(log_scale.x) * scale_modifier, hd_exp(log_scale.y) * scale_modifier,
                    hd_exp(log_scale.z) * scale_modifier};
    // Symmetric full-matrix gradient G (off-diagonals halved, as each stored one appears twice);
    // dL/dM = 2 G M with M = R S.
    const Mat3<T> G = {{{d_sigma.xx, T(0.5) * d_sigma.xy, T(0.5) * d_sigma.xz},
                        {T(0.5) * d_sigma.xy, d_sigma.yy, T(0.5) * d_sigma.yz},
                        {T(0.5) * d_sigma.xz, T(0.5) * d_sigma.yz, d_sigma.zz}}};
    Mat3<T> M;
    for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 3; ++k) M.m[i][k] = R.m[i][k] * s[k];
    Mat3<T> dM = mul(G, M);
    Mat3<T> dR;
    T ds[3] = {T(0), T(0), T(0)};
    for (int i = 0; i < 3; ++i)
        for (int k = 0; k < 3; ++k) {
            dM.m[i][k] *= T(2);
            dR.m[i][k] = dM.m[i][k] * s[k];
            ds[k] += dM.m[i][k] * R.m[i][k];
        }
    // s = exp(log_scale) * modifier, so ds/dlog_scale = s.
    d_log_scale = {ds[0] * s[0], ds[1] * s[1], ds[2] * s[2]};
    d_q = normalize_quat_backward(q, rotation_matrix_backward(qn, dR));
}

} // namespace splatscape::kern
