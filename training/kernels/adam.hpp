#pragma once
// One Adam step for one parameter element, written as PyTorch's torch.optim.Adam computes it
// (which is what the 3DGS reference trains with): bias corrections applied to the step size and
// to the second moment's square root, eps added after the square root.
#include "training/kernels/math.hpp"

namespace splatscape::kern {

struct AdamStep {
    float lr = 0.0f;
    float beta1 = 0.9f;
    float beta2 = 0.999f;
    float eps = 1e-15f;      // the 3DGS reference's value
    float step_size = 0.0f;  // lr / (1 - beta1^t)
    float bias2_sqrt = 1.0f; // sqrt(1 - beta2^t)
};

// Fills the bias-corrected terms for step t (1-based).
SPLATSCAPE_HD AdamStep adam_step_for(float lr, int t, float beta1 = 0.9f, float beta2 = 0.999f, float eps = 1e-15f) {
    AdamStep s;
    s.lr = lr;
    s.beta1 = beta1;
    s.beta2 = beta2;
    s.eps = eps;
    const double bc1 = 1.0 - ::pow(double(beta1), double(t));
    const double bc2 = 1.0 - ::pow(double(beta2), double(t));
    s.step_size = float(double(lr) / bc1);
    s.bias2_sqrt = float(::sqrt(bc2));
    return s;
}

template <class T>
SPLATSCAPE_HD void adam_update(T& param, T grad, T& m, T& v, const AdamStep& s) {
    m = T(s.beta1) * m + (T(1) - T(s.beta1)) * grad;
    v = T(s.beta2) * v + (T(1) - T(s.beta2)) * grad * grad;
    const T denom = hd_sqrt(v) / T(s.bias2_sqrt) + T(s.eps);
    param -= T(s.step_size) * m / denom;
}

} // namespace splatscape::kern
