#pragma once
// The CPU launchers of the expert-dispatch family (training/ops/expert_ops.hpp).
#include "training/ops/expert_ops.hpp"

namespace splatscape {

class Backend;

class ExpertOpsCpu final : public ExpertOps {
public:
    explicit ExpertOpsCpu(Backend& backend) : m_backend(backend) {}

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
};

} // namespace splatscape
