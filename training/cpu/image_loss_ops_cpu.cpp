#include "training/cpu/image_loss_ops_cpu.hpp"

#include "training/cpu/thread_pool.hpp"

namespace splatscape {

LossValue ImageLossOpsCpu::image_loss(const Tensor& rendered, const Tensor& target, int width, int height,
                                      float ssim_weight, Tensor* d_rendered) {
    const auto v = cpu::image_loss(rendered.f32(), target.f32(), width, height, 3, ssim_weight,
                                   d_rendered ? d_rendered->f32() : nullptr, m_ws);
    return {v.loss, v.l1, v.ssim};
}

void ImageLossOpsCpu::compose_over(const Tensor& rgba, const float bg[3], Tensor& target) {
    const size_t n = rgba.rows();
    const float* s = rgba.f32();
    float* d = target.f32();
    cpu::parallel_for_each(n, 4096, [&](size_t i) {
        for (int c = 0; c < 3; ++c) d[i * 3 + c] = s[i * 4 + c] + (1.0f - s[i * 4 + 3]) * bg[c];
    });
}

} // namespace splatscape
