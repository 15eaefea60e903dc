#pragma once
// Hyper-parameters of the gs4d model (4D Gaussian splatting, Yang et al., ICLR 2024), with the
// defaults of the paper's reference configuration for D-NeRF scenes (30k iterations, batches of 2
// timestamps, SH degree 3 and temporal degree 2 raised one step every 1000 iterations, the 3DGS
// learning rates with the time mean at the position rate, 3DGS densification with a temporal
// gradient threshold). Read from and written to JSON like Gs3dConfig; unknown keys are errors.
#include <string>
#include <vector>

#include "core/json_util.hpp"
#include "training/config.hpp"

namespace splatscape {

struct Gs4dConfig {
    int iterations = 30000;
    int batch_size = 2; // views (each with its own timestamp) per optimizer step; 4 for multi-view video

    // Initialisation: from the dataset's points (else `random_points` uniform in the scene bounds),
    // each at a random time uniform over the time range widened by `init_time_margin` of its length
    // on both sides, with temporal standard deviation `init_time_scale` times the range's length
    // (the reference's sqrt(duration / 5) for a unit range) and identity rotations.
    int random_points = 100000;
    float init_opacity = 0.1f; // mcmc: 0.5
    float init_scale = 1.0f;   // times the nearest-neighbour spatial scale (mcmc: 0.1)
    float init_time_scale = 0.4472136f;
    float init_time_margin = 0.1f;

    // Colour: 4D spherindrical harmonics. The active spatial degree rises by one every
    // sh_increase_every iterations up to max_sh_degree, then the temporal degree up to max_sh_degree_t.
    int max_sh_degree = 3;
    int max_sh_degree_t = 2;
    int sh_increase_every = 1000;
    // Period of the temporal cosine series as a multiple of the time range's length (the reference
    // uses the time range itself).
    float time_period = 1.0f;

    // Adam learning rates (3DGS's; the positional rate decays and is multiplied by the scene extent).
    float position_lr_init = 1.6e-4f;
    float position_lr_final = 1.6e-6f;
    float position_lr_delay_mult = 0.01f;
    int position_lr_delay_steps = 0;
    int position_lr_max_steps = 30000;
    // Temporal mean: a constant rate times the scene extent; < 0 takes position_lr_init (the reference).
    float time_lr = -1.0f;
    float sh_dc_lr = 2.5e-3f;
    float sh_rest_lr = 2.5e-3f / 20.0f;
    float opacity_lr = 0.05f;
    float scaling_lr = 5e-3f;  // all four log-scales
    float rotation_lr = 1e-3f; // both quaternions

    float ssim_weight = 0.2f;

    // Slices leave out Gaussians whose marginal weight in t is below this (the reference's 0.05), and
    // densification prunes those that stay below it over the whole time range.
    float min_temporal_weight = 0.05f;

    AdcConfig densify;
    // A Gaussian also clones or splits when the mean magnitude of dL/dmu_t over the views that saw it
    // reaches this (per unit of scene time). The reference code's 0.0002 / 40 belongs to a signed
    // statistic it never applies; with the magnitude it flags about half of all Gaussians every
    // round on the built-in dynamic scene (measured: 2.5x the Gaussians, +0.2 dB), while 0.0002
    // flags the top percent or so, the largest temporal gradients.
    float time_grad_threshold = 0.0002f;

    bool antialiased = false;
    float eps2d = 0.3f;
    std::vector<float> background; // [3]; empty: the dataset's
    bool random_background = false;
    // As gs3d's (training/config.hpp). The 3D smoothing filter is not available for gs4d: the
    // filter of a slice is sound, but the 4D files and viewers have no place for it yet.
    bool filter_3d = false;
    float filter_3d_size = 0.2f;
    std::string appearance = "none";
    float appearance_lr_init = 0.01f;
    float appearance_lr_final = 0.001f;
    std::string masks = "auto";

    void validate(const std::string& where) const;
    // Rescales the iteration-valued schedule (LR decay, SH steps, densification window, opacity
    // resets) from the 30000 iterations the defaults are written for to `iterations`.
    void scale_schedule(int iterations);
};

// Named starting points ("default": the paper's D-NeRF settings, "demo": the built-in dynamic scene
// on a CPU in a few minutes) are JSON files in assets/presets/gs4d/ (training/presets.hpp).

Json to_json(const Gs4dConfig& config);
void update_from_json(Gs4dConfig& config, const Json& json, const std::string& where);

} // namespace splatscape
