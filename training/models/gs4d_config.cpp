#include "training/models/gs4d_config.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"
#include "training/config_json.hpp"

namespace splatscape {
using namespace config_json;

namespace {

// The gs4d settings beyond those every Gaussian model has.
template <class C, class V>
void visit_gs4d(C& c, V&& v) {
    visit_gaussian_settings(c, v);
    v("batch_size", c.batch_size);
    v("init_time_scale", c.init_time_scale);
    v("init_time_margin", c.init_time_margin);
    v("max_sh_degree_t", c.max_sh_degree_t);
    v("time_period", c.time_period);
    v("time_lr", c.time_lr);
    v("min_temporal_weight", c.min_temporal_weight);
}

} // namespace

Json to_json(const Gs4dConfig& c) {
    Json j = Json::object();
    visit_gs4d(c, Writer{j});
    j["background"] = c.background.empty() ? Json(nullptr) : Json(c.background);
    Json d = to_json(c.densify);
    d["time_grad_threshold"] = c.time_grad_threshold;
    j["densify"] = d;
    return j;
}

void update_from_json(Gs4dConfig& c, const Json& j, const std::string& where) {
    if (!j.is_object()) throw Error(where, "(root)", cat("expected an object of settings, found ", j.type_name()));
    std::set<std::string> seen;
    visit_gs4d(c, Reader{j, "", where, seen});
    read_background(j, c.background, where, seen);
    if (auto it = j.find("densify"); it != j.end()) {
        seen.insert("densify");
        if (!it->is_object()) throw Error(where, "densify", "expected an object");
        Json d = *it;
        if (auto t = d.find("time_grad_threshold"); t != d.end()) {
            c.time_grad_threshold = float(json_number(*t, "densify.time_grad_threshold", where));
            d.erase(t);
        }
        update_from_json(c.densify, d, where, "densify.");
    }
    reject_unknown(j, seen, "", where);
    apply_strategy_defaults(c, j);
    c.validate(where);
}

void Gs4dConfig::validate(const std::string& w) const {
    validate_gaussian_settings(*this, w);
    // The filter of a slice is its conditional covariance plus v I (constant in time), but the 4D
    // PLY, .s4d and the 4D viewers have no place for it and baking it needs a 4D refactorisation.
    config_json::require(!filter_3d, w, "filter_3d", "false: the 3D smoothing filter is not available for gs4d");
    require(batch_size >= 1 && batch_size <= 64, w, "batch_size", "1 .. 64");
    require(init_time_scale > 0 && init_time_scale < 100, w, "init_time_scale", "a value in (0, 100)");
    require(init_time_margin >= 0 && init_time_margin < 10, w, "init_time_margin", "a value in [0, 10)");
    require(max_sh_degree_t >= 0 && max_sh_degree_t <= 4, w, "max_sh_degree_t", "0 .. 4");
    require(time_period > 0 && time_period < 1000, w, "time_period", "a value in (0, 1000)");
    require(time_lr < 10, w, "time_lr", "a learning rate below 10 (negative: position_lr_init)");
    require(min_temporal_weight > 0 && min_temporal_weight < 1, w, "min_temporal_weight", "a value in (0, 1)");
    require(time_grad_threshold > 0, w, "densify.time_grad_threshold", "> 0");
}

void Gs4dConfig::scale_schedule(int iters) {
    scale_gaussian_schedule(*this, iters);
}

} // namespace splatscape
