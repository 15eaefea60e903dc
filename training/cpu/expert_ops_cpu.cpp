#include "training/cpu/expert_ops_cpu.hpp"

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/kernels/nerf_march.hpp"
#include "training/ops/row_selection.hpp"

namespace splatscape {
namespace {

constexpr size_t kGrain = 1024;

} // namespace

void ExpertOpsCpu::route(const Tensor& logits, Tensor& probs, Tensor& expert, Tensor& prob) {
    const char* op = "expert route";
    const size_t n = logits.rows();
    const int E = logits.cols();
    ops_check::shape(logits, n, E, Device::Cpu, DType::F32, op, "logits");
    ops_check::shape(probs, n, E, Device::Cpu, DType::F32, op, "probs");
    ops_check::shape(expert, n, 1, Device::Cpu, DType::I32, op, "expert");
    ops_check::shape(prob, n, 1, Device::Cpu, DType::F32, op, "prob");
    const float* l = logits.f32();
    float* p = probs.f32();
    int32_t* ex = expert.i32();
    float* pk = prob.f32();
    cpu::parallel_for_each(n, kGrain, [&](size_t i) {
        const int k = kern::gate_route(E, l + i * E, p + i * E);
        ex[i] = k;
        pk[i] = p[i * E + k];
    });
}

std::vector<int64_t> ExpertOpsCpu::group(const Tensor& keys, int n_keys, Tensor& perm, Tensor& offsets,
                                         bool host_offsets) {
    const char* op = "expert group";
    ops_check::shape(keys, SIZE_MAX, 1, Device::Cpu, DType::I32, op, "keys");
    if (n_keys < 0) throw Error(cat(op, ": negative key count"));
    const size_t n = keys.rows();
    const int32_t* k = keys.i32();
    std::vector<int64_t> count(size_t(n_keys) + 1, 0);
    for (size_t i = 0; i < n; ++i) {
        const int32_t key = k[i];
        if (key >= n_keys) throw Error(cat(op, ": key ", key, " of row ", i, " is not below ", n_keys));
        if (key >= 0) ++count[size_t(key) + 1];
    }
    for (int e = 0; e < n_keys; ++e) count[size_t(e) + 1] += count[size_t(e)];
    offsets = m_backend.zeros(size_t(n_keys) + 1, 1, DType::I32);
    for (size_t e = 0; e < count.size(); ++e) offsets.i32()[e] = int32_t(count[e]);
    perm = m_backend.zeros(size_t(count.back()), 1, DType::I32);
    std::vector<int64_t> next(count.begin(), count.end() - 1);
    int32_t* out = perm.i32();
    for (size_t i = 0; i < n; ++i)
        if (k[i] >= 0) out[next[size_t(k[i])]++] = int32_t(i);
    if (!host_offsets) return {};
    return count;
}

void ExpertOpsCpu::gather(const Tensor& src, const Tensor& perm, Tensor& dst) {
    const char* op = "expert gather";
    ops_check::shape(perm, SIZE_MAX, 1, Device::Cpu, DType::I32, op, "perm");
    ops_check::device(src, Device::Cpu, op, "src");
    const size_t m = perm.rows(), rows = src.rows();
    if (dst.rows() != m || dst.cols() != src.cols() || dst.dtype() != src.dtype())
        dst = m_backend.zeros(m, src.cols(), src.dtype());
    const size_t bytes = size_t(src.cols()) * 4;
    const auto* s = static_cast<const uint8_t*>(src.raw());
    auto* d = static_cast<uint8_t*>(dst.raw());
    const int32_t* p = perm.i32();
    for (size_t i = 0; i < m; ++i)
        if (p[i] < 0 || size_t(p[i]) >= rows)
            throw Error(cat(op, ": perm entry ", i, " is ", p[i], ", outside the ", rows, " rows of src"));
    cpu::parallel_for_each(m, 4096, [&](size_t i) { std::memcpy(d + i * bytes, s + size_t(p[i]) * bytes, bytes); });
}

void ExpertOpsCpu::scatter_scaled(const Tensor& src, const Tensor& perm, const Tensor& prob, Tensor& dst, int col) {
    const char* op = "expert scatter";
    const size_t m = perm.rows();
    const int C = src.cols();
    ops_check::shape(src, m, C, Device::Cpu, DType::F32, op, "src");
    ops_check::shape(perm, m, 1, Device::Cpu, DType::I32, op, "perm");
    ops_check::shape(prob, dst.rows(), 1, Device::Cpu, DType::F32, op, "prob");
    ops_check::window(dst, dst.rows(), col, C, Device::Cpu, op, "dst");
    const int32_t* p = perm.i32();
    const size_t rows = dst.rows();
    const int stride = dst.cols();
    cpu::parallel_for_each(m, kGrain, [&](size_t i) {
        const size_t r = size_t(p[i]);
        if (r >= rows) return;
        const float w = prob.f32()[r];
        const float* s = src.f32() + i * C;
        float* d = dst.f32() + r * stride + col;
        for (int c = 0; c < C; ++c) d[c] = w * s[c];
    });
}

void ExpertOpsCpu::scatter_scaled_backward(const Tensor& src, const Tensor& perm, const Tensor& prob,
                                           const Tensor& d_dst, int col, Tensor& d_src, Tensor& d_prob) {
    const char* op = "expert scatter backward";
    const size_t m = perm.rows();
    const int C = src.cols();
    ops_check::shape(src, m, C, Device::Cpu, DType::F32, op, "src");
    ops_check::shape(d_src, m, C, Device::Cpu, DType::F32, op, "d_src");
    ops_check::shape(perm, m, 1, Device::Cpu, DType::I32, op, "perm");
    ops_check::shape(prob, d_dst.rows(), 1, Device::Cpu, DType::F32, op, "prob");
    ops_check::shape(d_prob, d_dst.rows(), 1, Device::Cpu, DType::F32, op, "d_prob");
    ops_check::window(d_dst, d_dst.rows(), col, C, Device::Cpu, op, "d_dst");
    const int32_t* p = perm.i32();
    const size_t rows = d_dst.rows();
    const int stride = d_dst.cols();
    cpu::parallel_for_each(m, kGrain, [&](size_t i) {
        const size_t r = size_t(p[i]);
        if (r >= rows) return;
        const float w = prob.f32()[r];
        const float* s = src.f32() + i * C;
        const float* g = d_dst.f32() + r * stride + col;
        float* ds = d_src.f32() + i * C;
        float dp = 0.0f;
        for (int c = 0; c < C; ++c) {
            ds[c] = w * g[c];
            dp += g[c] * s[c];
        }
        d_prob.f32()[r] = dp;
    });
}

GateBalance ExpertOpsCpu::balance(const Tensor& probs, const Tensor& expert) {
    const char* op = "expert balance";
    const size_t n = probs.rows();
    const int E = probs.cols();
    ops_check::shape(expert, n, 1, Device::Cpu, DType::I32, op, "expert");
    GateBalance b;
    b.fraction.assign(size_t(E), 0.0);
    b.mean_probability.assign(size_t(E), 0.0);
    if (n == 0) return b;
    // Per-chunk sums added in chunk order: the same result for any thread count.
    const size_t chunk = 4096, chunks = (n + chunk - 1) / chunk;
    std::vector<double> part(chunks * size_t(2 * E), 0.0);
    cpu::parallel_for_each(chunks, 1, [&](size_t c) {
        double* f = part.data() + c * size_t(2 * E);
        double* pm = f + E;
        for (size_t i = c * chunk; i < std::min(n, (c + 1) * chunk); ++i) {
            const int k = expert.i32()[i];
            if (k >= 0 && k < E) f[k] += 1.0;
            for (int e = 0; e < E; ++e) pm[e] += double(probs.f32()[i * E + e]);
        }
    });
    for (size_t c = 0; c < chunks; ++c)
        for (int e = 0; e < E; ++e) {
            b.fraction[size_t(e)] += part[c * size_t(2 * E) + size_t(e)];
            b.mean_probability[size_t(e)] += part[c * size_t(2 * E) + size_t(E + e)];
        }
    for (int e = 0; e < E; ++e) {
        b.fraction[size_t(e)] /= double(n);
        b.mean_probability[size_t(e)] /= double(n);
    }
    return b;
}

void ExpertOpsCpu::gate_backward(const Tensor& probs, const Tensor& expert, const Tensor& d_prob,
                                 const std::vector<float>& balance_grad, Tensor& d_logits) {
    const char* op = "expert gate backward";
    const size_t n = probs.rows();
    const int E = probs.cols();
    ops_check::shape(expert, n, 1, Device::Cpu, DType::I32, op, "expert");
    ops_check::shape(d_prob, n, 1, Device::Cpu, DType::F32, op, "d_prob");
    ops_check::shape(d_logits, n, E, Device::Cpu, DType::F32, op, "d_logits");
    if (balance_grad.size() != size_t(E))
        throw Error(cat(op, ": ", balance_grad.size(), " balance gradients for ", E, " experts"));
    cpu::parallel_for_each(n, kGrain, [&](size_t i) {
        kern::gate_backward(E, probs.f32() + i * E, expert.i32()[i], d_prob.f32()[i], balance_grad.data(),
                            d_logits.f32() + i * E);
    });
}

} // namespace splatscape
