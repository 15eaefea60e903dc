#pragma once
// Densification strategies behind one interface: adaptive density control (3DGS, here) and MCMC
// (training/densification_mcmc.hpp); a model family may bring its own (gs4d's ADC).
#include <memory>
#include <string>
#include <vector>

#include "training/config.hpp"
#include "training/models/model.hpp"
#include "training/ops/densify_ops.hpp"

namespace splatscape {

struct DensifyReport {
    size_t cloned = 0;
    size_t split = 0;
    size_t pruned = 0;
    size_t relocated = 0; // MCMC: dead Gaussians moved to live ones
    bool opacity_reset = false;
    // Parameters whose tensors were replaced this iteration: the optimizer skips their step, as the
    // reference's optimizer does for tensors without a gradient.
    bool replaced_all = false;
    bool replaced_opacity = false;
    bool changed() const { return cloned || split || pruned || relocated || opacity_reset; }
};

class DensificationStrategy {
public:
    virtual ~DensificationStrategy() = default;
    virtual std::string name() const = 0;
    // After the backward of iteration `iteration` (1-based): per-frame statistics.
    virtual void after_backward(GaussianModel& model, const RasterContext& ctx, int iteration) = 0;
    // Before the optimizer step of the same iteration: grow, prune, reset. On the final step of a
    // run nothing of that runs: the model is saved and evaluated right after it, and a step that
    // resets opacities or adds untrained Gaussians would be saved instead of the trained model.
    virtual DensifyReport update(GaussianModel& model, int iteration, bool final_step) = 0;
    // Whether update() at `iteration` (not a final step) grows, prunes or resets the model.
    virtual bool reshapes_at(int iteration) const = 0;
    // After the optimizer step of the same iteration (MCMC's exploration noise). Not on the final step.
    virtual void after_optimizer_step(GaussianModel& model, int iteration) { (void)model, (void)iteration; }
    // Tensors to checkpoint (name, tensor); restored in place by the same names.
    virtual std::vector<std::pair<std::string, Tensor*>> state() = 0;
    // Called after the model's rows were replaced wholesale (model loaded from a file).
    virtual void reset(size_t rows) = 0;
};

// The steps of adaptive density control (3DGS), shared by the strategies of every Gaussian model.

// Whether `iteration` densifies: after densify_from, before densify_until, every densify_every.
bool adc_densifies_at(const AdcConfig& c, int iteration);
// Whether `iteration` resets the opacities: every opacity_reset_every before densify_until, and at
// densify_from on white backgrounds (as the reference).
bool adc_resets_opacity_at(const AdcConfig& c, int iteration, bool white_background);
// 3DGS's thresholds at `iteration` for a scene of `extent`; oversize pruning starts after the first
// opacity reset, as in the reference.
kern::AdcThresholds adc_thresholds(const AdcConfig& c, float extent, int iteration);
// Appends the clones of clone_rows and the split children of split_rows (drawn by the model) to
// every parameter, clones first, and as many zero rows to max_radii. Growth past c.max_gaussians
// is dropped: counts and both row lists are cleared.
void adc_grow_model(Backend& backend, GaussianModel& model, const AdcConfig& c, uint64_t seed, int iteration,
                    AdcCounts& counts, Tensor& clone_rows, Tensor& split_rows, Tensor& max_radii);
// Keeps the rows `keep` lists (the split parents are not among them) and reports the step.
void adc_keep_model(Backend& backend, GaussianModel& model, const Tensor& keep, const AdcCounts& counts,
                    DensifyReport& report);
// Where adc_resets_opacity_at: clamps the opacities to opacity_reset_value and zeroes their Adam
// moments.
void adc_opacity_reset(DensifyOps& ops, Backend& backend, GaussianModel& model, const AdcConfig& c, int iteration,
                       bool white_background, DensifyReport& report);

class AdaptiveDensityControl final : public DensificationStrategy {
public:
    // `extent` is the scene extent (3DGS cameras_extent); `seed` feeds the split draws;
    // `white_background` enables the reference's extra opacity reset at densify_from.
    AdaptiveDensityControl(Backend& backend, const AdcConfig& config, float extent, uint64_t seed,
                           bool white_background);

    std::string name() const override { return "adc"; }
    void after_backward(GaussianModel& model, const RasterContext& ctx, int iteration) override;
    DensifyReport update(GaussianModel& model, int iteration, bool final_step) override;
    bool reshapes_at(int iteration) const override;
    std::vector<std::pair<std::string, Tensor*>> state() override;
    void reset(size_t rows) override;

private:
    Backend& m_backend;
    DensifyOps& m_ops;
    AdcConfig m_config;
    float m_extent;
    uint64_t m_seed;
    bool m_white_background;
    Tensor m_grad_accum; // [N, 1] sum of per-view gradient norms
    Tensor m_denom;      // [N, 1] views in which the Gaussian was visible
    Tensor m_max_radii;  // [N, 1] largest pixel radius since the last densification
};

} // namespace splatscape
