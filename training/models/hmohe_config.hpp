#pragma once
// Settings of hmohe, the heterogeneous mixture of hash-grid NeRF experts (Switch-NeRF++, Mi & Xu):
// a hash-grid gate routing each sample to one of `experts` experts (top-1, load-balancing loss),
// heterogeneous hash-grid experts with small MLPs, a shared colour head on spherical harmonics of
// the view direction, occupancy-grid ray marching, and Adam with instant-ngp's settings. Every key
// is read and written as JSON and documented in docs/training.md ("hmohe").
#include <array>
#include <string>
#include <vector>

#include "core/json_util.hpp"

namespace splatscape {

struct HmoheConfig {
    int iterations = 20000;

    // Mixture.
    int experts = 8;
    float balance_weight = 1e-3f; // weight of the load-balancing loss E * sum_e f_e P_e

    // Gate: a coarse hash grid and an MLP with one hidden layer giving logits over the experts.
    int gate_levels = 8;
    int gate_features = 2;
    int gate_log2_table_size = 17;
    float gate_base_resolution = 16.0f;
    float gate_max_resolution = 512.0f;
    int gate_hidden = 64;

    // Experts: hash grids whose finest resolution (and table size) goes geometrically from the first
    // value of the range to the second across the experts, each with an MLP giving the density logit
    // and `geometry_features` features.
    int expert_levels = 16;
    int expert_features = 2;
    float expert_base_resolution = 16.0f;
    std::array<float, 2> expert_max_resolution{512.0f, 8192.0f};
    std::array<int, 2> expert_log2_table_size{19, 19};
    int expert_hidden = 64;
    int expert_hidden_layers = 1;
    int geometry_features = 15;

    // Colour head, shared by the experts: geometry features + SH of the view direction (+ the
    // per-image appearance embedding) -> sigmoid RGB.
    int sh_degree = 3; // bands 0..3: 16 values (instant-ngp's "degree 4")
    int colour_hidden = 64;
    int colour_hidden_layers = 2;
    int appearance_dims = 0; // 0: no per-image appearance embedding

    // Sampling.
    std::vector<std::array<float, 3>> scene_box; // [] (from the dataset) or [[min], [max]], world units
    float box_padding = 0.05f;                   // relative, on each side of a box taken from the dataset
    int cascades = 0;                            // 0: 1 for RGBA datasets (objects), 3 otherwise
    int occupancy_resolution = 128;              // cells per axis of each cascade
    int occupancy_update_every = 16;
    int occupancy_warmup = 256;              // steps during which every cell is sampled at each update
    float occupancy_sample_fraction = 0.25f; // afterwards: this fraction of cells uniformly + as many occupied
    float occupancy_decay = 0.95f;
    float occupancy_threshold = 0.01f; // optical thickness over the smallest step
    float steps_per_unit = 1024.0f;    // smallest step: sqrt(3) / steps_per_unit of the inner cube
    float cone_angle = -1.0f;          // step growth with distance; < 0: 0 with one cascade, 1/256 otherwise
    float early_stop_transmittance = 1e-4f;
    int max_samples_per_ray = 1024;
    int target_samples = 262144; // samples per step the ray batch adapts to (2^18)
    int initial_rays = 4096;
    int max_rays = 1048576;

    // Loss.
    std::string loss = "huber"; // "huber" or "l2"
    float huber_delta = 0.1f;
    bool random_background = true; // RGBA datasets: a random background colour per ray
    std::vector<float> background; // [] (the dataset's) or [r, g, b]: evaluation and probes

    // Adam (instant-ngp's settings) with a step decay of the learning rate.
    float lr = 1e-2f;
    float beta1 = 0.9f;
    float beta2 = 0.99f;
    float eps = 1e-15f;
    int lr_decay_start = 20000;
    int lr_decay_interval = 10000;
    float lr_decay_base = 0.33f;

    // Learning rate at a 1-based iteration.
    float lr_at(int iteration) const;
    // Finest resolution and table size of expert e.
    float expert_resolution(int e) const;
    int expert_table_size(int e) const;

    // Throws Error(where, field, expected) for values out of range.
    void validate(const std::string& where) const;
};

Json to_json(const HmoheConfig& c);
// Keys present in `j` override `c`; unknown keys and bad values throw Error(where, key, ...).
void update_from_json(HmoheConfig& c, const Json& j, const std::string& where);

} // namespace splatscape
