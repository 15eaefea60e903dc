#include "training/densification_mcmc.hpp"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <numeric>

namespace splatscape {

namespace {

// Random streams of the strategy's draws, one per iteration and purpose.
enum : uint64_t { kRelocationDraws = 0, kGrowthDraws = 1, kNoiseDraws = 2 };
uint64_t mcmc_stream(int iteration, uint64_t purpose) {
    return (0x4d434d43ull << 32) ^ (uint64_t(iteration) << 2 | purpose);
}

constexpr int kSpatialScales = 3;

} // namespace

McmcDensification::McmcDensification(Backend& backend, const AdcConfig& config, uint64_t seed)
    : m_backend(backend), m_ops(backend.ops<McmcOps>("MCMC densification")), m_config(config), m_seed(seed) {}

bool McmcDensification::reshapes_at(int iteration) const {
    return adc_densifies_at(m_config, iteration);
}

void McmcDensification::add_regularizer_grads(GaussianModel& model) {
    const size_t n = model.size();
    if (n == 0 || (m_config.opacity_reg == 0.0f && m_config.scale_reg == 0.0f)) return;
    Parameter& op = model.opacity();
    Parameter& ls = model.params().get("log_scales");
    // The means over all Gaussians (and all spatial scales) of the paper's |opacity| and |scale|.
    m_ops.add_regularizer_grads(op.value, ls.value, kSpatialScales, m_config.opacity_reg / float(n),
                                m_config.scale_reg / float(n * kSpatialScales), op.grad, ls.grad);
}

size_t McmcDensification::relocate(GaussianModel& model, int iteration) {
    Parameter& op = model.opacity();
    Parameter& ls = model.params().get("log_scales");
    const float dead_logit = std::log(m_config.min_opacity / (1.0f - m_config.min_opacity));
    const Tensor dead = m_ops.dead_rows(op.value, dead_logit);
    if (dead.rows() == 0) return 0;
    const Tensor sources =
        m_ops.sample_rows(op.value, dead_logit, dead.rows(), m_seed, mcmc_stream(iteration, kRelocationDraws));
    if (sources.rows() != dead.rows()) return 0; // nothing alive to move to
    for (Parameter& p : model.params().all()) m_ops.copy_rows(p.value, sources, dead);
    m_ops.relocate(op.value, ls.value, kSpatialScales, sources, dead, m_config.min_opacity);
    // The moved Gaussians and those they share with restart their optimizer state (the reference
    // resets the latter; the former's moments belonged to the dead Gaussian).
    for (Parameter& p : model.params().all())
        for (Tensor* t : {&p.exp_avg, &p.exp_avg_sq}) {
            m_ops.zero_rows(*t, sources);
            m_ops.zero_rows(*t, dead);
        }
    return dead.rows();
}

size_t McmcDensification::grow(GaussianModel& model, int iteration) {
    const size_t n = model.size();
    const size_t cap = size_t(m_config.mcmc_cap());
    const size_t target = std::min(cap, size_t(double(1.0f + m_config.growth_rate) * double(n)));
    if (target <= n) return 0;
    const size_t count = target - n;
    Parameter& op = model.opacity();
    const Tensor sources = m_ops.sample_rows(op.value, -FLT_MAX, count, m_seed, mcmc_stream(iteration, kGrowthDraws));
    if (sources.rows() != count) return 0;
    ParameterSet& params = model.params();
    std::vector<Tensor> added;
    for (Parameter& p : params.all()) added.push_back(m_backend.gather_rows(p.value, sources));
    params.append_rows(m_backend, std::move(added));
    std::vector<int32_t> rows(count);
    std::iota(rows.begin(), rows.end(), int32_t(n));
    Tensor targets = m_backend.zeros(count, 1, DType::I32);
    m_backend.upload(targets, rows.data());
    m_ops.relocate(params.get(op.name).value, params.get("log_scales").value, kSpatialScales, sources, targets,
                   m_config.min_opacity);
    for (Parameter& p : params.all()) {
        m_ops.zero_rows(p.exp_avg, sources);
        m_ops.zero_rows(p.exp_avg_sq, sources);
    }
    return count;
}

DensifyReport McmcDensification::update(GaussianModel& model, int iteration, bool final_step) {
    DensifyReport report;
    add_regularizer_grads(model);
    if (final_step || !adc_densifies_at(m_config, iteration)) return report;
    report.relocated = relocate(model, iteration);
    report.cloned = grow(model, iteration);
    // Moved rows carry the gradients of what was there; as in the reference, no step this iteration.
    report.replaced_all = report.relocated > 0 || report.cloned > 0;
    return report;
}

void McmcDensification::after_optimizer_step(GaussianModel& model, int iteration) {
    if (m_config.noise_lr <= 0.0f) return;
    model.add_position_noise(m_config.noise_lr * model.position_lr(iteration), m_seed,
                             mcmc_stream(iteration, kNoiseDraws));
}

} // namespace splatscape
