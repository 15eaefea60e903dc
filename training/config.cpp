#include "training/config.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "training/config_json.hpp"

namespace splatscape {

namespace config_json {

void reject_unknown(const Json& j, const std::set<std::string>& seen, const std::string& prefix,
                    const std::string& where) {
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!seen.count(it.key())) throw Error(where, prefix + it.key(), "unknown setting (check the spelling)");
}

void require(bool ok, const std::string& where, const std::string& field, const std::string& expected) {
    if (!ok) throw Error(where, field, "expected " + expected);
}

void read_background(const Json& j, std::vector<float>& background, const std::string& where,
                     std::set<std::string>& seen) {
    const auto it = j.find("background");
    if (it == j.end()) return;
    seen.insert("background");
    if (!it->is_null() && (!it->is_array() || it->size() != 3))
        throw Error(where, "background", "expected [r, g, b] or null");
    background.clear();
    if (it->is_null()) return;
    for (size_t i = 0; i < 3; ++i)
        background.push_back(float(json_number((*it)[i], cat("background[", i, "]"), where)));
}

} // namespace config_json

using namespace config_json;

namespace {

// Every field once, for writing and for reading.
template <class C, class V>
void visit_adc(C& c, V&& v) {
    v("strategy", c.strategy);
    v("densify_from", c.densify_from);
    v("densify_until", c.densify_until);
    v("densify_every", c.densify_every);
    v("grad_threshold", c.grad_threshold);
    v("percent_dense", c.percent_dense);
    v("opacity_reset_every", c.opacity_reset_every);
    v("opacity_reset_value", c.opacity_reset_value);
    v("min_opacity", c.min_opacity);
    v("max_screen_size", c.max_screen_size);
    v("max_world_size", c.max_world_size);
    v("max_gaussians", c.max_gaussians);
    v("growth_rate", c.growth_rate);
    v("noise_lr", c.noise_lr);
    v("opacity_reg", c.opacity_reg);
    v("scale_reg", c.scale_reg);
}

} // namespace

Json to_json(const Gs3dConfig& c) {
    Json j = Json::object();
    visit_gaussian_settings(c, Writer{j});
    j["background"] = c.background.empty() ? Json(nullptr) : Json(c.background);
    j["densify"] = to_json(c.densify);
    return j;
}

void update_from_json(Gs3dConfig& c, const Json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where, "(root)", cat("expected an object of settings, found ", j.type_name()));
    std::set<std::string> seen;
    visit_gaussian_settings(c, Reader{j, "", where, seen});
    read_background(j, c.background, where, seen);
    if (auto it = j.find("densify"); it != j.end()) {
        seen.insert("densify");
        if (!it->is_object()) throw Error(where, "densify", "expected an object");
        update_from_json(c.densify, *it, where, "densify.");
    }
    reject_unknown(j, seen, "", where);
    apply_strategy_defaults(c, j);
    c.validate(where);
}

void Gs3dConfig::validate(const std::string& w) const {
    validate_gaussian_settings(*this, w);
}

void Gs3dConfig::scale_schedule(int iters) {
    scale_gaussian_schedule(*this, iters);
}

Json to_json(const AdcConfig& c) {
    Json d = Json::object();
    visit_adc(c, Writer{d});
    return d;
}

void update_from_json(AdcConfig& c, const Json& j, const std::string& where, const std::string& prefix) {
    if (!j.is_object()) throw Error(where, prefix.empty() ? "(root)" : prefix, "expected an object");
    std::set<std::string> seen;
    visit_adc(c, Reader{j, prefix, where, seen});
    reject_unknown(j, seen, prefix, where);
}

void validate(const AdcConfig& d, const std::string& w) {
    require(d.strategy == "adc" || d.strategy == "mcmc", w, "densify.strategy", "\"adc\" or \"mcmc\"");
    require(d.growth_rate > 0 && d.growth_rate <= 10, w, "densify.growth_rate", "a value in (0, 10]");
    require(d.noise_lr >= 0 && d.noise_lr < 1e12f, w, "densify.noise_lr", ">= 0");
    require(d.opacity_reg >= 0 && d.opacity_reg < 100, w, "densify.opacity_reg", "a value in [0, 100)");
    require(d.scale_reg >= 0 && d.scale_reg < 100, w, "densify.scale_reg", "a value in [0, 100)");
    require(!d.mcmc() || d.min_opacity > 0, w, "densify.min_opacity", "> 0 with the mcmc strategy");
    require(d.densify_every >= 1, w, "densify.densify_every", ">= 1");
    require(d.densify_from >= 0 && d.densify_until >= 0, w, "densify.densify_from", ">= 0");
    require(d.grad_threshold > 0, w, "densify.grad_threshold", "> 0");
    require(d.percent_dense > 0 && d.percent_dense < 1, w, "densify.percent_dense", "a value in (0, 1)");
    require(d.opacity_reset_every >= 0, w, "densify.opacity_reset_every", ">= 0");
    require(d.opacity_reset_value > 0 && d.opacity_reset_value < 1, w, "densify.opacity_reset_value",
            "a value in (0, 1)");
    require(d.min_opacity >= 0 && d.min_opacity < 1, w, "densify.min_opacity", "a value in [0, 1)");
    require(d.max_screen_size >= 0, w, "densify.max_screen_size", ">= 0");
    require(d.max_world_size >= 0, w, "densify.max_world_size", ">= 0");
    require(d.max_gaussians >= 0, w, "densify.max_gaussians", ">= 0");
}

float exponential_lr(int step, float lr_init, float lr_final, int delay_steps, float delay_mult, int max_steps) {
    if (step < 0 || (lr_init == 0.0f && lr_final == 0.0f)) return 0.0f;
    double delay_rate = 1.0;
    if (delay_steps > 0) {
        const double pi = 3.14159265358979323846;
        delay_rate =
            delay_mult + (1.0 - delay_mult) * std::sin(0.5 * pi * std::clamp(double(step) / delay_steps, 0.0, 1.0));
    }
    const double t = std::clamp(double(step) / max_steps, 0.0, 1.0);
    const double log_lerp = std::exp(std::log(double(lr_init)) * (1.0 - t) + std::log(double(lr_final)) * t);
    return float(delay_rate * log_lerp);
}

} // namespace splatscape
