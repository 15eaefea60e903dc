#pragma once
// View-dependent colour from real spherical harmonics, bands 0..3, with the basis, constants and
// sign convention of the 3DGS reference (docs/rasterizer.md, forward step 9), and its backward.
// Coefficients of one Gaussian: sh[k * 3 + channel], k < (degree + 1)^2.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

constexpr double kShC0d = 0.28209479177387814;
constexpr double kShC1d = 0.4886025119029199;
// Scalars rather than arrays: constexpr arrays are not visible in CUDA device code.
constexpr double kShC2d0 = 1.0925484305920792, kShC2d1 = -1.0925484305920792, kShC2d2 = 0.31539156525252005,
                 kShC2d3 = -1.0925484305920792, kShC2d4 = 0.5462742152960396;
constexpr double kShC3d0 = -0.5900435899266435, kShC3d1 = 2.890611442640554, kShC3d2 = -0.4570457994644658,
                 kShC3d3 = 0.3731763325901154, kShC3d4 = -0.4570457994644658, kShC3d5 = 1.445305721320277,
                 kShC3d6 = -0.5900435899266435;

// The 16 basis functions at a unit direction; entries past (degree + 1)^2 are left untouched.
template <class T>
SPLATSCAPE_HD void sh_basis(int degree, Vec3<T> d, T* basis) {
    basis[0] = T(kShC0d);
    if (degree < 1) return;
    const T x = d.x, y = d.y, z = d.z;
    const T C1 = T(kShC1d);
    basis[1] = -C1 * y;
    basis[2] = C1 * z;
    basis[3] = -C1 * x;
    if (degree < 2) return;
    const T xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
    basis[4] = T(kShC2d0) * xy;
    basis[5] = T(kShC2d1) * yz;
    basis[6] = T(kShC2d2) * (T(2) * zz - xx - yy);
    basis[7] = T(kShC2d3) * xz;
    basis[8] = T(kShC2d4) * (xx - yy);
    if (degree < 3) return;
    basis[9] = T(kShC3d0) * y * (T(3) * xx - yy);
    basis[10] = T(kShC3d1) * xy * z;
    basis[11] = T(kShC3d2) * y * (T(4) * zz - xx - yy);
    basis[12] = T(kShC3d3) * z * (T(2) * zz - T(3) * xx - T(3) * yy);
    basis[13] = T(kShC3d4) * x * (T(4) * zz - xx - yy);
    basis[14] = T(kShC3d5) * z * (xx - yy);
    basis[15] = T(kShC3d6) * x * (xx - T(3) * yy);
}

// Gradient of sum_k basis_k * w_k with respect to the direction (w_k = coefficient . dL/drgb).
template <class T>
SPLATSCAPE_HD Vec3<T> sh_basis_backward(int degree, Vec3<T> d, const T* w) {
    Vec3<T> g = {T(0), T(0), T(0)};
    if (degree < 1) return g;
    const T x = d.x, y = d.y, z = d.z;
    const T C1 = T(kShC1d);
    g.x += -C1 * w[3];
    g.y += -C1 * w[1];
    g.z += C1 * w[2];
    if (degree < 2) return g;
    const T xx = x * x, yy = y * y, zz = z * z, xy = x * y, yz = y * z, xz = x * z;
    g.x += T(kShC2d0) * y * w[4] + T(kShC2d2) * (-T(2) * x) * w[6] + T(kShC2d3) * z * w[7] +
           T(kShC2d4) * (T(2) * x) * w[8];
    g.y += T(kShC2d0) * x * w[4] + T(kShC2d1) * z * w[5] + T(kShC2d2) * (-T(2) * y) * w[6] +
           T(kShC2d4) * (-T(2) * y) * w[8];
    g.z += T(kShC2d1) * y * w[5] + T(kShC2d2) * (T(4) * z) * w[6] + T(kShC2d3) * x * w[7];
    if (degree < 3) return g;
    g.x += T(kShC3d0) * (T(6) * xy) * w[9] + T(kShC3d1) * yz * w[10] + T(kShC3d2) * (-T(2) * xy) * w[11] +
           T(kShC3d3) * (-T(6) * xz) * w[12] + T(kShC3d4) * (T(4) * zz - T(3) * xx - yy) * w[13] +
           T(kShC3d5) * (T(2) * xz) * w[14] + T(kShC3d6) * (T(3) * xx - T(3) * yy) * w[15];
    g.y += T(kShC3d0) * (T(3) * xx - T(3) * yy) * w[9] + T(kShC3d1) * xz * w[10] +
           T(kShC3d2) * (T(4) * zz - xx - T(3) * yy) * w[11] + T(kShC3d3) * (-T(6) * yz) * w[12] +
           T(kShC3d4) * (-T(2) * xy) * w[13] + T(kShC3d5) * (-T(2) * yz) * w[14] + T(kShC3d6) * (-T(6) * xy) * w[15];
    g.z += T(kShC3d1) * xy * w[10] + T(kShC3d2) * (T(8) * yz) * w[11] +
           T(kShC3d3) * (T(6) * zz - T(3) * xx - T(3) * yy) * w[12] + T(kShC3d4) * (T(8) * xz) * w[13] +
           T(kShC3d5) * (xx - yy) * w[14];
    return g;
}

template <class T>
SPLATSCAPE_HD Vec3<T> view_direction(Vec3<T> mean, Vec3<T> camera_center) {
    const Vec3<T> v = mean - camera_center;
    const T len = length(v);
    return len > T(0) ? (T(1) / len) * v : Vec3<T>{T(0), T(0), T(1)};
}

// rgb = max(SH(degree, dir) + 0.5, 0); bit c of `clamped` is set when channel c was clamped.
template <class T>
SPLATSCAPE_HD Vec3<T> sh_to_rgb(int degree, Vec3<T> dir, const T* sh, unsigned& clamped) {
    T basis[16];
    sh_basis(degree, dir, basis);
    const int K = (degree + 1) * (degree + 1);
    T rgb[3] = {T(0.5), T(0.5), T(0.5)};
    for (int k = 0; k < K; ++k)
        for (int ch = 0; ch < 3; ++ch) rgb[ch] += basis[k] * sh[k * 3 + ch];
    clamped = 0;
    for (int ch = 0; ch < 3; ++ch)
        if (rgb[ch] < T(0)) {
            rgb[ch] = T(0);
            clamped |= 1u << ch;
        }
    return {rgb[0], rgb[1], rgb[2]};
}

// Backward of sh_to_rgb: writes d_sh[k * 3 + ch] for k < (degree + 1)^2 and returns dL/d(mean)
// through the view direction.
template <class T>
SPLATSCAPE_HD Vec3<T> sh_to_rgb_backward(int degree, Vec3<T> mean, Vec3<T> camera_center, const T* sh, unsigned clamped,
                                         Vec3<T> d_rgb, T* d_sh) {
    const T d[3] = {(clamped & 1u) ? T(0) : d_rgb.x, (clamped & 2u) ? T(0) : d_rgb.y, (clamped & 4u) ? T(0) : d_rgb.z};
    const Vec3<T> v = mean - camera_center;
    const T len = length(v);
    const Vec3<T> dir = len > T(0) ? (T(1) / len) * v : Vec3<T>{T(0), T(0), T(1)};
    T basis[16];
    sh_basis(degree, dir, basis);
    const int K = (degree + 1) * (degree + 1);
    T w[16];
    for (int k = 0; k < K; ++k) {
        for (int ch = 0; ch < 3; ++ch) d_sh[k * 3 + ch] = basis[k] * d[ch];
        w[k] = sh[k * 3] * d[0] + sh[k * 3 + 1] * d[1] + sh[k * 3 + 2] * d[2];
    }
    if (degree < 1 || !(len > T(0))) return {T(0), T(0), T(0)};
    const Vec3<T> d_dir = sh_basis_backward(degree, dir, w);
    // dir = v / |v|
    const T radial = dot(dir, d_dir);
    return (T(1) / len) * (d_dir - radial * dir);
}

} // namespace splatscape::kern
