#include "training/cpu/slice4d_cpu.hpp"

#include <algorithm>
#include <cmath>

#include "core/error.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/densify4d.hpp"
#include "training/kernels/sh4d.hpp"
#include "training/kernels/slice4d.hpp"

namespace splatscape {
namespace cpu {
namespace {

int active_coeffs(const Slice4dParams& p) {
    return (p.sh_degree + 1) * (p.sh_degree + 1);
}

} // namespace

template <class T>
std::vector<int32_t> slice4d_select(const Slice4dArrays<T>& in, const Slice4dParams& p) {
    std::vector<uint8_t> keep(in.count);
    parallel_for_each(in.count, 2048, [&](size_t i) {
        keep[i] = kern::slice_keeps(gaussian(in, i), T(p.time), T(p.min_weight)) ? 1 : 0;
    });
    std::vector<int32_t> rows;
    for (size_t i = 0; i < in.count; ++i)
        if (keep[i]) rows.push_back(int32_t(i));
    return rows;
}

template <class T>
void slice4d_forward(const Slice4dArrays<T>& in, const Slice4dParams& p, const int32_t* rows, size_t m, T* means,
                     T* covariances, T* opacities, T* sh) {
    const int K_out = active_coeffs(p);
    parallel_for_each(m, 1024, [&](size_t j) {
        const size_t i = size_t(rows[j]);
        const auto s = kern::slice_4d(gaussian(in, i), T(p.time));
        means[3 * j] = s.mean.x;
        means[3 * j + 1] = s.mean.y;
        means[3 * j + 2] = s.mean.z;
        const T c[6] = {s.cov.xx, s.cov.xy, s.cov.xz, s.cov.yy, s.cov.yz, s.cov.zz};
        std::copy_n(c, 6, covariances + 6 * j);
        opacities[j] = kern::sliced_opacity_logit(in.opacities[i], s.weight);
        kern::sh4d_collapse(in.sh_coeffs, K_out, p.sh_degree_t, s.dt, T(p.time_period),
                            in.sh + i * size_t(in.sh_stride) * 3, sh + j * size_t(K_out) * 3);
    });
}

template <class T>
void slice4d_backward(const Slice4dArrays<T>& in, const Slice4dParams& p, const int32_t* rows, size_t m,
                      const T* d_means, const T* d_covariances, const T* d_opacities, const T* d_sh, T scale,
                      Slice4dParamGrads<T>& grads, T* time_grad) {
    const int K_out = active_coeffs(p);
    const int J3 = in.sh_stride * 3;
    parallel_for_each(m, 512, [&](size_t j) {
        const size_t i = size_t(rows[j]);
        const auto g = gaussian(in, i);
        const auto s = kern::slice_4d(g, T(p.time));
        T d_weight = T(0);
        const T d_o = kern::sliced_opacity_logit_backward(in.opacities[i], s.weight, d_opacities[j], d_weight);
        // The SH gradient is added to the parameter gradient directly, scaled.
        const T d_dt = kern::sh4d_collapse_backward(in.sh_coeffs, K_out, p.sh_degree_t, s.dt, T(p.time_period),
                                                    in.sh + i * size_t(J3), d_sh + j * size_t(K_out) * 3,
                                                    grads.sh ? grads.sh + i * size_t(J3) : nullptr, scale);
        const T* dc = d_covariances + 6 * j;
        kern::Gaussian4dGrad<T> d;
        kern::slice_4d_backward(g, T(p.time), kern::Vec3<T>{d_means[3 * j], d_means[3 * j + 1], d_means[3 * j + 2]},
                                kern::Sym3<T>{dc[0], dc[1], dc[2], dc[3], dc[4], dc[5]}, d_weight, d_dt, d);
        if (time_grad) time_grad[j] = std::abs(d.mean[3]);
        if (grads.means)
            for (int k = 0; k < 4; ++k) grads.means[4 * i + k] += scale * d.mean[k];
        if (grads.log_scales)
            for (int k = 0; k < 4; ++k) grads.log_scales[4 * i + k] += scale * d.log_scale[k];
        if (grads.rot_l) {
            const T q[4] = {d.rot_l.w, d.rot_l.x, d.rot_l.y, d.rot_l.z};
            for (int k = 0; k < 4; ++k) grads.rot_l[4 * i + k] += scale * q[k];
        }
        if (grads.rot_r) {
            const T q[4] = {d.rot_r.w, d.rot_r.x, d.rot_r.y, d.rot_r.z};
            for (int k = 0; k < 4; ++k) grads.rot_r[4 * i + k] += scale * q[k];
        }
        if (grads.opacities) grads.opacities[i] += scale * d_o;
    });
}

#define SPLATSCAPE_INSTANTIATE(T)                                                                                      \
    template std::vector<int32_t> slice4d_select<T>(const Slice4dArrays<T>&, const Slice4dParams&);                    \
    template void slice4d_forward<T>(const Slice4dArrays<T>&, const Slice4dParams&, const int32_t*, size_t, T*, T*,    \
                                     T*, T*);                                                                          \
    template void slice4d_backward<T>(const Slice4dArrays<T>&, const Slice4dParams&, const int32_t*, size_t, const T*, \
                                      const T*, const T*, const T*, T, Slice4dParamGrads<T>&, T*);
SPLATSCAPE_INSTANTIATE(float)
SPLATSCAPE_INSTANTIATE(double)
#undef SPLATSCAPE_INSTANTIATE

} // namespace cpu

} // namespace splatscape
