#include "training/cpu/optimizer_ops_cpu.hpp"

#include "training/cpu/thread_pool.hpp"

namespace splatscape {

void OptimizerOpsCpu::adam_step(Tensor& param, const Tensor& grad, Tensor& m, Tensor& v, const kern::AdamStep& a,
                                int split_col, const kern::AdamStep& b) {
    const size_t rows = param.rows();
    const int cols = param.cols();
    float* p = param.f32();
    const float* g = grad.f32();
    float* mm = m.f32();
    float* vv = v.f32();
    if (split_col >= cols) {
        // One step for the whole tensor: a flat loop the compiler vectorises.
        const size_t n = rows * size_t(cols);
        cpu::cpu_pool().parallel_for(n, 1 << 16, [&](size_t b, size_t e, int) {
#pragma omp simd
            for (size_t i = b; i < e; ++i) kern::adam_update(p[i], g[i], mm[i], vv[i], a);
        });
        return;
    }
    cpu::parallel_for_each(rows, 2048, [&](size_t r) {
        const size_t base = r * cols;
        for (int c = 0; c < split_col; ++c) kern::adam_update(p[base + c], g[base + c], mm[base + c], vv[base + c], a);
#pragma omp simd
        for (int c = split_col; c < cols; ++c)
            kern::adam_update(p[base + c], g[base + c], mm[base + c], vv[base + c], b);
    });
}

} // namespace splatscape
