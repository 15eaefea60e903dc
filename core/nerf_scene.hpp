#pragma once
// A trained NeRF (hmohe: a gate routing samples to one of several hash-grid experts, a shared colour
// head, an occupancy grid) as plain host data: what the run folder's model.hmohe holds
// (core/io/nerf_file.hpp), what the CPU renderer of training/ and the Vulkan ray marcher of
// renderer/ draw. Layouts are stored explicitly, so readers need no training code: a hash grid's
// per-level resolutions and table offsets, an MLP's layer widths.
//
// Spaces (training/kernels/nerf_march.hpp): world p -> unit cube u = (p - center) / scale + 0.5;
// cascade k of the occupancy grid covers u in [0.5 - 2^(k-1), 0.5 + 2^(k-1)]^3 with resolution^3
// cells; the networks see x = (u - 0.5) / 2^(cascades-1) + 0.5 in [0, 1]^3.
#include <cstdint>
#include <string>
#include <vector>

#include <glm/vec3.hpp>

#include "core/gaussian_cloud.hpp"

namespace splatscape {

// A multiresolution hash grid (Mueller et al. 2022): level l has resolution[l] cells per axis; its
// entries are rows offset[l] .. offset[l + 1] of table [rows, features]; bit l of `hashed` says it
// is indexed by the spatial hash (else densely, one entry per vertex).
struct NerfHashGrid {
    int features = 2;
    uint32_t table_size = 0;          // T: the most entries one level holds (a power of two)
    std::vector<uint32_t> resolution; // [levels]
    std::vector<uint32_t> offset;     // [levels + 1]
    uint32_t hashed = 0;
    std::vector<float> table; // [offset.back(), features]

    int levels() const { return int(resolution.size()); }
    size_t rows() const { return offset.empty() ? 0 : offset.back(); }
};

// Activations, numbered as training/kernels/mlp.hpp's kern::Activation.
enum class NerfActivation : int32_t { None = 0, Relu = 1, Sigmoid = 2, Tanh = 3, Exp = 4 };

// A fully connected network: widths [inputs, hidden..., outputs]; layer l's W [out, in] (row-major)
// then b [out], layer by layer, in `params`.
struct NerfMlp {
    std::vector<int> widths;
    NerfActivation hidden_activation = NerfActivation::Relu;
    NerfActivation output_activation = NerfActivation::None;
    std::vector<float> params;

    int layers() const { return int(widths.size()) - 1; }
    int inputs() const { return widths.empty() ? 0 : widths.front(); }
    int outputs() const { return widths.empty() ? 0 : widths.back(); }
    // W + b of every layer.
    size_t parameter_count() const;
};

struct NerfScene {
    std::string model = "hmohe";
    // Sampling space and marching (kern::NerfSpace).
    glm::vec3 center{0.0f};
    float scale = 1.0f;
    int cascades = 1;
    int resolution = 128;
    float min_step = 0.0f;
    float max_step = 0.0f;
    float cone_angle = 0.0f;
    int max_samples = 1024;
    float stop_transmittance = 1e-4f;
    std::vector<uint32_t> occupancy; // bits, [ceil(cascades * resolution^3 / 32)]

    // Networks. The experts' MLP outputs the density logit then geometry_features features; each is
    // multiplied by the gate's probability of the expert. The colour head reads [density logit,
    // features, SH of the view direction (bands 0..sh_degree), appearance] and ends in a sigmoid.
    NerfHashGrid gate_grid;
    NerfMlp gate_mlp; // -> logits over the experts
    std::vector<NerfHashGrid> expert_grids;
    std::vector<NerfMlp> expert_mlps;
    NerfMlp colour_mlp;
    int geometry_features = 15;
    int sh_degree = 3;
    std::vector<float> appearance; // the embedding renders use (the training images' mean); may be empty

    glm::vec3 background{0.0f}; // what the run composited its evaluation on

    int experts() const { return int(expert_mlps.size()); }
    size_t parameter_count() const;
    // World box of the inner cube and of the outermost cascade.
    Bounds inner_bounds() const;
    Bounds outer_bounds() const;
    size_t occupied_cells() const;
};

// Colour of expert `expert` of `experts` in expert renders (the CPU render's Expert mode, the Vulkan
// ray marcher's experts mode, the viewer's legend): hues spread evenly, bright enough to read over
// black or white.
glm::vec3 nerf_expert_colour(int expert, int experts);

} // namespace splatscape
