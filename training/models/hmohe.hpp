#pragma once
// hmohe's networks on a training backend: the gate (hash grid + MLP, top-1 routing), the
// heterogeneous hash-grid experts with their MLPs, the shared colour head, the appearance
// embeddings, and the occupancy grid they are marched through. Evaluates batches of samples
// (density only, or density and colour), back-propagates a batch's gradients into every parameter,
// renders images (colour, depth, the dominant expert) and converts to and from the host NerfScene.
// Training itself (ray batches, Adam, occupancy updates, checkpoints) is HmoheTraining
// (training/hmohe_training.hpp).
//
// Per sample (docs/training.md, "hmohe"): logits = gate(x); k = argmax, p = softmax(logits)_k;
// h = p * expert_k(x) = [density logit, geometry features]; sigma = exp(h_0);
// rgb = colour([h, SH(d), appearance]) (all of h, as instant-ngp's colour network reads the density
// network's whole output).
#include <memory>
#include <string>
#include <vector>

#include "core/camera.hpp"
#include "core/image.hpp"
#include "core/nerf_scene.hpp"
#include "training/backend.hpp"
#include "training/kernels/hash_grid.hpp"
#include "training/kernels/mlp.hpp"
#include "training/kernels/nerf_march.hpp"
#include "training/models/hmohe_config.hpp"
#include "training/ops/encoding_ops.hpp"
#include "training/ops/expert_ops.hpp"
#include "training/ops/mlp_ops.hpp"
#include "training/ops/ray_march_ops.hpp"
#include "training/parameters.hpp"

namespace splatscape {

struct Dataset;

// What a render shows.
enum class NerfRenderMode { Colour, Depth, Expert };

// The experts' colours in the Expert render mode: nerf_expert_colour (core/nerf_scene.hpp).

// The sampling space a config gives for a dataset: the scene box (from the settings, the dataset's
// points, or the region its cameras look at) as the inner cube, and the cascades.
kern::NerfSpace nerf_space_for(const HmoheConfig& config, const Dataset& dataset);

// A camera as a row of kNerfCameraCols floats (training/ops/ray_march_ops.hpp).
std::vector<float> nerf_camera_row(const Camera& camera);

class HmoheNetwork {
public:
    // A new network with initial parameters (a pure function of the seed) and an empty occupancy
    // grid (every cell occupied). `trainable` allocates gradients and Adam moments.
    HmoheNetwork(Backend& backend, const HmoheConfig& config, const kern::NerfSpace& space, size_t images,
                 uint64_t seed, bool trainable);
    // A saved network, for rendering (throws Error naming `where` when the scene is inconsistent).
    HmoheNetwork(Backend& backend, const NerfScene& scene, const std::string& where);

    const kern::NerfSpace& space() const { return m_space; }
    int experts() const { return int(m_experts.size()); }
    int geometry_features() const { return m_geometry; }
    size_t parameter_count() const;
    ParameterSet& params() { return m_params; }
    Tensor& occupancy_values() { return m_occ_values; }
    Tensor& occupancy_bits() { return m_occ_bits; }
    float stop_transmittance() const { return m_stop_T; }
    void set_stop_transmittance(float t) { m_stop_T = t; }

    // Evaluates samples (positions [S, 3]) into out ([S, out_cols()]): column 0 the density logit,
    // then the geometry features, then (with colour) the SH of the direction and the appearance
    // embedding: the colour head's input; and rgb [S, 3].
    // Keeps what backward() needs for the last call with colour.
    // `render_appearance`: every sample takes the render embedding (render_appearance()) instead of
    // its ray's image's.
    void forward(const NerfSamples& samples, const NerfRays* rays, bool colour, Tensor& out, Tensor* rgb,
                 bool render_appearance = false);
    // Density logits of positions [M, 3] into out [M, out_cols()] (occupancy updates).
    void density(const Tensor& positions, Tensor& out);
    // Back-propagates d_out (column 0: d density logit) and d_rgb of the last forward with colour
    // into the parameters' gradients (added). Adds the load-balancing loss (weight w) of that
    // batch and returns its value.
    // `out` is that forward's output; d_out [S, out_cols()] is used as workspace.
    double backward(const NerfSamples& samples, const NerfRays& rays, const Tensor& out, Tensor& d_out,
                    const Tensor& d_rgb, float balance_weight);
    int out_cols() const { return m_out_cols; }
    // The expert each sample of the last evaluation went to ([S, 1] int32, sample order).
    const Tensor& last_routing() const { return m_expert; }

    // Renders a camera: colour over `background`, opacity, the expected depth along the camera's
    // axis in world units (Colour and Depth modes), and the dominant expert per pixel (Expert mode).
    // Rays in chunks of `chunk`.
    struct RenderResult {
        Image colour;                // [H, W, 3]
        Image opacity;               // [H, W, 1] 1 - the transmittance left behind the ray's last sample
        Image depth;                 // [H, W, 1] 0 where the opacity is at most 1e-3 (Colour and Depth modes)
        std::vector<int32_t> expert; // [H * W], -1 where nothing was hit (Expert mode)
        Image expert_colour;         // [H, W, 3] expert colours blended by opacity over the background
        size_t samples = 0;
    };
    RenderResult render(const Camera& camera, glm::vec3 background, NerfRenderMode mode, size_t chunk = 65536);

    // Host copy (background and appearance as given).
    NerfScene to_scene(glm::vec3 background) const;
    // The appearance embedding renders use: the mean over training images (zeros without any).
    std::vector<float> render_appearance() const;

private:
    struct Expert {
        kern::HashGridLayout grid;
        kern::MlpLayout mlp;
        size_t table = 0; // parameter indices
        size_t params = 0;
    };
    Parameter& param(size_t i) { return m_params.all()[i]; }
    const Parameter& param(size_t i) const { return m_params.all()[i]; }
    size_t add_param(const std::string& name, size_t rows, int cols, const std::vector<float>& init, bool trainable);
    void route_and_experts(const Tensor& positions, Tensor& out);

    Backend& m_backend;
    EncodingOps& m_encoding;
    MlpOps& m_mlp;
    ExpertOps& m_dispatch;
    RayMarchOps& m_march;
    kern::NerfSpace m_space;
    float m_stop_T = 1e-4f;
    int m_geometry = 15;
    int m_sh_degree = 3;
    int m_appearance = 0;
    int m_out_cols = 0;
    ParameterSet m_params;
    kern::HashGridLayout m_gate_grid;
    kern::MlpLayout m_gate_mlp;
    size_t m_gate_table = 0, m_gate_params = 0;
    std::vector<Expert> m_experts;
    kern::MlpLayout m_colour_mlp;
    size_t m_colour_params = 0;
    size_t m_embedding = SIZE_MAX; // SIZE_MAX: no appearance embedding
    Tensor m_render_embedding;     // [1, A]
    Tensor m_occ_values, m_occ_bits;

    // Workspace of the last forward (sample order unless noted).
    Tensor m_gate_enc, m_logits, m_probs, m_expert, m_prob;
    Tensor m_perm, m_offsets;                        // expert order
    std::vector<int64_t> m_expert_offsets;           // host copy
    Tensor m_pos_sorted, m_enc_sorted, m_raw_sorted; // expert order
    // Backward workspace.
    Tensor m_d_raw_sorted, m_d_enc_sorted, m_d_prob, m_d_logits, m_d_gate_enc;
};

} // namespace splatscape
