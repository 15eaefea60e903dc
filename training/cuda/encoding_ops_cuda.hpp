#pragma once
// The encodings (training/ops/encoding_ops.hpp) on the GPU: one thread per (row, level) for the
// hash encoding and its table gradient (atomic adds into the table; the order of the additions, and
// so the last bits of the result, varies from run to run), one thread per row for the position
// gradient and the SH encoding. No CUDA types in this header.
#include "training/ops/encoding_ops.hpp"

namespace splatscape {

class Backend;

class EncodingOpsCuda final : public EncodingOps {
public:
    explicit EncodingOpsCuda(Backend& backend);

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
    int m_device = 0; // the CUDA device of the backend
};

} // namespace splatscape
