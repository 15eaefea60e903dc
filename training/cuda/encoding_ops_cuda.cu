// Kernels and host side of EncodingOpsCuda (encoding_ops_cuda.hpp), over the per-element functions
// of training/kernels/hash_grid.hpp and sh_encoding.hpp.
#include <cuda_runtime.h>

#include "core/error.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/cuda/encoding_ops_cuda.hpp"
#include "training/kernels/sh_encoding.hpp"

namespace splatscape {
namespace {

constexpr int kThreads = 128;
constexpr Device kCuda = Device::Cuda;

unsigned blocks_for(size_t n) {
    return unsigned((n + kThreads - 1) / kThreads);
}

__device__ __forceinline__ bool valid_row(int64_t r, size_t n) {
    return r >= 0 && size_t(r) < n;
}

__device__ __forceinline__ void unit_position(const float* p, float u[3], bool inside[3]) {
    for (int a = 0; a < 3; ++a) u[a] = kern::hash_unit_coordinate(p[a], inside[a]);
}

// blockIdx.y: the level. Threads of a block share a level, so they read one level's table.
__global__ void hash_encode_kernel(kern::HashGridLayout g, const float* table, const float* positions,
                                   kern::RowSpan rows, size_t n, float* encoded, int stride, int col) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    const int l = int(blockIdx.y);
    if (i >= rows.count) return;
    const int64_t r = rows.row(i);
    if (!valid_row(r, n)) return;
    float u[3];
    bool inside[3];
    unit_position(positions + size_t(r) * 3, u, inside);
    float f[8];
    kern::hash_encode_level(g, l, u, table, f);
    float* out = encoded + size_t(r) * stride + col + l * g.features;
    for (int k = 0; k < g.features; ++k) out[k] = f[k];
}

__global__ void hash_table_grad_kernel(kern::HashGridLayout g, const float* positions, kern::RowSpan rows, size_t n,
                                       const float* d_encoded, int stride, int col, float* d_table) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    const int l = int(blockIdx.y);
    if (i >= rows.count) return;
    const int64_t r = rows.row(i);
    if (!valid_row(r, n)) return;
    const int F = g.features;
    float d[8];
    bool any = false;
    for (int k = 0; k < F; ++k) {
        d[k] = d_encoded[size_t(r) * stride + col + l * F + k];
        any |= d[k] != 0.0f;
    }
    if (!any) return;
    float u[3];
    bool inside[3];
    unit_position(positions + size_t(r) * 3, u, inside);
    const kern::HashCell<float> c = kern::hash_grid_cell(g, l, u);
    for (int k = 0; k < 8; ++k) {
        const float w = kern::hash_corner_weight(c, k);
        float* e = d_table + size_t(c.rows[k]) * F;
#if __CUDA_ARCH__ >= 900
        if (F == 2) {
            atomicAdd(reinterpret_cast<float2*>(e), make_float2(w * d[0], w * d[1]));
            continue;
        }
#endif
        for (int f = 0; f < F; ++f) atomicAdd(e + f, w * d[f]);
    }
}

__global__ void hash_position_grad_kernel(kern::HashGridLayout g, const float* table, const float* positions,
                                          kern::RowSpan rows, size_t n, const float* d_encoded, int stride, int col,
                                          float* d_positions) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= rows.count) return;
    const int64_t r = rows.row(i);
    if (!valid_row(r, n)) return;
    float u[3];
    bool inside[3];
    unit_position(positions + size_t(r) * 3, u, inside);
    const float* d = d_encoded + size_t(r) * stride + col;
    kern::Vec3<float> grad = {0.0f, 0.0f, 0.0f};
    for (int l = 0; l < g.levels; ++l) grad = grad + kern::hash_level_position_grad(g, l, u, table, d + l * g.features);
    float* dp = d_positions + size_t(r) * 3;
    if (inside[0]) dp[0] += grad.x;
    if (inside[1]) dp[1] += grad.y;
    if (inside[2]) dp[2] += grad.z;
}

__global__ void sh_encode_kernel(int degree, const float* directions, kern::RowSpan rows, size_t n, float* encoded,
                                 int stride, int col) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= rows.count) return;
    const int64_t r = rows.row(i);
    if (!valid_row(r, n)) return;
    const float* v = directions + size_t(r) * 3;
    float out[16];
    kern::sh_encode(degree, kern::Vec3<float>{v[0], v[1], v[2]}, out);
    float* o = encoded + size_t(r) * stride + col;
    for (int k = 0; k < kern::sh_encoding_width(degree); ++k) o[k] = out[k];
}

__global__ void sh_encode_backward_kernel(int degree, const float* directions, kern::RowSpan rows, size_t n,
                                          const float* d_encoded, int stride, int col, float* d_directions) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= rows.count) return;
    const int64_t r = rows.row(i);
    if (!valid_row(r, n)) return;
    const float* v = directions + size_t(r) * 3;
    float d[16];
    const float* src = d_encoded + size_t(r) * stride + col;
    for (int k = 0; k < kern::sh_encoding_width(degree); ++k) d[k] = src[k];
    const kern::Vec3<float> g = kern::sh_encode_backward(degree, kern::Vec3<float>{v[0], v[1], v[2]}, d);
    float* out = d_directions + size_t(r) * 3;
    out[0] += g.x;
    out[1] += g.y;
    out[2] += g.z;
}

void check_grid(const kern::HashGridLayout& grid, const Tensor& table, const char* op) {
    if (grid.levels < 1 || grid.levels > kern::kHashMaxLevels || grid.features < 1 || grid.features > 8)
        throw Error(cat(op, ": the grid layout is not initialised (use hash_grid_layout)"));
    ops_check::shape(table, grid.rows(), grid.features, kCuda, DType::F32, op, "table");
}

void check_degree(int degree, const char* op) {
    if (degree < 0 || degree > kern::kShEncodingMaxDegree)
        throw Error(cat(op, ": SH degree ", degree, " is out of range (0 to ", kern::kShEncodingMaxDegree, ")"));
}

void use_device(int device) {
    int current = -1;
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&current));
    if (current != device) SPLATSCAPE_CUDA_CHECK(cudaSetDevice(device));
}

} // namespace

EncodingOpsCuda::EncodingOpsCuda(Backend& backend) : m_backend(backend) {
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&m_device));
}

void EncodingOpsCuda::hash_encode(const kern::HashGridLayout& grid, const Tensor& table, const Tensor& positions,
                                  const RowSelection& rows, Tensor& encoded, int col) {
    const char* op = "hash_encode";
    check_grid(grid, table, op);
    ops_check::shape(positions, SIZE_MAX, 3, kCuda, DType::F32, op, "positions");
    const size_t n = positions.rows();
    ops_check::window(encoded, n, col, grid.width(), kCuda, op, "encoded");
    const kern::RowSpan span = ops_check::rows(rows, n, kCuda, op);
    if (span.count == 0) return;
    use_device(m_device);
    hash_encode_kernel<<<dim3(blocks_for(span.count), unsigned(grid.levels)), kThreads>>>(
        grid, table.f32(), positions.f32(), span, n, encoded.f32(), encoded.cols(), col);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("hash_encode_kernel");
}

void EncodingOpsCuda::hash_encode_backward(const kern::HashGridLayout& grid, const Tensor& table,
                                           const Tensor& positions, const RowSelection& rows, const Tensor& d_encoded,
                                           int col, Tensor& d_table, Tensor* d_positions) {
    const char* op = "hash_encode_backward";
    check_grid(grid, table, op);
    ops_check::shape(positions, SIZE_MAX, 3, kCuda, DType::F32, op, "positions");
    const size_t n = positions.rows();
    ops_check::window(d_encoded, n, col, grid.width(), kCuda, op, "d_encoded");
    ops_check::shape(d_table, grid.rows(), grid.features, kCuda, DType::F32, op, "d_table");
    if (d_positions) ops_check::shape(*d_positions, n, 3, kCuda, DType::F32, op, "d_positions");
    const kern::RowSpan span = ops_check::rows(rows, n, kCuda, op);
    if (span.count == 0) return;
    use_device(m_device);
    hash_table_grad_kernel<<<dim3(blocks_for(span.count), unsigned(grid.levels)), kThreads>>>(
        grid, positions.f32(), span, n, d_encoded.f32(), d_encoded.cols(), col, d_table.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("hash_table_grad_kernel");
    if (!d_positions) return;
    hash_position_grad_kernel<<<blocks_for(span.count), kThreads>>>(
        grid, table.f32(), positions.f32(), span, n, d_encoded.f32(), d_encoded.cols(), col, d_positions->f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("hash_position_grad_kernel");
}

void EncodingOpsCuda::sh_encode(int degree, const Tensor& directions, const RowSelection& rows, Tensor& encoded,
                                int col) {
    const char* op = "sh_encode";
    check_degree(degree, op);
    ops_check::shape(directions, SIZE_MAX, 3, kCuda, DType::F32, op, "directions");
    const size_t n = directions.rows();
    ops_check::window(encoded, n, col, kern::sh_encoding_width(degree), kCuda, op, "encoded");
    const kern::RowSpan span = ops_check::rows(rows, n, kCuda, op);
    if (span.count == 0) return;
    use_device(m_device);
    sh_encode_kernel<<<blocks_for(span.count), kThreads>>>(degree, directions.f32(), span, n, encoded.f32(),
                                                           encoded.cols(), col);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sh_encode_kernel");
}

void EncodingOpsCuda::sh_encode_backward(int degree, const Tensor& directions, const RowSelection& rows,
                                         const Tensor& d_encoded, int col, Tensor& d_directions) {
    const char* op = "sh_encode_backward";
    check_degree(degree, op);
    ops_check::shape(directions, SIZE_MAX, 3, kCuda, DType::F32, op, "directions");
    const size_t n = directions.rows();
    ops_check::window(d_encoded, n, col, kern::sh_encoding_width(degree), kCuda, op, "d_encoded");
    ops_check::shape(d_directions, n, 3, kCuda, DType::F32, op, "d_directions");
    const kern::RowSpan span = ops_check::rows(rows, n, kCuda, op);
    if (span.count == 0) return;
    use_device(m_device);
    sh_encode_backward_kernel<<<blocks_for(span.count), kThreads>>>(degree, directions.f32(), span, n, d_encoded.f32(),
                                                                    d_encoded.cols(), col, d_directions.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("sh_encode_backward_kernel");
}

} // namespace splatscape
