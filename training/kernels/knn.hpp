#pragma once
// Exact k-nearest neighbours of 3D points on a uniform grid. The points are bucketed into cubic
// cells, sorted by cell, and the occupied cells are found through an open-addressing hash table,
// so memory follows the number of points, not the grid's volume. A query visits rings of cells
// (Chebyshev distance r = 0, 1, 2, ... from its own cell) until no cell of the next ring can hold
// a point closer than its k-th neighbour. Neighbours are ordered by (squared distance, index), so
// the result does not depend on the grid, the thread count or the device; squared distances are
// computed as (dx^2 + dy^2) + dz^2 without contraction, bit for bit the same on CPU and CUDA.
#include "training/kernels/math.hpp"
#include "training/kernels/random.hpp"

namespace splatscape::kern {

constexpr int kKnnMaxK = 16;
constexpr int kKnnMaxDim = 1 << 21; // cells per axis: 21 bits of a 64-bit cell key each
constexpr uint64_t kKnnEmptyKey = ~uint64_t(0);

// The grid and its lookup structures (built by the launchers: training/cpu/knn_cpu.cpp,
// training/cuda/neighbour_ops_cuda.cu). Non-owning.
struct KnnGrid {
    float lo[3] = {0, 0, 0}; // corner of cell (0, 0, 0)
    float cell = 1.0f;       // edge length of a cell
    float inv_cell = 1.0f;
    int dim[3] = {1, 1, 1}; // cells per axis
    // Lower bounds of distances are reduced by this many cells: coordinates and cell numbers are
    // rounded floats (a few ulps of the largest coordinate).
    float slack = 0.0f;
    const uint64_t* table_keys = nullptr;  // [mask + 1] cell key, kKnnEmptyKey where free
    const uint32_t* table_cells = nullptr; // [mask + 1] cell number of that key
    uint32_t mask = 0;                     // table capacity - 1 (a power of two minus one)
    const uint32_t* cell_start = nullptr;  // [cells + 1] first sorted point of each cell
    const float* points = nullptr;         // [M, 3] the points in cell order
    const int32_t* ids = nullptr;          // [M] index of each sorted point in the caller's array
};

// Cell number along one axis of a coordinate; NaN and points outside the grid are clamped into it.
SPLATSCAPE_HD int knn_cell_coord(const KnnGrid& g, float x, int axis) {
    float v = (x - g.lo[axis]) * g.inv_cell;
    v = v > 0.0f ? v : 0.0f;
    const float top = float(g.dim[axis] - 1);
    v = v < top ? v : top;
    return int(v);
}

SPLATSCAPE_HD uint64_t knn_cell_key(int x, int y, int z) {
    return uint64_t(x) | (uint64_t(y) << 21) | (uint64_t(z) << 42);
}

SPLATSCAPE_HD uint64_t knn_point_key(const KnnGrid& g, const float* p) {
    return knn_cell_key(knn_cell_coord(g, p[0], 0), knn_cell_coord(g, p[1], 1), knn_cell_coord(g, p[2], 2));
}

SPLATSCAPE_HD uint32_t knn_table_slot(uint64_t key, uint32_t mask) {
    return uint32_t(mix64(key)) & mask;
}

// The cell number of `key`, or -1 when no point lies in it.
SPLATSCAPE_HD int64_t knn_find_cell(const KnnGrid& g, uint64_t key) {
    for (uint32_t s = knn_table_slot(key, g.mask);; s = (s + 1) & g.mask) {
        const uint64_t k = g.table_keys[s];
        if (k == key) return int64_t(g.table_cells[s]);
        if (k == kKnnEmptyKey) return -1;
    }
}

// (p - q)^2 summed as (dx^2 + dy^2) + dz^2, rounded after every operation on both devices.
SPLATSCAPE_HD float knn_distance2(const float* p, const float* q) {
#if defined(__CUDA_ARCH__)
    const float dx = __fsub_rn(p[0], q[0]), dy = __fsub_rn(p[1], q[1]), dz = __fsub_rn(p[2], q[2]);
    return __fadd_rn(__fadd_rn(__fmul_rn(dx, dx), __fmul_rn(dy, dy)), __fmul_rn(dz, dz));
#else
    const float dx = p[0] - q[0], dy = p[1] - q[1], dz = p[2] - q[2];
    return dx * dx + dy * dy + dz * dz;
#endif
}

// Inserts (d2, id) into the ascending lists d2s / ids holding `found` of at most k entries.
SPLATSCAPE_HD void knn_insert(float* d2s, int32_t* ids, int& found, int k, float d2, int32_t id) {
    if (found == k && !(d2 < d2s[k - 1] || (d2 == d2s[k - 1] && id < ids[k - 1]))) return;
    int j = found < k ? found++ : k - 1;
    while (j > 0 && (d2s[j - 1] > d2 || (d2s[j - 1] == d2 && ids[j - 1] > id))) {
        d2s[j] = d2s[j - 1];
        ids[j] = ids[j - 1];
        --j;
    }
    d2s[j] = d2;
    ids[j] = id;
}

// A lower bound of the distance from q (grid coordinates qc, in cells) to any point in a cell at
// Chebyshev distance >= r from cell c; 0 when unknown.
SPLATSCAPE_HD float knn_ring_lower_bound(const KnnGrid& g, const float qc[3], const int c[3], int r) {
    float lb = 3.0e38f;
    for (int a = 0; a < 3; ++a) {
        const float up = float(c[a] + r) - qc[a];       // to the first cell r steps up
        const float down = qc[a] - float(c[a] - r + 1); // to the first cell r steps down
        lb = hd_min(lb, hd_min(up, down));
    }
    lb -= g.slack;
    return lb > 0.0f ? lb * g.cell : 0.0f;
}

// The k (<= kKnnMaxK) nearest points to q, skipping the point whose caller index is `self` (-1:
// none). Writes d2s / ids ascending by (squared distance, index) and returns how many it found.
SPLATSCAPE_HD int knn_search(const KnnGrid& g, const float* q, int64_t self, int k, float* d2s, int32_t* ids) {
    int found = 0;
    int c[3];
    float qc[3];
    int reach = 0; // rings needed to cover the whole grid from c
    for (int a = 0; a < 3; ++a) {
        c[a] = knn_cell_coord(g, q[a], a);
        qc[a] = (q[a] - g.lo[a]) * g.inv_cell;
        reach = hd_max(reach, hd_max(c[a], g.dim[a] - 1 - c[a]));
    }
    for (int r = 0; r <= reach; ++r) {
        if (found == k && r > 0) {
            const float lb = knn_ring_lower_bound(g, qc, c, r);
            if (d2s[k - 1] < lb * lb) break;
        }
        // The cells of ring r: full rows where z or y is on the ring's faces, else the two ends in x.
        for (int dz = -r; dz <= r; ++dz) {
            const int z = c[2] + dz;
            if (z < 0 || z >= g.dim[2]) continue;
            for (int dy = -r; dy <= r; ++dy) {
                const int y = c[1] + dy;
                if (y < 0 || y >= g.dim[1]) continue;
                const bool face = dz == -r || dz == r || dy == -r || dy == r;
                const int step = face || r == 0 ? 1 : 2 * r;
                for (int dx = -r; dx <= r; dx += step) {
                    const int x = c[0] + dx;
                    if (x < 0 || x >= g.dim[0]) continue;
                    const int64_t cell = knn_find_cell(g, knn_cell_key(x, y, z));
                    if (cell < 0) continue;
                    for (uint32_t s = g.cell_start[cell]; s < g.cell_start[cell + 1]; ++s) {
                        const int32_t id = g.ids[s];
                        if (int64_t(id) == self) continue;
                        knn_insert(d2s, ids, found, k, knn_distance2(g.points + size_t(s) * 3, q), id);
                    }
                }
            }
        }
    }
    return found;
}

} // namespace splatscape::kern

// Host-side grid construction shared by the CPU and CUDA launchers.
namespace splatscape::kern {

// A grid of `resolution` cells along the longest axis of the box [lo, hi] (lookup pointers unset).
inline KnnGrid knn_grid_for(const float lo[3], const float hi[3], int resolution) {
    KnnGrid g;
    float extent = 0.0f, largest = 0.0f;
    for (int a = 0; a < 3; ++a) {
        extent = hd_max(extent, hi[a] - lo[a]);
        largest = hd_max(largest, hd_max(hd_abs(lo[a]), hd_abs(hi[a])));
    }
    if (!(extent > 0.0f)) extent = hd_max(largest * 1e-6f, 1e-30f); // all points in one place
    resolution = hd_clamp(resolution, 1, kKnnMaxDim - 1);
    g.cell = extent / float(resolution);
    g.inv_cell = 1.0f / g.cell;
    int widest = 1;
    for (int a = 0; a < 3; ++a) {
        g.lo[a] = lo[a];
        const double cells = double(hi[a] - lo[a]) * double(g.inv_cell);
        g.dim[a] = int(hd_clamp(cells, 0.0, double(kKnnMaxDim - 1))) + 1;
        widest = hd_max(widest, g.dim[a]);
    }
    // Rounding of (x - lo) / cell: a few ulps of the largest coordinate, and of the cell number.
    g.slack = 4.0f * 6.0e-8f * (largest * g.inv_cell + float(widest)) + 1e-6f;
    return g;
}

// Points per occupied cell the grid aims at: about k, so that a query's own cell and the ring
// around it usually hold its neighbours (measured on 2^18 surface and volume points, k 10 and 16:
// k / 4, k / 2, 2 k and 4 k per cell were 10% to 200% slower).
inline float knn_target_occupancy(int k) {
    return hd_max(2.0f, float(k));
}

// A first resolution: target occupancy if the points filled the box.
inline int knn_initial_resolution(size_t n, int k) {
    const double r = ::cbrt(double(n) / double(knn_target_occupancy(k)));
    return hd_clamp(int(r), 1, 1 << 20);
}

// The resolution with the target occupancy, from the occupied cells at r0 and at 2 r0: their ratio
// gives the dimension of the point set (2 for surface samples, 3 for a filled volume).
inline int knn_refined_resolution(size_t n, int k, int r0, size_t occupied0, size_t occupied1) {
    const double target = knn_target_occupancy(k);
    const double per_cell = double(n) / double(occupied0 ? occupied0 : 1);
    if (per_cell <= 2.0 * target) return r0;
    double dim = ::log2(double(occupied1 ? occupied1 : 1) / double(occupied0 ? occupied0 : 1));
    dim = hd_clamp(dim, 1.0, 3.0);
    const double r = double(r0) * ::pow(per_cell / target, 1.0 / dim);
    return int(hd_clamp(r, double(r0), double(1 << 20)));
}

} // namespace splatscape::kern
