#pragma once
// Hyper-parameters of the sags model (structure-aware Gaussian splatting, Ververas et al. 2024) and
// of SAGS-Lite, with the published defaults: a voxelised point cloud upsampled where it is flat,
// 32 learned feature channels and 6 log-scales per point, a k = 10 nearest-neighbour graph, a
// 16-level hash encoding with 2^15 entries per level, decoder MLPs with 2 hidden layers of 32 and an
// offset MLP with one hidden layer of 64, Scaffold-GS growth every 100 iterations from 1500 to
// 15000, and Scaffold-GS's learning rates. Read from and written to JSON like Gs3dConfig; unknown
// keys are errors. docs/training.md documents every key.
#include <string>
#include <vector>

#include "core/json_util.hpp"
#include "training/config.hpp"
#include "training/ops/encoding_ops.hpp"

namespace splatscape {

struct SagsConfig {
    int iterations = 30000;
    // SAGS-Lite: only key points are stored and trained; mid-points between each key point and its
    // lite_neighbours nearest key points, with averaged features and scales, are made when the model
    // is built (training, loading a .sags).
    bool lite = false;
    int lite_neighbours = 3;
    // Key points of SAGS-Lite: the initial points snapped to voxels this many times larger.
    float lite_voxel_factor = 3.0f;

    // Points: the dataset's points (else random_points uniform in the scene bounds) snapped to
    // voxels of voxel_size (0: voxel_fraction of the scene extent), then mid-points are added between
    // flat points and their nearest neighbours: a point of standardised curvature z pairs with
    // round(upsample_max_pairs * clamp((upsample_z_high - z) / (upsample_z_high - upsample_z_low), 0, 1))
    // of its neighbours (all of them at z <= upsample_z_low, none at z >= upsample_z_high).
    int random_points = 100000;
    float voxel_size = 0.0f;
    float voxel_fraction = 0.001f;
    int curvature_neighbours = 10;
    int upsample_max_pairs = 3;
    float upsample_z_low = -1.0f;
    float upsample_z_high = 1.0f;

    // Encoder: a graph over the k nearest neighbours; the local feature is a channel-wise maximum of
    // inverse-distance weighted messages, learned (an edge MLP h([f_i | f_j - f_i]), the paper) or
    // the feature differences f_j - f_i themselves (learned_edges false, the released code).
    int feature_dim = 32;
    int neighbours = 10;
    bool learned_edges = true;
    int edge_hidden = 32;
    // The point's own feature kept beside its neighbours': local = f_i + 0.5 * aggregate (the
    // released code; kern::sags_residual). Off, the decoders see f_i only through the differences.
    bool local_residual = true;
    // Each point's principal frame (PCA over its graph neighbours: x along the largest spread, z the
    // normal) is composed with the decoded rotation, so the covariance decoder's identity output is
    // a Gaussian aligned with the surface the points sample (not in the paper; false: the decoded
    // quaternion alone).
    bool point_frames = true;
    // Positional encoding: the multiresolution hash grid over the points' bounding cube.
    int hash_levels = 16;
    int hash_features = 2;
    int hash_log2_table = 15;
    float hash_base_resolution = 16.0f;
    float hash_growth = 1.447f;

    // Decoders (opacity, colour, covariance) take the encoded feature, the view direction and the
    // camera distance; the offset decoder the encoded feature only.
    int decoder_hidden = 32;
    int decoder_layers = 2;
    int offset_hidden = 64;
    int offset_layers = 1;
    float init_opacity = 0.1f; // the opacity decoder's output bias is atanh of this
    // In training views, alpha below this floor is drawn at the floor with its gradient passed
    // straight through (kern::sags_compose), so a point decoded at or below 0 can come back (0: off,
    // the paper: dropped points get no gradient). Evaluation and renders drop them as before.
    float revive_opacity = 0.05f;

    // Adam learning rates. *_lr_final: exponential (log-linear) decay over the run, as Scaffold-GS.
    float feature_lr = 0.0075f;
    float scaling_lr = 0.007f;
    float hash_lr = 0.01f;
    float hash_lr_final = 0.0001f;
    float affine_lr = 0.001f;
    float edge_lr = 0.004f;
    float edge_lr_final = 0.00004f;
    float opacity_mlp_lr = 0.002f;
    float opacity_mlp_lr_final = 0.00002f;
    float color_mlp_lr = 0.008f;
    float color_mlp_lr_final = 0.00005f;
    float cov_mlp_lr = 0.004f;
    float cov_mlp_lr_final = 0.004f;
    float offset_mlp_lr = 0.01f;
    float offset_mlp_lr_final = 0.0001f;
    // The offset MLP's rate rises from 1 % to offset_mlp_lr over this many iterations (a sine ramp, as
    // 3DGS delays its position rate; 0: from the start), so points settle their colour and opacity
    // before the shared offset decoder moves their Gaussians.
    int offset_warmup = 1500;

    float ssim_weight = 0.2f;

    // Growth and pruning (Scaffold-GS): every grow_every iterations in (grow_from, grow_until), new
    // points at the centres of voxels (voxel_size * grow_voxel_factor) holding a decoded Gaussian
    // whose mean view-space gradient reached grow_threshold and no point yet; points seen in at least
    // prune_min_views views whose mean opacity stayed below prune_opacity are removed.
    int grow_from = 1500;
    int grow_until = 15000;
    int grow_every = 100;
    float grow_threshold = 0.0002f;
    float grow_voxel_factor = 1.0f;
    float prune_opacity = 0.005f;
    int prune_min_views = 20;
    int max_points = 0; // no growth beyond this count (0: no limit)

    bool antialiased = false;
    float eps2d = 0.3f;
    std::vector<float> background; // [3]; empty: the dataset's
    bool random_background = false;

    void validate(const std::string& where) const;
    // Rescales the iteration-valued schedule (growth window; the LR decays follow `iterations`).
    void scale_schedule(int iterations);

    HashGridConfig hash_grid() const;
    int hash_width() const { return hash_levels * hash_features; }
    // Columns of the encoded feature: [hash | local | global].
    int encoded_width() const { return hash_width() + 2 * feature_dim; }
};

// "default" (the paper's settings for 30k iterations), "lite" (the same for SAGS-Lite), "demo"
// (the built-in scene on a CPU in a few minutes) and "lite-demo" (the same for SAGS-Lite). Throws
// UsageError for other names.
SagsConfig sags_preset(const std::string& name);

Json to_json(const SagsConfig& config);
void update_from_json(SagsConfig& config, const Json& json, const std::string& where);

} // namespace splatscape
