#pragma once
// The CPU launchers of the 4D Gaussian ops (training/kernels/slice4d.hpp, sh4d.hpp, densify4d.hpp):
// threaded loops over the per-element functions, on raw host arrays. Slice4dOpsCpu (slice4d_ops_cpu.hpp) calls
// these; tests call them directly (in double precision for finite
// differences through the rasterizer). Every row is independent, so results do not depend on the
// thread count. Instantiated for float and double.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "training/kernels/slice4d.hpp"

namespace splatscape::cpu {

template <class T>
struct Slice4dArrays {
    size_t count = 0;
    const T* means = nullptr;      // [N, 4]
    const T* log_scales = nullptr; // [N, 4]
    const T* rot_l = nullptr;      // [N, 4]
    const T* rot_r = nullptr;      // [N, 4]
    const T* opacities = nullptr;  // [N]
    const T* sh = nullptr;         // [N, J, 3]
    int sh_coeffs = 1;             // K
    int sh_stride = 1;             // J = K * (stored temporal degree + 1)
};

// Row i of `in` as the per-element functions take it.
template <class T>
kern::Gaussian4d<T> gaussian(const Slice4dArrays<T>& in, size_t i) {
    kern::Gaussian4d<T> g;
    for (int k = 0; k < 4; ++k) {
        g.mean[k] = in.means[4 * i + k];
        g.log_scale[k] = in.log_scales[4 * i + k];
    }
    const T* l = in.rot_l + 4 * i;
    const T* r = in.rot_r + 4 * i;
    g.rot_l = {l[0], l[1], l[2], l[3]};
    g.rot_r = {r[0], r[1], r[2], r[3]};
    return g;
}

struct Slice4dParams {
    float time = 0.0f;
    float time_period = 1.0f;
    int sh_degree = 0;
    int sh_degree_t = 0;
    float min_weight = 0.05f;
};

// Rows whose marginal weight at p.time reaches p.min_weight, ascending.
template <class T>
std::vector<int32_t> slice4d_select(const Slice4dArrays<T>& in, const Slice4dParams& p);

// The slice of the listed rows: means [M, 3], covariances [M, 6], opacity logits [M],
// sh [M, (p.sh_degree + 1)^2, 3].
template <class T>
void slice4d_forward(const Slice4dArrays<T>& in, const Slice4dParams& p, const int32_t* rows, size_t m, T* means,
                     T* covariances, T* opacities, T* sh);

// Adds scale x the parameter gradients to the [N, ...] arrays (null: skipped); writes |dL/dmu_t|
// (unscaled) per row to time_grad when given.
template <class T>
struct Slice4dParamGrads {
    T* means = nullptr;
    T* log_scales = nullptr;
    T* rot_l = nullptr;
    T* rot_r = nullptr;
    T* opacities = nullptr;
    T* sh = nullptr;
};
template <class T>
void slice4d_backward(const Slice4dArrays<T>& in, const Slice4dParams& p, const int32_t* rows, size_t m,
                      const T* d_means, const T* d_covariances, const T* d_opacities, const T* d_sh, T scale,
                      Slice4dParamGrads<T>& grads, T* time_grad);

} // namespace splatscape::cpu
