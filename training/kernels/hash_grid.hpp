#pragma once
// Multiresolution hash encoding (Mueller et al. 2022, "Instant Neural Graphics Primitives"): per
// level l a grid of N_l cells per axis over the unit cube; the 8 vertices of the cell around a
// position index a table of F-feature entries, and the features are interpolated trilinearly.
// Coarse levels whose (N_l + 1)^3 vertices fit the table are indexed densely (one entry per
// vertex); finer ones by the paper's spatial hash (x * 1 xor y * 2654435761 xor z * 805459861)
// mod T. The encoded feature of a position is [level 0 features | level 1 | ...], L * F values.
//
// Positions are clamped to [0, 1]^3 (NaN counts as 0): a point outside the cube takes the
// features of the nearest point on its surface, and its gradient along a clamped axis is zero.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

constexpr int kHashMaxLevels = 32;
constexpr uint32_t kHashPrime1 = 2654435761u;
constexpr uint32_t kHashPrime2 = 805459861u;

// Where each level of one grid lives in its parameter table [offset[levels], features] (row-major:
// entry e of level l is row offset[l] + e). Built and checked on the host (hash_grid_layout in
// training/ops/encoding_ops.hpp); passed by value to kernels.
struct HashGridLayout {
    int levels = 0;
    int features = 0;                         // per level
    uint32_t table_size = 0;                  // T, a power of two: the most entries a level has
    uint32_t resolution[kHashMaxLevels] = {}; // N_l, cells per axis
    uint32_t offset[kHashMaxLevels + 1] = {}; // first table row of each level; offset[levels]: rows
    uint32_t hashed = 0;                      // bit l set: level l is hashed (else dense)

    SPLATSCAPE_HD uint32_t rows() const { return offset[levels]; }
    SPLATSCAPE_HD int width() const { return levels * features; }
};

// Clamps a coordinate into [0, 1]; `inside` is false when it was clamped (its gradient is then 0).
template <class T>
SPLATSCAPE_HD T hash_unit_coordinate(T x, bool& inside) {
    inside = x >= T(0) && x <= T(1);
    return x > T(0) ? (x < T(1) ? x : T(1)) : T(0);
}

// Table entry (within its level) of grid vertex (x, y, z) at level l.
SPLATSCAPE_HD uint32_t hash_grid_entry(const HashGridLayout& g, int level, uint32_t x, uint32_t y, uint32_t z) {
    if (g.hashed & (1u << level)) return (x ^ (y * kHashPrime1) ^ (z * kHashPrime2)) & (g.table_size - 1u);
    const uint32_t n = g.resolution[level] + 1u;
    return x + n * (y + n * z);
}

// The cell of a clamped position u in [0, 1]^3 at one level: its 8 corner rows in the table
// (bit 0 of the corner index steps x, bit 1 y, bit 2 z), the fractional position in the cell and
// the resolution (d frac / d u).
template <class T>
struct HashCell {
    uint32_t rows[8];
    T frac[3];
    T scale;
};

template <class T>
SPLATSCAPE_HD HashCell<T> hash_grid_cell(const HashGridLayout& g, int level, const T u[3]) {
    HashCell<T> c;
    const uint32_t n = g.resolution[level];
    c.scale = T(n);
    uint32_t base[3];
    for (int a = 0; a < 3; ++a) {
        const T p = u[a] * T(n);
        // u = 1 lies on the last vertex: use the last cell with fraction 1.
        uint32_t i = uint32_t(hd_floor(p));
        if (i >= n) i = n - 1u;
        base[a] = i;
        c.frac[a] = p - T(i);
    }
    for (int k = 0; k < 8; ++k)
        c.rows[k] = g.offset[level] +
                    hash_grid_entry(g, level, base[0] + (k & 1), base[1] + ((k >> 1) & 1), base[2] + ((k >> 2) & 1));
    return c;
}

// Trilinear weight of corner k.
template <class T>
SPLATSCAPE_HD T hash_corner_weight(const HashCell<T>& c, int k) {
    const T wx = (k & 1) ? c.frac[0] : T(1) - c.frac[0];
    const T wy = (k & 2) ? c.frac[1] : T(1) - c.frac[1];
    const T wz = (k & 4) ? c.frac[2] : T(1) - c.frac[2];
    return wx * wy * wz;
}

// d weight_k / d frac.
template <class T>
SPLATSCAPE_HD Vec3<T> hash_corner_weight_grad(const HashCell<T>& c, int k) {
    const T wx = (k & 1) ? c.frac[0] : T(1) - c.frac[0];
    const T wy = (k & 2) ? c.frac[1] : T(1) - c.frac[1];
    const T wz = (k & 4) ? c.frac[2] : T(1) - c.frac[2];
    const T sx = (k & 1) ? T(1) : T(-1), sy = (k & 2) ? T(1) : T(-1), sz = (k & 4) ? T(1) : T(-1);
    return {sx * wy * wz, wx * sy * wz, wx * wy * sz};
}

// Features of one level at clamped position u: out[f] for f < features. table [rows, features].
template <class T, class P>
SPLATSCAPE_HD void hash_encode_level(const HashGridLayout& g, int level, const T u[3], const P* table, T* out) {
    const HashCell<T> c = hash_grid_cell(g, level, u);
    const int F = g.features;
    for (int f = 0; f < F; ++f) out[f] = T(0);
    for (int k = 0; k < 8; ++k) {
        const T w = hash_corner_weight(c, k);
        const P* e = table + size_t(c.rows[k]) * F;
        for (int f = 0; f < F; ++f) out[f] += w * T(e[f]);
    }
}

// Gradient of sum_f d_out[f] * feature_f of one level with respect to the clamped position u.
template <class T, class P>
SPLATSCAPE_HD Vec3<T> hash_level_position_grad(const HashGridLayout& g, int level, const T u[3], const P* table,
                                               const T* d_out) {
    const HashCell<T> c = hash_grid_cell(g, level, u);
    const int F = g.features;
    Vec3<T> d = {T(0), T(0), T(0)};
    for (int k = 0; k < 8; ++k) {
        const P* e = table + size_t(c.rows[k]) * F;
        T s = T(0);
        for (int f = 0; f < F; ++f) s += T(e[f]) * d_out[f];
        d = d + s * hash_corner_weight_grad(c, k);
    }
    return c.scale * d;
}

} // namespace splatscape::kern
