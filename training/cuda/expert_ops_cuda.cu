// Kernels and host side of ExpertOpsCuda (expert_ops_cuda.hpp), over the per-element functions of
// training/kernels/nerf_march.hpp.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>

#include "core/error.hpp"
#include "training/backend.hpp"
#include "training/cuda/cuda_check.hpp"
#include "training/cuda/expert_ops_cuda.hpp"
#include "training/cuda/rasterize_cuda.hpp"
#include "training/kernels/nerf_march.hpp"
#include "training/ops/row_selection.hpp"

namespace splatscape {
namespace {

constexpr int kThreads = 128;
constexpr Device kCuda = Device::Cuda;
constexpr int kMaxExperts = 32; // HmoheConfig::validate's bound

unsigned blocks_for(size_t n) {
    return unsigned((n + kThreads - 1) / kThreads);
}

void use_device(int device) {
    int current = -1;
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&current));
    if (current != device) SPLATSCAPE_CUDA_CHECK(cudaSetDevice(device));
}

struct BalanceGrad {
    float v[kMaxExperts];
};

__global__ void route_kernel(size_t n, int E, const float* logits, float* probs, int32_t* expert, float* prob) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const int k = kern::gate_route(E, logits + i * E, probs + i * E);
    expert[i] = k;
    prob[i] = probs[i * E + k];
}

// Sort keys (negative keys last, as n_keys), row values, per-key counts (counts[key + 1]) and the
// first row whose key is out of range (+1; 0 when none).
__global__ void group_keys_kernel(size_t n, int n_keys, const int32_t* keys, uint64_t* sort_keys, uint32_t* rows,
                                  unsigned long long* counts, unsigned long long* bad_row) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    const int32_t k = keys[i];
    if (k >= n_keys) atomicMin(bad_row, (unsigned long long)(i + 1));
    const bool kept = k >= 0 && k < n_keys;
    sort_keys[i] = kept ? uint64_t(k) : uint64_t(n_keys);
    rows[i] = uint32_t(i);
    if (kept) atomicAdd(counts + k + 1, 1ull);
}

__global__ void to_i32_kernel(size_t n, const uint32_t* in, int32_t* out) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) out[i] = int32_t(in[i]);
}

__global__ void offsets_i32_kernel(size_t n, const uint64_t* in, int32_t* out) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i < n) out[i] = int32_t(in[i]);
}

// One thread per (row, 32-bit word); a perm entry outside src sets bad (+1 of the entry).
__global__ void gather_kernel(size_t m, int words, const uint32_t* src, size_t rows, const int32_t* perm, uint32_t* dst,
                              unsigned long long* bad) {
    const size_t t = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (t >= m * size_t(words)) return;
    const size_t i = t / size_t(words);
    const int w = int(t % size_t(words));
    const int32_t r = perm[i];
    if (r < 0 || size_t(r) >= rows) {
        atomicMin(bad, (unsigned long long)(i + 1));
        return;
    }
    dst[t] = src[size_t(r) * size_t(words) + size_t(w)];
}

__global__ void scatter_scaled_kernel(size_t m, int C, const float* src, const int32_t* perm, const float* prob,
                                      size_t rows, float* dst, int stride, int col) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= m) return;
    const size_t r = size_t(perm[i]);
    if (r >= rows) return;
    const float w = prob[r];
    for (int c = 0; c < C; ++c) dst[r * size_t(stride) + size_t(col + c)] = w * src[i * size_t(C) + size_t(c)];
}

__global__ void scatter_scaled_backward_kernel(size_t m, int C, const float* src, const int32_t* perm,
                                               const float* prob, size_t rows, const float* d_dst, int stride, int col,
                                               float* d_src, float* d_prob) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= m) return;
    const size_t r = size_t(perm[i]);
    if (r >= rows) return;
    const float w = prob[r];
    float dp = 0.0f;
    for (int c = 0; c < C; ++c) {
        const float g = d_dst[r * size_t(stride) + size_t(col + c)];
        d_src[i * size_t(C) + size_t(c)] = w * g;
        dp += g * src[i * size_t(C) + size_t(c)];
    }
    d_prob[r] = dp;
}

__global__ void gate_backward_kernel(size_t n, int E, const float* probs, const int32_t* expert, const float* d_prob,
                                     BalanceGrad balance, float* d_logits) {
    const size_t i = size_t(blockIdx.x) * blockDim.x + threadIdx.x;
    if (i >= n) return;
    kern::gate_backward(E, probs + i * E, expert[i], d_prob[i], balance.v, d_logits + i * E);
}

// A device scratch buffer of at least `bytes`, as an int32 tensor.
Tensor scratch(Backend& backend, size_t bytes) {
    return backend.zeros(std::max<size_t>((bytes + 3) / 4, 1), 1, DType::I32);
}

unsigned long long download_u64(const unsigned long long* device_value) {
    unsigned long long v = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&v, device_value, sizeof v, cudaMemcpyDeviceToHost));
    return v;
}

} // namespace

ExpertOpsCuda::ExpertOpsCuda(Backend& backend) : m_backend(backend) {
    SPLATSCAPE_CUDA_CHECK(cudaGetDevice(&m_device));
}

void ExpertOpsCuda::route(const Tensor& logits, Tensor& probs, Tensor& expert, Tensor& prob) {
    const char* op = "expert route";
    const size_t n = logits.rows();
    const int E = logits.cols();
    ops_check::shape(logits, n, E, kCuda, DType::F32, op, "logits");
    ops_check::shape(probs, n, E, kCuda, DType::F32, op, "probs");
    ops_check::shape(expert, n, 1, kCuda, DType::I32, op, "expert");
    ops_check::shape(prob, n, 1, kCuda, DType::F32, op, "prob");
    if (n == 0) return;
    use_device(m_device);
    route_kernel<<<blocks_for(n), kThreads>>>(n, E, logits.f32(), probs.f32(), expert.i32(), prob.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("route_kernel");
}

std::vector<int64_t> ExpertOpsCuda::group(const Tensor& keys, int n_keys, Tensor& perm, Tensor& offsets,
                                          bool host_offsets) {
    const char* op = "expert group";
    ops_check::shape(keys, SIZE_MAX, 1, kCuda, DType::I32, op, "keys");
    if (n_keys < 0) throw Error(cat(op, ": negative key count"));
    const size_t n = keys.rows();
    use_device(m_device);
    // counts [n_keys + 1] then the bad-row flag, as uint64.
    Tensor counts = m_backend.zeros(size_t(n_keys) + 2, 2, DType::I32);
    auto* c = static_cast<unsigned long long*>(counts.raw());
    const unsigned long long none = ~0ull;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(c + n_keys + 1, &none, sizeof none, cudaMemcpyHostToDevice));
    Tensor sort_keys[2] = {m_backend.zeros(std::max<size_t>(n, 1), 2, DType::I32),
                           m_backend.zeros(std::max<size_t>(n, 1), 2, DType::I32)};
    Tensor rows[2] = {m_backend.zeros(std::max<size_t>(n, 1), 1, DType::I32),
                      m_backend.zeros(std::max<size_t>(n, 1), 1, DType::I32)};
    uint64_t* k[2] = {static_cast<uint64_t*>(sort_keys[0].raw()), static_cast<uint64_t*>(sort_keys[1].raw())};
    uint32_t* v[2] = {static_cast<uint32_t*>(rows[0].raw()), static_cast<uint32_t*>(rows[1].raw())};
    if (n > 0) {
        group_keys_kernel<<<blocks_for(n), kThreads>>>(n, n_keys, keys.i32(), k[0], v[0], c, c + n_keys + 1);
        SPLATSCAPE_CUDA_CHECK_LAUNCH("group_keys_kernel");
    }
    const unsigned long long bad = download_u64(c + n_keys + 1);
    if (bad != none) {
        int32_t key = 0;
        SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&key, keys.i32() + (bad - 1), sizeof key, cudaMemcpyDeviceToHost));
        throw Error(cat(op, ": key ", key, " of row ", bad - 1, " is not below ", n_keys));
    }
    // Offsets: the inclusive scan of counts (counts[0] = 0).
    Tensor scanned = m_backend.zeros(size_t(n_keys) + 1, 2, DType::I32);
    auto* s = static_cast<uint64_t*>(scanned.raw());
    const size_t scan_bytes = cuda::inclusive_scan_temp_bytes(size_t(n_keys) + 1);
    Tensor scan_temp = scratch(m_backend, scan_bytes);
    cuda::inclusive_scan(scan_temp.raw(), scan_bytes, reinterpret_cast<const uint64_t*>(c), s, size_t(n_keys) + 1);
    offsets = m_backend.zeros(size_t(n_keys) + 1, 1, DType::I32);
    offsets_i32_kernel<<<blocks_for(size_t(n_keys) + 1), kThreads>>>(size_t(n_keys) + 1, s, offsets.i32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("offsets_i32_kernel");
    uint64_t kept = 0;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&kept, s + n_keys, sizeof kept, cudaMemcpyDeviceToHost));
    // A stable sort on the key bits that matter (n_keys itself marks the rows left out).
    int end_bit = 1;
    while (end_bit < 63 && (uint64_t(1) << end_bit) <= uint64_t(n_keys)) ++end_bit;
    const size_t sort_bytes = cuda::sort_pairs_temp_bytes(n, end_bit);
    Tensor sort_temp = scratch(m_backend, sort_bytes);
    const int sel = cuda::sort_pairs(sort_temp.raw(), sort_bytes, k, v, n, end_bit);
    perm = m_backend.zeros(size_t(kept), 1, DType::I32);
    if (kept > 0) {
        to_i32_kernel<<<blocks_for(size_t(kept)), kThreads>>>(size_t(kept), v[sel], perm.i32());
        SPLATSCAPE_CUDA_CHECK_LAUNCH("to_i32_kernel");
    }
    if (!host_offsets) return {};
    std::vector<uint64_t> host(size_t(n_keys) + 1);
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(host.data(), s, host.size() * sizeof(uint64_t), cudaMemcpyDeviceToHost));
    return std::vector<int64_t>(host.begin(), host.end());
}

void ExpertOpsCuda::gather(const Tensor& src, const Tensor& perm, Tensor& dst) {
    const char* op = "expert gather";
    ops_check::shape(perm, SIZE_MAX, 1, kCuda, DType::I32, op, "perm");
    ops_check::device(src, kCuda, op, "src");
    const size_t m = perm.rows();
    if (dst.rows() != m || dst.cols() != src.cols() || dst.dtype() != src.dtype())
        dst = m_backend.zeros(m, src.cols(), src.dtype());
    const int words = src.cols(); // 4-byte elements
    if (m == 0 || words == 0) return;
    use_device(m_device);
    Tensor flag = m_backend.zeros(1, 2, DType::I32);
    auto* bad = static_cast<unsigned long long*>(flag.raw());
    const unsigned long long none = ~0ull;
    SPLATSCAPE_CUDA_CHECK(cudaMemcpy(bad, &none, sizeof none, cudaMemcpyHostToDevice));
    gather_kernel<<<blocks_for(m * size_t(words)), kThreads>>>(m, words, static_cast<const uint32_t*>(src.raw()),
                                                               src.rows(), perm.i32(),
                                                               static_cast<uint32_t*>(dst.raw()), bad);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gather_kernel");
    const unsigned long long b = download_u64(bad);
    if (b != none) {
        int32_t r = 0;
        SPLATSCAPE_CUDA_CHECK(cudaMemcpy(&r, perm.i32() + (b - 1), sizeof r, cudaMemcpyDeviceToHost));
        throw Error(cat(op, ": perm entry ", b - 1, " is ", r, ", outside the ", src.rows(), " rows of src"));
    }
}

void ExpertOpsCuda::scatter_scaled(const Tensor& src, const Tensor& perm, const Tensor& prob, Tensor& dst, int col) {
    const char* op = "expert scatter";
    const size_t m = perm.rows();
    const int C = src.cols();
    ops_check::shape(src, m, C, kCuda, DType::F32, op, "src");
    ops_check::shape(perm, m, 1, kCuda, DType::I32, op, "perm");
    ops_check::shape(prob, dst.rows(), 1, kCuda, DType::F32, op, "prob");
    ops_check::window(dst, dst.rows(), col, C, kCuda, op, "dst");
    if (m == 0) return;
    use_device(m_device);
    scatter_scaled_kernel<<<blocks_for(m), kThreads>>>(m, C, src.f32(), perm.i32(), prob.f32(), dst.rows(), dst.f32(),
                                                       dst.cols(), col);
    SPLATSCAPE_CUDA_CHECK_LAUNCH("scatter_scaled_kernel");
}

void ExpertOpsCuda::scatter_scaled_backward(const Tensor& src, const Tensor& perm, const Tensor& prob,
                                            const Tensor& d_dst, int col, Tensor& d_src, Tensor& d_prob) {
    const char* op = "expert scatter backward";
    const size_t m = perm.rows();
    const int C = src.cols();
    ops_check::shape(src, m, C, kCuda, DType::F32, op, "src");
    ops_check::shape(d_src, m, C, kCuda, DType::F32, op, "d_src");
    ops_check::shape(perm, m, 1, kCuda, DType::I32, op, "perm");
    ops_check::shape(prob, d_dst.rows(), 1, kCuda, DType::F32, op, "prob");
    ops_check::shape(d_prob, d_dst.rows(), 1, kCuda, DType::F32, op, "d_prob");
    ops_check::window(d_dst, d_dst.rows(), col, C, kCuda, op, "d_dst");
    if (m == 0) return;
    use_device(m_device);
    scatter_scaled_backward_kernel<<<blocks_for(m), kThreads>>>(m, C, src.f32(), perm.i32(), prob.f32(), d_dst.rows(),
                                                                d_dst.f32(), d_dst.cols(), col, d_src.f32(),
                                                                d_prob.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("scatter_scaled_backward_kernel");
}

GateBalance ExpertOpsCuda::balance(const Tensor& probs, const Tensor& expert) {
    const char* op = "expert balance";
    const size_t n = probs.rows();
    const int E = probs.cols();
    ops_check::shape(probs, n, E, kCuda, DType::F32, op, "probs");
    ops_check::shape(expert, n, 1, kCuda, DType::I32, op, "expert");
    GateBalance b;
    b.fraction.assign(size_t(E), 0.0);
    b.mean_probability.assign(size_t(E), 0.0);
    if (n == 0) return b;
    const std::vector<float> p = m_backend.download_f32(probs);
    std::vector<int32_t> k(n);
    m_backend.download(expert, k.data());
    // The CPU op's order: sums per chunk of 4096 rows, then the chunks in order.
    const size_t chunk = 4096;
    for (size_t c0 = 0; c0 < n; c0 += chunk) {
        std::vector<double> f(size_t(E), 0.0), pm(size_t(E), 0.0);
        for (size_t i = c0; i < std::min(n, c0 + chunk); ++i) {
            if (k[i] >= 0 && k[i] < E) f[size_t(k[i])] += 1.0;
            for (int e = 0; e < E; ++e) pm[size_t(e)] += double(p[i * size_t(E) + size_t(e)]);
        }
        for (int e = 0; e < E; ++e) {
            b.fraction[size_t(e)] += f[size_t(e)];
            b.mean_probability[size_t(e)] += pm[size_t(e)];
        }
    }
    for (int e = 0; e < E; ++e) {
        b.fraction[size_t(e)] /= double(n);
        b.mean_probability[size_t(e)] /= double(n);
    }
    return b;
}

void ExpertOpsCuda::gate_backward(const Tensor& probs, const Tensor& expert, const Tensor& d_prob,
                                  const std::vector<float>& balance_grad, Tensor& d_logits) {
    const char* op = "expert gate backward";
    const size_t n = probs.rows();
    const int E = probs.cols();
    ops_check::shape(probs, n, E, kCuda, DType::F32, op, "probs");
    ops_check::shape(expert, n, 1, kCuda, DType::I32, op, "expert");
    ops_check::shape(d_prob, n, 1, kCuda, DType::F32, op, "d_prob");
    ops_check::shape(d_logits, n, E, kCuda, DType::F32, op, "d_logits");
    if (balance_grad.size() != size_t(E))
        throw Error(cat(op, ": ", balance_grad.size(), " balance gradients for ", E, " experts"));
    if (E > kMaxExperts) throw Error(cat(op, ": ", E, " experts; at most ", kMaxExperts));
    if (n == 0) return;
    BalanceGrad g{};
    std::copy(balance_grad.begin(), balance_grad.end(), g.v);
    use_device(m_device);
    gate_backward_kernel<<<blocks_for(n), kThreads>>>(n, E, probs.f32(), expert.i32(), d_prob.f32(), g, d_logits.f32());
    SPLATSCAPE_CUDA_CHECK_LAUNCH("gate_backward_kernel");
}

} // namespace splatscape
