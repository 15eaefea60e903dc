#pragma once
// MCMC densification (Kheradmand et al., "3D Gaussian Splatting as Markov Chain Monte Carlo",
// NeurIPS 2024), with the reference code's schedule and defaults: every densify_every iterations
// after densify_from and before densify_until, the dead Gaussians (opacity at or below min_opacity)
// move onto live ones drawn with probability proportional to their opacity, and then
// min(cap, (1 + growth_rate) N) - N new Gaussians are added the same way; a Gaussian shared by n
// copies takes the opacity and scales that render as it did (training/kernels/mcmc.hpp). The loss
// gains opacity_reg * mean(opacity) + scale_reg * mean(scale), and after every optimizer step each
// position moves by noise_lr * position_lr * gate(opacity) * covariance * N(0, I), which only
// transparent Gaussians feel. There is no opacity reset and no pruning: the count only grows, up to
// the hard cap. Works on any model with "opacities" and "log_scales" parameters whose first three
// log-scale columns are spatial (gs3d, gs4d) and add_position_noise().
#include "training/densification.hpp"
#include "training/ops/mcmc_ops.hpp"

namespace splatscape {

class McmcDensification final : public DensificationStrategy {
public:
    McmcDensification(Backend& backend, const AdcConfig& config, uint64_t seed);

    std::string name() const override { return "mcmc"; }
    void after_backward(GaussianModel&, const RasterContext&, int) override {}
    // Adds the regularisers' gradients, then relocates and grows where the schedule says.
    DensifyReport update(GaussianModel& model, int iteration, bool final_step) override;
    bool reshapes_at(int iteration) const override;
    void after_optimizer_step(GaussianModel& model, int iteration) override;
    std::vector<std::pair<std::string, Tensor*>> state() override { return {}; }
    void reset(size_t) override {}

    // The steps of update(), for tests. relocate() moves the dead rows; grow() adds rows up to the
    // cap; both return how many rows they changed.
    size_t relocate(GaussianModel& model, int iteration);
    size_t grow(GaussianModel& model, int iteration);
    void add_regularizer_grads(GaussianModel& model);

private:
    Backend& m_backend;
    McmcOps& m_ops;
    AdcConfig m_config;
    uint64_t m_seed;
};

} // namespace splatscape
