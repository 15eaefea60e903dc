#pragma once
// EWA projection of a 3D Gaussian to the image (docs/rasterizer.md, forward steps 1 and 3-8) and
// its backward.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

constexpr int kTileSize = 16;

// Settings shared by every Gaussian of a frame (docs/rasterizer.md, "Inputs").
struct RasterSettings {
    float near_plane = 0.01f;
    float far_plane = 1e10f;
    float eps2d = 0.3f;  // low-pass dilation added to the 2D covariance, pixels^2
    int antialiased = 0; // 1: scale opacity by sqrt(det0 / det) (compensation)
    float scale_modifier = 1.0f;
};

template <class T>
struct Projected {
    Vec2<T> mean2d;     // pixels
    Vec3<T> conic;      // inverse of the dilated 2D covariance: (c / det, -b / det, a / det)
    T depth;            // camera-space z
    T compensation;     // 1, or sqrt(det0 / det) in antialiased mode
    int radius;         // pixels
    int x0, y0, x1, y1; // tile rectangle, [x0, x1) x [y0, y1)
};

// Intermediate values of the projection that the backward recomputes.
template <class T>
struct ProjectionTerms {
    Vec3<T> p;     // camera-space mean
    T tx, ty;      // guard-band-clamped x and y (camera space)
    int clamped_x; // -1, 0, +1: which side tx was clamped to
    int clamped_y;
    T lx, ly;      // guard-band limits on x/z and y/z
    T J[2][3];     // projection Jacobian
    T Tm[2][3];    // J R
    Sym2<T> cov2d; // undilated
};

template <class T>
SPLATSCAPE_HD void projection_terms(Vec3<T> mean, const Sym3<T>& cov3d, const RasterCamera<T>& cam,
                                    ProjectionTerms<T>& t) {
    t.p = mul(cam.R, mean) + cam.t;
    const T pz = t.p.z;
    t.lx = T(1.3) * T(0.5) * T(cam.width) / cam.fx;
    t.ly = T(1.3) * T(0.5) * T(cam.height) / cam.fy;
    const T ux = t.p.x / pz, uy = t.p.y / pz;
    t.clamped_x = ux < -t.lx ? -1 : (ux > t.lx ? 1 : 0);
    t.clamped_y = uy < -t.ly ? -1 : (uy > t.ly ? 1 : 0);
    t.tx = hd_clamp(ux, -t.lx, t.lx) * pz;
    t.ty = hd_clamp(uy, -t.ly, t.ly) * pz;
    t.J[0][0] = cam.fx / pz;
    t.J[0][1] = T(0);
    t.J[0][2] = -cam.fx * t.tx / (pz * pz);
    t.J[1][0] = T(0);
    t.J[1][1] = cam.fy / pz;
    t.J[1][2] = -cam.fy * t.ty / (pz * pz);
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 3; ++c)
            t.Tm[r][c] = t.J[r][0] * cam.R.m[0][c] + t.J[r][1] * cam.R.m[1][c] + t.J[r][2] * cam.R.m[2][c];
    // cov2d = Tm Sigma Tm^T
    const Mat3<T> S = to_mat(cov3d);
    T TS[2][3];
    for (int r = 0; r < 2; ++r)
        for (int c = 0; c < 3; ++c) TS[r][c] = t.Tm[r][0] * S.m[0][c] + t.Tm[r][1] * S.m[1][c] + t.Tm[r][2] * S.m[2][c];
    t.cov2d.a = TS[0][0] * t.Tm[0][0] + TS[0][1] * t.Tm[0][1] + TS[0][2] * t.Tm[0][2];
    t.cov2d.b = TS[0][0] * t.Tm[1][0] + TS[0][1] * t.Tm[1][1] + TS[0][2] * t.Tm[1][2];
    t.cov2d.c = TS[1][0] * t.Tm[1][0] + TS[1][1] * t.Tm[1][1] + TS[1][2] * t.Tm[1][2];
}

// Tile rectangle of a disc of `radius` pixels around `center` (docs/rasterizer.md, step 8).
template <class T>
SPLATSCAPE_HD void tile_rect(Vec2<T> center, int radius, int tiles_x, int tiles_y, int& x0, int& y0, int& x1, int& y1) {
    const T r = T(radius), ts = T(kTileSize);
    x0 = int(hd_clamp(hd_floor((center.x - r) / ts), T(0), T(tiles_x)));
    x1 = int(hd_clamp(hd_floor((center.x + r) / ts) + T(1), T(0), T(tiles_x)));
    y0 = int(hd_clamp(hd_floor((center.y - r) / ts), T(0), T(tiles_y)));
    y1 = int(hd_clamp(hd_floor((center.y + r) / ts) + T(1), T(0), T(tiles_y)));
}

// Forward projection. Returns false when the Gaussian is culled (behind the near plane, beyond the
// far plane, degenerate after dilation, or touching no tile); `out` is then unspecified.
template <class T>
SPLATSCAPE_HD bool project_gaussian(Vec3<T> mean, const Sym3<T>& cov3d, const RasterCamera<T>& cam,
                                    const RasterSettings& s, Projected<T>& out) {
    const Vec3<T> p = mul(cam.R, mean) + cam.t;
    if (!(p.z > T(s.near_plane)) || !(p.z < T(s.far_plane))) return false;
    ProjectionTerms<T> t;
    projection_terms(mean, cov3d, cam, t);
    const T a0 = t.cov2d.a, b = t.cov2d.b, c0 = t.cov2d.c;
    const T det0 = a0 * c0 - b * b;
    const T a = a0 + T(s.eps2d), c = c0 + T(s.eps2d);
    const T det = a * c - b * b;
    if (!(det > T(0))) return false;
    out.compensation = s.antialiased ? hd_sqrt(hd_max(det0 / det, T(0))) : T(1);
    const T inv = T(1) / det;
    out.conic = {c * inv, -b * inv, a * inv};
    out.mean2d = {cam.fx * p.x / p.z + cam.cx, cam.fy * p.y / p.z + cam.cy};
    const T mid = T(0.5) * (a + c);
    const T lambda = mid + hd_sqrt(hd_max(T(0.1), mid * mid - det));
    out.radius = int(hd_ceil(T(3) * hd_sqrt(lambda)));
    const int tiles_x = (cam.width + kTileSize - 1) / kTileSize, tiles_y = (cam.height + kTileSize - 1) / kTileSize;
    tile_rect(out.mean2d, out.radius, tiles_x, tiles_y, out.x0, out.y0, out.x1, out.y1);
    if ((out.x1 - out.x0) * (out.y1 - out.y0) == 0) return false;
    out.depth = p.z;
    return true;
}

// Backward of project_gaussian for a Gaussian that was not culled. Gradients in: d_mean2d (pixels),
// d_conic, d_depth, d_compensation. Gradients out: added to d_mean and d_cov3d (world).
// The guard-band clamp is differentiated exactly (a clamped coordinate moves with p.z, not p.x).
template <class T>
SPLATSCAPE_HD void project_gaussian_backward(Vec3<T> mean, const Sym3<T>& cov3d, const RasterCamera<T>& cam,
                                             const RasterSettings& s, Vec2<T> d_mean2d, Vec3<T> d_conic, T d_depth,
                                             T d_compensation, Vec3<T>& d_mean, Sym3<T>& d_cov3d) {
    ProjectionTerms<T> t;
    projection_terms(mean, cov3d, cam, t);
    const Vec3<T> p = t.p;
    const T a0 = t.cov2d.a, b = t.cov2d.b, c0 = t.cov2d.c;
    const T a = a0 + T(s.eps2d), c = c0 + T(s.eps2d);
    const T det = a * c - b * b;
    const T inv = T(1) / det, inv2 = inv * inv;

    // conic = (c, -b, a) / det with det = a c - b^2 (dilated a, c).
    T da = d_conic.x * (-c * c * inv2) + d_conic.y * (b * c * inv2) + d_conic.z * (inv - a * c * inv2);
    T dc = d_conic.x * (inv - a * c * inv2) + d_conic.y * (b * a * inv2) + d_conic.z * (-a * a * inv2);
    T db = d_conic.x * (T(2) * b * c * inv2) + d_conic.y * (-inv - T(2) * b * b * inv2) +
           d_conic.z * (T(2) * a * b * inv2);
    if (s.antialiased) {
        // comp = sqrt(det0 / det), det0 = a0 c0 - b^2.
        const T det0 = a0 * c0 - b * b;
        const T ratio = det0 / det;
        if (ratio > T(0)) {
            const T comp = hd_sqrt(ratio);
            const T g = d_compensation * T(0.5) / comp; // dL/d(ratio)
            // d ratio / d a0 = (c0 det - det0 c) / det^2, etc.
            da += g * (c0 * det - det0 * c) * inv2;
            dc += g * (a0 * det - det0 * a) * inv2;
            db += g * (-T(2) * b * det + det0 * T(2) * b) * inv2;
        }
    }
    // cov2d = Tm Sigma Tm^T with (a, b, c) its entries; G2 is the symmetric gradient of the full 2x2.
    const T G2[2][2] = {{da, T(0.5) * db}, {T(0.5) * db, dc}};
    // dL/dSigma_full = Tm^T G2 Tm; stored off-diagonals take twice the full entry.
    T GT[2][3];
    for (int r = 0; r < 2; ++r)
        for (int k = 0; k < 3; ++k) GT[r][k] = G2[r][0] * t.Tm[0][k] + G2[r][1] * t.Tm[1][k];
    auto full = [&](int i, int j) { return t.Tm[0][i] * GT[0][j] + t.Tm[1][i] * GT[1][j]; };
    d_cov3d.xx += full(0, 0);
    d_cov3d.xy += T(2) * full(0, 1);
    d_cov3d.xz += T(2) * full(0, 2);
    d_cov3d.yy += full(1, 1);
    d_cov3d.yz += T(2) * full(1, 2);
    d_cov3d.zz += full(2, 2);
    // dL/dTm = 2 G2 Tm Sigma; dL/dJ = dL/dTm R^T.
    const Mat3<T> S = to_mat(cov3d);
    T dTm[2][3];
    for (int r = 0; r < 2; ++r)
        for (int k = 0; k < 3; ++k)
            dTm[r][k] = T(2) * (GT[r][0] * S.m[0][k] + GT[r][1] * S.m[1][k] + GT[r][2] * S.m[2][k]);
    T dJ[2][3];
    for (int r = 0; r < 2; ++r)
        for (int k = 0; k < 3; ++k)
            dJ[r][k] = dTm[r][0] * cam.R.m[k][0] + dTm[r][1] * cam.R.m[k][1] + dTm[r][2] * cam.R.m[k][2];

    // J depends on p.z directly and through tx, ty.
    const T pz = p.z, iz = T(1) / pz, iz2 = iz * iz, iz3 = iz2 * iz;
    Vec3<T> dp = {T(0), T(0), T(0)};
    dp.z += -cam.fx * iz2 * dJ[0][0] - cam.fy * iz2 * dJ[1][1] + T(2) * cam.fx * t.tx * iz3 * dJ[0][2] +
            T(2) * cam.fy * t.ty * iz3 * dJ[1][2];
    const T dtx = -cam.fx * iz2 * dJ[0][2], dty = -cam.fy * iz2 * dJ[1][2];
    if (t.clamped_x == 0)
        dp.x += dtx;
    else
        dp.z += dtx * T(t.clamped_x) * t.lx;
    if (t.clamped_y == 0)
        dp.y += dty;
    else
        dp.z += dty * T(t.clamped_y) * t.ly;
    // mean2d = (fx x / z + cx, fy y / z + cy)
    dp.x += d_mean2d.x * cam.fx * iz;
    dp.y += d_mean2d.y * cam.fy * iz;
    dp.z += -(d_mean2d.x * cam.fx * p.x + d_mean2d.y * cam.fy * p.y) * iz2;
    dp.z += d_depth;
    d_mean = d_mean + mul_transposed(cam.R, dp);
}

} // namespace splatscape::kern
