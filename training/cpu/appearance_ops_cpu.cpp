#include "training/cpu/appearance_ops_cpu.hpp"

#include <algorithm>
#include <vector>

#include "training/cpu/thread_pool.hpp"
#include "training/kernels/appearance.hpp"

namespace splatscape {

namespace {
constexpr size_t kChunk = 4096; // pixels per partial sum: fixed, so sums do not depend on threads
} // namespace

void AppearanceOpsCpu::affine_forward(const Tensor& rgb, const Tensor& params, size_t row, Tensor& out) {
    const float* p = params.f32() + row * kern::kAppearanceParams;
    cpu::parallel_for_each(rgb.rows(), 8192,
                           [&](size_t i) { kern::affine_color(p, rgb.f32() + 3 * i, out.f32() + 3 * i); });
}

void AppearanceOpsCpu::affine_backward(const Tensor& rgb, const Tensor& d_out, const Tensor& params, size_t row,
                                       Tensor& d_rgb, Tensor& d_params) {
    const size_t pixels = rgb.rows();
    const float* p = params.f32() + row * kern::kAppearanceParams;
    const size_t chunks = (pixels + kChunk - 1) / kChunk;
    std::vector<double> partial(chunks * kern::kAppearanceParams, 0.0);
    cpu::parallel_for_each(chunks, 1, [&](size_t c) {
        float acc[kern::kAppearanceParams] = {};
        double* out = partial.data() + c * kern::kAppearanceParams;
        const size_t e = std::min(pixels, (c + 1) * kChunk);
        for (size_t i = c * kChunk; i < e; ++i) {
            kern::affine_color_backward(p, rgb.f32() + 3 * i, d_out.f32() + 3 * i, d_rgb.f32() + 3 * i, acc);
            // Flush every 256 pixels: float sums of a few hundred terms, double beyond.
            if ((i + 1 - c * kChunk) % 256 == 0 || i + 1 == e)
                for (int k = 0; k < kern::kAppearanceParams; ++k) {
                    out[k] += acc[k];
                    acc[k] = 0.0f;
                }
        }
    });
    float* dp = d_params.f32() + row * kern::kAppearanceParams;
    for (int k = 0; k < kern::kAppearanceParams; ++k) {
        double sum = 0.0;
        for (size_t c = 0; c < chunks; ++c) sum += partial[c * kern::kAppearanceParams + k];
        dp[k] += float(sum);
    }
}

void AppearanceOpsCpu::apply_mask(Tensor& image, const Tensor& mask) {
    const int cols = image.cols();
    cpu::parallel_for_each(image.rows(), 8192, [&](size_t i) {
        for (int c = 0; c < cols; ++c) image.f32()[i * cols + c] *= mask.f32()[i];
    });
}

} // namespace splatscape
