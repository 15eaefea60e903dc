#include "training/cpu/mcmc_ops_cpu.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "training/backend.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/mcmc.hpp"

namespace splatscape {

namespace {

Tensor upload_rows(Backend& backend, const std::vector<int32_t>& rows) {
    Tensor t = backend.zeros(rows.size(), 1, DType::I32);
    backend.upload(t, rows.data());
    return t;
}

} // namespace

Tensor McmcOpsCpu::dead_rows(const Tensor& opacity_logits, float max_logit) {
    std::vector<int32_t> rows;
    const float* o = opacity_logits.f32();
    for (size_t i = 0; i < opacity_logits.rows(); ++i)
        if (o[i] <= max_logit) rows.push_back(int32_t(i));
    return upload_rows(m_backend, rows);
}

Tensor McmcOpsCpu::sample_rows(const Tensor& opacity_logits, float min_logit, size_t count, uint64_t seed,
                               uint64_t stream) {
    const size_t n = opacity_logits.rows();
    const float* o = opacity_logits.f32();
    std::vector<double> cdf(n);
    double total = 0.0;
    for (size_t i = 0; i < n; ++i) {
        if (o[i] > min_logit) total += 1.0 / (1.0 + std::exp(-double(o[i])));
        cdf[i] = total;
    }
    if (!(total > 0.0)) return m_backend.zeros(0, 1, DType::I32);
    std::vector<int32_t> rows(count);
    cpu::parallel_for_each(count, 4096, [&](size_t j) {
        const double u = double(kern::random_uniform(seed, stream, j)) * total;
        // The first row whose cumulative weight exceeds u (rows of zero weight are never chosen).
        const size_t r = size_t(std::upper_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
        rows[j] = int32_t(std::min(r, n - 1));
    });
    return upload_rows(m_backend, rows);
}

void McmcOpsCpu::copy_rows(Tensor& t, const Tensor& sources, const Tensor& targets) {
    const size_t row_bytes = size_t(t.cols()) * dtype_size(t.dtype());
    auto* d = static_cast<uint8_t*>(t.raw());
    for (size_t j = 0; j < sources.rows(); ++j)
        std::memcpy(d + size_t(targets.i32()[j]) * row_bytes, d + size_t(sources.i32()[j]) * row_bytes, row_bytes);
}

void McmcOpsCpu::relocate(Tensor& opacity_logits, Tensor& log_scales, int scale_cols, const Tensor& sources,
                          const Tensor& targets, float min_opacity) {
    const size_t m = sources.rows(), n = opacity_logits.rows();
    const int sc = log_scales.cols();
    std::vector<int32_t> copies(n, 0);
    for (size_t j = 0; j < m; ++j) ++copies[size_t(sources.i32()[j])];
    // Phase 1 reads the sources' values, phase 2 writes: a source may also be read by another j.
    std::vector<float> new_logit(m), shift(m);
    for (size_t j = 0; j < m; ++j) {
        const size_t s = size_t(sources.i32()[j]);
        kern::mcmc_relocation(opacity_logits.f32()[s], copies[s] + 1, min_opacity, new_logit[j], shift[j]);
    }
    std::vector<float> scales(m * size_t(scale_cols));
    for (size_t j = 0; j < m; ++j)
        for (int k = 0; k < scale_cols; ++k)
            scales[j * scale_cols + k] = log_scales.f32()[size_t(sources.i32()[j]) * sc + k] + shift[j];
    for (size_t j = 0; j < m; ++j)
        for (const size_t r : {size_t(sources.i32()[j]), size_t(targets.i32()[j])}) {
            opacity_logits.f32()[r] = new_logit[j];
            for (int k = 0; k < scale_cols; ++k) log_scales.f32()[r * sc + k] = scales[j * scale_cols + k];
        }
}

void McmcOpsCpu::zero_rows(Tensor& t, const Tensor& rows) {
    const size_t row_bytes = size_t(t.cols()) * dtype_size(t.dtype());
    auto* d = static_cast<uint8_t*>(t.raw());
    for (size_t j = 0; j < rows.rows(); ++j) std::memset(d + size_t(rows.i32()[j]) * row_bytes, 0, row_bytes);
}

void McmcOpsCpu::add_regularizer_grads(const Tensor& opacity_logits, const Tensor& log_scales, int scale_cols,
                                       float opacity_weight, float scale_weight, Tensor& d_opacity,
                                       Tensor& d_log_scales) {
    const int sc = log_scales.cols();
    cpu::parallel_for_each(opacity_logits.rows(), 4096, [&](size_t i) {
        kern::mcmc_opacity_regularizer(opacity_logits.f32()[i], opacity_weight, d_opacity.f32()[i]);
        for (int k = 0; k < scale_cols; ++k)
            kern::mcmc_scale_regularizer(log_scales.f32()[i * sc + k], scale_weight, d_log_scales.f32()[i * sc + k]);
    });
}

void McmcOpsCpu::add_position_noise(Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                    const Tensor& opacity_logits, float scale, uint64_t seed, uint64_t stream) {
    const int sc = log_scales.cols();
    cpu::parallel_for_each(means.rows(), 2048, [&](size_t i) {
        float d[3];
        kern::mcmc_position_noise(log_scales.f32() + i * sc, rotations.f32() + i * 4, opacity_logits.f32()[i], scale,
                                  seed, stream, uint64_t(i), d);
        for (int k = 0; k < 3; ++k) means.f32()[i * 3 + k] += d[k];
    });
}

void McmcOpsCpu::add_position_noise_4d(Tensor& means, const Tensor& log_scales, const Tensor& rot_l,
                                       const Tensor& rot_r, const Tensor& opacity_logits, float scale, uint64_t seed,
                                       uint64_t stream) {
    cpu::parallel_for_each(means.rows(), 2048, [&](size_t i) {
        float d[4];
        kern::mcmc_position_noise_4d(log_scales.f32() + i * 4, rot_l.f32() + i * 4, rot_r.f32() + i * 4,
                                     opacity_logits.f32()[i], scale, seed, stream, uint64_t(i), d);
        for (int k = 0; k < 4; ++k) means.f32()[i * 4 + k] += d[k];
    });
}

} // namespace splatscape
