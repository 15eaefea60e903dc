// Kernels and host side of NeighbourOpsCuda (neighbour_ops_cuda.hpp), over the per-element functions
// of training/kernels/knn.hpp, curvature.hpp and aggregate.hpp.
#include <cuda_runtime.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <vector>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/cuda/device_memory_cuda.hpp"
#include "training/cuda/neighbour_ops_cuda.hpp"
#include "training/cuda/rasterize_cuda.hpp"
#include "training/kernels/curvature.hpp"

namespace splatscape {
namespace {

constexpr int kThreads = 256;
constexpr int kBoundsBlocks = 1024;
constexpr Device kCuda = Device::Cuda;

unsigned blocks_for(size_t n, int threads = kThreads) {
    return unsigned((n + size_t(threads) - 1) / size_t(threads));
}

#define SPLATSCAPE_GRID_LOOP(i, n)                                                                                     \
    for (size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x; i < (n); i += size_t(gridDim.x) * blockDim.x)

unsigned grid_for(size_t n) {
    return std::max(1u, std::min(blocks_for(n), 65535u * 8u));
}

void use_device(int device) {
    int current = -1;
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&current));
    if (current != device) SPLATSCAPE_CUDA_CHECK(cudaSetDevice(device));
}

uint32_t table_capacity(size_t entries) {
    uint32_t c = 16;
    while (c < 2 * entries) c <<= 1;
    return c;
}

// ---- kNN ------------------------------------------------------------------------------------

// Per block: min x y z, max x y z, and 1 when a coordinate is not finite. [gridDim.x, 7]
__global__ void bounds_kernel(const float* p, size_t n, float* out) {
    __shared__ float s[7][kThreads];
    float v[7] = {INFINITY, INFINITY, INFINITY, -INFINITY, -INFINITY, -INFINITY, 0.0f};
    SPLATSCAPE_GRID_LOOP(i, n) {
        for (int a = 0; a < 3; ++a) {
            const float x = p[3 * i + a];
            if (!isfinite(x)) v[6] = 1.0f;
            v[a] = fminf(v[a], x);
            v[3 + a] = fmaxf(v[3 + a], x);
        }
    }
    for (int j = 0; j < 7; ++j) s[j][threadIdx.x] = v[j];
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride) {
            for (int a = 0; a < 3; ++a) {
                s[a][threadIdx.x] = fminf(s[a][threadIdx.x], s[a][threadIdx.x + stride]);
                s[3 + a][threadIdx.x] = fmaxf(s[3 + a][threadIdx.x], s[3 + a][threadIdx.x + stride]);
            }
            s[6][threadIdx.x] = fmaxf(s[6][threadIdx.x], s[6][threadIdx.x + stride]);
        }
        __syncthreads();
    }
    if (threadIdx.x == 0)
        for (int j = 0; j < 7; ++j) out[size_t(blockIdx.x) * 7 + j] = s[j][0];
}

__global__ void count_cells_kernel(kern::KnnGrid g, const float* p, size_t n, unsigned long long* set, uint32_t mask,
                                   unsigned long long* count) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        const unsigned long long key = kern::knn_point_key(g, p + 3 * i);
        for (uint32_t s = kern::knn_table_slot(key, mask);; s = (s + 1) & mask) {
            const unsigned long long prev = atomicCAS(set + s, (unsigned long long)kern::kKnnEmptyKey, key);
            if (prev == (unsigned long long)kern::kKnnEmptyKey) {
                atomicAdd(count, 1ull);
                break;
            }
            if (prev == key) break;
        }
    }
}

__global__ void point_keys_kernel(kern::KnnGrid g, const float* p, size_t n, uint64_t* keys, uint32_t* ids) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        keys[i] = kern::knn_point_key(g, p + 3 * i);
        ids[i] = uint32_t(i);
    }
}

// flags[s] = 1 where a cell starts in the sorted keys; the sorted points gathered.
__global__ void cell_flags_kernel(const uint64_t* keys, const uint32_t* ids, const float* p, size_t n, uint64_t* flags,
                                  float* sorted) {
    SPLATSCAPE_GRID_LOOP(s, n) {
        flags[s] = s == 0 || keys[s] != keys[s - 1] ? 1 : 0;
        const uint32_t i = ids[s];
        for (int a = 0; a < 3; ++a) sorted[3 * s + a] = p[3 * size_t(i) + a];
    }
}

// For every cell start s (cell c = scan[s] - 1): start[c] = s and the table maps its key to c.
__global__ void cell_table_kernel(const uint64_t* keys, const uint64_t* flags, const uint64_t* scan, size_t n,
                                  uint32_t* start, unsigned long long* table_keys, uint32_t* table_cells,
                                  uint32_t mask) {
    SPLATSCAPE_GRID_LOOP(s, n) {
        if (!flags[s]) continue;
        const uint32_t cell = uint32_t(scan[s] - 1);
        start[cell] = uint32_t(s);
        const unsigned long long key = keys[s];
        for (uint32_t t = kern::knn_table_slot(key, mask);; t = (t + 1) & mask) {
            if (atomicCAS(table_keys + t, (unsigned long long)kern::kKnnEmptyKey, key) ==
                (unsigned long long)kern::kKnnEmptyKey) {
                table_cells[t] = cell;
                break;
            }
        }
    }
}

__global__ void knn_query_kernel(kern::KnnGrid g, bool self, const float* queries, size_t q, int k, int32_t* indices,
                                 float* d2) {
    const size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= q) return;
    // Queries that are the points go in cell order: a warp's queries share cells.
    const size_t i = self ? size_t(g.ids[t]) : t;
    const float* qp = self ? g.points + 3 * t : queries + 3 * t;
    float best_d2[kern::kKnnMaxK];
    int32_t best_id[kern::kKnnMaxK];
    const int found = kern::knn_search(g, qp, self ? int64_t(i) : -1, k, best_d2, best_id);
    for (int s = 0; s < k; ++s) {
        indices[i * size_t(k) + s] = s < found ? best_id[s] : -1;
        d2[i * size_t(k) + s] = s < found ? best_d2[s] : INFINITY;
    }
}

template <class T>
__global__ void fill_kernel(T* data, size_t n, T value) {
    SPLATSCAPE_GRID_LOOP(i, n) data[i] = value;
}

// ---- per-point ops --------------------------------------------------------------------------

// Row i of a neighbour list with indices outside [0, n) replaced by -1. Returns k.
__device__ __forceinline__ int neighbour_row(const int32_t* ids, size_t i, int k, size_t n, int32_t* row) {
    for (int s = 0; s < k; ++s) {
        const int32_t j = ids[i * size_t(k) + s];
        row[s] = j >= 0 && size_t(j) < n ? j : -1;
    }
    return k;
}

__global__ void weights_kernel(const int32_t* ids, const float* d2, size_t n, int k, float eps, bool normalise,
                               float* w) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        kern::inverse_distance_weights(ids + i * k, d2 + i * k, k, eps, normalise, w + i * k);
    }
}

__global__ void curvature_kernel(const float* points, const int32_t* ids, size_t n, int k, float* out) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        int32_t row[kern::kKnnMaxK];
        neighbour_row(ids, i, k, n, row);
        out[i] = kern::pca_curvature<float>(points, int64_t(i), row, k);
    }
}

__global__ void frames_kernel(const float* points, const int32_t* ids, size_t n, int k, float* out) {
    SPLATSCAPE_GRID_LOOP(i, n) {
        int32_t row[kern::kKnnMaxK];
        neighbour_row(ids, i, k, n, row);
        const kern::Quat<double> f = kern::pca_frame<double>(points, int64_t(i), row, k);
        out[4 * i] = float(f.w), out[4 * i + 1] = float(f.x), out[4 * i + 2] = float(f.y), out[4 * i + 3] = float(f.z);
    }
}

__global__ void aggregate_kernel(kern::NeighbourMessage m, kern::NeighbourReduce r, const float* x, int C,
                                 const int32_t* ids, size_t n, int k, const float* w, float* out, int stride, int col,
                                 int32_t* argmax) {
    SPLATSCAPE_GRID_LOOP(e, n * size_t(C)) {
        const size_t i = e / size_t(C);
        const int c = int(e - i * size_t(C));
        int32_t row[kern::kKnnMaxK];
        neighbour_row(ids, i, k, n, row);
        const auto red = kern::neighbour_reduce(m, r, x, C, int64_t(i), row, w ? w + i * k : nullptr, k, c);
        out[i * stride + col + c] = red.value;
        if (argmax) argmax[e] = red.argmax;
    }
}

__device__ __forceinline__ int valid_slots(const int32_t* row, int k) {
    int v = 0;
    for (int s = 0; s < k; ++s) v += row[s] >= 0;
    return v;
}

// d_weights[i, s] += sum_c d_out[i, c] * (d out_ic / d w_is).
__global__ void aggregate_weights_grad_kernel(kern::NeighbourMessage m, kern::NeighbourReduce r, const float* x, int C,
                                              const int32_t* ids, size_t n, int k, const int32_t* argmax,
                                              const float* d_out, int stride, float* d_w) {
    SPLATSCAPE_GRID_LOOP(e, n * size_t(k)) {
        const size_t i = e / size_t(k);
        const int s = int(e - i * size_t(k));
        int32_t row[kern::kKnnMaxK];
        neighbour_row(ids, i, k, n, row);
        if (row[s] < 0) continue;
        const int valid = valid_slots(row, k);
        float sum = 0.0f;
        for (int c = 0; c < C; ++c) {
            const int32_t am = argmax ? argmax[i * C + c] : -1;
            const float g = d_out[i * stride + c] * kern::neighbour_value_grad(r, 1.0f, s, am, valid);
            if (g != 0.0f) sum += g * kern::neighbour_value(m, x, C, int64_t(i), int64_t(row[s]), int64_t(e), c);
        }
        d_w[e] += sum;
    }
}

// The gradient of the values: edge rows directly, points by atomic adds (a point is the neighbour
// of many).
__global__ void aggregate_values_grad_kernel(kern::NeighbourMessage m, kern::NeighbourReduce r, int C,
                                             const int32_t* ids, size_t n, int k, const float* w, const int32_t* argmax,
                                             const float* d_out, int stride, float* d_x) {
    SPLATSCAPE_GRID_LOOP(e, n * size_t(C)) {
        const size_t i = e / size_t(C);
        const int c = int(e - i * size_t(C));
        int32_t row[kern::kKnnMaxK];
        neighbour_row(ids, i, k, n, row);
        const int valid = valid_slots(row, k);
        const int32_t am = argmax ? argmax[e] : -1;
        const float g = d_out[i * stride + c];
        float own = 0.0f;
        for (int s = 0; s < k; ++s) {
            if (row[s] < 0) continue;
            const float coef = g * kern::neighbour_value_grad(r, w ? w[i * k + s] : 1.0f, s, am, valid);
            if (coef == 0.0f) continue;
            if (m == kern::NeighbourMessage::Edge) {
                d_x[(i * size_t(k) + s) * C + c] += coef;
            } else {
                atomicAdd(d_x + size_t(row[s]) * C + c, coef);
                own += coef;
            }
        }
        if (m == kern::NeighbourMessage::Difference && own != 0.0f) atomicAdd(d_x + i * C + c, -own);
    }
}

__global__ void gather_edges_kernel(kern::NeighbourMessage m, const float* x, int C, const int32_t* ids, size_t n,
                                    int k, float* edges, int stride, int col) {
    SPLATSCAPE_GRID_LOOP(e, n * size_t(k) * C) {
        const size_t edge = e / size_t(C);
        const int c = int(e - edge * size_t(C));
        const size_t i = edge / size_t(k);
        const int32_t j = ids[edge];
        const bool ok = j >= 0 && size_t(j) < n;
        edges[edge * stride + col + c] =
            ok ? kern::neighbour_value(m, x, C, int64_t(i), int64_t(j), int64_t(edge), c) : 0.0f;
    }
}

__global__ void gather_edges_grad_kernel(kern::NeighbourMessage m, int C, const int32_t* ids, size_t n, int k,
                                         const float* d_edges, int stride, int col, float* d_x) {
    SPLATSCAPE_GRID_LOOP(e, n * size_t(k) * C) {
        const size_t edge = e / size_t(C);
        const int c = int(e - edge * size_t(C));
        const size_t i = edge / size_t(k);
        const int32_t j = ids[edge];
        if (j < 0 || size_t(j) >= n) continue;
        const float g = d_edges[edge * stride + col + c];
        if (g == 0.0f) continue;
        if (m != kern::NeighbourMessage::Centre) atomicAdd(d_x + size_t(j) * C + c, g);
        if (m == kern::NeighbourMessage::Centre) atomicAdd(d_x + i * C + c, g);
        if (m == kern::NeighbourMessage::Difference) atomicAdd(d_x + i * C + c, -g);
    }
}

// One block per channel: the first maximum in selection order.
__global__ void max_rows_kernel(const float* v, int C, kern::RowSpan rows, size_t n, float* out, int32_t* argmax) {
    __shared__ float best[kThreads];
    __shared__ long long pos[kThreads];
    const int c = int(blockIdx.x);
    float b = 0.0f;
    long long p = -1;
    for (size_t t = threadIdx.x; t < rows.count; t += blockDim.x) {
        const int64_t r = rows.row(t);
        if (r < 0 || size_t(r) >= n) continue;
        const float x = v[size_t(r) * C + c];
        if (p < 0 || x > b) {
            b = x;
            p = (long long)t;
        }
    }
    best[threadIdx.x] = b;
    pos[threadIdx.x] = p;
    __syncthreads();
    for (int stride = blockDim.x / 2; stride > 0; stride /= 2) {
        if (threadIdx.x < stride) {
            const float ob = best[threadIdx.x + stride];
            const long long op = pos[threadIdx.x + stride];
            const long long mp = pos[threadIdx.x];
            if (op >= 0 && (mp < 0 || ob > best[threadIdx.x] || (ob == best[threadIdx.x] && op < mp))) {
                best[threadIdx.x] = ob;
                pos[threadIdx.x] = op;
            }
        }
        __syncthreads();
    }
    if (threadIdx.x == 0) {
        out[c] = pos[0] < 0 ? 0.0f : best[0];
        argmax[c] = pos[0] < 0 ? -1 : int32_t(rows.row(size_t(pos[0])));
    }
}

__global__ void max_rows_grad_kernel(const int32_t* argmax, const float* d_out, int C, size_t n, float* d_x) {
    const int c = int(blockIdx.x * blockDim.x + threadIdx.x);
    if (c >= C) return;
    const int32_t r = argmax[c];
    if (r >= 0 && size_t(r) < n) d_x[size_t(r) * C + c] += d_out[c];
}

// ---- checks ---------------------------------------------------------------------------------

void check_k(int k, const char* op) {
    if (k < 1 || k > kern::kKnnMaxK) throw Error(cat(op, ": k = ", k, " is out of range (1 to ", kern::kKnnMaxK, ")"));
}

void check_indices(const Tensor& indices, const char* op) {
    ops_check::shape(indices, SIZE_MAX, indices.cols(), kCuda, DType::I32, op, "indices");
    check_k(indices.cols(), op);
}

void check_message(kern::NeighbourMessage m, bool edge_allowed, bool centre_allowed, const char* op) {
    const int v = int(m);
    const bool ok = v >= 0 && v <= 3 && (edge_allowed || m != kern::NeighbourMessage::Edge) &&
                    (centre_allowed || m != kern::NeighbourMessage::Centre);
    if (!ok) throw Error(cat(op, ": message kind ", v, " is not supported here"));
}

int check_values(kern::NeighbourMessage m, const Tensor& values, const Tensor& indices, const char* op,
                 const char* name) {
    const size_t rows = m == kern::NeighbourMessage::Edge ? indices.rows() * size_t(indices.cols()) : indices.rows();
    ops_check::shape(values, rows, values.cols(), kCuda, DType::F32, op, name);
    return values.cols();
}

} // namespace

struct NeighbourOpsCuda::Workspace {
    int device = 0;
    cuda::DeviceBuffer bounds, set, counter;
    cuda::DeviceBuffer keys[2], ids[2], sort_temp;
    cuda::DeviceBuffer flags, scan, scan_temp, sorted, start, table_keys, table_cells;
};

NeighbourOpsCuda::NeighbourOpsCuda(Backend& backend) : m_backend(backend), m_ws(std::make_unique<Workspace>()) {
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&m_ws->device));
}

NeighbourOpsCuda::~NeighbourOpsCuda() = default;

size_t NeighbourOpsCuda::occupied_cells(const float* points, size_t n, const float lo[3], const float hi[3],
                                        int resolution) {
    Workspace& w = *m_ws;
    const uint32_t cap = table_capacity(n);
    w.set.ensure(size_t(cap) * sizeof(uint64_t), "kNN cell set");
    w.counter.ensure(sizeof(unsigned long long), "kNN cell count");
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(w.set.get(), 0xff, size_t(cap) * sizeof(uint64_t), cudaStreamLegacy));
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(w.counter.get(), 0, sizeof(unsigned long long), cudaStreamLegacy));
    count_cells_kernel<<<grid_for(n), kThreads>>>(kern::knn_grid_for(lo, hi, resolution), points, n,
                                                  w.set.as<unsigned long long>(), cap - 1,
                                                  w.counter.as<unsigned long long>());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("count_cells_kernel");
    unsigned long long count = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&count, w.counter.get(), sizeof count, cudaMemcpyDeviceToHost));
    return size_t(count);
}

KnnResult NeighbourOpsCuda::knn(const Tensor& points, int k, const Tensor* queries) {
    const char* op = "knn";
    check_k(k, op);
    ops_check::shape(points, SIZE_MAX, 3, kCuda, DType::F32, op, "points");
    if (queries) ops_check::shape(*queries, SIZE_MAX, 3, kCuda, DType::F32, op, "queries");
    use_device(m_ws->device);
    Workspace& w = *m_ws;
    const size_t n = points.rows();
    const size_t q = queries ? queries->rows() : n;
    KnnResult result{m_backend.zeros(q, k, DType::I32), m_backend.zeros(q, k)};

    // Bounds, and the check for non-finite coordinates, of the points and the queries.
    auto bounds = [&](const Tensor& t, float lo[3], float hi[3], const char* what) {
        const size_t m = t.rows();
        for (int a = 0; a < 3; ++a) {
            lo[a] = std::numeric_limits<float>::max();
            hi[a] = -std::numeric_limits<float>::max();
        }
        if (m == 0) return;
        const unsigned blocks = std::min<unsigned>(blocks_for(m), kBoundsBlocks);
        w.bounds.ensure(size_t(blocks) * 7 * sizeof(float), "kNN bounds");
        bounds_kernel<<<blocks, kThreads>>>(t.f32(), m, w.bounds.as<float>());
        SPLATSCAPE_CUDA_CHECK_LAUNCH("bounds_kernel");
        std::vector<float> part(size_t(blocks) * 7);
        SPLATSCAPE_CUDA_CHECK(
            cudaMemcpy(part.data(), w.bounds.get(), part.size() * sizeof(float), cudaMemcpyDeviceToHost));
        for (unsigned b = 0; b < blocks; ++b) {
            if (part[b * 7 + 6] != 0.0f) throw Error(cat("knn: a ", what, " has a non-finite coordinate"));
            for (int a = 0; a < 3; ++a) {
                lo[a] = std::min(lo[a], part[b * 7 + a]);
                hi[a] = std::max(hi[a], part[b * 7 + 3 + a]);
            }
        }
    };
    float lo[3], hi[3];
    bounds(points, lo, hi, "point");
    if (queries) {
        float qlo[3], qhi[3];
        bounds(*queries, qlo, qhi, "query");
    }
    if (q == 0) return result;
    if (n == 0) {
        fill_kernel<<<grid_for(q * k), kThreads>>>(result.indices.i32(), q * size_t(k), int32_t(-1));
        fill_kernel<<<grid_for(q * k), kThreads>>>(result.d2.f32(), q * size_t(k), INFINITY);
        SPLATSCAPE_CUDA_CHECK_LAUNCH("fill_kernel");
        return result;
    }

    // The grid: the same resolution rule as the CPU.
    const int r0 = kern::knn_initial_resolution(n, k);
    int resolution = r0;
    const size_t occupied0 = occupied_cells(points.f32(), n, lo, hi, r0);
    if (double(n) / double(occupied0) > 2.0 * kern::knn_target_occupancy(k)) {
        const size_t occupied1 = occupied_cells(points.f32(), n, lo, hi, 2 * r0);
        resolution = kern::knn_refined_resolution(n, k, r0, occupied0, occupied1);
    }
    kern::KnnGrid g = kern::knn_grid_for(lo, hi, resolution);

    // Points sorted by cell (a stable radix sort keeps index order within a cell).
    for (int b = 0; b < 2; ++b) {
        w.keys[b].ensure(n * sizeof(uint64_t), "kNN keys");
        w.ids[b].ensure(n * sizeof(uint32_t), "kNN ids");
    }
    point_keys_kernel<<<grid_for(n), kThreads>>>(g, points.f32(), n, w.keys[0].as<uint64_t>(), w.ids[0].as<uint32_t>());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("point_keys_kernel");
    const size_t sort_bytes = cuda::sort_pairs_temp_bytes(n, 63);
    w.sort_temp.ensure(std::max<size_t>(sort_bytes, 1), "kNN sort");
    uint64_t* keys[2] = {w.keys[0].as<uint64_t>(), w.keys[1].as<uint64_t>()};
    uint32_t* ids[2] = {w.ids[0].as<uint32_t>(), w.ids[1].as<uint32_t>()};
    const int sel = cuda::sort_pairs(w.sort_temp.get(), sort_bytes, keys, ids, n, 63);
    const uint64_t* sorted_keys = keys[sel];
    const uint32_t* sorted_ids = ids[sel];

    // Cells: starts, and the hash table from cell key to cell number.
    w.flags.ensure(n * sizeof(uint64_t), "kNN cell flags");
    w.scan.ensure(n * sizeof(uint64_t), "kNN cell numbers");
    w.sorted.ensure(n * 3 * sizeof(float), "kNN sorted points");
    cell_flags_kernel<<<grid_for(n), kThreads>>>(sorted_keys, sorted_ids, points.f32(), n, w.flags.as<uint64_t>(),
                                                 w.sorted.as<float>());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("cell_flags_kernel");
    const size_t scan_bytes = cuda::inclusive_scan_temp_bytes(n);
    w.scan_temp.ensure(std::max<size_t>(scan_bytes, 1), "kNN scan");
    cuda::inclusive_scan(w.scan_temp.get(), scan_bytes, w.flags.as<uint64_t>(), w.scan.as<uint64_t>(), n);
    uint64_t cells = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&cells, w.scan.as<uint64_t>() + (n - 1), sizeof cells, cudaMemcpyDeviceToHost));
    const uint32_t cap = table_capacity(size_t(cells));
    w.start.ensure((size_t(cells) + 1) * sizeof(uint32_t), "kNN cell starts");
    w.table_keys.ensure(size_t(cap) * sizeof(uint64_t), "kNN cell table");
    w.table_cells.ensure(size_t(cap) * sizeof(uint32_t), "kNN cell table");
    SPLATSCAPE_CUDA_CHECK(cudaMemsetAsync(w.table_keys.get(), 0xff, size_t(cap) * sizeof(uint64_t), cudaStreamLegacy));
    const uint32_t end = uint32_t(n);
    SPLATSCAPE_CUDA_CHECK(
        cudaMemcpyAsync(w.start.as<uint32_t>() + cells, &end, sizeof end, cudaMemcpyHostToDevice, cudaStreamLegacy));
    cell_table_kernel<<<grid_for(n), kThreads>>>(sorted_keys, w.flags.as<uint64_t>(), w.scan.as<uint64_t>(), n,
                                                 w.start.as<uint32_t>(), w.table_keys.as<unsigned long long>(),
                                                 w.table_cells.as<uint32_t>(), cap - 1);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("cell_table_kernel");

    g.table_keys = w.table_keys.as<uint64_t>();
    g.table_cells = w.table_cells.as<uint32_t>();
    g.mask = cap - 1;
    g.cell_start = w.start.as<uint32_t>();
    g.points = w.sorted.as<float>();
    g.ids = reinterpret_cast<const int32_t*>(sorted_ids);
    knn_query_kernel<<<blocks_for(q, 128), 128>>>(g, queries == nullptr, queries ? queries->f32() : nullptr, q, k,
                                                  result.indices.i32(), result.d2.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("knn_query_kernel");
    return result;
}

Tensor NeighbourOpsCuda::inverse_distance_weights(const Tensor& indices, const Tensor& d2, float eps, bool normalise) {
    const char* op = "inverse_distance_weights";
    check_indices(indices, op);
    const int k = indices.cols();
    ops_check::shape(d2, indices.rows(), k, kCuda, DType::F32, op, "d2");
    use_device(m_ws->device);
    Tensor w = m_backend.zeros(indices.rows(), k);
    if (indices.rows() == 0) return w;
    weights_kernel<<<grid_for(indices.rows()), kThreads>>>(indices.i32(), d2.f32(), indices.rows(), k, eps, normalise,
                                                           w.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("weights_kernel");
    return w;
}

Tensor NeighbourOpsCuda::pca_curvature(const Tensor& points, const Tensor& indices) {
    const char* op = "pca_curvature";
    check_indices(indices, op);
    ops_check::shape(points, indices.rows(), 3, kCuda, DType::F32, op, "points");
    use_device(m_ws->device);
    Tensor out = m_backend.zeros(points.rows(), 1);
    if (points.rows() == 0) return out;
    curvature_kernel<<<grid_for(points.rows()), kThreads>>>(points.f32(), indices.i32(), points.rows(), indices.cols(),
                                                            out.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("curvature_kernel");
    return out;
}

Tensor NeighbourOpsCuda::pca_frames(const Tensor& points, const Tensor& indices) {
    const char* op = "pca_frames";
    check_indices(indices, op);
    ops_check::shape(points, indices.rows(), 3, kCuda, DType::F32, op, "points");
    use_device(m_ws->device);
    Tensor out = m_backend.zeros(points.rows(), 4);
    if (points.rows() == 0) return out;
    frames_kernel<<<grid_for(points.rows()), kThreads>>>(points.f32(), indices.i32(), points.rows(), indices.cols(),
                                                         out.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("frames_kernel");
    return out;
}

void NeighbourOpsCuda::aggregate(kern::NeighbourMessage message, kern::NeighbourReduce reduce, const Tensor& values,
                                 const Tensor& indices, const Tensor* weights, Tensor& out, int col, Tensor* argmax) {
    const char* op = "aggregate";
    check_message(message, true, false, op);
    check_indices(indices, op);
    const size_t n = indices.rows();
    const int k = indices.cols();
    const int C = check_values(message, values, indices, op, "values");
    if (weights) ops_check::shape(*weights, n, k, kCuda, DType::F32, op, "weights");
    ops_check::window(out, n, col, C, kCuda, op, "out");
    if (argmax) ops_check::shape(*argmax, n, C, kCuda, DType::I32, op, "argmax");
    if (n == 0 || C == 0) return;
    use_device(m_ws->device);
    aggregate_kernel<<<grid_for(n * C), kThreads>>>(message, reduce, values.f32(), C, indices.i32(), n, k,
                                                    weights ? weights->f32() : nullptr, out.f32(), out.cols(), col,
                                                    argmax ? argmax->i32() : nullptr);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("aggregate_kernel");
}

void NeighbourOpsCuda::aggregate_backward(kern::NeighbourMessage message, kern::NeighbourReduce reduce,
                                          const Tensor& values, const Tensor& indices, const Tensor* weights,
                                          const Tensor* argmax, const Tensor& d_out, int col, Tensor* d_values,
                                          Tensor* d_weights) {
    const char* op = "aggregate_backward";
    check_message(message, true, false, op);
    check_indices(indices, op);
    const size_t n = indices.rows();
    const int k = indices.cols();
    const int C = check_values(message, values, indices, op, "values");
    if (weights) ops_check::shape(*weights, n, k, kCuda, DType::F32, op, "weights");
    const bool max = reduce == kern::NeighbourReduce::Max;
    if (max) {
        if (!argmax) throw Error(cat(op, ": the maximum's backward needs the argmax its forward recorded"));
        ops_check::shape(*argmax, n, C, kCuda, DType::I32, op, "argmax");
    }
    ops_check::window(d_out, n, col, C, kCuda, op, "d_out");
    if (d_values) ops_check::shape(*d_values, values.rows(), C, kCuda, DType::F32, op, "d_values");
    if (d_weights) ops_check::shape(*d_weights, n, k, kCuda, DType::F32, op, "d_weights");
    if (n == 0 || C == 0) return;
    use_device(m_ws->device);
    const int32_t* am = max ? argmax->i32() : nullptr;
    if (d_weights) {
        aggregate_weights_grad_kernel<<<grid_for(n * k), kThreads>>>(message, reduce, values.f32(), C, indices.i32(), n,
                                                                     k, am, d_out.f32() + col, d_out.cols(),
                                                                     d_weights->f32());
        SPLATSCAPE_CUDA_CHECK_LAUNCH("aggregate_weights_grad_kernel");
    }
    if (d_values) {
        aggregate_values_grad_kernel<<<grid_for(n * C), kThreads>>>(message, reduce, C, indices.i32(), n, k,
                                                                    weights ? weights->f32() : nullptr, am,
                                                                    d_out.f32() + col, d_out.cols(), d_values->f32());
        SPLATSCAPE_CUDA_CHECK_LAUNCH("aggregate_values_grad_kernel");
    }
}

void NeighbourOpsCuda::gather_edges(kern::NeighbourMessage message, const Tensor& values, const Tensor& indices,
                                    Tensor& edges, int col) {
    const char* op = "gather_edges";
    check_message(message, false, true, op);
    check_indices(indices, op);
    const size_t n = indices.rows();
    const int k = indices.cols();
    ops_check::shape(values, n, values.cols(), kCuda, DType::F32, op, "values");
    ops_check::window(edges, n * size_t(k), col, values.cols(), kCuda, op, "edges");
    const int C = values.cols();
    if (n == 0 || C == 0) return;
    use_device(m_ws->device);
    gather_edges_kernel<<<grid_for(n * k * C), kThreads>>>(message, values.f32(), C, indices.i32(), n, k, edges.f32(),
                                                           edges.cols(), col);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gather_edges_kernel");
}

void NeighbourOpsCuda::gather_edges_backward(kern::NeighbourMessage message, const Tensor& indices,
                                             const Tensor& d_edges, int col, Tensor& d_values) {
    const char* op = "gather_edges_backward";
    check_message(message, false, true, op);
    check_indices(indices, op);
    const size_t n = indices.rows();
    const int k = indices.cols();
    ops_check::shape(d_values, n, d_values.cols(), kCuda, DType::F32, op, "d_values");
    ops_check::window(d_edges, n * size_t(k), col, d_values.cols(), kCuda, op, "d_edges");
    const int C = d_values.cols();
    if (n == 0 || C == 0) return;
    use_device(m_ws->device);
    gather_edges_grad_kernel<<<grid_for(n * k * C), kThreads>>>(message, C, indices.i32(), n, k, d_edges.f32(),
                                                                d_edges.cols(), col, d_values.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gather_edges_grad_kernel");
}

void NeighbourOpsCuda::max_rows(const Tensor& values, const RowSelection& rows, Tensor& out, Tensor& argmax) {
    const char* op = "max_rows";
    ops_check::shape(values, SIZE_MAX, values.cols(), kCuda, DType::F32, op, "values");
    const int C = values.cols();
    ops_check::shape(out, 1, C, kCuda, DType::F32, op, "out");
    ops_check::shape(argmax, 1, C, kCuda, DType::I32, op, "argmax");
    const kern::RowSpan span = ops_check::rows(rows, values.rows(), kCuda, op);
    if (C == 0) return;
    use_device(m_ws->device);
    max_rows_kernel<<<C, kThreads>>>(values.f32(), C, span, values.rows(), out.f32(), argmax.i32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("max_rows_kernel");
}

void NeighbourOpsCuda::max_rows_backward(const Tensor& argmax, const Tensor& d_out, Tensor& d_values) {
    const char* op = "max_rows_backward";
    const int C = d_values.cols();
    ops_check::shape(d_values, SIZE_MAX, C, kCuda, DType::F32, op, "d_values");
    ops_check::shape(argmax, 1, C, kCuda, DType::I32, op, "argmax");
    ops_check::shape(d_out, 1, C, kCuda, DType::F32, op, "d_out");
    if (C == 0) return;
    use_device(m_ws->device);
    max_rows_grad_kernel<<<blocks_for(size_t(C)), kThreads>>>(argmax.i32(), d_out.f32(), C, d_values.rows(),
                                                              d_values.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("max_rows_grad_kernel");
}

} // namespace splatscape
