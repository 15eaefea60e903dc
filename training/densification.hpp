#pragma once
// Densification strategies behind one interface. Adaptive density control (3DGS) is the first;
// others (MCMC relocation, say) implement the same calls.
#include <memory>
#include <string>
#include <vector>

#include "training/config.hpp"
#include "training/models/model.hpp"

namespace splatscape {

struct DensifyReport {
    size_t cloned = 0;
    size_t split = 0;
    size_t pruned = 0;
    bool opacity_reset = false;
    // Parameters whose tensors were replaced this iteration: the optimizer skips their step, as the
    // reference's optimizer does for tensors without a gradient.
    bool replaced_all = false;
    bool replaced_opacity = false;
    bool changed() const { return cloned || split || pruned || opacity_reset; }
};

class DensificationStrategy {
public:
    virtual ~DensificationStrategy() = default;
    virtual std::string name() const = 0;
    // After the backward of iteration `iteration` (1-based): per-frame statistics.
    virtual void after_backward(GaussianModel& model, const RasterContext& ctx, int iteration) = 0;
    // Before the optimizer step of the same iteration: grow, prune, reset.
    virtual DensifyReport update(GaussianModel& model, int iteration) = 0;
    // Tensors to checkpoint (name, tensor); restored in place by the same names.
    virtual std::vector<std::pair<std::string, Tensor*>> state() = 0;
    // Called after the model's rows were replaced wholesale (model loaded from a file).
    virtual void reset(size_t rows) = 0;
};

class AdaptiveDensityControl final : public DensificationStrategy {
public:
    // `extent` is the scene extent (3DGS cameras_extent); `seed` feeds the split draws;
    // `white_background` enables the reference's extra opacity reset at densify_from.
    AdaptiveDensityControl(Backend& backend, const AdcConfig& config, float extent, uint64_t seed,
                           bool white_background);

    std::string name() const override { return "adc"; }
    void after_backward(GaussianModel& model, const RasterContext& ctx, int iteration) override;
    DensifyReport update(GaussianModel& model, int iteration) override;
    std::vector<std::pair<std::string, Tensor*>> state() override;
    void reset(size_t rows) override;

private:
    Backend& m_backend;
    AdcConfig m_config;
    float m_extent;
    uint64_t m_seed;
    bool m_white_background;
    Tensor m_grad_accum; // [N, 1] sum of per-view gradient norms
    Tensor m_denom;      // [N, 1] views in which the Gaussian was visible
    Tensor m_max_radii;  // [N, 1] largest pixel radius since the last densification
};

} // namespace splatscape
