#pragma once
// The MCMC densification family (training/kernels/mcmc.hpp): which Gaussians are dead, draws of
// live ones by opacity, the relocation of copies with the paper's opacity and scale correction, the
// opacity and scale regularisers' gradients and the exploration noise. The strategy that uses them
// (McmcDensification) is in training/densification_mcmc.*. CPU: training/cpu/mcmc_ops_cpu.*; CUDA:
// training/cuda/mcmc_ops_cuda.* over training/cuda/mcmc_cuda.cu.
#include <cstddef>
#include <cstdint>

#include "training/ops/op_family.hpp"
#include "training/tensor.hpp"

namespace splatscape {

class McmcOps : public OpFamily {
public:
    static constexpr const char* kName = "MCMC densification";

    // Rows whose opacity logit is at most `max_logit` ([M, 1] int32, ascending): the dead Gaussians
    // (max_logit = logit of the dead threshold).
    virtual Tensor dead_rows(const Tensor& opacity_logits, float max_logit) = 0;
    // `count` rows drawn with replacement, row r with probability proportional to its opacity
    // sigmoid(logit_r) (in double) among the rows whose logit exceeds `min_logit`. Draw j is the row
    // whose interval of the cumulative weights (double) holds random_uniform(seed, stream, j) times
    // their total, so the draws are a pure function of the inputs. [count, 1] int32 in draw order;
    // [0, 1] when no row has weight.
    virtual Tensor sample_rows(const Tensor& opacity_logits, float min_logit, size_t count, uint64_t seed,
                               uint64_t stream) = 0;
    // t[targets[j], :] = t[sources[j], :] for every j ([M, 1] int32 each; no target is a source).
    virtual void copy_rows(Tensor& t, const Tensor& sources, const Tensor& targets) = 0;
    // The relocation of kern::mcmc_relocation: for each j, with s = sources[j] and n = 1 + the number
    // of times s appears in `sources`, the opacity and the first `scale_cols` log-scales of row s,
    // corrected for n copies, are written to rows s and targets[j]. Every value read is the source's
    // before the call.
    virtual void relocate(Tensor& opacity_logits, Tensor& log_scales, int scale_cols, const Tensor& sources,
                          const Tensor& targets, float min_opacity) = 0;
    // t[rows[j], :] = 0 for every j.
    virtual void zero_rows(Tensor& t, const Tensor& rows) = 0;
    // Adds the regularisers' gradients (kern::mcmc_opacity_regularizer, mcmc_scale_regularizer) to
    // d_opacity [N, 1] and to the first `scale_cols` columns of d_log_scales [N, C].
    virtual void add_regularizer_grads(const Tensor& opacity_logits, const Tensor& log_scales, int scale_cols,
                                       float opacity_weight, float scale_weight, Tensor& d_opacity,
                                       Tensor& d_log_scales) = 0;
    // means [N, 3] += kern::mcmc_position_noise of each row (draw number = row).
    virtual void add_position_noise(Tensor& means, const Tensor& log_scales, const Tensor& rotations,
                                    const Tensor& opacity_logits, float scale, uint64_t seed, uint64_t stream) = 0;
    // means [N, 4] += kern::mcmc_position_noise_4d of each row (gs4d).
    virtual void add_position_noise_4d(Tensor& means, const Tensor& log_scales, const Tensor& rot_l,
                                       const Tensor& rot_r, const Tensor& opacity_logits, float scale, uint64_t seed,
                                       uint64_t stream) = 0;
};

} // namespace splatscape
