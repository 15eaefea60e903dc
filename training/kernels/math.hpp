#pragma once
// Small POD vector and matrix types and scalar functions for the per-element math of every op.
// Usable from host code (g++) and from CUDA kernels (nvcc): no std:: containers, no exceptions, no
// GLM. Everything is templated on the scalar type so that the finite-difference tests can run the
// same code in double precision.
#include <math.h>
#include <stdint.h>

#if defined(__CUDACC__)
#define SPLATSCAPE_HD __host__ __device__ __forceinline__
#else
#define SPLATSCAPE_HD inline
#endif

namespace splatscape::kern {

// Scalar functions with float and double overloads that resolve on host and device alike.
SPLATSCAPE_HD float hd_sqrt(float x) {
    return ::sqrtf(x);
}
SPLATSCAPE_HD double hd_sqrt(double x) {
    return ::sqrt(x);
}
SPLATSCAPE_HD float hd_exp(float x) {
    return ::expf(x);
}
SPLATSCAPE_HD double hd_exp(double x) {
    return ::exp(x);
}
SPLATSCAPE_HD float hd_log(float x) {
    return ::logf(x);
}
SPLATSCAPE_HD double hd_log(double x) {
    return ::log(x);
}
SPLATSCAPE_HD float hd_floor(float x) {
    return ::floorf(x);
}
SPLATSCAPE_HD double hd_floor(double x) {
    return ::floor(x);
}
SPLATSCAPE_HD float hd_ceil(float x) {
    return ::ceilf(x);
}
SPLATSCAPE_HD double hd_ceil(double x) {
    return ::ceil(x);
}
SPLATSCAPE_HD float hd_abs(float x) {
    return ::fabsf(x);
}
SPLATSCAPE_HD double hd_abs(double x) {
    return ::fabs(x);
}
SPLATSCAPE_HD float hd_cos(float x) {
    return ::cosf(x);
}
SPLATSCAPE_HD double hd_cos(double x) {
    return ::cos(x);
}
SPLATSCAPE_HD float hd_sin(float x) {
    return ::sinf(x);
}
SPLATSCAPE_HD double hd_sin(double x) {
    return ::sin(x);
}
template <class T>
SPLATSCAPE_HD T hd_min(T a, T b) {
    return b < a ? b : a;
}
template <class T>
SPLATSCAPE_HD T hd_max(T a, T b) {
    return a < b ? b : a;
}
template <class T>
SPLATSCAPE_HD T hd_clamp(T x, T lo, T hi) {
    return hd_min(hd_max(x, lo), hi);
}
template <class T>
SPLATSCAPE_HD T hd_sigmoid(T x) {
    return T(1) / (T(1) + hd_exp(-x));
}

template <class T>
struct Vec2 {
    T x, y;
};
template <class T>
struct Vec3 {
    T x, y, z;
};
// Quaternion stored w x y z, as the reference PLY.
template <class T>
struct Quat {
    T w, x, y, z;
};
// Symmetric 2x2 matrix [[a, b], [b, c]].
template <class T>
struct Sym2 {
    T a, b, c;
};
// Symmetric 3x3 matrix stored by its upper triangle: xx xy xz yy yz zz. A gradient with respect to
// a Sym3 is the gradient with respect to these six stored values (each off-diagonal counts once).
template <class T>
struct Sym3 {
    T xx, xy, xz, yy, yz, zz;
};
// Row-major 3x3 matrix: m[row][col].
template <class T>
struct Mat3 {
    T m[3][3];
};

template <class T>
SPLATSCAPE_HD Vec2<T> operator+(Vec2<T> a, Vec2<T> b) {
    return {a.x + b.x, a.y + b.y};
}
template <class T>
SPLATSCAPE_HD Vec2<T> operator-(Vec2<T> a, Vec2<T> b) {
    return {a.x - b.x, a.y - b.y};
}
template <class T>
SPLATSCAPE_HD Vec3<T> operator+(Vec3<T> a, Vec3<T> b) {
    return {a.x + b.x, a.y + b.y, a.z + b.z};
}
template <class T>
SPLATSCAPE_HD Vec3<T> operator-(Vec3<T> a, Vec3<T> b) {
    return {a.x - b.x, a.y - b.y, a.z - b.z};
}
template <class T>
SPLATSCAPE_HD Vec3<T> operator*(T s, Vec3<T> a) {
    return {s * a.x, s * a.y, s * a.z};
}
template <class T>
SPLATSCAPE_HD T dot(Vec3<T> a, Vec3<T> b) {
    return a.x * b.x + a.y * b.y + a.z * b.z;
}
template <class T>
SPLATSCAPE_HD Vec3<T> cross(Vec3<T> a, Vec3<T> b) {
    return {a.y * b.z - a.z * b.y, a.z * b.x - a.x * b.z, a.x * b.y - a.y * b.x};
}
template <class T>
SPLATSCAPE_HD T length(Vec3<T> a) {
    return hd_sqrt(dot(a, a));
}

template <class T>
SPLATSCAPE_HD Vec3<T> mul(const Mat3<T>& m, Vec3<T> v) {
    return {m.m[0][0] * v.x + m.m[0][1] * v.y + m.m[0][2] * v.z, m.m[1][0] * v.x + m.m[1][1] * v.y + m.m[1][2] * v.z,
            m.m[2][0] * v.x + m.m[2][1] * v.y + m.m[2][2] * v.z};
}
// m^T v
template <class T>
SPLATSCAPE_HD Vec3<T> mul_transposed(const Mat3<T>& m, Vec3<T> v) {
    return {m.m[0][0] * v.x + m.m[1][0] * v.y + m.m[2][0] * v.z, m.m[0][1] * v.x + m.m[1][1] * v.y + m.m[2][1] * v.z,
            m.m[0][2] * v.x + m.m[1][2] * v.y + m.m[2][2] * v.z};
}
template <class T>
SPLATSCAPE_HD Mat3<T> mul(const Mat3<T>& a, const Mat3<T>& b) {
    Mat3<T> r;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) r.m[i][j] = a.m[i][0] * b.m[0][j] + a.m[i][1] * b.m[1][j] + a.m[i][2] * b.m[2][j];
    return r;
}
template <class T>
SPLATSCAPE_HD Mat3<T> transpose(const Mat3<T>& a) {
    Mat3<T> r;
    for (int i = 0; i < 3; ++i)
        for (int j = 0; j < 3; ++j) r.m[i][j] = a.m[j][i];
    return r;
}
template <class T>
SPLATSCAPE_HD Mat3<T> to_mat(const Sym3<T>& s) {
    return {{{s.xx, s.xy, s.xz}, {s.xy, s.yy, s.yz}, {s.xz, s.yz, s.zz}}};
}

// Converts the scalar type (host-side tests compare float and double runs).
template <class U, class T>
SPLATSCAPE_HD Vec3<U> cast3(Vec3<T> v) {
    return {U(v.x), U(v.y), U(v.z)};
}

// Camera of the rasterizer: pinhole, world-to-camera R (row-major) and t, image size in pixels.
template <class T>
struct RasterCamera {
    Mat3<T> R;
    Vec3<T> t;
    Vec3<T> center; // camera centre in world coordinates, -R^T t (for SH view directions)
    T fx, fy, cx, cy;
    int width, height;
};

} // namespace splatscape::kern
