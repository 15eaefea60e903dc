#include "training/models/hmohe.hpp"

#include <algorithm>
#include <cmath>
#include <numeric>

#include "core/datasets/dataset.hpp"
#include "core/error.hpp"
#include "training/kernels/random.hpp"
#include "training/kernels/sh_encoding.hpp"
#include "training/models/gs4d.hpp"

namespace splatscape {
namespace {

constexpr size_t kRoundSamples = size_t(1) << 18;

void ensure(Backend& backend, Tensor& t, size_t rows, int cols, DType dtype = DType::F32) {
    if (t.rows() != rows || t.cols() != cols || t.dtype() != dtype || (rows * size_t(cols) == 0 && t.raw() == nullptr))
        t = backend.zeros(rows, cols, dtype);
}

HashGridConfig grid_config(int levels, int features, int log2_table, float base, float finest) {
    HashGridConfig c;
    c.levels = levels;
    c.features = features;
    c.log2_table_size = log2_table;
    c.base_resolution = base;
    c.per_level_scale = HashGridConfig::scale_for(base, finest, levels);
    return c;
}

MlpConfig mlp_config(int inputs, int hidden, int hidden_layers, int outputs, kern::Activation out) {
    MlpConfig c;
    c.inputs = inputs;
    c.hidden = hidden;
    c.hidden_layers = hidden_layers;
    c.outputs = outputs;
    c.hidden_activation = kern::Activation::Relu;
    c.output_activation = out;
    return c;
}

NerfHashGrid grid_to_scene(const kern::HashGridLayout& g, std::vector<float> table) {
    NerfHashGrid s;
    s.features = g.features;
    s.table_size = g.table_size;
    s.hashed = g.hashed;
    for (int l = 0; l < g.levels; ++l) s.resolution.push_back(g.resolution[l]);
    for (int l = 0; l <= g.levels; ++l) s.offset.push_back(g.offset[l]);
    s.table = std::move(table);
    return s;
}

kern::HashGridLayout grid_from_scene(const NerfHashGrid& s, const std::string& where, const std::string& field) {
    kern::HashGridLayout g;
    const int L = s.levels();
    if (L < 1 || L > kern::kHashMaxLevels || s.offset.size() != size_t(L) + 1)
        throw Error(where, field, cat("expected 1 to ", kern::kHashMaxLevels, " levels with one offset more"));
    if (s.features != 1 && s.features != 2 && s.features != 4 && s.features != 8)
        throw Error(where, field + ".features", "expected 1, 2, 4 or 8");
    if (s.table_size == 0 || (s.table_size & (s.table_size - 1)) != 0)
        throw Error(where, field + ".table_size", "expected a power of two");
    g.levels = L;
    g.features = s.features;
    g.table_size = s.table_size;
    g.hashed = s.hashed;
    for (int l = 0; l < L; ++l) {
        const uint64_t n = s.resolution[size_t(l)];
        if (n < 1 || n > (1u << 20)) throw Error(where, field + ".resolution", "expected 1 .. 2^20 cells per axis");
        const uint64_t vertices = (n + 1) * (n + 1) * (n + 1);
        const bool hashed = (s.hashed >> l) & 1u;
        const uint64_t size = s.offset[size_t(l) + 1] - uint64_t(s.offset[size_t(l)]);
        if (s.offset[size_t(l) + 1] < s.offset[size_t(l)] || (hashed ? size != s.table_size : size != vertices) ||
            (!hashed && vertices > s.table_size))
            throw Error(where, field + ".offset", cat("level ", l, " does not match its resolution and table size"));
        g.resolution[l] = uint32_t(n);
        g.offset[l] = s.offset[size_t(l)];
    }
    g.offset[L] = s.offset[size_t(L)];
    if (s.offset[0] != 0 || s.table.size() != size_t(g.rows()) * size_t(g.features))
        throw Error(where, field + ".table", "its size does not match the layout");
    return g;
}

NerfMlp mlp_to_scene(const kern::MlpLayout& m, std::vector<float> params) {
    NerfMlp s;
    s.widths.push_back(m.in[0]);
    for (int l = 0; l < m.layers; ++l) s.widths.push_back(m.out[l]);
    s.hidden_activation = NerfActivation(int32_t(m.hidden));
    s.output_activation = NerfActivation(int32_t(m.output));
    s.params = std::move(params);
    return s;
}

kern::MlpLayout mlp_from_scene(const NerfMlp& s, const std::string& where, const std::string& field) {
    if (s.widths.size() < 2) throw Error(where, field + ".widths", "expected inputs, hidden widths and outputs");
    const int hidden_layers = int(s.widths.size()) - 2;
    for (int l = 1; l <= hidden_layers; ++l)
        if (s.widths[size_t(l)] != s.widths[1]) throw Error(where, field + ".widths", "hidden layers differ in width");
    for (NerfActivation a : {s.hidden_activation, s.output_activation})
        if (int32_t(a) < 0 || int32_t(a) > 4) throw Error(where, field, "unknown activation");
    const MlpConfig c = mlp_config(s.widths.front(), hidden_layers > 0 ? s.widths[1] : 1, hidden_layers,
                                   s.widths.back(), kern::Activation(int32_t(s.output_activation)));
    MlpConfig cc = c;
    cc.hidden_activation = kern::Activation(int32_t(s.hidden_activation));
    kern::MlpLayout m;
    try {
        m = mlp_layout(cc);
    } catch (const Error& e) {
        throw Error(where, field, e.what());
    }
    if (s.params.size() != m.params)
        throw Error(where, field + ".params", cat("expected ", m.params, " values, found ", s.params.size()));
    return m;
}

int sh_width(int degree) {
    return kern::sh_encoding_width(degree);
}

} // namespace

kern::NerfSpace nerf_space_for(const HmoheConfig& c, const Dataset& dataset) {
    Bounds box;
    float padding = c.box_padding;
    if (c.scene_box.size() == 2) {
        box.min = {c.scene_box[0][0], c.scene_box[0][1], c.scene_box[0][2]};
        box.max = {c.scene_box[1][0], c.scene_box[1][1], c.scene_box[1][2]};
        padding = 0.0f;
    } else if (dataset.points.size() > 0) {
        box = dataset.bounds;
    } else {
        box = camera_focus_bounds(dataset);
    }
    const glm::vec3 size = box.size();
    kern::NerfSpace s;
    const glm::vec3 centre = box.center();
    s.center[0] = centre.x, s.center[1] = centre.y, s.center[2] = centre.z;
    s.scale = std::max({size.x, size.y, size.z, 1e-6f}) * (1.0f + 2.0f * padding);
    s.cascades = c.cascades > 0 ? c.cascades : (dataset.has_alpha ? 1 : 3);
    s.resolution = c.occupancy_resolution;
    s.min_step = kern::kNerfSqrt3 / c.steps_per_unit;
    s.max_step = kern::kNerfSqrt3 * float(1 << (s.cascades - 1)) / float(s.resolution);
    s.cone_angle = c.cone_angle >= 0.0f ? c.cone_angle : (s.cascades == 1 ? 0.0f : 1.0f / 256.0f);
    s.max_samples = c.max_samples_per_ray;
    return s;
}

std::vector<float> nerf_camera_row(const Camera& cam) {
    std::vector<float> row(kNerfCameraCols, 0.0f);
    row[0] = float(cam.width);
    row[1] = float(cam.height);
    row[2] = cam.fx;
    row[3] = cam.fy;
    row[4] = cam.cx;
    row[5] = cam.cy;
    const glm::mat4 c2w = cam.camera_to_world();
    for (int r = 0; r < 3; ++r)
        for (int k = 0; k < 3; ++k) row[size_t(6 + 3 * r + k)] = c2w[k][r]; // glm is column-major
    const glm::vec3 centre = cam.center();
    row[15] = centre.x;
    row[16] = centre.y;
    row[17] = centre.z;
    return row;
}

size_t HmoheNetwork::add_param(const std::string& name, size_t rows, int cols, const std::vector<float>& init,
                               bool trainable) {
    Parameter& p = m_params.add(m_backend, name, rows, cols);
    if (!init.empty()) m_backend.upload(p.value, init.data());
    if (!trainable) {
        p.grad.reset();
        p.exp_avg.reset();
        p.exp_avg_sq.reset();
    }
    return m_params.all().size() - 1;
}

HmoheNetwork::HmoheNetwork(Backend& backend, const HmoheConfig& c, const kern::NerfSpace& space, size_t images,
                           uint64_t seed, bool trainable)
    : m_backend(backend), m_encoding(backend.ops<EncodingOps>("hmohe")), m_mlp(backend.ops<MlpOps>("hmohe")),
      m_dispatch(backend.ops<ExpertOps>("hmohe")), m_march(backend.ops<RayMarchOps>("hmohe")), m_space(space) {
    m_stop_T = c.early_stop_transmittance;
    m_geometry = c.geometry_features;
    m_sh_degree = c.sh_degree;
    m_appearance = c.appearance_dims;
    const int E = c.experts;
    auto stream = [&](uint64_t k) { return kern::mix64(seed ^ (0x686d6f6865ull + k)); };

    m_gate_grid = hash_grid_layout(grid_config(c.gate_levels, c.gate_features, c.gate_log2_table_size,
                                               c.gate_base_resolution, c.gate_max_resolution));
    m_gate_mlp = mlp_layout(mlp_config(m_gate_grid.width(), c.gate_hidden, 1, E, kern::Activation::None));
    m_gate_table = add_param("gate.grid", m_gate_grid.rows(), m_gate_grid.features,
                             hash_grid_initial_table(m_gate_grid, stream(1)), trainable);
    m_gate_params = add_param("gate.mlp", m_gate_mlp.params, 1, mlp_initial_params(m_gate_mlp, stream(2)), trainable);
    for (int e = 0; e < E; ++e) {
        Expert x;
        x.grid = hash_grid_layout(grid_config(c.expert_levels, c.expert_features, c.expert_table_size(e),
                                              c.expert_base_resolution, c.expert_resolution(e)));
        x.mlp = mlp_layout(mlp_config(x.grid.width(), c.expert_hidden, c.expert_hidden_layers, 1 + m_geometry,
                                      kern::Activation::None));
        x.table = add_param(cat("expert", e, ".grid"), x.grid.rows(), x.grid.features,
                            hash_grid_initial_table(x.grid, stream(16 + 2 * uint64_t(e))), trainable);
        x.params = add_param(cat("expert", e, ".mlp"), x.mlp.params, 1,
                             mlp_initial_params(x.mlp, stream(17 + 2 * uint64_t(e))), trainable);
        m_experts.push_back(x);
    }
    // As instant-ngp: the colour head reads the expert's whole output, density logit included.
    const int colour_in = 1 + m_geometry + sh_width(m_sh_degree) + m_appearance;
    m_colour_mlp =
        mlp_layout(mlp_config(colour_in, c.colour_hidden, c.colour_hidden_layers, 3, kern::Activation::Sigmoid));
    m_colour_params =
        add_param("colour.mlp", m_colour_mlp.params, 1, mlp_initial_params(m_colour_mlp, stream(3)), trainable);
    if (m_appearance > 0)
        m_embedding = add_param("appearance", std::max<size_t>(images, 1), m_appearance, {}, trainable);
    m_out_cols = colour_in;

    m_occ_values = backend.zeros(space.cells(), 1);
    m_occ_bits = backend.zeros((size_t(space.cells()) + 31) / 32, 1, DType::I32);
    backend.fill(m_occ_bits, -1.0f); // every cell occupied until the first update
    m_render_embedding = backend.zeros(1, std::max(m_appearance, 1));
}

HmoheNetwork::HmoheNetwork(Backend& backend, const NerfScene& s, const std::string& where)
    : m_backend(backend), m_encoding(backend.ops<EncodingOps>("hmohe")), m_mlp(backend.ops<MlpOps>("hmohe")),
      m_dispatch(backend.ops<ExpertOps>("hmohe")), m_march(backend.ops<RayMarchOps>("hmohe")) {
    const int E = s.experts();
    if (E < 1 || E > 32 || s.expert_grids.size() != size_t(E))
        throw Error(where, "experts", "expected 1 to 32 experts, each with a grid and an MLP");
    if (s.cascades < 1 || s.cascades > 8 || s.resolution < 8 || s.resolution > 512 || s.resolution % 8 != 0)
        throw Error(where, "occupancy", "expected 1 .. 8 cascades of 8 .. 512 cells per axis (a multiple of 8)");
    if (!(s.scale > 0.0f) || !(s.min_step > 0.0f) || !(s.max_step >= s.min_step) || s.max_samples < 1)
        throw Error(where, "space", "scale, steps and max_samples must be positive");
    m_space.center[0] = s.center.x, m_space.center[1] = s.center.y, m_space.center[2] = s.center.z;
    m_space.scale = s.scale;
    m_space.cascades = s.cascades;
    m_space.resolution = s.resolution;
    m_space.min_step = s.min_step;
    m_space.max_step = s.max_step;
    m_space.cone_angle = s.cone_angle;
    m_space.max_samples = s.max_samples;
    m_stop_T = s.stop_transmittance;
    m_geometry = s.geometry_features;
    m_sh_degree = s.sh_degree;
    if (m_sh_degree < 0 || m_sh_degree > 3) throw Error(where, "sh_degree", "expected 0 .. 3");
    m_appearance = int(s.appearance.size());
    if (s.occupancy.size() != (size_t(m_space.cells()) + 31) / 32)
        throw Error(where, "occupancy", "its size does not match the cascades and resolution");

    m_gate_grid = grid_from_scene(s.gate_grid, where, "gate_grid");
    m_gate_mlp = mlp_from_scene(s.gate_mlp, where, "gate_mlp");
    if (m_gate_mlp.inputs() != m_gate_grid.width() || m_gate_mlp.outputs() != E)
        throw Error(where, "gate_mlp", "its widths do not match the gate grid and the expert count");
    m_gate_table = add_param("gate.grid", m_gate_grid.rows(), m_gate_grid.features, s.gate_grid.table, false);
    m_gate_params = add_param("gate.mlp", m_gate_mlp.params, 1, s.gate_mlp.params, false);
    for (int e = 0; e < E; ++e) {
        Expert x;
        x.grid = grid_from_scene(s.expert_grids[size_t(e)], where, cat("expert_grids[", e, "]"));
        x.mlp = mlp_from_scene(s.expert_mlps[size_t(e)], where, cat("expert_mlps[", e, "]"));
        if (x.mlp.inputs() != x.grid.width() || x.mlp.outputs() != 1 + m_geometry)
            throw Error(where, cat("expert_mlps[", e, "]"), "its widths do not match its grid and the features");
        x.table = add_param(cat("expert", e, ".grid"), x.grid.rows(), x.grid.features, s.expert_grids[size_t(e)].table,
                            false);
        x.params = add_param(cat("expert", e, ".mlp"), x.mlp.params, 1, s.expert_mlps[size_t(e)].params, false);
        m_experts.push_back(x);
    }
    m_colour_mlp = mlp_from_scene(s.colour_mlp, where, "colour_mlp");
    if (m_colour_mlp.inputs() != 1 + m_geometry + sh_width(m_sh_degree) + m_appearance || m_colour_mlp.outputs() != 3)
        throw Error(where, "colour_mlp", "its widths do not match the features, SH degree and appearance");
    m_colour_params = add_param("colour.mlp", m_colour_mlp.params, 1, s.colour_mlp.params, false);
    m_out_cols = m_colour_mlp.inputs();
    m_occ_values = backend.zeros(0, 1);
    m_occ_bits = backend.zeros(s.occupancy.size(), 1, DType::I32);
    backend.upload(m_occ_bits, s.occupancy.data());
    m_render_embedding = backend.zeros(1, std::max(m_appearance, 1));
    if (m_appearance > 0) backend.upload(m_render_embedding, s.appearance.data());
}

size_t HmoheNetwork::parameter_count() const {
    size_t n = 0;
    for (const Parameter& p : m_params.all()) n += p.value.numel();
    return n;
}

void HmoheNetwork::route_and_experts(const Tensor& positions, Tensor& out) {
    const size_t S = positions.rows();
    const int E = experts();
    ensure(m_backend, out, S, m_out_cols);
    ensure(m_backend, m_gate_enc, S, m_gate_grid.width());
    ensure(m_backend, m_logits, S, E);
    ensure(m_backend, m_probs, S, E);
    ensure(m_backend, m_expert, S, 1, DType::I32);
    ensure(m_backend, m_prob, S, 1);
    m_encoding.hash_encode(m_gate_grid, param(m_gate_table).value, positions, RowSelection::all(), m_gate_enc, 0);
    m_mlp.forward(m_gate_mlp, param(m_gate_params).value, m_gate_enc, 0, RowSelection::all(), m_logits, 0);
    m_dispatch.route(m_logits, m_probs, m_expert, m_prob);
    // Samples grouped by expert: each expert runs on one contiguous block.
    m_expert_offsets = m_dispatch.group(m_expert, E, m_perm, m_offsets, true);
    m_dispatch.gather(positions, m_perm, m_pos_sorted);
    int width = 0;
    for (const Expert& x : m_experts) width = std::max(width, x.grid.width());
    ensure(m_backend, m_enc_sorted, S, width);
    ensure(m_backend, m_raw_sorted, S, 1 + m_geometry);
    for (int e = 0; e < E; ++e) {
        const RowSelection rows =
            RowSelection::range(size_t(m_expert_offsets[size_t(e)]), size_t(m_expert_offsets[size_t(e) + 1]));
        if (rows.begin == rows.end) continue;
        const Expert& x = m_experts[size_t(e)];
        m_encoding.hash_encode(x.grid, param(x.table).value, m_pos_sorted, rows, m_enc_sorted, 0);
        m_mlp.forward(x.mlp, param(x.params).value, m_enc_sorted, 0, rows, m_raw_sorted, 0);
    }
    m_dispatch.scatter_scaled(m_raw_sorted, m_perm, m_prob, out, 0);
}

void HmoheNetwork::forward(const NerfSamples& samples, const NerfRays* rays, bool colour, Tensor& out, Tensor* rgb,
                           bool render_appearance) {
    route_and_experts(samples.position, out);
    if (!colour) return;
    const size_t S = samples.size();
    const int sh_col = 1 + m_geometry;
    m_encoding.sh_encode(m_sh_degree, samples.direction, RowSelection::all(), out, sh_col);
    if (m_appearance > 0) {
        if (!rays) throw Error("hmohe forward: appearance embeddings need the samples' rays");
        const Tensor& table =
            render_appearance || m_embedding == SIZE_MAX ? m_render_embedding : param(m_embedding).value;
        m_march.embedding_forward(table, *rays, samples, out, sh_col + sh_width(m_sh_degree));
    }
    ensure(m_backend, *rgb, S, 3);
    m_mlp.forward(m_colour_mlp, param(m_colour_params).value, out, 0, RowSelection::all(), *rgb, 0);
}

void HmoheNetwork::density(const Tensor& positions, Tensor& out) {
    route_and_experts(positions, out);
}

double HmoheNetwork::backward(const NerfSamples& samples, const NerfRays& rays, const Tensor& out, Tensor& d_out,
                              const Tensor& d_rgb, float balance_weight) {
    const size_t S = samples.size();
    const int E = experts();
    if (S == 0) return 0.0;
    // Colour head -> d_out (column 0 already holds the composite's gradient; the head adds to it).
    m_mlp.backward(m_colour_mlp, param(m_colour_params).value, out, 0, RowSelection::all(), d_rgb, 0,
                   param(m_colour_params).grad, &d_out, 0);
    if (m_appearance > 0 && m_embedding != SIZE_MAX)
        m_march.embedding_backward(rays, samples, d_out, 1 + m_geometry + sh_width(m_sh_degree),
                                   param(m_embedding).grad);
    // Gate-weighted expert outputs -> the experts' outputs (expert order) and the gate probability.
    ensure(m_backend, m_d_raw_sorted, S, 1 + m_geometry);
    ensure(m_backend, m_d_prob, S, 1);
    m_dispatch.scatter_scaled_backward(m_raw_sorted, m_perm, m_prob, d_out, 0, m_d_raw_sorted, m_d_prob);
    ensure(m_backend, m_d_enc_sorted, S, m_enc_sorted.cols());
    m_backend.fill(m_d_enc_sorted, 0.0f);
    for (int e = 0; e < E; ++e) {
        const RowSelection rows =
            RowSelection::range(size_t(m_expert_offsets[size_t(e)]), size_t(m_expert_offsets[size_t(e) + 1]));
        if (rows.begin == rows.end) continue;
        Expert& x = m_experts[size_t(e)];
        m_mlp.backward(x.mlp, param(x.params).value, m_enc_sorted, 0, rows, m_d_raw_sorted, 0, param(x.params).grad,
                       &m_d_enc_sorted, 0);
        m_encoding.hash_encode_backward(x.grid, param(x.table).value, m_pos_sorted, rows, m_d_enc_sorted, 0,
                                        param(x.table).grad, nullptr);
    }
    // Gate: the rendering loss through the chosen probability, and the load-balancing loss
    // w E sum_e f_e P_e with f_e held fixed (dL/dp_e = w E f_e / S for every sample).
    const GateBalance balance = m_dispatch.balance(m_probs, m_expert);
    std::vector<float> coef(static_cast<size_t>(E));
    for (int e = 0; e < E; ++e)
        coef[size_t(e)] = float(double(balance_weight) * E * balance.fraction[size_t(e)] / double(S));
    ensure(m_backend, m_d_logits, S, E);
    m_dispatch.gate_backward(m_probs, m_expert, m_d_prob, coef, m_d_logits);
    ensure(m_backend, m_d_gate_enc, S, m_gate_grid.width());
    m_backend.fill(m_d_gate_enc, 0.0f);
    m_mlp.backward(m_gate_mlp, param(m_gate_params).value, m_gate_enc, 0, RowSelection::all(), m_d_logits, 0,
                   param(m_gate_params).grad, &m_d_gate_enc, 0);
    m_encoding.hash_encode_backward(m_gate_grid, param(m_gate_table).value, samples.position, RowSelection::all(),
                                    m_d_gate_enc, 0, param(m_gate_table).grad, nullptr);
    return double(balance_weight) * balance.loss();
}

HmoheNetwork::RenderResult HmoheNetwork::render(const Camera& camera, glm::vec3 background, NerfRenderMode mode,
                                                size_t chunk) {
    RenderResult result;
    const size_t W = size_t(camera.width), H = size_t(camera.height), P = W * H;
    const std::vector<float> row = nerf_camera_row(camera);
    const int E = experts();
    const bool colour = mode == NerfRenderMode::Colour;
    const bool with_depth = mode != NerfRenderMode::Expert;
    result.colour = Image(int(W), int(H), 3);
    result.opacity = Image(int(W), int(H), 1);
    if (with_depth) result.depth = Image(int(W), int(H), 1);
    if (mode == NerfRenderMode::Expert) {
        result.expert.assign(P, -1);
        result.expert_colour = Image(int(W), int(H), 3);
    }
    const glm::vec3 axis = camera.forward();
    if (m_appearance > 0 && m_embedding != SIZE_MAX) {
        const std::vector<float> mean = render_appearance();
        m_backend.upload(m_render_embedding, mean.data());
    }
    NerfRays rays;
    NerfSamples samples;
    Tensor state, weights, active, next, offsets, used, out, rgb;
    for (size_t first = 0; first < P; first += chunk) {
        const size_t n = std::min(chunk, P - first);
        rays.origin = m_backend.zeros(n, 3);
        rays.direction = m_backend.zeros(n, 3);
        rays.range = m_backend.zeros(n, 2);
        rays.target = m_backend.zeros(n, 3);
        rays.background = m_backend.zeros(n, 3);
        rays.image = m_backend.zeros(n, 1, DType::I32);
        m_march.camera_rays(m_space, row.data(), first, 0, rays);
        state = m_backend.zeros(n, kNerfStateCols);
        weights = m_backend.zeros(n, E);
        std::vector<int32_t> iota(n);
        std::iota(iota.begin(), iota.end(), 0);
        active = m_backend.zeros(n, 1, DType::I32);
        m_backend.upload(active, iota.data());
        size_t alive = n;
        while (alive > 0) {
            // Samples per round at most about kRoundSamples: few per ray while many rays are alive.
            const int k = int(std::clamp<size_t>(kRoundSamples / alive, 1, 64));
            const size_t S = m_march.march(m_space, m_occ_bits, rays, active, k, samples, offsets);
            result.samples += S;
            if (S > 0)
                forward(samples, &rays, colour, out, colour ? &rgb : nullptr, true);
            else
                ensure(m_backend, out, 0, m_out_cols);
            alive =
                m_march.accumulate(m_space, rays, active, samples, offsets, out, 0, colour && S > 0 ? &rgb : nullptr,
                                   mode == NerfRenderMode::Expert ? &m_expert : nullptr, m_stop_T, state,
                                   mode == NerfRenderMode::Expert ? &weights : nullptr, used, next);
            std::swap(active, next);
        }
        const std::vector<float> st = m_backend.download_f32(state);
        const std::vector<float> dirs = m_backend.download_f32(rays.direction);
        std::vector<float> ew;
        if (mode == NerfRenderMode::Expert) ew = m_backend.download_f32(weights);
        for (size_t i = 0; i < n; ++i) {
            const float* s = st.data() + i * kNerfStateCols;
            const float T = std::exp(-s[0]);
            const size_t p = first + i;
            for (int c = 0; c < 3; ++c) result.colour.data[3 * p + size_t(c)] = s[1 + c] + T * background[c];
            const float opacity = 1.0f - T;
            result.opacity.data[p] = opacity;
            if (with_depth) {
                const glm::vec3 d{dirs[3 * i], dirs[3 * i + 1], dirs[3 * i + 2]};
                result.depth.data[p] = opacity > 1e-3f ? s[4] / opacity * m_space.scale * glm::dot(d, axis) : 0.0f;
            }
            if (mode == NerfRenderMode::Expert) {
                int best = -1;
                float bw = 0.0f;
                for (int e = 0; e < E; ++e)
                    if (ew[i * size_t(E) + size_t(e)] > bw) bw = ew[i * size_t(E) + size_t(e)], best = e;
                result.expert[p] = opacity > 0.5f ? best : -1;
                const glm::vec3 c = best >= 0 ? nerf_expert_colour(best, E) : background;
                for (int ch = 0; ch < 3; ++ch)
                    result.expert_colour.data[3 * p + size_t(ch)] = opacity * c[ch] + T * background[ch];
            }
        }
    }
    return result;
}

std::vector<float> HmoheNetwork::render_appearance() const {
    std::vector<float> mean(size_t(m_appearance), 0.0f);
    if (m_appearance == 0) return mean;
    if (m_embedding == SIZE_MAX) return m_backend.download_f32(m_render_embedding);
    const Tensor& t = param(m_embedding).value;
    const std::vector<float> all = m_backend.download_f32(t);
    for (size_t i = 0; i < t.rows(); ++i)
        for (int j = 0; j < m_appearance; ++j) mean[size_t(j)] += all[i * size_t(m_appearance) + size_t(j)];
    for (float& v : mean) v /= float(std::max<size_t>(t.rows(), 1));
    return mean;
}

NerfScene HmoheNetwork::to_scene(glm::vec3 background) const {
    NerfScene s;
    s.center = {m_space.center[0], m_space.center[1], m_space.center[2]};
    s.scale = m_space.scale;
    s.cascades = m_space.cascades;
    s.resolution = m_space.resolution;
    s.min_step = m_space.min_step;
    s.max_step = m_space.max_step;
    s.cone_angle = m_space.cone_angle;
    s.max_samples = m_space.max_samples;
    s.stop_transmittance = m_stop_T;
    s.occupancy.resize(m_occ_bits.rows());
    m_backend.download(m_occ_bits, s.occupancy.data());
    s.gate_grid = grid_to_scene(m_gate_grid, m_backend.download_f32(param(m_gate_table).value));
    s.gate_mlp = mlp_to_scene(m_gate_mlp, m_backend.download_f32(param(m_gate_params).value));
    for (const Expert& x : m_experts) {
        s.expert_grids.push_back(grid_to_scene(x.grid, m_backend.download_f32(param(x.table).value)));
        s.expert_mlps.push_back(mlp_to_scene(x.mlp, m_backend.download_f32(param(x.params).value)));
    }
    s.colour_mlp = mlp_to_scene(m_colour_mlp, m_backend.download_f32(param(m_colour_params).value));
    s.geometry_features = m_geometry;
    s.sh_degree = m_sh_degree;
    s.appearance = render_appearance();
    s.background = background;
    return s;
}

} // namespace splatscape
