#pragma once
// The expert-dispatch family of the mixture-of-experts NeRF (hmohe): top-1 routing of samples by the
// gate's softmax, grouping rows by a key (samples by expert, so each expert runs on one contiguous
// block; training samples by ray), gathering rows into that order and scattering the experts'
// outputs back scaled by the gate's probability, and the gate's backward with the load-balancing
// loss. Per-element math: training/kernels/nerf_march.hpp (gate_route, gate_backward). CPU:
// training/cpu/expert_ops_cpu.*; CUDA: training/cuda/expert_ops_cuda.*.
#include <cstdint>
#include <vector>

#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

// The load-balancing statistics of one batch: f_e (fraction of samples routed to e) and P_e (mean
// gate probability of e).
struct GateBalance {
    std::vector<double> fraction;
    std::vector<double> mean_probability;
    // E * sum_e f_e P_e: 1 when the experts are used evenly, up to E when one takes everything.
    double loss() const;
};

class ExpertOps : public OpFamily {
public:
    static constexpr const char* kName = "expert dispatch";

    // probs [N, E] = softmax(logits [N, E]); expert [N, 1] int32 = the top-1 expert; prob [N, 1] its
    // probability.
    virtual void route(const Tensor& logits, Tensor& probs, Tensor& expert, Tensor& prob) = 0;

    // A stable grouping of rows by key ([N, 1] int32 in [0, n_keys); rows with a negative key are
    // left out): perm [M, 1] int32 lists the kept rows key by key, each key's in their original
    // order; offsets [n_keys + 1, 1] int32 where each key's rows begin in perm. Both allocated.
    // Returns offsets on the host when `host_offsets` (it waits for the device), else empty.
    virtual std::vector<int64_t> group(const Tensor& keys, int n_keys, Tensor& perm, Tensor& offsets,
                                       bool host_offsets) = 0;
    // dst[i] = src[perm[i]] for every row i of perm (dst allocated, src's columns).
    virtual void gather(const Tensor& src, const Tensor& perm, Tensor& dst) = 0;
    // dst[perm[i], col + c] = prob[perm[i]] * src[i, c] for c < src.cols(): the experts' outputs (in
    // expert order) back in sample order, weighted by the gate.
    virtual void scatter_scaled(const Tensor& src, const Tensor& perm, const Tensor& prob, Tensor& dst, int col) = 0;
    // Its backward: d_src[i, c] = prob[perm[i]] * d_dst[perm[i], col + c] (written) and
    // d_prob[perm[i]] = sum_c d_dst[perm[i], col + c] src[i, c] (written).
    virtual void scatter_scaled_backward(const Tensor& src, const Tensor& perm, const Tensor& prob, const Tensor& d_dst,
                                         int col, Tensor& d_src, Tensor& d_prob) = 0;

    // f_e and P_e of a batch (host; waits for the device).
    virtual GateBalance balance(const Tensor& probs, const Tensor& expert) = 0;
    // d_logits [N, E] (written) from d_prob [N, 1] (dL/d the chosen expert's probability) and the
    // balance loss's dL/dp_e, the same for every row ([E] host values).
    virtual void gate_backward(const Tensor& probs, const Tensor& expert, const Tensor& d_prob,
                               const std::vector<float>& balance_grad, Tensor& d_logits) = 0;
};

} // namespace splatscape
