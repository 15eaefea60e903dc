#pragma once
// The CPU launchers of the small networks (training/ops/mlp_ops.hpp) and the CPU op family.
// Rows go in blocks of kMlpBlockRows through each layer as small matrix products whose inner loops
// run over contiguous outputs (vectorised, fixed summation order). The backward accumulates the
// weight gradient of each chunk of rows separately and adds the chunks in order, so results do not
// depend on the number of threads. Templates over the scalar type: float for the backend, double
// for the gradient tests.
#include "training/kernels/mlp.hpp"
#include "training/kernels/rows.hpp"
#include "training/ops/mlp_ops.hpp"

namespace splatscape {

class Backend;

namespace cpu {

constexpr int kMlpBlockRows = 64;

// params [net.params]; input rows of in_stride values (window at in_col), output rows of
// out_stride values (window at out_col).
template <class T>
void mlp_forward(const kern::MlpLayout& net, const T* params, const T* input, int in_stride, int in_col,
                 const kern::RowSpan& rows, T* output, int out_stride, int out_col);
// Adds to d_params [net.params] and, when not null, d_input (rows of din_stride, window at din_col).
template <class T>
void mlp_backward(const kern::MlpLayout& net, const T* params, const T* input, int in_stride, int in_col,
                  const kern::RowSpan& rows, const T* d_output, int dout_stride, int dout_col, T* d_params, T* d_input,
                  int din_stride, int din_col);

} // namespace cpu

class MlpOpsCpu final : public MlpOps {
public:
    explicit MlpOpsCpu(Backend& backend) : m_backend(backend) {}

    void forward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                 const RowSelection& rows, Tensor& output, int output_col) override;
    void backward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                  const RowSelection& rows, const Tensor& d_output, int d_output_col, Tensor& d_params, Tensor* d_input,
                  int d_input_col) override;

private:
    Backend& m_backend;
};

} // namespace splatscape
