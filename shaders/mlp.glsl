// Activations of the small MLPs (training/kernels/mlp.hpp, kern::activate), numbered as
// kern::Activation: shared by the sags decoders and the NeRF ray marcher.
#ifndef SPLATSCAPE_MLP_GLSL
#define SPLATSCAPE_MLP_GLSL

const uint kActivationNone = 0u;
const uint kActivationRelu = 1u;
const uint kActivationSigmoid = 2u;
const uint kActivationTanh = 3u;
const uint kActivationExp = 4u;

float mlp_activate(uint a, float x) {
    if (a == kActivationRelu) return x > 0.0 ? x : 0.0;
    if (a == kActivationSigmoid) return 1.0 / (1.0 + exp(-x));
    if (a == kActivationTanh) {
        // Overflow-safe: sign(x) (1 - e) / (1 + e), e = exp(-2|x|).
        float e = exp(-2.0 * abs(x));
        float t = (1.0 - e) / (1.0 + e);
        return x < 0.0 ? -t : t;
    }
    if (a == kActivationExp) return exp(x);
    return x;
}

#endif
