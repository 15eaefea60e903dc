#pragma once
// Surface variation ("curvature") of a point from the principal components of its neighbourhood
// (Pauly et al. 2002): lambda_0 / (lambda_0 + lambda_1 + lambda_2), lambda_0 the smallest eigenvalue
// of the covariance of the point and its neighbours. 0 on a plane or a line, 1/3 for an isotropic
// blob. SAGS densifies where this is low. The eigenvalues come from cyclic Jacobi rotations, which
// stay accurate for the near-zero eigenvalue that matters here. The eigenvectors give each point its
// principal frame (pca_frame), which sags composes with the decoded rotations (`point_frames`).
#include "training/kernels/covariance.hpp"

namespace splatscape::kern {

// Cyclic Jacobi rotations on the symmetric matrix a until it is diagonal (its eigenvalues on the
// diagonal, in no order); with v (the identity on entry) the rotations are accumulated in it, so its
// columns end as the matching unit eigenvectors.
template <class T>
SPLATSCAPE_HD void jacobi_diagonalise(T a[3][3], T (*v)[3]) {
    for (int sweep = 0; sweep < 8; ++sweep) {
        const T off = hd_abs(a[0][1]) + hd_abs(a[0][2]) + hd_abs(a[1][2]);
        if (off == T(0)) break;
        for (int pair = 0; pair < 3; ++pair) {
            const int p = pair == 2 ? 1 : 0, q = pair == 0 ? 1 : 2;
            const T apq = a[p][q];
            if (apq == T(0)) continue;
            // The rotation that zeroes a[p][q] (Golub and Van Loan, the smaller of the two angles).
            const T theta = (a[q][q] - a[p][p]) / (T(2) * apq);
            const T t = (theta >= T(0) ? T(1) : T(-1)) / (hd_abs(theta) + hd_sqrt(theta * theta + T(1)));
            const T c = T(1) / hd_sqrt(t * t + T(1)), sn = t * c;
            a[p][p] -= t * apq;
            a[q][q] += t * apq;
            a[p][q] = a[q][p] = T(0);
            const int r = 3 - p - q;
            const T arp = a[r][p], arq = a[r][q];
            a[r][p] = a[p][r] = c * arp - sn * arq;
            a[r][q] = a[q][r] = sn * arp + c * arq;
            if (v)
                for (int k = 0; k < 3; ++k) { // V <- V J, J the rotation in the (p, q) plane
                    const T vp = v[k][p], vq = v[k][q];
                    v[k][p] = c * vp - sn * vq;
                    v[k][q] = sn * vp + c * vq;
                }
        }
    }
}

// Eigenvalues of a symmetric 3x3 matrix, ascending.
template <class T>
SPLATSCAPE_HD Vec3<T> symmetric_eigenvalues(const Sym3<T>& s) {
    T a[3][3] = {{s.xx, s.xy, s.xz}, {s.xy, s.yy, s.yz}, {s.xz, s.yz, s.zz}};
    jacobi_diagonalise<T>(a, nullptr);
    T e0 = a[0][0], e1 = a[1][1], e2 = a[2][2];
    // Sort three values.
    if (e1 < e0) {
        const T t = e0;
        e0 = e1;
        e1 = t;
    }
    if (e2 < e1) {
        const T t = e1;
        e1 = e2;
        e2 = t;
    }
    if (e1 < e0) {
        const T t = e0;
        e0 = e1;
        e1 = t;
    }
    return {e0, e1, e2};
}

// Eigen-decomposition of a symmetric 3x3 matrix: eigenvalues ascending in `values`, and the matching
// unit eigenvectors as the columns of `vectors` (vectors.m[r][c]: component r of eigenvector c), a
// right-handed frame (determinant +1).
template <class T>
SPLATSCAPE_HD void symmetric_eigen(const Sym3<T>& s, T values[3], Mat3<T>& vectors) {
    T a[3][3] = {{s.xx, s.xy, s.xz}, {s.xy, s.yy, s.yz}, {s.xz, s.yz, s.zz}};
    T v[3][3] = {{T(1), T(0), T(0)}, {T(0), T(1), T(0)}, {T(0), T(0), T(1)}};
    jacobi_diagonalise<T>(a, v);
    int order[3] = {0, 1, 2};
    const T d[3] = {a[0][0], a[1][1], a[2][2]};
    for (int i = 0; i < 2; ++i)
        for (int j = 0; j < 2 - i; ++j)
            if (d[order[j + 1]] < d[order[j]]) {
                const int t = order[j];
                order[j] = order[j + 1];
                order[j + 1] = t;
            }
    for (int c = 0; c < 3; ++c) {
        values[c] = d[order[c]];
        for (int r = 0; r < 3; ++r) vectors.m[r][c] = v[r][order[c]];
    }
    const T det = vectors.m[0][0] * (vectors.m[1][1] * vectors.m[2][2] - vectors.m[1][2] * vectors.m[2][1]) -
                  vectors.m[0][1] * (vectors.m[1][0] * vectors.m[2][2] - vectors.m[1][2] * vectors.m[2][0]) +
                  vectors.m[0][2] * (vectors.m[1][0] * vectors.m[2][1] - vectors.m[1][1] * vectors.m[2][0]);
    if (det < T(0))
        for (int r = 0; r < 3; ++r) vectors.m[r][0] = -vectors.m[r][0];
}

// Covariance of point `self` of points [N, 3] and its neighbours ids[0..k) (entries < 0 are missing
// neighbours and skipped). Offsets are taken from the point itself before averaging, so points far
// from the origin lose no precision.
template <class T>
SPLATSCAPE_HD Sym3<T> neighbourhood_covariance(const float* points, int64_t self, const int32_t* ids, int k) {
    const float* p = points + size_t(self) * 3;
    T sum[3] = {T(0), T(0), T(0)};
    T sq[6] = {T(0), T(0), T(0), T(0), T(0), T(0)}; // xx xy xz yy yz zz
    int n = 1;                                      // the point itself, at offset 0
    for (int s = 0; s < k; ++s) {
        if (ids[s] < 0) continue;
        const float* q = points + size_t(ids[s]) * 3;
        const T d[3] = {T(q[0] - p[0]), T(q[1] - p[1]), T(q[2] - p[2])};
        for (int a = 0; a < 3; ++a) sum[a] += d[a];
        sq[0] += d[0] * d[0];
        sq[1] += d[0] * d[1];
        sq[2] += d[0] * d[2];
        sq[3] += d[1] * d[1];
        sq[4] += d[1] * d[2];
        sq[5] += d[2] * d[2];
        ++n;
    }
    const T inv = T(1) / T(n);
    const T m[3] = {sum[0] * inv, sum[1] * inv, sum[2] * inv};
    return {sq[0] * inv - m[0] * m[0], sq[1] * inv - m[0] * m[1], sq[2] * inv - m[0] * m[2],
            sq[3] * inv - m[1] * m[1], sq[4] * inv - m[1] * m[2], sq[5] * inv - m[2] * m[2]};
}

// Curvature of point `self` from itself and its neighbours (as neighbourhood_covariance). 0 when the
// neighbourhood has no spread.
template <class T>
SPLATSCAPE_HD T pca_curvature(const float* points, int64_t self, const int32_t* ids, int k) {
    const Sym3<T> cov = neighbourhood_covariance<T>(points, self, ids, k);
    const T trace = cov.xx + cov.yy + cov.zz;
    if (!(trace > T(0))) return T(0);
    const Vec3<T> e = symmetric_eigenvalues(cov);
    const T lmin = e.x > T(0) ? e.x : T(0);
    return lmin / trace;
}

// The principal frame of point `self`'s neighbourhood as a unit quaternion (w x y z, w >= 0): local
// x along the largest spread, z along the smallest (the normal where the points sample a surface).
// Each axis's sign is fixed (its largest component positive, ties to the first), so the frame does
// not depend on the eigen-solver's signs. The identity when the neighbourhood has no spread.
template <class T>
SPLATSCAPE_HD Quat<T> pca_frame(const float* points, int64_t self, const int32_t* ids, int k) {
    const Sym3<T> cov = neighbourhood_covariance<T>(points, self, ids, k);
    if (!(cov.xx + cov.yy + cov.zz > T(0))) return {T(1), T(0), T(0), T(0)};
    T values[3];
    Mat3<T> V;
    symmetric_eigen(cov, values, V);
    T axis[2][3];
    for (int a = 0; a < 2; ++a) {
        const int col = a == 0 ? 2 : 0; // x: the largest eigenvalue's vector; z: the smallest's
        int big = 0;
        for (int r = 1; r < 3; ++r)
            if (hd_abs(V.m[r][col]) > hd_abs(V.m[big][col])) big = r;
        const T sign = V.m[big][col] < T(0) ? T(-1) : T(1);
        for (int r = 0; r < 3; ++r) axis[a][r] = sign * V.m[r][col];
    }
    const T* x = axis[0];
    const T* z = axis[1];
    // y = z x x completes a right-handed frame.
    const T y[3] = {z[1] * x[2] - z[2] * x[1], z[2] * x[0] - z[0] * x[2], z[0] * x[1] - z[1] * x[0]};
    Mat3<T> R;
    for (int r = 0; r < 3; ++r) {
        R.m[r][0] = x[r];
        R.m[r][1] = y[r];
        R.m[r][2] = z[r];
    }
    return quat_from_rotation(R);
}

} // namespace splatscape::kern
