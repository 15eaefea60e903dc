#include "training/models/sags.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <random>
#include <set>
#include <unordered_set>

#include "core/error.hpp"
#include "core/io/ply.hpp"
#include "core/io/sags.hpp"
#include "core/log.hpp"
#include "training/models/gs3d.hpp"
#include "training/models/sags_decode.hpp"
#include "training/models/sags_points.hpp"

namespace splatscape {

namespace fs = std::filesystem;
using kern::NeighbourMessage;
using kern::NeighbourReduce;

namespace {

// A view decodes the points that project inside its image widened by this fraction on every side:
// a Gaussian lies near its point (offsets are a few voxels), so its footprint reaches the image.
constexpr float kViewMargin = 0.15f;
constexpr float kNearZ = 0.01f;

// (Re)allocates t when its shape differs.
void fit(Backend& backend, Tensor& t, size_t rows, int cols, DType dtype = DType::F32) {
    if (t.rows() != rows || t.cols() != cols || t.dtype() != dtype || (rows * size_t(cols) > 0 && !t.raw()))
        t = backend.zeros(rows, cols, dtype);
}

// Zeroed, (re)allocated when its shape differs.
void zeroed(Backend& backend, Tensor& t, size_t rows, int cols) {
    fit(backend, t, rows, cols);
    if (!t.empty()) backend.fill(t, 0.0f);
}

Tensor upload(Backend& backend, const std::vector<float>& v, size_t rows, int cols) {
    Tensor t = backend.zeros(rows, cols);
    if (rows) backend.upload(t, v.data());
    return t;
}

Tensor upload_i32(Backend& backend, const std::vector<int32_t>& v, size_t rows, int cols) {
    Tensor t = backend.zeros(rows, cols, DType::I32);
    if (rows) backend.upload(t, v.data());
    return t;
}

float exp_decay(int iteration, float init, float final_, int max_steps) {
    if (init == final_) return init;
    return exponential_lr(iteration, init, final_, 0, 1.0f, max_steps);
}

} // namespace

SagsModel::SagsModel(Backend& backend, const SagsConfig& config, float extent)
    : m_backend(backend), m_encoding(backend.ops<EncodingOps>("sags")), m_mlp(backend.ops<MlpOps>("sags")),
      m_neighbours(backend.ops<NeighbourOps>("sags")), m_ops(backend.ops<SagsOps>("sags")), m_config(config),
      m_extent(extent) {
    m_voxel = config.voxel_size > 0 ? config.voxel_size : config.voxel_fraction * std::max(extent, 1e-6f);
    m_hash = hash_grid_layout(config.hash_grid());
    set_networks();
    allocate(0);
}

void SagsModel::set_networks() {
    const SagsConfig& c = m_config;
    const int E = c.encoded_width();
    auto net = [](const char* name, int in, int hidden, int layers, int out, kern::Activation a) {
        Net n;
        n.name = name;
        n.config.inputs = in;
        n.config.hidden = hidden;
        n.config.hidden_layers = layers;
        n.config.outputs = out;
        n.config.hidden_activation = kern::Activation::Relu;
        n.config.output_activation = a;
        n.layout = mlp_layout(n.config);
        return n;
    };
    m_edge = net("mlp.edge", 2 * c.feature_dim, c.edge_hidden, 1, c.feature_dim, kern::Activation::None);
    m_opacity =
        net("mlp.opacity", E + kern::kSagsViewCols, c.decoder_hidden, c.decoder_layers, 1, kern::Activation::Tanh);
    m_color =
        net("mlp.color", E + kern::kSagsViewCols, c.decoder_hidden, c.decoder_layers, 3, kern::Activation::Sigmoid);
    m_cov =
        net("mlp.covariance", E + kern::kSagsViewCols, c.decoder_hidden, c.decoder_layers, 7, kern::Activation::None);
    m_offset = net("mlp.offset", E, c.offset_hidden, c.offset_layers, 3, kern::Activation::None);
}

void SagsModel::allocate(size_t n) {
    m_params = ParameterSet();
    m_params.add(m_backend, "points", n, 3);
    m_params.add(m_backend, "features", n, m_config.feature_dim);
    m_params.add(m_backend, "scales", n, kern::kSagsScaleCols);
    m_params.add(m_backend, "frame", 1, 4);
    m_params.add(m_backend, "hash", m_hash.rows(), m_hash.features);
    m_params.add(m_backend, "affine", size_t(m_config.encoded_width()), 2);
    if (m_config.learned_edges) m_params.add(m_backend, m_edge.name, m_edge.layout.params, 1);
    for (const Net* n : {&m_opacity, &m_color, &m_cov, &m_offset})
        m_params.add(m_backend, n->name, n->layout.params, 1);
    m_structure_dirty = true;
}

Parameter& SagsModel::opacity() {
    throw Error("sags: opacities are decoded per view; there is no opacity parameter to reset");
}

std::vector<Tensor> SagsModel::split_children(const Tensor&, float, uint64_t, uint64_t) {
    throw Error("sags: points grow by SagsGrowth, not by splitting");
}

std::vector<ParamLr> SagsModel::learning_rates(int it) const {
    const SagsConfig& c = m_config;
    const int T = c.iterations;
    auto constant = [](float lr) { return ParamLr{lr, lr, 0}; };
    std::vector<ParamLr> out;
    out.push_back(constant(0.0f)); // points: fixed
    out.push_back(constant(c.feature_lr));
    out.push_back(constant(c.scaling_lr));
    out.push_back(constant(0.0f)); // frame: fixed
    out.push_back(constant(exp_decay(it, c.hash_lr, c.hash_lr_final, T)));
    out.push_back(constant(c.affine_lr));
    if (c.learned_edges) out.push_back(constant(exp_decay(it, c.edge_lr, c.edge_lr_final, T)));
    out.push_back(constant(exp_decay(it, c.opacity_mlp_lr, c.opacity_mlp_lr_final, T)));
    out.push_back(constant(exp_decay(it, c.color_mlp_lr, c.color_mlp_lr_final, T)));
    out.push_back(constant(exp_decay(it, c.cov_mlp_lr, c.cov_mlp_lr_final, T)));
    // The offset MLP ramps up from 1 % of its rate over offset_warmup iterations (3DGS's delayed
    // position rate), so points take their colour and opacity before their Gaussians start to move.
    out.push_back(constant(exponential_lr(it, c.offset_mlp_lr, c.offset_mlp_lr_final, c.offset_warmup, 0.01f, T)));
    return out;
}

void SagsModel::initialize(const PointCloud& dataset_points, const Bounds& bounds, uint64_t seed) {
    const SagsConfig& c = m_config;
    PointCloud pts = dataset_points;
    if (pts.size() == 0) {
        log::warn("sags: the dataset has no points; starting from ", c.random_points,
                  " random points in the scene bounds");
        std::mt19937_64 rng(seed);
        std::uniform_real_distribution<float> u(0.0f, 1.0f);
        for (int i = 0; i < c.random_points; ++i) {
            for (int a = 0; a < 3; ++a)
                pts.positions.push_back(bounds.min[a] + (bounds.max[a] - bounds.min[a]) * u(rng));
            for (int a = 0; a < 3; ++a) pts.colors.push_back(0.5f);
        }
    }
    PointCloud cloud = upsample_flat_regions(m_backend, m_neighbours, voxelize_points(pts, m_voxel), c, m_voxel);
    if (c.lite) cloud = voxelize_points(cloud, m_voxel * c.lite_voxel_factor);
    const size_t n = cloud.size();
    if (n == 0) throw Error("sags: no points to start from");

    // The hash grid's cube: the points' bounding box, widened by a fifth for growth, made cubic.
    float lo[3], hi[3];
    for (int a = 0; a < 3; ++a) lo[a] = hi[a] = cloud.positions[a];
    for (size_t i = 0; i < n; ++i)
        for (int a = 0; a < 3; ++a) {
            lo[a] = std::min(lo[a], cloud.positions[3 * i + a]);
            hi[a] = std::max(hi[a], cloud.positions[3 * i + a]);
        }
    float size = std::max({hi[0] - lo[0], hi[1] - lo[1], hi[2] - lo[2], 1e-3f}) * 1.2f;
    const float frame[4] = {0.5f * (lo[0] + hi[0]) - 0.5f * size, 0.5f * (lo[1] + hi[1]) - 0.5f * size,
                            0.5f * (lo[2] + hi[2]) - 0.5f * size, size};

    allocate(n);
    m_backend.upload(m_params.get("points").value, cloud.positions.data());
    m_backend.upload(m_params.get("frame").value, frame);
    // Features start at the point's colour (centred) in the first channels, zero elsewhere.
    std::vector<float> features(n * size_t(c.feature_dim), 0.0f);
    for (size_t i = 0; i < n; ++i)
        for (int a = 0; a < std::min(3, c.feature_dim); ++a)
            features[i * size_t(c.feature_dim) + size_t(a)] = cloud.colors[3 * i + size_t(a)] - 0.5f;
    m_backend.upload(m_params.get("features").value, features.data());
    // Offsets and Gaussians start at the spacing of the points (3DGS's: the root mean squared
    // distance to the 3 nearest); the Gaussian scale factor's sigmoid starts at 1/2.
    const std::vector<float> d2 = mean_knn_squared_distance(cloud.positions, 3);
    std::vector<float> scales(n * kern::kSagsScaleCols);
    for (size_t i = 0; i < n; ++i) {
        const float ls = 0.5f * std::log(d2[i]);
        for (int a = 0; a < 3; ++a) {
            scales[i * 6 + size_t(a)] = ls;
            scales[i * 6 + 3 + size_t(a)] = ls + std::log(2.0f);
        }
    }
    m_backend.upload(m_params.get("scales").value, scales.data());
    const std::vector<float> table = hash_grid_initial_table(m_hash, seed ^ 0x5a65ull);
    m_backend.upload(m_params.get("hash").value, table.data());
    std::vector<float> affine(size_t(c.encoded_width()) * 2);
    for (size_t e = 0; e < affine.size() / 2; ++e) {
        affine[2 * e] = 1.0f;
        affine[2 * e + 1] = 0.0f;
    }
    m_backend.upload(m_params.get("affine").value, affine.data());
    uint64_t salt = 1;
    for (const Net* net : {&m_edge, &m_opacity, &m_color, &m_cov, &m_offset}) {
        ++salt;
        if (net == &m_edge && !c.learned_edges) continue;
        std::vector<float> p = mlp_initial_params(net->layout, seed * 0x9e3779b97f4a7c15ull + salt);
        const int last = net->layout.layers - 1;
        const uint32_t bias = net->layout.bias[last];
        if (net == &m_opacity) {
            // Every point starts at init_opacity: with random output weights about a third of the
            // points would decode at or below 0, be dropped from every view (no gradient reaches a
            // dropped point) and be pruned before training ever saw them (small objects vanished).
            std::fill(p.begin() + net->layout.weight[last], p.begin() + bias, 0.0f);
            p[bias] = std::atanh(c.init_opacity);
        }
        if (net == &m_cov) p[bias + 3] += 1.0f; // rotation w: start near the identity
        m_backend.upload(net_param(*net).value, p.data());
    }
    m_structure_dirty = true;
}

void SagsModel::rebuild_structure() {
    const Tensor& pts = m_params.get("points").value;
    if (m_config.lite) {
        const std::vector<float> key = m_backend.download_f32(pts);
        const std::vector<int32_t> pairs = lite_pairs(m_backend, m_neighbours, key, m_config.lite_neighbours);
        m_pairs = upload_i32(m_backend, pairs, pairs.size() / 2, 2);
        m_points_all = m_backend.zeros(pts.rows() + m_pairs.rows(), 3);
        m_ops.expand_midpoints(pts, m_pairs, m_points_all);
    }
    const Tensor& all = m_config.lite ? m_points_all : pts;
    const std::vector<float> host = m_backend.download_f32(all);
    float frame[4];
    m_backend.download(m_params.get("frame").value, frame);
    std::vector<float> unit(host.size());
    for (size_t i = 0; i < host.size(); ++i) unit[i] = (host[i] - frame[i % 3]) / frame[3];
    m_unit = upload(m_backend, unit, all.rows(), 3);
    const int k = std::max(1, std::min<int>(m_config.neighbours, int(all.rows()) - 1));
    if (all.rows() >= 2) {
        KnnResult knn = m_neighbours.knn(all, k);
        m_knn_weights = m_neighbours.inverse_distance_weights(knn.indices, knn.d2, m_voxel, true);
        m_knn = std::move(knn.indices);
    } else {
        m_knn = upload_i32(m_backend, std::vector<int32_t>(all.rows() * size_t(k), -1), all.rows(), k);
        m_knn_weights = m_backend.zeros(all.rows(), k);
    }
    // A point without neighbours (fewer than 2 points) gets the identity frame.
    m_frames = m_config.point_frames ? m_neighbours.pca_frames(all, m_knn) : Tensor();
    m_structure_dirty = false;
}

const Tensor& SagsModel::all_points() {
    if (m_structure_dirty) rebuild_structure();
    return m_config.lite ? m_points_all : m_params.get("points").value;
}

const Tensor& SagsModel::neighbour_indices() {
    if (m_structure_dirty) rebuild_structure();
    return m_knn;
}

std::vector<float> SagsModel::curvature() {
    const Tensor& pts = all_points();
    if (pts.rows() < 2) return std::vector<float>(pts.rows(), 0.0f);
    return m_backend.download_f32(m_neighbours.pca_curvature(pts, m_knn));
}

const Tensor& SagsModel::point_features() {
    const Tensor& f = m_params.get("features").value;
    if (!m_config.lite) return f;
    fit(m_backend, m_features_all, f.rows() + m_pairs.rows(), f.cols());
    m_ops.expand_midpoints(f, m_pairs, m_features_all);
    return m_features_all;
}

const Tensor& SagsModel::point_scales() {
    const Tensor& s = m_params.get("scales").value;
    if (!m_config.lite) return s;
    fit(m_backend, m_scales_all, s.rows() + m_pairs.rows(), s.cols());
    m_ops.expand_midpoints(s, m_pairs, m_scales_all);
    return m_scales_all;
}

void SagsModel::encode_local(const Tensor& F) {
    // The maximum of weighted messages over the k nearest neighbours, for every point.
    const size_t ne = F.rows();
    const int fd = m_config.feature_dim, k = m_knn.cols();
    fit(m_backend, m_local, ne, fd);
    fit(m_backend, m_local_argmax, ne, fd, DType::I32);
    if (m_config.learned_edges) {
        fit(m_backend, m_edges, ne * size_t(k), 2 * fd);
        fit(m_backend, m_edge_out, ne * size_t(k), fd);
        m_neighbours.gather_edges(NeighbourMessage::Centre, F, m_knn, m_edges, 0);
        m_neighbours.gather_edges(NeighbourMessage::Difference, F, m_knn, m_edges, fd);
        m_mlp.forward(m_edge.layout, net_param(m_edge).value, m_edges, 0, RowSelection::all(), m_edge_out, 0);
        m_neighbours.aggregate(NeighbourMessage::Edge, NeighbourReduce::Max, m_edge_out, m_knn, &m_knn_weights, m_local,
                               0, &m_local_argmax);
    } else {
        m_neighbours.aggregate(NeighbourMessage::Difference, NeighbourReduce::Max, F, m_knn, &m_knn_weights, m_local, 0,
                               &m_local_argmax);
    }
    if (m_config.local_residual) m_ops.add_residual(F, m_local);
}

SagsNetwork SagsModel::network(const Net& n) const {
    SagsNetwork out;
    out.inputs = n.config.inputs;
    out.hidden = n.config.hidden;
    out.hidden_layers = n.config.hidden_layers;
    out.outputs = n.config.outputs;
    out.hidden_activation = int(n.config.hidden_activation);
    out.output_activation = int(n.config.output_activation);
    out.params = m_backend.download_f32(m_params.get(n.name).value);
    return out;
}

SagsDecodeCache SagsModel::decode_cache() {
    if (m_structure_dirty) rebuild_structure();
    const Tensor& pts = all_points();
    const Tensor& F = point_features();
    const Tensor& S = point_scales();
    const size_t ne = pts.rows();
    const int hw = m_config.hash_width(), fd = m_config.feature_dim;
    SagsDecodeCache c;
    c.hash_width = hw;
    c.feature_dim = fd;
    c.points = m_backend.download_f32(pts);
    c.scales = m_backend.download_f32(S);
    c.affine = m_backend.download_f32(m_params.get("affine").value);
    c.opacity = network(m_opacity);
    c.color = network(m_color);
    c.covariance = network(m_cov);
    c.offset = network(m_offset);
    if (m_config.point_frames) c.frames = m_backend.download_f32(m_frames);
    if (ne == 0) return c;
    c.neighbour_count = m_knn.cols();
    c.neighbours.resize(m_knn.numel());
    m_backend.download(m_knn, c.neighbours.data());
    c.curvature = curvature();
    {
        // Standardised, as the initial upsampling uses it.
        double mean = 0, var = 0;
        for (float v : c.curvature) mean += v;
        mean /= double(ne);
        for (float v : c.curvature) var += (v - mean) * (v - mean);
        const double sd = std::sqrt(var / double(ne));
        for (float& v : c.curvature) v = sd > 1e-12 ? float((v - mean) / sd) : 0.0f;
    }
    encode_local(F);
    fit(m_backend, m_hash_enc, ne, hw);
    m_encoding.hash_encode(m_hash, m_params.get("hash").value, m_unit, RowSelection::all(), m_hash_enc, 0);
    const std::vector<float> h = m_backend.download_f32(m_hash_enc), l = m_backend.download_f32(m_local);
    c.encoded.resize(ne * size_t(hw + fd));
    for (size_t i = 0; i < ne; ++i) {
        std::copy(h.begin() + long(i * hw), h.begin() + long((i + 1) * hw), c.encoded.begin() + long(i * (hw + fd)));
        std::copy(l.begin() + long(i * fd), l.begin() + long((i + 1) * fd),
                  c.encoded.begin() + long(i * (hw + fd) + hw));
    }
    return c;
}

RasterTensors SagsModel::raster_inputs(const ViewInfo& view) {
    if (m_structure_dirty) rebuild_structure();
    m_params.zero_grads(m_backend);
    const SagsConfig& c = m_config;
    const Tensor& pts = all_points();
    const Tensor& F = point_features();
    const Tensor& S = point_scales();
    const size_t ne = pts.rows();
    const int fd = c.feature_dim, hw = c.hash_width(), E = c.encoded_width();

    m_rows = m_ops.visible_points(pts, view.camera, kViewMargin, kNearZ);
    const size_t M = m_rows.rows();
    for (Tensor* t : {&m_means, &m_log_scales_out, &m_colors}) fit(m_backend, *t, M, 3);
    fit(m_backend, m_rotations, M, 4);
    fit(m_backend, m_opacities, M, 1);
    fit(m_backend, m_decoded, M, kern::kSagsDecodedCols);
    RasterTensors t;
    t.means = &m_means;
    t.log_scales = &m_log_scales_out;
    t.rotations = &m_rotations;
    t.opacities = &m_opacities;
    t.colors = &m_colors;
    if (M == 0) return t;

    encode_local(F);
    // Global: the maximum over the points this view sees.
    fit(m_backend, m_global, 1, fd);
    fit(m_backend, m_global_argmax, 1, fd, DType::I32);
    m_neighbours.max_rows(m_local, RowSelection::listed(m_rows), m_global, m_global_argmax);
    // Positional: the hash encoding of the visible points.
    fit(m_backend, m_hash_enc, ne, hw);
    m_encoding.hash_encode(m_hash, m_params.get("hash").value, m_unit, RowSelection::listed(m_rows), m_hash_enc, 0);

    fit(m_backend, m_x, M, E + kern::kSagsViewCols);
    const kern::Vec3<float> centre = view.camera.center;
    m_ops.assemble(m_hash_enc, m_local, m_global, m_params.get("affine").value, pts, m_rows, centre, m_x);
    const RowSelection all = RowSelection::all();
    m_mlp.forward(m_opacity.layout, net_param(m_opacity).value, m_x, 0, all, m_decoded, kern::kSagsOpacityCol);
    m_mlp.forward(m_color.layout, net_param(m_color).value, m_x, 0, all, m_decoded, kern::kSagsColorCol);
    m_mlp.forward(m_cov.layout, net_param(m_cov).value, m_x, 0, all, m_decoded, kern::kSagsScaleCol);
    m_mlp.forward(m_offset.layout, net_param(m_offset).value, m_x, 0, all, m_decoded, kern::kSagsOffsetCol);

    SagsGaussianTensors g{&m_means, &m_log_scales_out, &m_rotations, &m_opacities, &m_colors};
    m_ops.compose(m_decoded, pts, S, point_frames(), m_rows, 0.0f, revive(view), g);
    (void)E;
    return t;
}

RasterGradTensors SagsModel::raster_grads() {
    const size_t M = m_rows.rows();
    for (Tensor* t : {&m_d_means, &m_d_log_scales, &m_d_colors}) zeroed(m_backend, *t, M, 3);
    zeroed(m_backend, m_d_rotations, M, 4);
    zeroed(m_backend, m_d_opacities, M, 1);
    zeroed(m_backend, m_view_grad_norm, M, 1);
    RasterGradTensors g;
    g.means = &m_d_means;
    g.log_scales = &m_d_log_scales;
    g.rotations = &m_d_rotations;
    g.opacities = &m_d_opacities;
    g.colors = &m_d_colors;
    g.view_grad_norm = &m_view_grad_norm;
    return g;
}

void SagsModel::backward(const ViewInfo& view) {
    const size_t M = m_rows.rows();
    if (M == 0) return;
    const SagsConfig& c = m_config;
    const Tensor& pts = all_points();
    const size_t ne = pts.rows();
    const int fd = c.feature_dim, hw = c.hash_width(), E = c.encoded_width();
    const int k = m_knn.cols();
    const Tensor& S = c.lite ? m_scales_all : m_params.get("scales").value;
    const Tensor& F = c.lite ? m_features_all : m_params.get("features").value;
    Tensor& dS = c.lite ? m_d_scales_all : m_params.get("scales").grad;
    Tensor& dF = c.lite ? m_d_features_all : m_params.get("features").grad;
    if (c.lite) {
        zeroed(m_backend, m_d_scales_all, ne, kern::kSagsScaleCols);
        zeroed(m_backend, m_d_features_all, ne, fd);
    }

    fit(m_backend, m_d_decoded, M, kern::kSagsDecodedCols);
    SagsGaussianTensors g{&m_d_means, &m_d_log_scales, &m_d_rotations, &m_d_opacities, &m_d_colors};
    m_ops.compose_backward(m_decoded, S, point_frames(), m_rows, 0.0f, revive(view), g, m_d_decoded, dS);

    zeroed(m_backend, m_d_x, M, E + kern::kSagsViewCols);
    const RowSelection all = RowSelection::all();
    m_mlp.backward(m_opacity.layout, net_param(m_opacity).value, m_x, 0, all, m_d_decoded, kern::kSagsOpacityCol,
                   net_param(m_opacity).grad, &m_d_x, 0);
    m_mlp.backward(m_color.layout, net_param(m_color).value, m_x, 0, all, m_d_decoded, kern::kSagsColorCol,
                   net_param(m_color).grad, &m_d_x, 0);
    m_mlp.backward(m_cov.layout, net_param(m_cov).value, m_x, 0, all, m_d_decoded, kern::kSagsScaleCol,
                   net_param(m_cov).grad, &m_d_x, 0);
    m_mlp.backward(m_offset.layout, net_param(m_offset).value, m_x, 0, all, m_d_decoded, kern::kSagsOffsetCol,
                   net_param(m_offset).grad, &m_d_x, 0);

    zeroed(m_backend, m_d_hash, ne, hw);
    zeroed(m_backend, m_d_local, ne, fd);
    zeroed(m_backend, m_d_global, 1, fd);
    m_ops.assemble_backward(m_hash_enc, m_local, m_global, m_params.get("affine").value, m_rows, m_d_x, m_d_hash,
                            m_d_local, m_d_global, m_params.get("affine").grad);
    m_neighbours.max_rows_backward(m_global_argmax, m_d_global, m_d_local);
    m_encoding.hash_encode_backward(m_hash, m_params.get("hash").value, m_unit, RowSelection::listed(m_rows), m_d_hash,
                                    0, m_params.get("hash").grad, nullptr);
    if (c.local_residual) m_ops.add_residual_backward(m_d_local, dF);
    if (c.learned_edges) {
        zeroed(m_backend, m_d_edge_out, ne * size_t(k), fd);
        m_neighbours.aggregate_backward(NeighbourMessage::Edge, NeighbourReduce::Max, m_edge_out, m_knn, &m_knn_weights,
                                        &m_local_argmax, m_d_local, 0, &m_d_edge_out, nullptr);
        zeroed(m_backend, m_d_edges, ne * size_t(k), 2 * fd);
        m_mlp.backward(m_edge.layout, net_param(m_edge).value, m_edges, 0, all, m_d_edge_out, 0, net_param(m_edge).grad,
                       &m_d_edges, 0);
        m_neighbours.gather_edges_backward(NeighbourMessage::Centre, m_knn, m_d_edges, 0, dF);
        m_neighbours.gather_edges_backward(NeighbourMessage::Difference, m_knn, m_d_edges, fd, dF);
    } else {
        m_neighbours.aggregate_backward(NeighbourMessage::Difference, NeighbourReduce::Max, F, m_knn, &m_knn_weights,
                                        &m_local_argmax, m_d_local, 0, &dF, nullptr);
    }
    if (c.lite) {
        m_ops.expand_midpoints_backward(m_pairs, m_d_features_all, m_params.get("features").grad);
        m_ops.expand_midpoints_backward(m_pairs, m_d_scales_all, m_params.get("scales").grad);
    }
}

SagsScene SagsModel::to_scene() const {
    const SagsConfig& c = m_config;
    SagsScene s;
    s.feature_dim = c.feature_dim;
    s.neighbours = c.neighbours;
    s.learned_edges = c.learned_edges;
    s.local_residual = c.local_residual;
    s.point_frames = c.point_frames;
    s.hash_levels = c.hash_levels;
    s.hash_features = c.hash_features;
    s.hash_log2_table = c.hash_log2_table;
    s.hash_base_resolution = c.hash_base_resolution;
    s.hash_growth = c.hash_growth;
    m_backend.download(m_params.get("frame").value, s.frame);
    s.voxel_size = m_voxel;
    s.lite = c.lite;
    s.lite_neighbours = c.lite_neighbours;
    s.points = m_backend.download_f32(m_params.get("points").value);
    s.features = m_backend.download_f32(m_params.get("features").value);
    s.scales = m_backend.download_f32(m_params.get("scales").value);
    s.hash_table = m_backend.download_f32(m_params.get("hash").value);
    s.affine = m_backend.download_f32(m_params.get("affine").value);
    if (c.learned_edges) s.edge = network(m_edge);
    s.opacity = network(m_opacity);
    s.color = network(m_color);
    s.covariance = network(m_cov);
    s.offset = network(m_offset);
    s.cameras = m_cameras;
    return s;
}

void SagsModel::from_scene(const SagsScene& s, const std::string& where) {
    s.validate(where);
    SagsConfig& c = m_config;
    c.feature_dim = s.feature_dim;
    c.neighbours = s.neighbours;
    c.learned_edges = s.learned_edges;
    c.local_residual = s.local_residual;
    c.point_frames = s.point_frames;
    c.hash_levels = s.hash_levels;
    c.hash_features = s.hash_features;
    c.hash_log2_table = s.hash_log2_table;
    c.hash_base_resolution = s.hash_base_resolution;
    c.hash_growth = s.hash_growth;
    c.lite = s.lite;
    c.lite_neighbours = s.lite_neighbours;
    c.voxel_size = s.voxel_size;
    m_voxel = s.voxel_size;
    auto widths = [&](const SagsNetwork& n, int& hidden, int& layers) {
        hidden = n.hidden;
        layers = n.hidden_layers;
    };
    widths(s.opacity, c.decoder_hidden, c.decoder_layers);
    widths(s.offset, c.offset_hidden, c.offset_layers);
    if (s.learned_edges) {
        if (s.edge.hidden_layers != 1)
            throw Error(where, "networks.edge.hidden_layers", cat("expected 1, found ", s.edge.hidden_layers));
        c.edge_hidden = s.edge.hidden;
    }
    for (const auto& [n, name] : {std::pair{&s.color, "color"}, {&s.covariance, "covariance"}})
        if (n->hidden != s.opacity.hidden || n->hidden_layers != s.opacity.hidden_layers)
            throw Error(where, cat("networks.", name),
                        cat("expected the opacity decoder's widths (", s.opacity.hidden, " x ", s.opacity.hidden_layers,
                            "), found ", n->hidden, " x ", n->hidden_layers));
    try {
        m_hash = hash_grid_layout(c.hash_grid());
    } catch (const Error& e) {
        throw Error(where, "hash", e.what());
    }
    if (s.hash_table.size() != size_t(m_hash.rows()) * size_t(m_hash.features))
        throw Error(where, "hash_table",
                    cat("expected ", m_hash.rows(), " x ", m_hash.features, " values for the grid's levels, found ",
                        s.hash_table.size() / size_t(s.hash_features), " rows"));
    set_networks();
    for (const auto& [n, net] : {std::pair{&s.opacity, &m_opacity},
                                 {&s.color, &m_color},
                                 {&s.covariance, &m_cov},
                                 {&s.offset, &m_offset},
                                 {&s.edge, &m_edge}})
        if (!n->empty() && (int(n->hidden_activation) != int(net->config.hidden_activation)))
            throw Error(where, cat("networks.", net->name.substr(4), ".hidden_activation"), "expected relu (1)");
    const size_t n = s.size();
    allocate(n);
    auto put = [&](const char* name, const std::vector<float>& v) {
        if (!v.empty()) m_backend.upload(m_params.get(name).value, v.data());
    };
    put("points", s.points);
    put("features", s.features);
    put("scales", s.scales);
    m_backend.upload(m_params.get("frame").value, s.frame);
    put("hash", s.hash_table);
    put("affine", s.affine);
    if (c.learned_edges) m_backend.upload(net_param(m_edge).value, s.edge.params.data());
    m_backend.upload(net_param(m_opacity).value, s.opacity.params.data());
    m_backend.upload(net_param(m_color).value, s.color.params.data());
    m_backend.upload(net_param(m_cov).value, s.covariance.params.data());
    m_backend.upload(net_param(m_offset).value, s.offset.params.data());
    m_cameras = s.cameras;
    m_structure_dirty = true;
}

GaussianCloud SagsModel::to_cloud() const {
    // Decoding runs the model's ops and caches its structure: logically const.
    return sags_decode_view_independent(const_cast<SagsModel&>(*this), SagsShFit{});
}

void SagsModel::from_cloud(const GaussianCloud&) {
    throw Error("sags: a model cannot be made from Gaussians (load its .sags file)");
}

std::vector<fs::path> SagsModel::save_files(const fs::path& run_dir, int iteration, bool versioned) {
    const SagsScene scene = to_scene();
    const GaussianCloud decoded = to_cloud();
    const fs::path main = run_dir / "model.sags", ply = run_dir / "point_cloud.ply";
    write_sags(main, scene);
    write_gaussian_ply(ply, decoded);
    std::vector<fs::path> out = {main, ply};
    if (versioned) {
        const fs::path dir = run_dir / "point_cloud" / cat("iteration_", iteration);
        write_sags(dir / "model.sags", scene);
        write_gaussian_ply(dir / "point_cloud.ply", decoded);
        out.push_back(dir / "model.sags");
        out.push_back(dir / "point_cloud.ply");
    }
    return out;
}

std::unique_ptr<DensificationStrategy> SagsModel::make_densifier(const AdcConfig&, float, uint64_t, bool) {
    return std::make_unique<SagsGrowth>(m_backend, *this, m_config);
}

// ---------------------------------------------------------------------------------------------
// Growth and pruning.

SagsGrowth::SagsGrowth(Backend& backend, SagsModel& model, const SagsConfig& config)
    : m_backend(backend), m_ops(backend.ops<SagsOps>("sags growth")), m_model(model), m_config(config) {}

void SagsGrowth::reset(size_t rows) {
    m_grad_accum = m_backend.zeros(rows, 1);
    m_views = m_backend.zeros(rows, 1);
    m_opacity_accum = m_backend.zeros(rows, 1);
    m_last_means = m_backend.zeros(rows, 3);
    // Called when the model's rows were replaced wholesale (a restored checkpoint, a loaded file).
    m_model.structure_changed();
}

std::vector<std::pair<std::string, Tensor*>> SagsGrowth::state() {
    return {{"sags.grad_accum", &m_grad_accum},
            {"sags.views", &m_views},
            {"sags.opacity_accum", &m_opacity_accum},
            {"sags.last_means", &m_last_means}};
}

bool SagsGrowth::reshapes_at(int it) const {
    return it > m_config.grow_from && it < m_config.grow_until && it % m_config.grow_every == 0;
}

void SagsGrowth::after_backward(GaussianModel&, const RasterContext&, int iteration) {
    if (iteration >= m_config.grow_until) return;
    if (m_grad_accum.rows() != m_model.size()) reset(m_model.size());
    if (m_model.visible_rows().rows() == 0) return;
    m_ops.accumulate_stats(m_model.visible_rows(), m_model.view_grad_norm(), m_model.decoded(), m_model.decoded_means(),
                           m_grad_accum, m_views, m_opacity_accum, m_last_means);
}

DensifyReport SagsGrowth::update(GaussianModel&, int iteration, bool final_step) {
    DensifyReport report;
    if (m_grad_accum.rows() != m_model.size()) reset(m_model.size());
    if (final_step || !reshapes_at(iteration)) return report;
    const SagsConfig& c = m_config;
    const size_t n = m_model.size();
    const std::vector<float> grad = m_backend.download_f32(m_grad_accum), views = m_backend.download_f32(m_views),
                             opacity = m_backend.download_f32(m_opacity_accum),
                             means = m_backend.download_f32(m_last_means);
    ParameterSet& ps = m_model.params();

    // Prune: seen often enough, and transparent on average.
    std::vector<int32_t> keep;
    keep.reserve(n);
    for (size_t i = 0; i < n; ++i) {
        const bool seen = views[i] >= float(c.prune_min_views);
        if (!(seen && opacity[i] < c.prune_opacity * views[i])) keep.push_back(int32_t(i));
    }
    // Grow: voxel centres of high-gradient decoded Gaussians that hold no point yet.
    const double vg = double(m_model.voxel_size()) * c.grow_voxel_factor;
    auto key = [&](const float* p) {
        return std::array<int64_t, 3>{std::llround(p[0] / vg), std::llround(p[1] / vg), std::llround(p[2] / vg)};
    };
    std::set<std::array<int64_t, 3>> occupied;
    {
        const std::vector<float> all = m_backend.download_f32(m_model.all_points());
        for (size_t i = 0; i < all.size() / 3; ++i) occupied.insert(key(&all[3 * i]));
    }
    std::vector<float> new_points;
    std::vector<int32_t> parents;
    for (size_t i = 0; i < n; ++i) {
        if (views[i] <= 0 || grad[i] < c.grow_threshold * views[i]) continue;
        const auto k = key(&means[3 * i]);
        if (!occupied.insert(k).second) continue;
        for (int a = 0; a < 3; ++a) new_points.push_back(float(double(k[size_t(a)]) * vg));
        parents.push_back(int32_t(i));
    }
    if (c.max_points > 0 && keep.size() + parents.size() > size_t(c.max_points)) {
        const size_t room = size_t(c.max_points) > keep.size() ? size_t(c.max_points) - keep.size() : 0;
        parents.resize(room);
        new_points.resize(room * 3);
    }

    // Row surgery on the per-point parameters (the networks keep their shapes): survivors, then the
    // new points with their parents' features and scales; moments of new rows start at zero.
    const Tensor keep_t = upload_i32(m_backend, keep, keep.size(), 1);
    const Tensor parents_t = upload_i32(m_backend, parents, parents.size(), 1);
    for (const char* name : {"points", "features", "scales"}) {
        Parameter& p = ps.get(name);
        Tensor added = std::string(name) == "points" ? upload(m_backend, new_points, parents.size(), 3)
                                                     : m_backend.gather_rows(p.value, parents_t);
        const int cols = p.value.cols();
        p.value = m_backend.concat_rows(m_backend.gather_rows(p.value, keep_t), added);
        p.exp_avg =
            m_backend.concat_rows(m_backend.gather_rows(p.exp_avg, keep_t), m_backend.zeros(parents.size(), cols));
        p.exp_avg_sq =
            m_backend.concat_rows(m_backend.gather_rows(p.exp_avg_sq, keep_t), m_backend.zeros(parents.size(), cols));
        p.grad = m_backend.zeros(p.value.rows(), cols);
    }
    report.cloned = parents.size();
    report.pruned = n - keep.size();
    report.replaced_all = true;
    reset(m_model.size());
    return report;
}

// ---------------------------------------------------------------------------------------------

ModelBundle create_sags_model(const std::string& type, Backend& backend, const Json& config, float extent,
                              const std::string& where) {
    SagsConfig c = sags_preset(type == "sags-lite" ? "lite" : "default");
    update_from_json(c, config.is_null() ? Json::object() : config, where);
    if (type == "sags-lite") c.lite = true;
    if (type == "sags" && c.lite) throw UsageError("--model sags with \"lite\": true: use --model sags-lite");
    ModelBundle b;
    b.model = std::make_unique<SagsModel>(backend, c, extent);
    TrainingRecipe& r = b.recipe;
    r.iterations = c.iterations;
    r.ssim_weight = c.ssim_weight;
    r.background = c.background;
    r.random_background = c.random_background;
    r.antialiased = c.antialiased;
    r.eps2d = c.eps2d;
    return b;
}

} // namespace splatscape
