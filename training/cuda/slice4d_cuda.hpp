#pragma once
// The 4D slice op on the GPU: the CUDA launchers of what training/cpu/slice4d_cpu.cpp does on the
// CPU, over the same per-element functions (training/kernels/slice4d.hpp, sh4d.hpp). Framework-free:
// every pointer is device memory, every launch runs on the legacy default stream. Results match the
// CPU launchers to float rounding (the device build uses --use_fast_math).
#include <cstddef>
#include <cstdint>

namespace splatscape::cuda {

// 4D Gaussians, shapes as Gaussian4dTensors (training/backend.hpp).
struct Slice4dDevice {
    size_t count = 0;
    const float* means = nullptr;      // [N, 4]
    const float* log_scales = nullptr; // [N, 4]
    const float* rot_l = nullptr;      // [N, 4]
    const float* rot_r = nullptr;      // [N, 4]
    const float* opacities = nullptr;  // [N]
    const float* sh = nullptr;         // [N, sh_stride, 3]
    int sh_coeffs = 1;                 // K
    int sh_stride = 1;                 // J = K * (stored temporal degree + 1)
};

// Slice4dSettings (training/backend.hpp).
struct Slice4dLaunch {
    float time = 0.0f;
    float time_period = 1.0f;
    int sh_degree = 0;
    int sh_degree_t = 0;
    float min_weight = 0.05f;
};

// Writes the rows whose marginal weight reaches p.min_weight to rows [N] (ascending) and returns
// their number M (this reads one count back, so it synchronises).
size_t launch_slice4d_select(const Slice4dDevice& in, const Slice4dLaunch& p, int32_t* rows);

// The slice of rows [M]: means [M, 3], covariances [M, 6], opacity logits [M], sh [M, (sh_degree + 1)^2, 3].
void launch_slice4d_forward(const Slice4dDevice& in, const Slice4dLaunch& p, const int32_t* rows, size_t m,
                            float* means, float* covariances, float* opacities, float* sh);

// Parameter gradients, shapes of Slice4dDevice (null: not written).
struct Slice4dDeviceGrads {
    float* means = nullptr;
    float* log_scales = nullptr;
    float* rot_l = nullptr;
    float* rot_r = nullptr;
    float* opacities = nullptr;
    float* sh = nullptr;
};

// Adds scale x the parameter gradients of the slice's loss gradients (shapes of the forward's
// outputs) to `grads`; writes |dL/dmu_t| (unscaled) per row to time_grad [M] when it is not null.
// Rows are distinct, so the additions do not race.
void launch_slice4d_backward(const Slice4dDevice& in, const Slice4dLaunch& p, const int32_t* rows, size_t m,
                             const float* d_means, const float* d_covariances, const float* d_opacities,
                             const float* d_sh, float scale, const Slice4dDeviceGrads& grads, float* time_grad);

} // namespace splatscape::cuda
