#include "training/densification.hpp"

namespace splatscape {

AdaptiveDensityControl::AdaptiveDensityControl(Backend& backend, const AdcConfig& config, float extent, uint64_t seed,
                                               bool white_background)
    : m_backend(backend), m_ops(backend.ops<DensifyOps>("adaptive density control")), m_config(config),
      m_extent(extent), m_seed(seed), m_white_background(white_background) {}

void AdaptiveDensityControl::reset(size_t rows) {
    m_grad_accum = m_backend.zeros(rows, 1);
    m_denom = m_backend.zeros(rows, 1);
    m_max_radii = m_backend.zeros(rows, 1);
}

std::vector<std::pair<std::string, Tensor*>> AdaptiveDensityControl::state() {
    return {{"adc.grad_accum", &m_grad_accum}, {"adc.denom", &m_denom}, {"adc.max_radii", &m_max_radii}};
}

void AdaptiveDensityControl::after_backward(GaussianModel& model, const RasterContext& ctx, int iteration) {
    if (iteration >= m_config.densify_until) return;
    if (m_grad_accum.rows() != model.size()) reset(model.size());
    const RasterGradTensors g = model.raster_grads();
    m_ops.accumulate_view_stats(*g.view_grad_norm, ctx, m_grad_accum, m_denom, m_max_radii);
}

bool AdaptiveDensityControl::reshapes_at(int iteration) const {
    return adc_densifies_at(m_config, iteration) || adc_resets_opacity_at(m_config, iteration, m_white_background);
}

DensifyReport AdaptiveDensityControl::update(GaussianModel& model, int iteration, bool final_step) {
    DensifyReport report;
    const AdcConfig& c = m_config;
    if (m_grad_accum.rows() != model.size()) reset(model.size());
    if (final_step) return report;
    if (adc_densifies_at(c, iteration)) {
        const kern::AdcThresholds t = adc_thresholds(c, m_extent, iteration);
        Tensor clone_rows, split_rows;
        AdcCounts counts = m_ops.grow(m_grad_accum, m_denom, model.log_scales(), t, clone_rows, split_rows);
        adc_grow_model(m_backend, model, c, m_seed, iteration, counts, clone_rows, split_rows, m_max_radii);
        // Prune: low opacity, oversize, and the parents of split children.
        const Tensor keep = m_ops.keep(model.opacity().value, m_max_radii, model.log_scales(), t, split_rows);
        adc_keep_model(m_backend, model, keep, counts, report);
        reset(model.size());
    }
    adc_opacity_reset(m_ops, m_backend, model, c, iteration, m_white_background, report);
    return report;
}

bool adc_densifies_at(const AdcConfig& c, int iteration) {
    return iteration < c.densify_until && iteration > c.densify_from && iteration % c.densify_every == 0;
}

kern::AdcThresholds adc_thresholds(const AdcConfig& c, float extent, int iteration) {
    kern::AdcThresholds t;
    t.grad_threshold = c.grad_threshold;
    t.dense_scale = c.percent_dense * extent;
    t.min_opacity = c.min_opacity;
    const bool size_limits = c.opacity_reset_every > 0 && iteration > c.opacity_reset_every;
    t.max_screen_radius = size_limits ? c.max_screen_size : 0.0f;
    t.max_world_scale = size_limits ? c.max_world_size * extent : 0.0f;
    return t;
}

void adc_grow_model(Backend& backend, GaussianModel& model, const AdcConfig& c, uint64_t seed, int iteration,
                    AdcCounts& counts, Tensor& clone_rows, Tensor& split_rows, Tensor& max_radii) {
    if (c.max_gaussians > 0 && model.size() + counts.clone + counts.split > size_t(c.max_gaussians)) {
        counts = {};
        clone_rows = backend.zeros(0, 1, DType::I32);
        split_rows = backend.zeros(0, 1, DType::I32);
    }
    if (counts.clone + counts.split == 0) return;
    // Clones copy every parameter; split children are drawn by the model. New rows: clones first,
    // then the first and second children of each split.
    ParameterSet& params = model.params();
    std::vector<Tensor> children = model.split_children(split_rows, 1.6f, seed, uint64_t(iteration));
    std::vector<Tensor> added;
    for (size_t i = 0; i < params.all().size(); ++i)
        added.push_back(backend.concat_rows(backend.gather_rows(params.all()[i].value, clone_rows), children[i]));
    params.append_rows(backend, std::move(added));
    max_radii = backend.concat_rows(max_radii, backend.zeros(counts.clone + 2 * counts.split, 1));
}

void adc_keep_model(Backend& backend, GaussianModel& model, const Tensor& keep, const AdcCounts& counts,
                    DensifyReport& report) {
    const size_t before = model.size();
    model.params().keep_rows(backend, keep);
    report.cloned = counts.clone;
    report.split = counts.split;
    report.pruned = before - model.size() - counts.split;
    report.replaced_all = true;
}

bool adc_resets_opacity_at(const AdcConfig& c, int iteration, bool white_background) {
    if (c.opacity_reset_every <= 0 || iteration >= c.densify_until) return false;
    return iteration % c.opacity_reset_every == 0 || (white_background && iteration == c.densify_from);
}

void adc_opacity_reset(DensifyOps& ops, Backend& backend, GaussianModel& model, const AdcConfig& c, int iteration,
                       bool white_background, DensifyReport& report) {
    if (!adc_resets_opacity_at(c, iteration, white_background)) return;
    Parameter& op = model.opacity();
    ops.clamp_opacity(op.value, c.opacity_reset_value);
    backend.fill(op.exp_avg, 0.0f);
    backend.fill(op.exp_avg_sq, 0.0f);
    report.opacity_reset = true;
    report.replaced_opacity = true;
}

} // namespace splatscape
