#pragma once
// The small networks (training/ops/mlp_ops.hpp) on the GPU: one fused kernel per pass. A block takes
// tiles of rows through every layer with the activations in shared memory and, when they fit, the
// weights too; each thread computes a 4 x 4 block of a layer's product. The backward recomputes
// the tile's activations, then walks the layers back; each block adds its parameter gradient into
// its own row of a scratch buffer, and a second kernel sums those rows in block order into d_params
// (no atomics: repeatable bit for bit on one GPU). No CUDA types in this header.
#include <memory>

#include "training/ops/mlp_ops.hpp"

namespace splatscape {

class Backend;

class MlpOpsCuda final : public MlpOps {
public:
    explicit MlpOpsCuda(Backend& backend);
    ~MlpOpsCuda() override;

    void forward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                 const RowSelection& rows, Tensor& output, int output_col) override;
    void backward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                  const RowSelection& rows, const Tensor& d_output, int d_output_col, Tensor& d_params, Tensor* d_input,
                  int d_input_col) override;

private:
    struct Workspace;
    Backend& m_backend;
    std::unique_ptr<Workspace> m_ws;
};

} // namespace splatscape
