#pragma once
// Small fully connected networks (the decoders of sags, the gate, experts and colour head of
// hmohe): inputs -> hidden_layers x hidden -> outputs, one activation after every hidden layer and
// one after the output. Every linear layer l has a weight matrix W_l [out_l, in_l] (row-major) and a
// bias b_l [out_l]; all of them live in one parameter vector, layer by layer, W before b. The
// launchers (training/cpu/mlp_cpu.hpp, training/cuda/mlp_ops_cuda.cu) tile the products; the math
// of one value, its activation and the activation's derivative, is here.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

constexpr int kMlpMaxHiddenLayers = 8;
constexpr int kMlpMaxLayers = kMlpMaxHiddenLayers + 1;
constexpr int kMlpMaxWidth = 128; // hidden and output widths (the fused CUDA kernel's tiles)

enum class Activation : int32_t {
    None = 0,
    Relu = 1,
    Sigmoid = 2,
    Tanh = 3,
    // exp(x) forward; the backward uses exp(clamp(x, -15, 15)) so that a density logit far out of
    // range cannot produce huge gradients (instant-ngp's "truncated exponential").
    TruncExp = 4,
};

constexpr float kTruncExpClamp = 15.0f;

template <class T>
SPLATSCAPE_HD T activate(Activation a, T x) {
    switch (a) {
    case Activation::Relu:
        return x > T(0) ? x : T(0);
    case Activation::Sigmoid:
        return T(1) / (T(1) + hd_exp(-x));
    case Activation::Tanh: {
        // tanh from exp, overflow-safe: tanh(x) = sign(x) (1 - e) / (1 + e), e = exp(-2|x|).
        const T e = hd_exp(T(-2) * hd_abs(x));
        const T t = (T(1) - e) / (T(1) + e);
        return x < T(0) ? -t : t;
    }
    case Activation::TruncExp:
        return hd_exp(x);
    default:
        return x;
    }
}

// d activate(x) / dx written with y = activate(x), so the backward needs only the stored outputs.
template <class T>
SPLATSCAPE_HD T activation_derivative(Activation a, T y) {
    switch (a) {
    case Activation::Relu:
        return y > T(0) ? T(1) : T(0);
    case Activation::Sigmoid:
        return y * (T(1) - y);
    case Activation::Tanh:
        return T(1) - y * y;
    case Activation::TruncExp: {
        // exp(clamp(x, -c, c)) = clamp(exp(x), e^-c, e^c): exp is monotonic.
        const T lo = hd_exp(T(-kTruncExpClamp)), hi = hd_exp(T(kTruncExpClamp));
        return y < lo ? lo : (y > hi ? hi : y);
    }
    default:
        return T(1);
    }
}

// Shapes and parameter offsets of one network. Built and checked on the host (mlp_layout in
// training/ops/mlp_ops.hpp); passed by value to kernels.
struct MlpLayout {
    int layers = 0;                      // linear layers: hidden_layers + 1
    int in[kMlpMaxLayers] = {};          // input width of layer l
    int out[kMlpMaxLayers] = {};         // output width of layer l
    uint32_t weight[kMlpMaxLayers] = {}; // offset of W_l [out_l, in_l] in the parameter vector
    uint32_t bias[kMlpMaxLayers] = {};   // offset of b_l [out_l]
    uint32_t params = 0;                 // total parameter count
    Activation hidden = Activation::Relu;
    Activation output = Activation::None;

    SPLATSCAPE_HD int inputs() const { return in[0]; }
    SPLATSCAPE_HD int outputs() const { return out[layers - 1]; }
    SPLATSCAPE_HD Activation activation(int layer) const { return layer == layers - 1 ? output : hidden; }
    // Widest activation after the input (hidden or output).
    SPLATSCAPE_HD int max_width() const {
        int w = 0;
        for (int l = 0; l < layers; ++l) w = out[l] > w ? out[l] : w;
        return w;
    }
};

} // namespace splatscape::kern
