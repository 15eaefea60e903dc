#include "training/models/gs4d.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include <glm/geometric.hpp>
#include <glm/gtc/matrix_inverse.hpp>
#include <glm/mat3x3.hpp>
#include <glm/matrix.hpp>

#include "core/error.hpp"
#include "training/models/gs3d.hpp"
#include "training/models/gs4d_render.hpp"
#include "training/ops/mcmc_ops.hpp"

namespace splatscape {

namespace {

// Reallocates `t` as rows x cols when its shape differs (contents are then zero).
void ensure(Backend& b, Tensor& t, size_t rows, int cols) {
    if (t.rows() != rows || t.cols() != cols) t = b.zeros(rows, cols);
}

} // namespace

Gs4dModel::Gs4dModel(Backend& backend, const Gs4dConfig& config, float extent)
    : m_backend(backend), m_slice_ops(backend.ops<Slice4dOps>("gs4d")), m_config(config), m_extent(extent) {
    allocate(0);
}

void Gs4dModel::allocate(size_t n) {
    m_params = ParameterSet();
    const int J = sh_coeff_count(m_config.max_sh_degree) * (m_config.max_sh_degree_t + 1);
    m_params.add(m_backend, "means", n, 4);
    m_params.add(m_backend, "sh", n, J * 3);
    m_params.add(m_backend, "opacities", n, 1);
    m_params.add(m_backend, "log_scales", n, 4);
    m_params.add(m_backend, "rot_l", n, 4);
    m_params.add(m_backend, "rot_r", n, 4);
}

void Gs4dModel::set_time_range(float time_min, float time_max) {
    if (!(std::isfinite(time_min) && std::isfinite(time_max) && time_max >= time_min))
        throw Error(cat("gs4d: invalid time range ", time_min, " .. ", time_max));
    m_time_min = time_min;
    m_time_max = time_max;
}

float Gs4dModel::time_period() const {
    const float span = m_time_max - m_time_min;
    return m_config.time_period * (span > 0.0f ? span : 1.0f);
}

void Gs4dModel::set_iteration(int iteration) {
    // The reference raises the spatial degree every sh_increase_every iterations, then the temporal one.
    const int steps = std::max(0, iteration) / m_config.sh_increase_every;
    m_active_sh = std::min(m_config.max_sh_degree, steps);
    m_active_sh_t = std::clamp(steps - m_config.max_sh_degree, 0, m_config.max_sh_degree_t);
}

void Gs4dModel::set_active_sh_degrees(int degree, int degree_t) {
    m_active_sh = std::clamp(degree, 0, m_config.max_sh_degree);
    m_active_sh_t = std::clamp(degree_t, 0, m_config.max_sh_degree_t);
}

std::vector<ParamLr> Gs4dModel::learning_rates(int iteration) const {
    const Gs4dConfig& c = m_config;
    const float pos = exponential_lr(iteration, c.position_lr_init * m_extent, c.position_lr_final * m_extent,
                                     c.position_lr_delay_steps, c.position_lr_delay_mult, c.position_lr_max_steps);
    const float t = (c.time_lr < 0.0f ? c.position_lr_init : c.time_lr) * m_extent;
    return {
        {pos, t, 3},                       // means: x y z decay, t constant (as the reference)
        {c.sh_dc_lr, c.sh_rest_lr, 3},     // sh: the time-average DC, then every other coefficient
        {c.opacity_lr, c.opacity_lr, 1},   // opacities
        {c.scaling_lr, c.scaling_lr, 4},   // log_scales
        {c.rotation_lr, c.rotation_lr, 4}, // rot_l
        {c.rotation_lr, c.rotation_lr, 4}, // rot_r
    };
}

Gaussian4dTensors Gs4dModel::tensors() const {
    Gaussian4dTensors t;
    t.means = &m_params.get("means").value;
    t.log_scales = &m_params.get("log_scales").value;
    t.rot_l = &m_params.get("rot_l").value;
    t.rot_r = &m_params.get("rot_r").value;
    t.opacities = &m_params.get("opacities").value;
    t.sh = &m_params.get("sh").value;
    t.sh_coeffs = sh_coeff_count(m_config.max_sh_degree);
    return t;
}

Slice4dSettings Gs4dModel::slice_settings(float time) const {
    Slice4dSettings s;
    s.time = time;
    s.time_period = time_period();
    s.sh_degree = m_active_sh;
    s.sh_degree_t = m_active_sh_t;
    s.min_weight = m_config.min_temporal_weight;
    return s;
}

RasterTensors Gs4dModel::raster_inputs(const ViewInfo& view) {
    m_settings = slice_settings(view.time);
    m_slice_ops.forward(tensors(), m_settings, m_slice);
    RasterTensors t;
    t.means = &m_slice.means;
    t.covariances = &m_slice.covariances;
    t.opacities = &m_slice.opacities;
    t.sh = &m_slice.sh;
    t.sh_degree = m_active_sh;
    return t;
}

RasterGradTensors Gs4dModel::raster_grads() {
    const size_t m = m_slice.count();
    ensure(m_backend, m_d_means, m, 3);
    ensure(m_backend, m_d_covariances, m, 6);
    ensure(m_backend, m_d_opacities, m, 1);
    ensure(m_backend, m_d_sh, m, m_slice.sh.cols());
    ensure(m_backend, m_view_grad_norm, m, 1);
    ensure(m_backend, m_time_grad, m, 1);
    RasterGradTensors g;
    g.means = &m_d_means;
    g.covariances = &m_d_covariances;
    g.opacities = &m_d_opacities;
    g.sh = &m_d_sh;
    g.view_grad_norm = &m_view_grad_norm;
    return g;
}

void Gs4dModel::backward(const ViewInfo&) {
    // The parameter gradients are the mean over the batch's views (the trainer zeroes them per step).
    Slice4dGradTensors d;
    d.means = &m_d_means;
    d.covariances = &m_d_covariances;
    d.opacities = &m_d_opacities;
    d.sh = &m_d_sh;
    d.time_grad = &m_time_grad;
    Gaussian4dGradTensors g;
    g.means = &m_params.get("means").grad;
    g.log_scales = &m_params.get("log_scales").grad;
    g.rot_l = &m_params.get("rot_l").grad;
    g.rot_r = &m_params.get("rot_r").grad;
    g.opacities = &m_params.get("opacities").grad;
    g.sh = &m_params.get("sh").grad;
    m_slice_ops.backward(tensors(), m_settings, m_slice, d, 1.0f / float(m_config.batch_size), g);
}

std::vector<Tensor> Gs4dModel::split_children(const Tensor& rows, float divisor, uint64_t seed, uint64_t stream) {
    const Tensor rows2 = m_backend.concat_rows(rows, rows);
    Tensor means, log_scales;
    m_slice_ops.split_children(tensors(), rows, divisor, seed, stream, means, log_scales);
    std::vector<Tensor> out;
    for (auto& p : m_params.all()) {
        if (p.name == "means")
            out.push_back(std::move(means));
        else if (p.name == "log_scales")
            out.push_back(std::move(log_scales));
        else
            out.push_back(m_backend.gather_rows(p.value, rows2));
    }
    return out;
}

void Gs4dModel::initialize(const PointCloud& given, const Bounds& bounds, uint64_t seed) {
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    PointCloud random;
    if (given.size() == 0) {
        // The reference's random initialisation: uniform positions, SH DC in [0, 1/255).
        for (int i = 0; i < m_config.random_points; ++i) {
            for (int a = 0; a < 3; ++a)
                random.positions.push_back(bounds.min[a] + (bounds.max[a] - bounds.min[a]) * u(rng));
            for (int a = 0; a < 3; ++a) random.colors.push_back(rgb_from_sh_dc(u(rng) / 255.0f));
        }
    }
    const PointCloud& points = given.size() ? given : random;
    const size_t n = points.size();
    if (n == 0) throw Error("gs4d: initialisation from an empty point cloud");
    GaussianCloud4d c;
    c.resize(n, m_config.max_sh_degree, m_config.max_sh_degree_t);
    c.time_min = m_time_min;
    c.time_max = m_time_max;
    c.time_period = time_period();
    c.positions = points.positions;
    const auto d2 = mean_knn_squared_distance(points.positions, 3);
    const float span = m_time_max - m_time_min > 0.0f ? m_time_max - m_time_min : 1.0f;
    const float t0 = m_time_min - m_config.init_time_margin * span;
    const float t1 = m_time_max + m_config.init_time_margin * span;
    const float log_time_scale = std::log(m_config.init_time_scale * span);
    const int J = c.sh_coeffs();
    std::fill(c.sh.begin(), c.sh.end(), 0.0f);
    for (size_t i = 0; i < n; ++i) {
        const float ls = std::log(std::sqrt(d2[i]) * m_config.init_scale);
        for (int a = 0; a < 3; ++a) {
            c.log_scales[4 * i + a] = ls;
            const float col = points.colors.size() == points.positions.size() ? points.colors[3 * i + a] : 0.5f;
            c.sh[i * J * 3 + a] = sh_dc_from_rgb(col);
        }
        c.log_scales[4 * i + 3] = log_time_scale;
        c.times[i] = t0 + (t1 - t0) * u(rng);
        for (int a = 0; a < 4; ++a) c.rotations_l[4 * i + a] = c.rotations_r[4 * i + a] = a == 0 ? 1.0f : 0.0f;
        c.opacities[i] = logit(m_config.init_opacity);
    }
    from_cloud_4d(c);
}

GaussianCloud4d Gs4dModel::to_cloud_4d() const {
    GaussianCloud4d c;
    const size_t n = size();
    c.resize(n, m_config.max_sh_degree, m_config.max_sh_degree_t);
    c.time_min = m_time_min;
    c.time_max = m_time_max;
    c.time_period = time_period();
    const std::vector<float> means = m_backend.download_f32(m_params.get("means").value);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) c.positions[3 * i + a] = means[4 * i + a];
        c.times[i] = means[4 * i + 3];
    }
    c.sh = m_backend.download_f32(m_params.get("sh").value);
    c.opacities = m_backend.download_f32(m_params.get("opacities").value);
    c.log_scales = m_backend.download_f32(m_params.get("log_scales").value);
    c.rotations_l = m_backend.download_f32(m_params.get("rot_l").value);
    c.rotations_r = m_backend.download_f32(m_params.get("rot_r").value);
    return c;
}

void Gs4dModel::from_cloud_4d(const GaussianCloud4d& cloud) {
    cloud.validate("gs4d model");
    if (cloud.sh_degree != m_config.max_sh_degree || cloud.sh_degree_t != m_config.max_sh_degree_t)
        throw Error(cat("gs4d model: the cloud has SH degrees ", cloud.sh_degree, "/", cloud.sh_degree_t,
                        ", the model ", m_config.max_sh_degree, "/", m_config.max_sh_degree_t));
    const size_t n = cloud.size();
    allocate(n);
    std::vector<float> means(n * 4);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) means[4 * i + a] = cloud.positions[3 * i + a];
        means[4 * i + 3] = cloud.times[i];
    }
    m_backend.upload(m_params.get("means").value, means.data());
    m_backend.upload(m_params.get("sh").value, cloud.sh.data());
    m_backend.upload(m_params.get("opacities").value, cloud.opacities.data());
    m_backend.upload(m_params.get("log_scales").value, cloud.log_scales.data());
    m_backend.upload(m_params.get("rot_l").value, cloud.rotations_l.data());
    m_backend.upload(m_params.get("rot_r").value, cloud.rotations_r.data());
}

void Gs4dModel::from_cloud(const GaussianCloud& cloud) {
    cloud.validate("gs4d model");
    GaussianCloud src = cloud;
    src.set_sh_degree(m_config.max_sh_degree);
    GaussianCloud4d c;
    const size_t n = src.size();
    c.resize(n, m_config.max_sh_degree, m_config.max_sh_degree_t);
    c.time_min = m_time_min;
    c.time_max = m_time_max;
    c.time_period = time_period();
    const float span = m_time_max - m_time_min > 0.0f ? m_time_max - m_time_min : 1.0f;
    const int K = src.sh_coeffs(), J = c.sh_coeffs();
    std::fill(c.sh.begin(), c.sh.end(), 0.0f);
    for (size_t i = 0; i < n; ++i) {
        for (int a = 0; a < 3; ++a) {
            c.positions[3 * i + a] = src.positions[3 * i + a];
            c.log_scales[4 * i + a] = src.log_scales[3 * i + a];
        }
        c.times[i] = 0.5f * (m_time_min + m_time_max);
        c.log_scales[4 * i + 3] = std::log(100.0f * span); // weight above 0.99995 over the whole range
        rotation_4d_from_3d(&src.rotations[4 * i], &c.rotations_l[4 * i], &c.rotations_r[4 * i]);
        c.opacities[i] = src.opacities[i];
        std::copy_n(&src.sh[i * K * 3], K * 3, &c.sh[i * J * 3]);
    }
    from_cloud_4d(c);
}

GaussianCloud Gs4dModel::to_cloud() const {
    return slice_cloud(m_backend, to_cloud_4d(), m_time_min, m_config.min_temporal_weight);
}

std::unique_ptr<DensificationStrategy> Gs4dModel::make_densifier(const AdcConfig& config, float extent, uint64_t seed,
                                                                 bool white_background) {
    if (config.mcmc()) return nullptr; // the shared McmcDensification, with add_position_noise below
    return std::make_unique<Gs4dDensityControl>(m_backend, *this, config, extent, seed, white_background);
}

void Gs4dModel::add_position_noise(float scale, uint64_t seed, uint64_t stream) {
    m_backend.ops<McmcOps>("gs4d").add_position_noise_4d(m_params.get("means").value, m_params.get("log_scales").value,
                                                         m_params.get("rot_l").value, m_params.get("rot_r").value,
                                                         m_params.get("opacities").value, scale, seed, stream);
}

// ---- densification -------------------------------------------------------------------------------

Gs4dDensityControl::Gs4dDensityControl(Backend& backend, Gs4dModel& model, const AdcConfig& config, float extent,
                                       uint64_t seed, bool white_background)
    : m_backend(backend), m_slice_ops(backend.ops<Slice4dOps>("gs4d")), m_raster(backend.ops<RasterOps>("gs4d")),
      m_densify(backend.ops<DensifyOps>("gs4d")), m_model(model), m_config(config), m_extent(extent), m_seed(seed),
      m_white_background(white_background) {}

void Gs4dDensityControl::reset(size_t rows) {
    m_grad_accum = m_backend.zeros(rows, 1);
    m_time_grad_accum = m_backend.zeros(rows, 1);
    m_denom = m_backend.zeros(rows, 1);
    m_max_radii = m_backend.zeros(rows, 1);
}

std::vector<std::pair<std::string, Tensor*>> Gs4dDensityControl::state() {
    return {{"gs4d.grad_accum", &m_grad_accum},
            {"gs4d.time_grad_accum", &m_time_grad_accum},
            {"gs4d.denom", &m_denom},
            {"gs4d.max_radii", &m_max_radii}};
}

void Gs4dDensityControl::after_backward(GaussianModel&, const RasterContext& ctx, int iteration) {
    if (iteration >= m_config.densify_until) return;
    if (m_grad_accum.rows() != m_model.size()) reset(m_model.size());
    const size_t m = m_model.slice().count();
    if (m_radii.rows() != m) m_radii = m_backend.zeros(m, 1);
    m_raster.radii(ctx, m_radii);
    m_slice_ops.view_stats(m_model.slice().rows, m_radii, m_model.view_grad_norm(), m_model.time_grad(),
                              m_grad_accum, m_time_grad_accum, m_denom, m_max_radii);
}

bool Gs4dDensityControl::reshapes_at(int iteration) const {
    return adc_densifies_at(m_config, iteration) || adc_resets_opacity_at(m_config, iteration, m_white_background);
}

DensifyReport Gs4dDensityControl::update(GaussianModel&, int iteration, bool final_step) {
    DensifyReport report;
    const AdcConfig& c = m_config;
    if (m_grad_accum.rows() != m_model.size()) reset(m_model.size());
    if (final_step) return report;
    if (adc_densifies_at(c, iteration)) {
        Gs4dDensifyThresholds t;
        t.adc = adc_thresholds(c, m_extent, iteration);
        t.time_grad_threshold = m_model.config().time_grad_threshold;
        t.time_min = m_model.time_min();
        t.time_max = m_model.time_max();
        t.min_weight = m_model.config().min_temporal_weight;
        Tensor clone_rows, split_rows;
        AdcCounts counts = m_slice_ops.grow(m_grad_accum, m_time_grad_accum, m_denom, m_model.log_scales(), t,
                                               clone_rows, split_rows);
        adc_grow_model(m_backend, m_model, c, m_seed, iteration, counts, clone_rows, split_rows, m_max_radii);
        // Prune: low opacity, oversize, no temporal support in the time range, and split parents.
        const Tensor keep = m_slice_ops.keep(m_model.tensors(), m_max_radii, t, split_rows);
        adc_keep_model(m_backend, m_model, keep, counts, report);
        reset(m_model.size());
    }
    adc_opacity_reset(m_densify, m_backend, m_model, c, iteration, m_white_background, report);
    return report;
}

Bounds camera_focus_bounds(const Dataset& dataset) {
    glm::dmat3 A(0.0);
    glm::dvec3 b(0.0);
    for (const Frame& f : dataset.train) {
        const glm::dvec3 c = f.camera.center(), d = glm::normalize(glm::dvec3(f.camera.forward()));
        const glm::dmat3 P = glm::dmat3(1.0) - glm::outerProduct(d, d); // projects off the axis
        A += P;
        b += P * c;
    }
    if (dataset.train.size() < 2 || std::abs(glm::determinant(A)) < 1e-9 * double(dataset.train.size()))
        return dataset.bounds;
    const glm::dvec3 focus = glm::inverse(A) * b;
    double distance = 0.0, half_tangent = 0.0;
    size_t in_front = 0;
    for (const Frame& f : dataset.train) {
        const glm::dvec3 v = focus - glm::dvec3(f.camera.center());
        in_front += glm::dot(v, glm::dvec3(f.camera.forward())) > 0.0 ? 1 : 0;
        distance += glm::length(v);
        half_tangent += std::max(0.5 * f.camera.width / f.camera.fx, 0.5 * f.camera.height / f.camera.fy);
    }
    if (in_front * 4 < dataset.train.size() * 3) return dataset.bounds;
    const double n = double(dataset.train.size());
    const float half = float(distance / n * half_tangent / n);
    Bounds out;
    out.min = glm::vec3(focus) - glm::vec3(half);
    out.max = glm::vec3(focus) + glm::vec3(half);
    return out;
}

ModelBundle create_gs4d_model(Backend& backend, const Json& config, float extent, const std::string& where) {
    Gs4dConfig c;
    update_from_json(c, config.is_null() ? Json::object() : config, where);
    ModelBundle b;
    b.model = std::make_unique<Gs4dModel>(backend, c, extent);
    b.recipe = recipe_from(c, c.batch_size);
    return b;
}

} // namespace splatscape
