#include "training/ops/mlp_ops.hpp"

#include <cmath>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/kernels/random.hpp"

namespace splatscape {

kern::MlpLayout mlp_layout(const MlpConfig& c) {
    const char* what = "mlp";
    if (c.inputs < 1 || c.inputs > 1024) throw Error(what, "inputs", cat(c.inputs, " is out of range (1 to 1024)"));
    if (c.hidden < 1 || c.hidden > kern::kMlpMaxWidth)
        throw Error(what, "hidden", cat(c.hidden, " is out of range (1 to ", kern::kMlpMaxWidth, ")"));
    if (c.hidden_layers < 0 || c.hidden_layers > kern::kMlpMaxHiddenLayers)
        throw Error(what, "hidden_layers",
                    cat(c.hidden_layers, " is out of range (0 to ", kern::kMlpMaxHiddenLayers, ")"));
    if (c.outputs < 1 || c.outputs > kern::kMlpMaxWidth)
        throw Error(what, "outputs", cat(c.outputs, " is out of range (1 to ", kern::kMlpMaxWidth, ")"));
    for (kern::Activation a : {c.hidden_activation, c.output_activation})
        if (int(a) < 0 || int(a) > int(kern::Activation::TruncExp))
            throw Error(what, "activation", cat(int(a), " is not an activation"));
    kern::MlpLayout m;
    m.layers = c.hidden_layers + 1;
    m.hidden = c.hidden_activation;
    m.output = c.output_activation;
    uint32_t offset = 0;
    for (int l = 0; l < m.layers; ++l) {
        m.in[l] = l == 0 ? c.inputs : c.hidden;
        m.out[l] = l == m.layers - 1 ? c.outputs : c.hidden;
        m.weight[l] = offset;
        offset += uint32_t(m.in[l] * m.out[l]);
        m.bias[l] = offset;
        offset += uint32_t(m.out[l]);
    }
    m.params = offset;
    return m;
}

std::vector<float> mlp_initial_params(const kern::MlpLayout& m, uint64_t seed) {
    std::vector<float> p(m.params);
    for (int l = 0; l < m.layers; ++l) {
        const float bound = 1.0f / std::sqrt(float(m.in[l]));
        const uint32_t end = m.bias[l] + uint32_t(m.out[l]);
        for (uint32_t i = m.weight[l]; i < end; ++i)
            p[i] = bound * (2.0f * kern::random_uniform(seed, 0x6d6c70u, i) - 1.0f);
    }
    return p;
}

std::string to_string(kern::Activation a) {
    switch (a) {
    case kern::Activation::None:
        return "none";
    case kern::Activation::Relu:
        return "relu";
    case kern::Activation::Sigmoid:
        return "sigmoid";
    case kern::Activation::Tanh:
        return "tanh";
    case kern::Activation::TruncExp:
        return "trunc_exp";
    }
    return "unknown";
}

kern::Activation parse_activation(const std::string& name) {
    for (int a = 0; a <= int(kern::Activation::TruncExp); ++a)
        if (to_string(kern::Activation(a)) == name) return kern::Activation(a);
    throw Error("mlp", "activation", cat("'", name, "': expected none, relu, sigmoid, tanh or trunc_exp"));
}

Mlp Mlp::create(Backend& backend, const MlpConfig& config, uint64_t seed) {
    Mlp n;
    n.config = config;
    n.layout = mlp_layout(config);
    n.params = backend.zeros(n.layout.params, 1);
    const auto init = mlp_initial_params(n.layout, seed);
    backend.upload(n.params, init.data());
    return n;
}

} // namespace splatscape
