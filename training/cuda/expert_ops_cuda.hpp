#pragma once
// The expert-dispatch family (training/ops/expert_ops.hpp) on the GPU: one thread per row for the
// routing, gathers, scatters and the gate's backward (the per-element math of
// training/kernels/nerf_march.hpp); grouping is a stable radix sort of (key, row) pairs with the
// per-key counts scanned into offsets (training/cuda/sort_scan_cuda.cu). group and balance wait for
// the device: group to size perm, balance to sum in double on the host in the CPU op's order, so both
// backends give the same figures. No CUDA types in this header.
#include "training/ops/expert_ops.hpp"

namespace splatscape {

class Backend;

class ExpertOpsCuda final : public ExpertOps {
public:
    explicit ExpertOpsCuda(Backend& backend);

    void route(const Tensor& logits, Tensor& probs, Tensor& expert, Tensor& prob) override;
    std::vector<int64_t> group(const Tensor& keys, int n_keys, Tensor& perm, Tensor& offsets,
                               bool host_offsets) override;
    void gather(const Tensor& src, const Tensor& perm, Tensor& dst) override;
    void scatter_scaled(const Tensor& src, const Tensor& perm, const Tensor& prob, Tensor& dst, int col) override;
    void scatter_scaled_backward(const Tensor& src, const Tensor& perm, const Tensor& prob, const Tensor& d_dst,
                                 int col, Tensor& d_src, Tensor& d_prob) override;
    GateBalance balance(const Tensor& probs, const Tensor& expert) override;
    void gate_backward(const Tensor& probs, const Tensor& expert, const Tensor& d_prob,
                       const std::vector<float>& balance_grad, Tensor& d_logits) override;

private:
    Backend& m_backend;
    int m_device = 0; // the CUDA device of the backend
};

} // namespace splatscape
