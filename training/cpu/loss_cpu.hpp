#pragma once
// The photometric loss of 3DGS on the CPU: (1 - lambda) L1 + lambda (1 - SSIM), means over pixels
// and channels, with its gradient with respect to the rendered image. Deterministic: sums are
// taken per row and then over rows in order.
#include <vector>

namespace splatscape::cpu {

struct LossValue {
    double loss = 0.0;
    double l1 = 0.0;
    double ssim = 0.0;
};

// Scratch planes reused across calls.
template <class T>
struct LossWorkspace {
    std::vector<T> planes;
};

// Mean SSIM of x against y (both [H, W, C] interleaved). When d_x is not null, writes
// d(mean SSIM)/dx, [H, W, C].
template <class T>
double ssim_forward_backward(const T* x, const T* y, int width, int height, int channels, T* d_x, LossWorkspace<T>& ws);

// rendered, target: [H, W, C]. Writes dLoss/drendered when d_rendered is not null.
template <class T>
LossValue image_loss(const T* rendered, const T* target, int width, int height, int channels, float ssim_weight,
                     T* d_rendered, LossWorkspace<T>& ws);

} // namespace splatscape::cpu
