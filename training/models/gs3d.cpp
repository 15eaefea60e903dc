#include "training/models/gs3d.hpp"

#include <algorithm>
#include <cmath>
#include <random>

#include "core/error.hpp"
#include "training/cpu/neighbour_ops_cpu.hpp"
#include "training/cpu/thread_pool.hpp"
#include "training/densification.hpp"
#include "training/models/gs4d.hpp"
#include "training/models/sags.hpp"
#include "training/ops/mcmc_ops.hpp"

namespace splatscape {

std::vector<float> mean_knn_squared_distance(const std::vector<float>& pos, int k) {
    const size_t n = pos.size() / 3;
    std::vector<float> out(n, 1e-4f);
    if (n < 2) return out;
    const int kk = int(std::min<size_t>({size_t(k), n - 1, size_t(8)}));
    std::vector<int32_t> ids(n * kk);
    std::vector<float> d2(n * kk);
    cpu::knn(pos.data(), n, nullptr, n, kk, ids.data(), d2.data());
    cpu::parallel_for_each(n, 4096, [&](size_t i) {
        // Ascending, as the neighbours come: the sum rounds the same way on every run.
        float mean = 0.0f;
        for (int q = 0; q < kk; ++q) mean += d2[i * kk + q];
        out[i] = std::max(mean / float(kk), 1e-7f);
    });
    return out;
}

Gs3dModel::Gs3dModel(Backend& backend, const Gs3dConfig& config, float extent)
    : m_backend(backend), m_densify(backend.ops<DensifyOps>("gs3d")), m_config(config), m_extent(extent) {
    allocate(0);
}

void Gs3dModel::allocate(size_t n) {
    m_params = ParameterSet();
    const int K = sh_coeff_count(m_config.max_sh_degree);
    m_params.add(m_backend, "means", n, 3);
    m_params.add(m_backend, "sh", n, K * 3);
    m_params.add(m_backend, "opacities", n, 1);
    m_params.add(m_backend, "log_scales", n, 3);
    m_params.add(m_backend, "rotations", n, 4);
}

void Gs3dModel::init_from_points(const PointCloud& points) {
    const size_t n = points.size();
    if (n == 0) throw Error("gs3d: initialisation from an empty point cloud");
    GaussianCloud c;
    c.resize(n, m_config.max_sh_degree);
    c.positions = points.positions;
    const auto d2 = mean_knn_squared_distance(points.positions, 3);
    const int K = c.sh_coeffs();
    std::fill(c.sh.begin(), c.sh.end(), 0.0f);
    for (size_t i = 0; i < n; ++i) {
        const float ls = std::log(std::sqrt(d2[i]) * m_config.init_scale);
        for (int a = 0; a < 3; ++a) {
            c.log_scales[3 * i + a] = ls;
            const float col = points.colors.size() == points.positions.size() ? points.colors[3 * i + a] : 0.5f;
            c.sh[i * K * 3 + a] = sh_dc_from_rgb(col);
        }
        c.rotations[4 * i] = 1.0f;
        c.rotations[4 * i + 1] = c.rotations[4 * i + 2] = c.rotations[4 * i + 3] = 0.0f;
        c.opacities[i] = logit(m_config.init_opacity);
    }
    from_cloud(c);
}

void Gs3dModel::init_random(const float lo[3], const float hi[3], int count, uint64_t seed) {
    PointCloud p;
    std::mt19937_64 rng(seed);
    std::uniform_real_distribution<float> u(0.0f, 1.0f);
    for (int i = 0; i < count; ++i) {
        for (int a = 0; a < 3; ++a) p.positions.push_back(lo[a] + (hi[a] - lo[a]) * u(rng));
        // The reference draws SH DC values in [0, 1/255): colours of about 0.5.
        for (int a = 0; a < 3; ++a) p.colors.push_back(rgb_from_sh_dc(u(rng) / 255.0f));
    }
    init_from_points(p);
}

void Gs3dModel::initialize(const PointCloud& points, const Bounds& bounds, uint64_t seed) {
    if (points.size() > 0) {
        init_from_points(points);
        return;
    }
    const float lo[3] = {bounds.min.x, bounds.min.y, bounds.min.z}, hi[3] = {bounds.max.x, bounds.max.y, bounds.max.z};
    init_random(lo, hi, m_config.random_points, seed);
}

void Gs3dModel::set_iteration(int iteration) {
    // The reference raises the degree at iterations 1000, 2000, 3000 (every sh_increase_every).
    m_active_sh = std::min(m_config.max_sh_degree, std::max(0, iteration) / m_config.sh_increase_every);
}

std::vector<ParamLr> Gs3dModel::learning_rates(int iteration) const {
    const Gs3dConfig& c = m_config;
    const float pos = exponential_lr(iteration, c.position_lr_init * m_extent, c.position_lr_final * m_extent,
                                     c.position_lr_delay_steps, c.position_lr_delay_mult, c.position_lr_max_steps);
    return {
        {pos, pos, 3},                     // means
        {c.sh_dc_lr, c.sh_rest_lr, 3},     // sh: DC columns, then the rest
        {c.opacity_lr, c.opacity_lr, 1},   // opacities
        {c.scaling_lr, c.scaling_lr, 3},   // log_scales
        {c.rotation_lr, c.rotation_lr, 4}, // rotations
    };
}

RasterTensors Gs3dModel::raster_inputs(const ViewInfo&) {
    RasterTensors t;
    t.means = &m_params.get("means").value;
    t.log_scales = &m_params.get("log_scales").value;
    t.rotations = &m_params.get("rotations").value;
    t.opacities = &m_params.get("opacities").value;
    t.sh = &m_params.get("sh").value;
    t.sh_degree = m_active_sh;
    return t;
}

RasterGradTensors Gs3dModel::raster_grads() {
    if (m_view_grad_norm.rows() != size()) m_view_grad_norm = m_backend.zeros(size(), 1);
    RasterGradTensors g;
    g.means = &m_params.get("means").grad;
    g.log_scales = &m_params.get("log_scales").grad;
    g.rotations = &m_params.get("rotations").grad;
    g.opacities = &m_params.get("opacities").grad;
    g.sh = &m_params.get("sh").grad;
    g.view_grad_norm = &m_view_grad_norm;
    return g;
}

std::vector<Tensor> Gs3dModel::split_children(const Tensor& rows, float divisor, uint64_t seed, uint64_t stream) {
    const Tensor rows2 = m_backend.concat_rows(rows, rows);
    std::vector<Tensor> out;
    for (auto& p : m_params.all()) {
        if (p.name == "means" || p.name == "log_scales")
            out.emplace_back();
        else
            out.push_back(m_backend.gather_rows(p.value, rows2));
    }
    Tensor means, log_scales;
    m_densify.split_children(m_params.get("means").value, m_params.get("log_scales").value,
                             m_params.get("rotations").value, rows, divisor, seed, stream, means, log_scales);
    for (size_t i = 0; i < m_params.all().size(); ++i) {
        if (m_params.all()[i].name == "means") out[i] = std::move(means);
        if (m_params.all()[i].name == "log_scales") out[i] = std::move(log_scales);
    }
    return out;
}

void Gs3dModel::add_position_noise(float scale, uint64_t seed, uint64_t stream) {
    m_backend.ops<McmcOps>("gs3d").add_position_noise(m_params.get("means").value, m_params.get("log_scales").value,
                                                      m_params.get("rotations").value, m_params.get("opacities").value,
                                                      scale, seed, stream);
}

GaussianCloud Gs3dModel::to_cloud() const {
    GaussianCloud c;
    const size_t n = size();
    c.resize(n, m_config.max_sh_degree);
    c.positions = m_backend.download_f32(m_params.get("means").value);
    c.sh = m_backend.download_f32(m_params.get("sh").value);
    c.opacities = m_backend.download_f32(m_params.get("opacities").value);
    c.log_scales = m_backend.download_f32(m_params.get("log_scales").value);
    c.rotations = m_backend.download_f32(m_params.get("rotations").value);
    return c;
}

void Gs3dModel::from_cloud(const GaussianCloud& cloud) {
    GaussianCloud c = cloud;
    c.validate("gs3d model");
    c.set_sh_degree(m_config.max_sh_degree);
    allocate(c.size());
    m_backend.upload(m_params.get("means").value, c.positions.data());
    m_backend.upload(m_params.get("sh").value, c.sh.data());
    m_backend.upload(m_params.get("opacities").value, c.opacities.data());
    m_backend.upload(m_params.get("log_scales").value, c.log_scales.data());
    m_backend.upload(m_params.get("rotations").value, c.rotations.data());
}

} // namespace splatscape

namespace splatscape {

ModelBundle create_model(const std::string& type, Backend& backend, const Json& config, float extent,
                         const std::string& where) {
    if (type == "gs4d") return create_gs4d_model(backend, config, extent, where);
    if (type == "sags" || type == "sags-lite") return create_sags_model(type, backend, config, extent, where);
    if (type != "gs3d")
        throw UsageError(cat("--model ", type, ": not a Gaussian model family (gs3d, gs4d, sags, sags-lite)"));
    Gs3dConfig c;
    update_from_json(c, config.is_null() ? Json::object() : config, where);
    ModelBundle b;
    b.model = std::make_unique<Gs3dModel>(backend, c, extent);
    b.recipe = recipe_from(c);
    return b;
}

std::unique_ptr<DensificationStrategy> GaussianModel::make_densifier(const AdcConfig&, float, uint64_t, bool) {
    return nullptr;
}

} // namespace splatscape
