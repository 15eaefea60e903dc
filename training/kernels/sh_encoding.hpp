#pragma once
// Direction encoding by real spherical harmonics, bands 0..degree ((degree + 1)^2 values, 16 at
// degree 3; instant-ngp counts bands and calls this "degree 4"). The basis is the one the Gaussian
// families use for colour (training/kernels/sh.hpp); directions need not be unit length: they are
// normalised first, and the backward goes through the normalisation.
#include "training/kernels/sh.hpp"

namespace splatscape::kern {

constexpr int kShEncodingMaxDegree = 3;

SPLATSCAPE_HD int sh_encoding_width(int degree) {
    return (degree + 1) * (degree + 1);
}

// Unit direction of v; +z for a zero vector.
template <class T>
SPLATSCAPE_HD Vec3<T> sh_unit_direction(Vec3<T> v, T& len) {
    len = length(v);
    return len > T(0) ? (T(1) / len) * v : Vec3<T>{T(0), T(0), T(1)};
}

// out[k], k < (degree + 1)^2.
template <class T>
SPLATSCAPE_HD void sh_encode(int degree, Vec3<T> v, T* out) {
    T len;
    sh_basis(degree, sh_unit_direction(v, len), out);
}

// Gradient of sum_k d_out[k] * out[k] with respect to v.
template <class T>
SPLATSCAPE_HD Vec3<T> sh_encode_backward(int degree, Vec3<T> v, const T* d_out) {
    T len;
    const Vec3<T> dir = sh_unit_direction(v, len);
    if (degree < 1 || !(len > T(0))) return {T(0), T(0), T(0)};
    const Vec3<T> d_dir = sh_basis_backward(degree, dir, d_out);
    // dir = v / |v|: project out the radial part.
    return (T(1) / len) * (d_dir - dot(dir, d_dir) * dir);
}

} // namespace splatscape::kern
