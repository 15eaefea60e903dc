#pragma once
// Hyper-parameters, one struct per model, with the defaults of the paper's reference code, read
// from and written to JSON. The CLI, the GUI and the tests all build their runs from these.
#include <algorithm>
#include <cmath>
#include <string>
#include <vector>

#include "core/json_util.hpp"

namespace splatscape {

// Densification: adaptive density control (3DGS section 5.2; the reference code's
// OptimizationParams) or MCMC (Kheradmand et al. 2024, training/densification_mcmc.hpp), which
// share the schedule and the dead / prune threshold.
struct AdcConfig {
    std::string strategy = "adc"; // "adc" or "mcmc"
    int densify_from = 500;    // first iteration that densifies (exclusive, as the reference)
    int densify_until = 15000; // no densification from this iteration on (mcmc: 25000)
    int densify_every = 100;
    float grad_threshold = 0.0002f;    // mean view-space positional gradient (normalised device units)
    float percent_dense = 0.01f;       // clone below, split above this fraction of the scene extent
    int opacity_reset_every = 3000;    // 0: never
    float opacity_reset_value = 0.01f; // opacities are clamped to this at a reset
    float min_opacity = 0.005f;        // prune below (mcmc: dead at or below, relocated)
    // Oversize pruning, from the first opacity reset on: projected radius above this many pixels
    // (0: off) or largest scale above this fraction of the scene extent (0: off).
    float max_screen_size = 0.0f;
    float max_world_size = 0.1f;
    // adc: no growth beyond this count (0: no limit); mcmc: the hard cap (0: kMcmcDefaultCap).
    int max_gaussians = 0;
    // MCMC: growth per densification step (the count becomes min(cap, (1 + growth_rate) N)), the
    // exploration noise's learning-rate multiplier, and the weights of the mean-opacity and
    // mean-scale regularisers (the paper's and the reference code's defaults).
    float growth_rate = 0.05f;
    float noise_lr = 5e5f;
    float opacity_reg = 0.01f;
    float scale_reg = 0.01f;

    bool mcmc() const { return strategy == "mcmc"; }
    // The cap MCMC grows to.
    int mcmc_cap() const { return max_gaussians > 0 ? max_gaussians : kMcmcDefaultCap; }

    static constexpr int kMcmcDefaultCap = 1000000; // gsplat's MCMCStrategy default
    static constexpr int kMcmcDensifyUntil = 25000; // the MCMC reference code's densify_until_iter
};

// Settings of every Gaussian model with a strategy-dependent default (init_opacity, init_scale,
// densify_until): switching `densify.strategy` to "mcmc" in `json` moves those still at their 3DGS
// defaults, and absent from `json`, to the MCMC paper's (0.5, 0.1, 25000).
template <class ModelConfig>
void apply_strategy_defaults(ModelConfig& c, const Json& json) {
    if (!c.densify.mcmc()) return;
    const ModelConfig adc;
    const auto given = [&](const char* key) { return json.contains(key); };
    const bool until_given =
        json.contains("densify") && json["densify"].is_object() && json["densify"].contains("densify_until");
    if (!given("init_opacity") && c.init_opacity == adc.init_opacity) c.init_opacity = 0.5f;
    if (!given("init_scale") && c.init_scale == adc.init_scale) c.init_scale = 0.1f;
    if (!until_given && c.densify.densify_until == adc.densify.densify_until)
        c.densify.densify_until = AdcConfig::kMcmcDensifyUntil;
}

struct Gs3dConfig {
    int iterations = 30000;

    // Initialisation.
    int random_points = 100000; // when the dataset has no points: uniform in the scene bounds
    float init_opacity = 0.1f;  // mcmc: 0.5
    float init_scale = 1.0f;    // times the nearest-neighbour scale of 3DGS (mcmc: 0.1)

    // Spherical harmonics: degree raised by one every sh_increase_every iterations up to max.
    int max_sh_degree = 3;
    int sh_increase_every = 1000;

    // Adam learning rates. The position rate decays exponentially from init to final over
    // position_lr_max_steps and is multiplied by the scene extent.
    float position_lr_init = 1.6e-4f;
    float position_lr_final = 1.6e-6f;
    float position_lr_delay_mult = 0.01f;
    int position_lr_delay_steps = 0;
    int position_lr_max_steps = 30000;
    float sh_dc_lr = 2.5e-3f;
    float sh_rest_lr = 2.5e-3f / 20.0f;
    float opacity_lr = 0.05f;
    float scaling_lr = 5e-3f;
    float rotation_lr = 1e-3f;

    // Loss: (1 - ssim_weight) L1 + ssim_weight (1 - SSIM).
    float ssim_weight = 0.2f;

    AdcConfig densify;

    // Rendering during training.
    bool antialiased = false; // opacity compensation of the low-pass filter (docs/rasterizer.md)
    float eps2d = 0.3f;       // its variance in pixels^2 (Mip-Splatting's 2D Mip filter: 0.1)
    std::vector<float> background;  // [3]; empty: the dataset's (the colour RGBA images were composited on)
    bool random_background = false; // a new random background every iteration
    // Mip-Splatting's 3D smoothing filter: each Gaussian convolved with a filter of variance
    // filter_3d_size / rate^2, rate its highest sampling rate in the training views.
    bool filter_3d = false;
    float filter_3d_size = 0.2f;
    // Per-image appearance: "none" or "affine" (a 3x4 colour transform per training image, learned
    // with a rate decaying from appearance_lr_init to appearance_lr_final; identity on held-out views).
    std::string appearance = "none";
    float appearance_lr_init = 0.01f;
    float appearance_lr_final = 0.001f;
    // Loss masks: "auto" (the dataset's mask files, when it has them), "alpha" (the images' alpha
    // channel), "none". Masked-out pixels (mask 0) do not contribute to the loss.
    std::string masks = "auto";

    // Throws Error(where, field, ...) on values out of range.
    void validate(const std::string& where) const;
    // Rescales the iteration-valued schedule (LR decay, SH steps, densification window, opacity
    // resets) by iterations / 30000, the length the defaults are written for, and sets `iterations`.
    // The densification period stays: statistics need that many views to average over.
    void scale_schedule(int iterations);
};

// scale_schedule of a Gaussian model's config (Gs3dConfig, Gs4dConfig): the iteration-valued
// entries of a default-constructed config scaled by iterations / 30000 (at least 1 each).
template <class ModelConfig>
void scale_gaussian_schedule(ModelConfig& c, int iterations) {
    const double f = double(iterations) / 30000.0;
    auto scaled = [f](int v) { return std::max(1, int(std::lround(v * f))); };
    ModelConfig defaults;
    if (c.densify.mcmc()) defaults.densify.densify_until = AdcConfig::kMcmcDensifyUntil;
    c.iterations = iterations;
    c.position_lr_max_steps = scaled(defaults.position_lr_max_steps);
    c.sh_increase_every = scaled(defaults.sh_increase_every);
    c.densify.densify_from = scaled(defaults.densify.densify_from);
    c.densify.densify_until = scaled(defaults.densify.densify_until);
    c.densify.opacity_reset_every = scaled(defaults.densify.opacity_reset_every);
}

// Named starting points ("default", "demo", ...) are JSON files in assets/presets/gs3d/
// (training/presets.hpp).

Json to_json(const Gs3dConfig& config);
// Keys absent from `json` keep their current values; unknown keys are errors (a typo would
// otherwise silently train with a default).
void update_from_json(Gs3dConfig& config, const Json& json, const std::string& where);

// Adaptive density control settings on their own, for model configs that embed them (gs4d).
// Keys are those of the "densify" object above; `prefix` names them in messages.
Json to_json(const AdcConfig& config);
void update_from_json(AdcConfig& config, const Json& json, const std::string& where, const std::string& prefix);
void validate(const AdcConfig& config, const std::string& where);

// The exponential learning-rate schedule of the 3DGS reference (get_expon_lr_func).
float exponential_lr(int step, float lr_init, float lr_final, int delay_steps, float delay_mult, int max_steps);

} // namespace splatscape
