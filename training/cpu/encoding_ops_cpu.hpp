#pragma once
// The CPU launchers of the encodings (training/ops/encoding_ops.hpp) and the CPU op family that
// wraps them. The launchers are templates over the scalar type, instantiated for float (the
// backend) and double (the gradient tests). Results do not depend on the number of threads: the
// table gradient is accumulated level by level, each level by one worker in row order (no atomics,
// no per-thread copies of the table; the parallelism is the number of levels).
#include "training/kernels/hash_grid.hpp"
#include "training/kernels/rows.hpp"
#include "training/ops/encoding_ops.hpp"

namespace splatscape {

class Backend;

namespace cpu {

// table [g.rows(), F]; positions [N, 3]; encoded rows of `stride` values, window at `col`.
template <class T>
void hash_encode(const kern::HashGridLayout& g, const T* table, const T* positions, const kern::RowSpan& rows,
                 T* encoded, int stride, int col);
// Adds to d_table [g.rows(), F] and, when not null, d_positions [N, 3].
template <class T>
void hash_encode_backward(const kern::HashGridLayout& g, const T* table, const T* positions, const kern::RowSpan& rows,
                          const T* d_encoded, int stride, int col, T* d_table, T* d_positions);

// directions [N, 3]; encoded rows of `stride` values, window at `col`.
template <class T>
void sh_encode(int degree, const T* directions, const kern::RowSpan& rows, T* encoded, int stride, int col);
// Adds to d_directions [N, 3].
template <class T>
void sh_encode_backward(int degree, const T* directions, const kern::RowSpan& rows, const T* d_encoded, int stride,
                        int col, T* d_directions);

// Checks that every listed row is in [0, n) and, when `distinct`, that none repeats (ops that add
// into row-aligned tensors). Throws Error naming the op.
void check_row_list(const kern::RowSpan& rows, size_t n, bool distinct, const char* op);

} // namespace cpu

class EncodingOpsCpu final : public EncodingOps {
public:
    explicit EncodingOpsCpu(Backend& backend) : m_backend(backend) {}

    void hash_encode(const kern::HashGridLayout& grid, const Tensor& table, const Tensor& positions,
                     const RowSelection& rows, Tensor& encoded, int col) override;
    void hash_encode_backward(const kern::HashGridLayout& grid, const Tensor& table, const Tensor& positions,
                              const RowSelection& rows, const Tensor& d_encoded, int col, Tensor& d_table,
                              Tensor* d_positions) override;
    void sh_encode(int degree, const Tensor& directions, const RowSelection& rows, Tensor& encoded, int col) override;
    void sh_encode_backward(int degree, const Tensor& directions, const RowSelection& rows, const Tensor& d_encoded,
                            int col, Tensor& d_directions) override;

private:
    Backend& m_backend;
};

} // namespace splatscape
