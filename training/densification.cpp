#include "training/densification.hpp"

namespace splatscape {

AdaptiveDensityControl::AdaptiveDensityControl(Backend& backend, const AdcConfig& config, float extent, uint64_t seed,
                                               bool white_background)
    : m_backend(backend), m_config(config), m_extent(extent), m_seed(seed), m_white_background(white_background) {}

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
    m_backend.accumulate_view_stats(*g.view_grad_norm, ctx, m_grad_accum, m_denom, m_max_radii);
}

DensifyReport AdaptiveDensityControl::update(GaussianModel& model, int iteration) {
    DensifyReport report;
    const AdcConfig& c = m_config;
    if (m_grad_accum.rows() != model.size()) reset(model.size());
    if (iteration < c.densify_until && iteration > c.densify_from && iteration % c.densify_every == 0) {
        kern::AdcThresholds t;
        t.grad_threshold = c.grad_threshold;
        t.dense_scale = c.percent_dense * m_extent;
        t.min_opacity = c.min_opacity;
        // Oversize pruning starts after the first opacity reset, as in the reference.
        const bool size_limits = c.opacity_reset_every > 0 && iteration > c.opacity_reset_every;
        t.max_screen_radius = size_limits ? c.max_screen_size : 0.0f;
        t.max_world_scale = size_limits ? c.max_world_size * m_extent : 0.0f;

        const size_t n = model.size();
        Tensor clone_rows, split_rows;
        AdcCounts counts = m_backend.adc_grow(m_grad_accum, m_denom, model.log_scales(), t, clone_rows, split_rows);
        const bool grow = c.max_gaussians == 0 || n + counts.clone + counts.split <= size_t(c.max_gaussians);
        if (!grow) {
            counts = {};
            clone_rows = m_backend.zeros(0, 1, DType::I32);
            split_rows = m_backend.zeros(0, 1, DType::I32);
        }
        ParameterSet& params = model.params();
        if (counts.clone + counts.split > 0) {
            // Clones copy every parameter; split children are drawn by the model. New rows: clones first,
            // then the first and second children of each split.
            std::vector<Tensor> children = model.split_children(split_rows, 1.6f, m_seed, uint64_t(iteration));
            std::vector<Tensor> added;
            for (size_t i = 0; i < params.all().size(); ++i)
                added.push_back(
                    m_backend.concat_rows(m_backend.gather_rows(params.all()[i].value, clone_rows), children[i]));
            params.append_rows(m_backend, std::move(added));
            const size_t grown = counts.clone + 2 * counts.split;
            m_max_radii = m_backend.concat_rows(m_max_radii, m_backend.zeros(grown, 1));
        }
        // Prune: low opacity, oversize, and the parents of split children.
        Tensor keep = m_backend.adc_keep(model.opacity().value, m_max_radii, model.log_scales(), t, split_rows);
        const size_t before = model.size();
        params.keep_rows(m_backend, keep);
        report.cloned = counts.clone;
        report.split = counts.split;
        report.pruned = before - model.size() - counts.split;
        report.replaced_all = true;
        reset(model.size());
    }
    if (c.opacity_reset_every > 0 && iteration < c.densify_until &&
        (iteration % c.opacity_reset_every == 0 || (m_white_background && iteration == c.densify_from))) {
        Parameter& op = model.opacity();
        m_backend.clamp_opacity(op.value, c.opacity_reset_value);
        m_backend.fill(op.exp_avg, 0.0f);
        m_backend.fill(op.exp_avg_sq, 0.0f);
        report.opacity_reset = true;
        report.replaced_opacity = true;
    }
    return report;
}

} // namespace splatscape
