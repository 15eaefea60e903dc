#pragma once
// A trained structure-aware Gaussian splatting model (sags, SAGS-Lite) as host arrays: what the
// `.sags` file stores (core/io/sags.hpp) and what decoders read. The math that turns it into
// Gaussians for a view is training/kernels/sags.hpp (CPU, CUDA) and shaders/sags_decode.comp
// (Vulkan); this struct only holds and checks the numbers.
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace splatscape {

// One small MLP: widths, activations (the values of training/kernels/mlp.hpp's Activation: 0 none,
// 1 relu, 2 sigmoid, 3 tanh, 4 trunc_exp) and its parameters, layer by layer W [out, in] row-major
// then b [out].
struct SagsNetwork {
    int inputs = 0;
    int hidden = 0;
    int hidden_layers = 0;
    int outputs = 0;
    int hidden_activation = 1;
    int output_activation = 0;
    std::vector<float> params;

    bool empty() const { return inputs == 0; }
    // sum over layers of (in + 1) * out; 0 when the widths are out of range.
    size_t expected_params() const;
};

constexpr int kSagsCameraFloats = 18;

struct SagsScene {
    // Encoder.
    int feature_dim = 32;
    int neighbours = 10;
    bool learned_edges = true;
    bool local_residual = true; // local = f_i + 0.5 * aggregate (files without the key: false)
    // Decoded rotations are composed with each point's principal frame, recomputed from the points
    // and their graph when the scene is decoded (files without the key: false).
    bool point_frames = true;
    // Hash grid (training/ops/encoding_ops.hpp HashGridConfig) over the cube frame[0..2] + [0, frame[3]]^3.
    int hash_levels = 16;
    int hash_features = 2;
    int hash_log2_table = 15;
    float hash_base_resolution = 16.0f;
    float hash_growth = 1.447f;
    float frame[4] = {0.0f, 0.0f, 0.0f, 1.0f};
    // Voxel size of the points (world units): the eps of the graph's inverse-distance weights.
    float voxel_size = 0.001f;
    // SAGS-Lite: `points` are key points; mid-points to each one's lite_neighbours nearest key
    // points are made when the scene is decoded.
    bool lite = false;
    int lite_neighbours = 3;

    std::vector<float> points;     // [N, 3]
    std::vector<float> features;   // [N, feature_dim]
    std::vector<float> scales;     // [N, 6]: the offset's log-scales, then the Gaussian's
    std::vector<float> hash_table; // [R, hash_features]
    std::vector<float> affine;     // [E, 2] scale, shift; E = hash_levels * hash_features + 2 * feature_dim
    SagsNetwork edge;              // learned_edges: [f_i | f_j - f_i] -> feature_dim
    SagsNetwork opacity, color, covariance, offset;
    // The training cameras [V, kSagsCameraFloats] (R row-major, t, fx, fy, cx, cy, width, height:
    // world to camera, OpenCV frame): the views a view-independent export decodes and fits.
    std::vector<float> cameras;

    size_t size() const { return points.size() / 3; }
    size_t camera_count() const { return cameras.size() / kSagsCameraFloats; }
    int hash_width() const { return hash_levels * hash_features; }
    int encoded_width() const { return hash_width() + 2 * feature_dim; }
    // Throws Error(where, field, ...) when sizes disagree, a network's shape does not fit the
    // encoder (inputs, outputs, parameter count) or a value is not finite.
    void validate(const std::string& where) const;
};

// What a renderer needs to decode a sags model for any view (renderer/sags_vk.hpp): the part of the
// encoder that does not depend on the view, per point (SAGS-Lite's mid-points included), and the
// decoders. Made by training/models/sags_decode.hpp's sags_decode_cache().
struct SagsDecodeCache {
    int hash_width = 0;         // encoded columns from the hash grid
    int feature_dim = 0;        // local (and global) columns
    std::vector<float> points;  // [N, 3]
    std::vector<float> scales;  // [N, 6]
    std::vector<float> encoded; // [N, hash_width + feature_dim]: hash | local, before the affine
    std::vector<float> affine;  // [hash_width + 2 feature_dim, 2]
    SagsNetwork opacity, color, covariance, offset;
    // [N, 4] unit quaternions (w x y z) composed with the decoded rotations (kern::sags_compose);
    // empty: none.
    std::vector<float> frames;
    // The skeleton a viewer can show: each point's k nearest neighbours ([N, k], -1 past the last)
    // and its standardised curvature ([N]); empty when not wanted.
    int neighbour_count = 0;
    std::vector<int32_t> neighbours;
    std::vector<float> curvature;

    size_t size() const { return points.size() / 3; }
    int encoded_width() const { return hash_width + 2 * feature_dim; }
    // Throws Error(where, field, ...) when sizes or network widths disagree.
    void validate(const std::string& where) const;
};

} // namespace splatscape
