#pragma once
// Small fully connected networks (docs/neural.md): the decoders and edge function of sags, the
// gate, experts and colour head of hmohe. A network is an MlpConfig, its layout
// (training/kernels/mlp.hpp: W_l [out, in] row-major then b_l [out], layer by layer) and one
// parameter tensor [params, 1]. The backward recomputes the forward's activations instead of
// keeping them, so a forward needs no saved state and the memory of a step does not grow with
// the depth of the network.
#include <cstdint>
#include <string>
#include <vector>

#include "training/kernels/mlp.hpp"
#include "training/ops/op_family.hpp"
#include "training/ops/row_selection.hpp"
#include "training/tensor.hpp"

namespace splatscape {

class Backend;

struct MlpConfig {
    int inputs = 32;
    int hidden = 64;       // 1..128
    int hidden_layers = 2; // 0..8 (0: one linear layer)
    int outputs = 16;      // 1..128
    kern::Activation hidden_activation = kern::Activation::Relu;
    kern::Activation output_activation = kern::Activation::None;
};

// Throws Error naming the field when the config is out of range (inputs 1..1024).
kern::MlpLayout mlp_layout(const MlpConfig& config);

// PyTorch's default initialisation of a linear layer: W and b uniform in +-1/sqrt(in), drawn from
// counter-based random numbers (a pure function of the seed).
std::vector<float> mlp_initial_params(const kern::MlpLayout& layout, uint64_t seed);

// "none", "relu", "sigmoid", "tanh", "trunc_exp"; parse throws Error for other names.
std::string to_string(kern::Activation a);
kern::Activation parse_activation(const std::string& name);

// A network: config, layout and its parameters in the backend's memory.
struct Mlp {
    MlpConfig config;
    kern::MlpLayout layout;
    Tensor params; // [layout.params, 1]

    static Mlp create(Backend& backend, const MlpConfig& config, uint64_t seed);
};

class MlpOps : public OpFamily {
public:
    static constexpr const char* kName = "mlp";

    // For every selected row r: output[r, output_col + o] = network(input[r, input_col + i]).
    // params [net.params, 1]; input [N, >= input_col + inputs]; output [N, >= output_col + outputs].
    virtual void forward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                         const RowSelection& rows, Tensor& output, int output_col) = 0;
    // Backward for the same rows, given d_output in the forward's output window: adds the gradient
    // of the parameters to d_params [net.params, 1] and, when not null, of the inputs to
    // d_input[r, d_input_col + i] ([N, >= d_input_col + inputs]).
    virtual void backward(const kern::MlpLayout& net, const Tensor& params, const Tensor& input, int input_col,
                          const RowSelection& rows, const Tensor& d_output, int d_output_col, Tensor& d_params,
                          Tensor* d_input, int d_input_col) = 0;
};

} // namespace splatscape
