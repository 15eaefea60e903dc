#include "training/cpu/encoding_ops_cpu.hpp"

#include <algorithm>
#include <vector>

#include "core/error.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/sh_encoding.hpp"

namespace splatscape {
namespace cpu {
namespace {

constexpr size_t kRowGrain = 512;
constexpr size_t kLevelChunk = 8192; // rows of one (level, chunk) task

template <class T>
void unit_position(const T* p, T u[3], bool inside[3]) {
    for (int a = 0; a < 3; ++a) u[a] = kern::hash_unit_coordinate(p[a], inside[a]);
}

} // namespace

void check_row_list(const kern::RowSpan& rows, size_t n, bool distinct, const char* op) {
    if (!rows.list) return;
    std::vector<uint8_t> seen(distinct ? n : 0);
    for (size_t i = 0; i < rows.count; ++i) {
        const int64_t r = rows.list[i];
        if (r < 0 || size_t(r) >= n)
            throw Error(cat(op, ": row list entry ", i, " is ", r, ", outside the ", n, " rows of its tensors"));
        if (distinct) {
            if (seen[size_t(r)]) throw Error(cat(op, ": row ", r, " is listed twice (rows must be distinct)"));
            seen[size_t(r)] = 1;
        }
    }
}

// Work goes level by level (tasks are (level, chunk of rows), level-major), so the threads read one
// or two levels' tables at a time: a few MiB that stay in cache, where all levels together do not.
template <class T>
void hash_encode(const kern::HashGridLayout& g, const T* table, const T* positions, const kern::RowSpan& rows,
                 T* encoded, int stride, int col) {
    const size_t chunks = (rows.count + kLevelChunk - 1) / kLevelChunk;
    parallel_for_each(size_t(g.levels) * chunks, 1, [&](size_t task) {
        const int l = int(task / chunks);
        const size_t begin = (task % chunks) * kLevelChunk, end = std::min(rows.count, begin + kLevelChunk);
        for (size_t i = begin; i < end; ++i) {
            const int64_t r = rows.row(i);
            T u[3];
            bool inside[3];
            unit_position(positions + size_t(r) * 3, u, inside);
            kern::hash_encode_level(g, l, u, table, encoded + size_t(r) * stride + col + l * g.features);
        }
    });
}

template <class T>
void hash_encode_backward(const kern::HashGridLayout& g, const T* table, const T* positions, const kern::RowSpan& rows,
                          const T* d_encoded, int stride, int col, T* d_table, T* d_positions) {
    const int F = g.features;
    // One level per task: its rows of the table belong to it alone, and rows are visited in order.
    cpu_pool().parallel_for(size_t(g.levels), 1, [&](size_t lb, size_t le, int) {
        for (size_t level = lb; level < le; ++level) {
            const int l = int(level);
            for (size_t i = 0; i < rows.count; ++i) {
                const int64_t r = rows.row(i);
                const T* d = d_encoded + size_t(r) * stride + col + l * F;
                bool any = false;
                for (int f = 0; f < F; ++f) any |= d[f] != T(0);
                if (!any) continue;
                T u[3];
                bool inside[3];
                unit_position(positions + size_t(r) * 3, u, inside);
                const kern::HashCell<T> c = kern::hash_grid_cell(g, l, u);
                for (int k = 0; k < 8; ++k) {
                    const T w = kern::hash_corner_weight(c, k);
                    T* e = d_table + size_t(c.rows[k]) * F;
                    for (int f = 0; f < F; ++f) e[f] += w * d[f];
                }
            }
        }
    });
    if (!d_positions) return;
    // Level by level again, each row's levels summed in order, then added.
    std::vector<T> grad(rows.count * 3, T(0));
    const size_t chunks = (rows.count + kLevelChunk - 1) / kLevelChunk;
    for (int l = 0; l < g.levels; ++l)
        parallel_for_each(chunks, 1, [&](size_t chunk) {
            const size_t begin = chunk * kLevelChunk, end = std::min(rows.count, begin + kLevelChunk);
            for (size_t i = begin; i < end; ++i) {
                const int64_t r = rows.row(i);
                T u[3];
                bool inside[3];
                unit_position(positions + size_t(r) * 3, u, inside);
                const kern::Vec3<T> d =
                    kern::hash_level_position_grad(g, l, u, table, d_encoded + size_t(r) * stride + col + l * F);
                grad[3 * i] += d.x;
                grad[3 * i + 1] += d.y;
                grad[3 * i + 2] += d.z;
            }
        });
    parallel_for_each(rows.count, kRowGrain, [&](size_t i) {
        const int64_t r = rows.row(i);
        T u[3];
        bool inside[3];
        unit_position(positions + size_t(r) * 3, u, inside);
        T* dp = d_positions + size_t(r) * 3;
        for (int a = 0; a < 3; ++a)
            if (inside[a]) dp[a] += grad[3 * i + a];
    });
}

template <class T>
void sh_encode(int degree, const T* directions, const kern::RowSpan& rows, T* encoded, int stride, int col) {
    parallel_for_each(rows.count, kRowGrain, [&](size_t i) {
        const int64_t r = rows.row(i);
        const T* v = directions + size_t(r) * 3;
        kern::sh_encode(degree, kern::Vec3<T>{v[0], v[1], v[2]}, encoded + size_t(r) * stride + col);
    });
}

template <class T>
void sh_encode_backward(int degree, const T* directions, const kern::RowSpan& rows, const T* d_encoded, int stride,
                        int col, T* d_directions) {
    parallel_for_each(rows.count, kRowGrain, [&](size_t i) {
        const int64_t r = rows.row(i);
        const T* v = directions + size_t(r) * 3;
        const kern::Vec3<T> g =
            kern::sh_encode_backward(degree, kern::Vec3<T>{v[0], v[1], v[2]}, d_encoded + size_t(r) * stride + col);
        T* d = d_directions + size_t(r) * 3;
        d[0] += g.x;
        d[1] += g.y;
        d[2] += g.z;
    });
}

#define SPLATSCAPE_INSTANTIATE(T)                                                                                      \
    template void hash_encode<T>(const kern::HashGridLayout&, const T*, const T*, const kern::RowSpan&, T*, int, int); \
    template void hash_encode_backward<T>(const kern::HashGridLayout&, const T*, const T*, const kern::RowSpan&,       \
                                          const T*, int, int, T*, T*);                                                 \
    template void sh_encode<T>(int, const T*, const kern::RowSpan&, T*, int, int);                                     \
    template void sh_encode_backward<T>(int, const T*, const kern::RowSpan&, const T*, int, int, T*);
SPLATSCAPE_INSTANTIATE(float)
SPLATSCAPE_INSTANTIATE(double)
#undef SPLATSCAPE_INSTANTIATE

} // namespace cpu

namespace {

void check_grid(const kern::HashGridLayout& grid, const Tensor& table, const char* op) {
    if (grid.levels < 1 || grid.levels > kern::kHashMaxLevels || grid.features < 1)
        throw Error(cat(op, ": the grid layout is not initialised (use hash_grid_layout)"));
    ops_check::shape(table, grid.rows(), grid.features, Device::Cpu, DType::F32, op, "table");
}

void check_degree(int degree, const char* op) {
    if (degree < 0 || degree > kern::kShEncodingMaxDegree)
        throw Error(cat(op, ": SH degree ", degree, " is out of range (0 to ", kern::kShEncodingMaxDegree, ")"));
}

} // namespace

void EncodingOpsCpu::hash_encode(const kern::HashGridLayout& grid, const Tensor& table, const Tensor& positions,
                                 const RowSelection& rows, Tensor& encoded, int col) {
    const char* op = "hash_encode";
    check_grid(grid, table, op);
    ops_check::shape(positions, SIZE_MAX, 3, Device::Cpu, DType::F32, op, "positions");
    const size_t n = positions.rows();
    ops_check::window(encoded, n, col, grid.width(), Device::Cpu, op, "encoded");
    const kern::RowSpan span = ops_check::rows(rows, n, Device::Cpu, op);
    cpu::check_row_list(span, n, false, op);
    cpu::hash_encode(grid, table.f32(), positions.f32(), span, encoded.f32(), encoded.cols(), col);
}

void EncodingOpsCpu::hash_encode_backward(const kern::HashGridLayout& grid, const Tensor& table,
                                          const Tensor& positions, const RowSelection& rows, const Tensor& d_encoded,
                                          int col, Tensor& d_table, Tensor* d_positions) {
    const char* op = "hash_encode_backward";
    check_grid(grid, table, op);
    ops_check::shape(positions, SIZE_MAX, 3, Device::Cpu, DType::F32, op, "positions");
    const size_t n = positions.rows();
    ops_check::window(d_encoded, n, col, grid.width(), Device::Cpu, op, "d_encoded");
    ops_check::shape(d_table, grid.rows(), grid.features, Device::Cpu, DType::F32, op, "d_table");
    if (d_positions) ops_check::shape(*d_positions, n, 3, Device::Cpu, DType::F32, op, "d_positions");
    const kern::RowSpan span = ops_check::rows(rows, n, Device::Cpu, op);
    cpu::check_row_list(span, n, d_positions != nullptr, op);
    cpu::hash_encode_backward(grid, table.f32(), positions.f32(), span, d_encoded.f32(), d_encoded.cols(), col,
                              d_table.f32(), d_positions ? d_positions->f32() : nullptr);
}

void EncodingOpsCpu::sh_encode(int degree, const Tensor& directions, const RowSelection& rows, Tensor& encoded,
                               int col) {
    const char* op = "sh_encode";
    check_degree(degree, op);
    ops_check::shape(directions, SIZE_MAX, 3, Device::Cpu, DType::F32, op, "directions");
    const size_t n = directions.rows();
    ops_check::window(encoded, n, col, kern::sh_encoding_width(degree), Device::Cpu, op, "encoded");
    const kern::RowSpan span = ops_check::rows(rows, n, Device::Cpu, op);
    cpu::check_row_list(span, n, false, op);
    cpu::sh_encode(degree, directions.f32(), span, encoded.f32(), encoded.cols(), col);
}

void EncodingOpsCpu::sh_encode_backward(int degree, const Tensor& directions, const RowSelection& rows,
                                        const Tensor& d_encoded, int col, Tensor& d_directions) {
    const char* op = "sh_encode_backward";
    check_degree(degree, op);
    ops_check::shape(directions, SIZE_MAX, 3, Device::Cpu, DType::F32, op, "directions");
    const size_t n = directions.rows();
    ops_check::window(d_encoded, n, col, kern::sh_encoding_width(degree), Device::Cpu, op, "d_encoded");
    ops_check::shape(d_directions, n, 3, Device::Cpu, DType::F32, op, "d_directions");
    const kern::RowSpan span = ops_check::rows(rows, n, Device::Cpu, op);
    cpu::check_row_list(span, n, true, op);
    cpu::sh_encode_backward(degree, directions.f32(), span, d_encoded.f32(), d_encoded.cols(), col, d_directions.f32());
}

} // namespace splatscape
