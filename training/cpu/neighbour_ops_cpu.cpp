#include "training/cpu/neighbour_ops_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cpu/encoding_ops_cpu.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/curvature.hpp"
#include "training/kernels/knn.hpp"

namespace splatscape {
namespace cpu {
namespace {

constexpr float kInf = std::numeric_limits<float>::infinity();

uint32_t table_capacity(size_t entries) {
    uint32_t c = 16;
    while (c < 2 * entries) c <<= 1;
    return c;
}

// Occupied cells of `g` (an open-addressing set of the points' cell keys).
size_t occupied_cells(const kern::KnnGrid& g, const float* points, size_t n) {
    const uint32_t cap = table_capacity(n), mask = cap - 1;
    std::vector<uint64_t> keys(cap, kern::kKnnEmptyKey);
    size_t count = 0;
    for (size_t i = 0; i < n; ++i) {
        const uint64_t key = kern::knn_point_key(g, points + 3 * i);
        for (uint32_t s = kern::knn_table_slot(key, mask);; s = (s + 1) & mask) {
            if (keys[s] == key) break;
            if (keys[s] == kern::kKnnEmptyKey) {
                keys[s] = key;
                ++count;
                break;
            }
        }
    }
    return count;
}

void bounds(const float* p, size_t n, float lo[3], float hi[3], const char* what) {
    for (int a = 0; a < 3; ++a) {
        lo[a] = std::numeric_limits<float>::max();
        hi[a] = -std::numeric_limits<float>::max();
    }
    for (size_t i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a) {
            const float x = p[3 * i + a];
            if (!std::isfinite(x)) throw Error(cat("knn: ", what, " ", i, " has a non-finite coordinate (", x, ")"));
            lo[a] = std::min(lo[a], x);
            hi[a] = std::max(hi[a], x);
        }
}

// Reverse neighbour lists: the edges (i * k + s) that name point j, for every j, in edge order.
struct ReverseLists {
    std::vector<uint32_t> offset; // [n + 1]
    std::vector<uint32_t> edges;
};

ReverseLists reverse_lists(const int32_t* ids, size_t n, int k) {
    ReverseLists r;
    r.offset.assign(n + 1, 0);
    const size_t e = n * size_t(k);
    for (size_t i = 0; i < e; ++i)
        if (ids[i] >= 0) ++r.offset[size_t(ids[i]) + 1];
    for (size_t j = 0; j < n; ++j) r.offset[j + 1] += r.offset[j];
    r.edges.resize(r.offset[n]);
    std::vector<uint32_t> fill(r.offset.begin(), r.offset.end() - 1);
    for (size_t i = 0; i < e; ++i)
        if (ids[i] >= 0) r.edges[fill[size_t(ids[i])]++] = uint32_t(i);
    return r;
}

// d_values[j, :] += neighbour_sign * the coefficient rows of the edges naming j (in edge order), then
// centre_sign * those of j's own valid slots. coef_row(e, row) writes the C coefficients of edge e.
// Row j is written by one task only, so the sums have a fixed order.
template <class T, class CoefRow>
void scatter_to_points(const int32_t* ids, size_t n, int k, int channels, int neighbour_sign, int centre_sign,
                       CoefRow coef_row, T* d_values) {
    ReverseLists rev;
    if (neighbour_sign != 0) rev = reverse_lists(ids, n, k);
    cpu_pool().parallel_for(n, 256, [&](size_t jb, size_t je, int) {
        std::vector<T> row(static_cast<size_t>(channels));
        for (size_t j = jb; j < je; ++j) {
            T* d = d_values + j * size_t(channels);
            if (neighbour_sign != 0)
                for (uint32_t q = rev.offset[j]; q < rev.offset[j + 1]; ++q) {
                    coef_row(size_t(rev.edges[q]), row.data());
                    for (int c = 0; c < channels; ++c) d[c] += T(neighbour_sign) * row[c];
                }
            if (centre_sign != 0)
                for (int s = 0; s < k; ++s) {
                    const size_t e = j * size_t(k) + size_t(s);
                    if (ids[e] < 0) continue;
                    coef_row(e, row.data());
                    for (int c = 0; c < channels; ++c) d[c] += T(centre_sign) * row[c];
                }
        }
    });
}

int valid_slots(const int32_t* ids, int k) {
    int v = 0;
    for (int s = 0; s < k; ++s) v += ids[s] >= 0;
    return v;
}

} // namespace

void knn(const float* points, size_t n, const float* queries, size_t q, int k, int32_t* indices, float* d2) {
    const bool self = queries == nullptr;
    if (self) {
        queries = points;
        q = n;
    }
    std::fill(indices, indices + q * size_t(k), -1);
    std::fill(d2, d2 + q * size_t(k), kInf);
    float lo[3], hi[3];
    bounds(points, n, lo, hi, "point");
    if (!self) {
        float qlo[3], qhi[3];
        bounds(queries, q, qlo, qhi, "query");
    }
    if (n == 0 || q == 0) return;

    // The grid: a first resolution, refined from how many cells the points occupy.
    const int r0 = kern::knn_initial_resolution(n, k);
    int resolution = r0;
    const size_t occupied0 = occupied_cells(kern::knn_grid_for(lo, hi, r0), points, n);
    if (double(n) / double(occupied0) > 2.0 * kern::knn_target_occupancy(k)) {
        const size_t occupied1 = occupied_cells(kern::knn_grid_for(lo, hi, 2 * r0), points, n);
        resolution = kern::knn_refined_resolution(n, k, r0, occupied0, occupied1);
    }
    kern::KnnGrid g = kern::knn_grid_for(lo, hi, resolution);

    // Points sorted by (cell, index), cells numbered in that order.
    std::vector<std::pair<uint64_t, int32_t>> order(n);
    parallel_for_each(n, 4096, [&](size_t i) { order[i] = {kern::knn_point_key(g, points + 3 * i), int32_t(i)}; });
    std::sort(order.begin(), order.end());
    std::vector<float> sorted(3 * n);
    std::vector<int32_t> ids(n);
    std::vector<uint32_t> start;
    std::vector<uint64_t> cell_keys;
    for (size_t s = 0; s < n; ++s) {
        if (s == 0 || order[s].first != order[s - 1].first) {
            start.push_back(uint32_t(s));
            cell_keys.push_back(order[s].first);
        }
        ids[s] = order[s].second;
        for (int a = 0; a < 3; ++a) sorted[3 * s + a] = points[3 * size_t(order[s].second) + a];
    }
    start.push_back(uint32_t(n));
    const uint32_t cap = table_capacity(cell_keys.size());
    std::vector<uint64_t> table_keys(cap, kern::kKnnEmptyKey);
    std::vector<uint32_t> table_cells(cap, 0);
    for (size_t c = 0; c < cell_keys.size(); ++c) {
        uint32_t s = kern::knn_table_slot(cell_keys[c], cap - 1);
        while (table_keys[s] != kern::kKnnEmptyKey) s = (s + 1) & (cap - 1);
        table_keys[s] = cell_keys[c];
        table_cells[s] = uint32_t(c);
    }
    g.table_keys = table_keys.data();
    g.table_cells = table_cells.data();
    g.mask = cap - 1;
    g.cell_start = start.data();
    g.points = sorted.data();
    g.ids = ids.data();

    // Queries that are the points go in cell order, so neighbouring queries share cells in cache.
    parallel_for_each(q, 256, [&](size_t t) {
        const size_t i = self ? size_t(ids[t]) : t;
        float best_d2[kern::kKnnMaxK];
        int32_t best_id[kern::kKnnMaxK];
        const int found = kern::knn_search(g, (self ? sorted.data() + 3 * t : queries + 3 * i), self ? int64_t(i) : -1,
                                           k, best_d2, best_id);
        for (int s = 0; s < found; ++s) {
            indices[i * size_t(k) + s] = best_id[s];
            d2[i * size_t(k) + s] = best_d2[s];
        }
    });
}

// Point by point, slot by slot, every channel of a slot at once: per channel, in slot order, the
// steps of kern::neighbour_reduce (a tie keeps the earlier slot), written without branches so the
// channel loop vectorises.
template <class T, kern::NeighbourMessage M, kern::NeighbourReduce R>
void reduce_point(const T* values, int channels, size_t i, const int32_t* row, const T* w, int k, T* __restrict acc,
                  int32_t* __restrict am, T* __restrict o) {
    for (int c = 0; c < channels; ++c) {
        acc[c] = T(0);
        am[c] = -1;
    }
    const T* __restrict xi = values + i * size_t(channels);
    int valid = 0;
    for (int s = 0; s < k; ++s) {
        if (row[s] < 0) continue;
        const T ws = w ? w[s] : T(1);
        const int64_t j = row[s], edge = int64_t(i) * k + s;
        const T* __restrict xj = values + size_t(M == kern::NeighbourMessage::Edge ? edge : j) * size_t(channels);
        // w_is * v_isc (kern::neighbour_value of this message kind).
        auto message = [&](int c) { return ws * (M == kern::NeighbourMessage::Difference ? xj[c] - xi[c] : xj[c]); };
        if (R == kern::NeighbourReduce::Max) {
            if (valid == 0) {
                for (int c = 0; c < channels; ++c) {
                    acc[c] = message(c);
                    am[c] = s;
                }
            } else {
                for (int c = 0; c < channels; ++c) {
                    const T v = message(c), a = acc[c];
                    const int32_t take = v > a ? -1 : 0; // all bits set where the slot wins
                    acc[c] = v > a ? v : a;
                    am[c] = (am[c] & ~take) | (int32_t(s) & take);
                }
            }
        } else {
            for (int c = 0; c < channels; ++c) acc[c] += message(c);
        }
        ++valid;
    }
    for (int c = 0; c < channels; ++c) o[c] = kern::neighbour_reduce_finish(R, acc[c], am[c], valid);
}

template <class T>
void aggregate(kern::NeighbourMessage m, kern::NeighbourReduce r, const T* values, int channels, const int32_t* ids,
               size_t n, int k, const T* weights, T* out, int stride, int col, int32_t* argmax) {
    auto run = [&](auto message, auto reduce) {
        constexpr kern::NeighbourMessage M = decltype(message)::value;
        constexpr kern::NeighbourReduce R = decltype(reduce)::value;
        cpu_pool().parallel_for(n, 256, [&](size_t b, size_t e, int) {
            std::vector<T> acc(static_cast<size_t>(channels));
            std::vector<int32_t> am(static_cast<size_t>(channels));
            for (size_t i = b; i < e; ++i) {
                reduce_point<T, M, R>(values, channels, i, ids + i * size_t(k),
                                      weights ? weights + i * size_t(k) : nullptr, k, acc.data(), am.data(),
                                      out + i * size_t(stride) + col);
                if (argmax) std::copy(am.begin(), am.end(), argmax + i * size_t(channels));
            }
        });
    };
    using Msg = kern::NeighbourMessage;
    using Red = kern::NeighbourReduce;
    auto with_reduce = [&](auto message) {
        if (r == Red::Max)
            run(message, std::integral_constant<Red, Red::Max>{});
        else
            run(message, std::integral_constant<Red, Red::Mean>{});
    };
    switch (m) {
    case Msg::Neighbour:
        with_reduce(std::integral_constant<Msg, Msg::Neighbour>{});
        break;
    case Msg::Difference:
        with_reduce(std::integral_constant<Msg, Msg::Difference>{});
        break;
    default:
        with_reduce(std::integral_constant<Msg, Msg::Edge>{});
        break;
    }
}

template <class T>
void aggregate_backward(kern::NeighbourMessage m, kern::NeighbourReduce r, const T* values, int channels,
                        const int32_t* ids, size_t n, int k, const T* weights, const int32_t* argmax,
                        const T* d_out_window, int stride, int col, T* d_values, T* d_weights) {
    const T* d_out = d_out_window + col; // row i at d_out + i * stride
    std::vector<int> valid(n);
    parallel_for_each(n, 1024, [&](size_t i) { valid[i] = valid_slots(ids + i * size_t(k), k); });
    auto arg = [&](size_t i, int c) { return argmax ? argmax[i * size_t(channels) + c] : int32_t(-1); };
    // The coefficients d_out_ic * d out_ic / d v_isc of edge e = i * k + s, all channels.
    auto coef_row = [&](size_t e, T* row) {
        const size_t i = e / size_t(k);
        const int s = int(e % size_t(k));
        const T w = weights ? weights[e] : T(1);
        const T* g = d_out + i * size_t(stride);
        if (r == kern::NeighbourReduce::Max) {
            const int32_t* am = argmax + i * size_t(channels);
            for (int c = 0; c < channels; ++c) row[c] = am[c] == s ? g[c] * w : T(0);
        } else {
            const T f = kern::neighbour_value_grad(r, w, s, -1, valid[i]);
            for (int c = 0; c < channels; ++c) row[c] = g[c] * f;
        }
    };
    if (d_weights)
        parallel_for_each(n, 256, [&](size_t i) {
            for (int s = 0; s < k; ++s) {
                const size_t e = i * size_t(k) + size_t(s);
                if (ids[e] < 0) continue;
                T sum = T(0);
                for (int c = 0; c < channels; ++c) {
                    const T g =
                        d_out[i * size_t(stride) + c] * kern::neighbour_value_grad(r, T(1), s, arg(i, c), valid[i]);
                    if (g != T(0)) sum += g * kern::neighbour_value(m, values, channels, int64_t(i), ids[e], e, c);
                }
                d_weights[e] += sum;
            }
        });
    if (!d_values) return;
    if (m == kern::NeighbourMessage::Edge) {
        cpu_pool().parallel_for(n * size_t(k), 1024, [&](size_t eb, size_t ee, int) {
            std::vector<T> row(static_cast<size_t>(channels));
            for (size_t e = eb; e < ee; ++e) {
                if (ids[e] < 0) continue;
                coef_row(e, row.data());
                T* d = d_values + e * size_t(channels);
                for (int c = 0; c < channels; ++c) d[c] += row[c];
            }
        });
        return;
    }
    const bool difference = m == kern::NeighbourMessage::Difference;
    if (!(difference && r == kern::NeighbourReduce::Max)) {
        scatter_to_points(ids, n, k, channels, 1, difference ? -1 : 0, coef_row, d_values);
        return;
    }
    // A maximum's centre term has one nonzero slot per channel, the winner: added straight from the
    // argmax after the neighbour terms (the order scatter_to_points sums them in).
    scatter_to_points(ids, n, k, channels, 1, 0, coef_row, d_values);
    parallel_for_each(n, 256, [&](size_t i) {
        const int32_t* am = argmax + i * size_t(channels);
        const T* g = d_out + i * size_t(stride);
        T* d = d_values + i * size_t(channels);
        for (int c = 0; c < channels; ++c) {
            if (am[c] < 0) continue;
            const T w = weights ? weights[i * size_t(k) + size_t(am[c])] : T(1);
            d[c] += T(-1) * (g[c] * w);
        }
    });
}

template <class T>
void gather_edges(kern::NeighbourMessage m, const T* values, int channels, const int32_t* ids, size_t n, int k,
                  T* edges, int stride, int col) {
    parallel_for_each(n * size_t(k), 1024, [&](size_t e) {
        T* out = edges + e * size_t(stride) + col;
        const int32_t j = ids[e];
        const size_t i = e / size_t(k);
        for (int c = 0; c < channels; ++c)
            out[c] = j < 0 ? T(0) : kern::neighbour_value(m, values, channels, int64_t(i), j, int64_t(e), c);
    });
}

template <class T>
void gather_edges_backward(kern::NeighbourMessage m, int channels, const int32_t* ids, size_t n, int k,
                           const T* d_edges, int stride, int col, T* d_values) {
    auto coef_row = [&](size_t e, T* row) {
        const T* src = d_edges + e * size_t(stride) + col;
        for (int c = 0; c < channels; ++c) row[c] = src[c];
    };
    const int neighbour = m == kern::NeighbourMessage::Centre ? 0 : 1;
    const int centre = m == kern::NeighbourMessage::Neighbour ? 0 : (m == kern::NeighbourMessage::Centre ? 1 : -1);
    scatter_to_points(ids, n, k, channels, neighbour, centre, coef_row, d_values);
}

#define SPLATSCAPE_INSTANTIATE(T)                                                                                      \
    template void aggregate<T>(kern::NeighbourMessage, kern::NeighbourReduce, const T*, int, const int32_t*, size_t,   \
                               int, const T*, T*, int, int, int32_t*);                                                 \
    template void aggregate_backward<T>(kern::NeighbourMessage, kern::NeighbourReduce, const T*, int, const int32_t*,  \
                                        size_t, int, const T*, const int32_t*, const T*, int, int, T*, T*);            \
    template void gather_edges<T>(kern::NeighbourMessage, const T*, int, const int32_t*, size_t, int, T*, int, int);   \
    template void gather_edges_backward<T>(kern::NeighbourMessage, int, const int32_t*, size_t, int, const T*, int,    \
                                           int, T*);
SPLATSCAPE_INSTANTIATE(float)
SPLATSCAPE_INSTANTIATE(double)
#undef SPLATSCAPE_INSTANTIATE

} // namespace cpu

namespace {

constexpr Device kCpu = Device::Cpu;

void check_k(int k, const char* op) {
    if (k < 1 || k > kern::kKnnMaxK) throw Error(cat(op, ": k = ", k, " is out of range (1 to ", kern::kKnnMaxK, ")"));
}

// values [N, C] or [N * k, C] for Edge messages; returns C.
int check_values(kern::NeighbourMessage m, const Tensor& values, const Tensor& indices, const char* op,
                 const char* name) {
    const size_t rows = m == kern::NeighbourMessage::Edge ? indices.rows() * size_t(indices.cols()) : indices.rows();
    ops_check::shape(values, rows, values.cols(), kCpu, DType::F32, op, name);
    return values.cols();
}

void check_message(kern::NeighbourMessage m, bool edge_allowed, bool centre_allowed, const char* op) {
    const int v = int(m);
    const bool ok = v >= 0 && v <= 3 && (edge_allowed || m != kern::NeighbourMessage::Edge) &&
                    (centre_allowed || m != kern::NeighbourMessage::Centre);
    if (!ok) throw Error(cat(op, ": message kind ", v, " is not supported here"));
}

void check_indices(const Tensor& indices, const char* op) {
    ops_check::shape(indices, SIZE_MAX, indices.cols(), kCpu, DType::I32, op, "indices");
    check_k(indices.cols(), op);
}

// Neighbour indices name rows of a tensor with n rows.
void check_index_values(const Tensor& indices, size_t n, const char* op) {
    const int32_t* p = indices.i32();
    for (size_t e = 0; e < indices.numel(); ++e)
        if (p[e] >= 0 && size_t(p[e]) >= n)
            throw Error(cat(op, ": neighbour index ", p[e], " (entry ", e, ") is outside the ", n, " points"));
}

} // namespace

KnnResult NeighbourOpsCpu::knn(const Tensor& points, int k, const Tensor* queries) {
    const char* op = "knn";
    check_k(k, op);
    ops_check::shape(points, SIZE_MAX, 3, kCpu, DType::F32, op, "points");
    if (queries) ops_check::shape(*queries, SIZE_MAX, 3, kCpu, DType::F32, op, "queries");
    const size_t q = queries ? queries->rows() : points.rows();
    KnnResult r{m_backend.zeros(q, k, DType::I32), m_backend.zeros(q, k)};
    cpu::knn(points.f32(), points.rows(), queries ? queries->f32() : nullptr, q, k, r.indices.i32(), r.d2.f32());
    return r;
}

Tensor NeighbourOpsCpu::inverse_distance_weights(const Tensor& indices, const Tensor& d2, float eps, bool normalise) {
    const char* op = "inverse_distance_weights";
    check_indices(indices, op);
    const int k = indices.cols();
    ops_check::shape(d2, indices.rows(), k, kCpu, DType::F32, op, "d2");
    Tensor w = m_backend.zeros(indices.rows(), k);
    const int32_t* ids = indices.i32();
    const float* d = d2.f32();
    float* out = w.f32();
    cpu::parallel_for_each(indices.rows(), 1024, [&](size_t i) {
        kern::inverse_distance_weights(ids + i * k, d + i * k, k, eps, normalise, out + i * k);
    });
    return w;
}

Tensor NeighbourOpsCpu::pca_curvature(const Tensor& points, const Tensor& indices) {
    const char* op = "pca_curvature";
    check_indices(indices, op);
    ops_check::shape(points, indices.rows(), 3, kCpu, DType::F32, op, "points");
    check_index_values(indices, points.rows(), op);
    Tensor out = m_backend.zeros(points.rows(), 1);
    const int k = indices.cols();
    const int32_t* ids = indices.i32();
    const float* p = points.f32();
    float* c = out.f32();
    cpu::parallel_for_each(points.rows(), 512,
                           [&](size_t i) { c[i] = kern::pca_curvature<float>(p, int64_t(i), ids + i * k, k); });
    return out;
}

Tensor NeighbourOpsCpu::pca_frames(const Tensor& points, const Tensor& indices) {
    const char* op = "pca_frames";
    check_indices(indices, op);
    ops_check::shape(points, indices.rows(), 3, kCpu, DType::F32, op, "points");
    check_index_values(indices, points.rows(), op);
    Tensor out = m_backend.zeros(points.rows(), 4);
    const int k = indices.cols();
    const int32_t* ids = indices.i32();
    const float* p = points.f32();
    float* q = out.f32();
    cpu::parallel_for_each(points.rows(), 512, [&](size_t i) {
        const kern::Quat<double> f = kern::pca_frame<double>(p, int64_t(i), ids + i * k, k);
        q[4 * i] = float(f.w), q[4 * i + 1] = float(f.x), q[4 * i + 2] = float(f.y), q[4 * i + 3] = float(f.z);
    });
    return out;
}

void NeighbourOpsCpu::aggregate(kern::NeighbourMessage message, kern::NeighbourReduce reduce, const Tensor& values,
                                const Tensor& indices, const Tensor* weights, Tensor& out, int col, Tensor* argmax) {
    const char* op = "aggregate";
    check_message(message, true, false, op);
    check_indices(indices, op);
    const size_t n = indices.rows();
    const int k = indices.cols();
    const int channels = check_values(message, values, indices, op, "values");
    check_index_values(indices, n, op);
    if (weights) ops_check::shape(*weights, n, k, kCpu, DType::F32, op, "weights");
    ops_check::window(out, n, col, channels, kCpu, op, "out");
    if (argmax) ops_check::shape(*argmax, n, channels, kCpu, DType::I32, op, "argmax");
    cpu::aggregate(message, reduce, values.f32(), channels, indices.i32(), n, k, weights ? weights->f32() : nullptr,
                   out.f32(), out.cols(), col, argmax ? argmax->i32() : nullptr);
}

void NeighbourOpsCpu::aggregate_backward(kern::NeighbourMessage message, kern::NeighbourReduce reduce,
                                         const Tensor& values, const Tensor& indices, const Tensor* weights,
                                         const Tensor* argmax, const Tensor& d_out, int col, Tensor* d_values,
                                         Tensor* d_weights) {
    const char* op = "aggregate_backward";
    check_message(message, true, false, op);
    check_indices(indices, op);
    const size_t n = indices.rows();
    const int k = indices.cols();
    const int channels = check_values(message, values, indices, op, "values");
    check_index_values(indices, n, op);
    if (weights) ops_check::shape(*weights, n, k, kCpu, DType::F32, op, "weights");
    if (reduce == kern::NeighbourReduce::Max) {
        if (!argmax) throw Error(cat(op, ": the maximum's backward needs the argmax its forward recorded"));
        ops_check::shape(*argmax, n, channels, kCpu, DType::I32, op, "argmax");
    }
    ops_check::window(d_out, n, col, channels, kCpu, op, "d_out");
    if (d_values) ops_check::shape(*d_values, values.rows(), channels, kCpu, DType::F32, op, "d_values");
    if (d_weights) ops_check::shape(*d_weights, n, k, kCpu, DType::F32, op, "d_weights");
    cpu::aggregate_backward(message, reduce, values.f32(), channels, indices.i32(), n, k,
                            weights ? weights->f32() : nullptr,
                            reduce == kern::NeighbourReduce::Max ? argmax->i32() : nullptr, d_out.f32(), d_out.cols(),
                            col, d_values ? d_values->f32() : nullptr, d_weights ? d_weights->f32() : nullptr);
}

void NeighbourOpsCpu::gather_edges(kern::NeighbourMessage message, const Tensor& values, const Tensor& indices,
                                   Tensor& edges, int col) {
    const char* op = "gather_edges";
    check_message(message, false, true, op);
    check_indices(indices, op);
    const size_t n = indices.rows();
    const int k = indices.cols();
    ops_check::shape(values, n, values.cols(), kCpu, DType::F32, op, "values");
    check_index_values(indices, n, op);
    ops_check::window(edges, n * size_t(k), col, values.cols(), kCpu, op, "edges");
    cpu::gather_edges(message, values.f32(), values.cols(), indices.i32(), n, k, edges.f32(), edges.cols(), col);
}

void NeighbourOpsCpu::gather_edges_backward(kern::NeighbourMessage message, const Tensor& indices,
                                            const Tensor& d_edges, int col, Tensor& d_values) {
    const char* op = "gather_edges_backward";
    check_message(message, false, true, op);
    check_indices(indices, op);
    const size_t n = indices.rows();
    const int k = indices.cols();
    ops_check::shape(d_values, n, d_values.cols(), kCpu, DType::F32, op, "d_values");
    check_index_values(indices, n, op);
    ops_check::window(d_edges, n * size_t(k), col, d_values.cols(), kCpu, op, "d_edges");
    cpu::gather_edges_backward(message, d_values.cols(), indices.i32(), n, k, d_edges.f32(), d_edges.cols(), col,
                               d_values.f32());
}

void NeighbourOpsCpu::max_rows(const Tensor& values, const RowSelection& rows, Tensor& out, Tensor& argmax) {
    const char* op = "max_rows";
    ops_check::shape(values, SIZE_MAX, values.cols(), kCpu, DType::F32, op, "values");
    const int channels = values.cols();
    ops_check::shape(out, 1, channels, kCpu, DType::F32, op, "out");
    ops_check::shape(argmax, 1, channels, kCpu, DType::I32, op, "argmax");
    const kern::RowSpan span = ops_check::rows(rows, values.rows(), kCpu, op);
    cpu::check_row_list(span, values.rows(), false, op);
    // Per chunk of the selection the first maximum of every channel; chunks combined in order.
    constexpr size_t kChunk = 4096;
    const size_t chunks = (span.count + kChunk - 1) / kChunk;
    std::vector<float> best(chunks * channels);
    std::vector<int64_t> where(chunks * channels, -1);
    const float* v = values.f32();
    cpu::parallel_for_each(chunks, 1, [&](size_t ch) {
        float* b = best.data() + ch * channels;
        int64_t* w = where.data() + ch * channels;
        for (size_t i = ch * kChunk; i < std::min(span.count, (ch + 1) * kChunk); ++i) {
            const int64_t r = span.row(i);
            const float* row = v + size_t(r) * channels;
            for (int c = 0; c < channels; ++c)
                if (w[c] < 0 || row[c] > b[c]) {
                    b[c] = row[c];
                    w[c] = r;
                }
        }
    });
    for (int c = 0; c < channels; ++c) {
        float b = 0.0f;
        int64_t w = -1;
        for (size_t ch = 0; ch < chunks; ++ch)
            if (where[ch * channels + c] >= 0 && (w < 0 || best[ch * channels + c] > b)) {
                b = best[ch * channels + c];
                w = where[ch * channels + c];
            }
        out.f32()[c] = b;
        argmax.i32()[c] = int32_t(w);
    }
}

void NeighbourOpsCpu::max_rows_backward(const Tensor& argmax, const Tensor& d_out, Tensor& d_values) {
    const char* op = "max_rows_backward";
    const int channels = d_values.cols();
    ops_check::shape(d_values, SIZE_MAX, channels, kCpu, DType::F32, op, "d_values");
    ops_check::shape(argmax, 1, channels, kCpu, DType::I32, op, "argmax");
    ops_check::shape(d_out, 1, channels, kCpu, DType::F32, op, "d_out");
    for (int c = 0; c < channels; ++c) {
        const int32_t r = argmax.i32()[c];
        if (r < 0) continue;
        if (size_t(r) >= d_values.rows())
            throw Error(cat(op, ": argmax row ", r, " is outside the ", d_values.rows(), " rows of d_values"));
        d_values.f32()[size_t(r) * channels + c] += d_out.f32()[c];
    }
}

} // namespace splatscape
