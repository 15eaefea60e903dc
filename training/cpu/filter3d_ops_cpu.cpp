#include "training/cpu/filter3d_ops_cpu.hpp"

#include <algorithm>
#include <limits>

#include "training/cpu/thread_pool.hpp"
#include "training/kernels/filter3d.hpp"

namespace splatscape {

void Filter3dOpsCpu::compute(const Tensor& means, const std::vector<kern::RasterCamera<float>>& cameras, float near,
                             float size, Tensor& variance) {
    const size_t n = means.rows();
    const int cols = means.cols();
    float* rate = variance.f32(); // the highest rate first, then the variance in place
    cpu::parallel_for_each(n, 512, [&](size_t i) {
        float best = 0.0f;
        for (const auto& cam : cameras) best = std::max(best, kern::sampling_rate(means.f32() + i * cols, cam, near));
        rate[i] = best;
    });
    float lowest = std::numeric_limits<float>::infinity();
    for (size_t i = 0; i < n; ++i)
        if (rate[i] > 0.0f) lowest = std::min(lowest, rate[i]);
    const float unseen = lowest < std::numeric_limits<float>::infinity() ? lowest : 0.0f;
    for (size_t i = 0; i < n; ++i) rate[i] = kern::filter_3d_variance(rate[i] > 0.0f ? rate[i] : unseen, size);
}

} // namespace splatscape
