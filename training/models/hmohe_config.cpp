#include "training/models/hmohe_config.hpp"

#include <cmath>
#include <set>

#include "core/error.hpp"
#include "training/config_json.hpp"

namespace splatscape {
namespace {

using config_json::require;

template <class C, class V>
void visit(C& c, V&& v) {
    v("iterations", c.iterations);
    v("experts", c.experts);
    v("balance_weight", c.balance_weight);
    v("gate_levels", c.gate_levels);
    v("gate_features", c.gate_features);
    v("gate_log2_table_size", c.gate_log2_table_size);
    v("gate_base_resolution", c.gate_base_resolution);
    v("gate_max_resolution", c.gate_max_resolution);
    v("gate_hidden", c.gate_hidden);
    v("expert_levels", c.expert_levels);
    v("expert_features", c.expert_features);
    v("expert_base_resolution", c.expert_base_resolution);
    v("expert_max_resolution", c.expert_max_resolution);
    v("expert_log2_table_size", c.expert_log2_table_size);
    v("expert_hidden", c.expert_hidden);
    v("expert_hidden_layers", c.expert_hidden_layers);
    v("geometry_features", c.geometry_features);
    v("sh_degree", c.sh_degree);
    v("colour_hidden", c.colour_hidden);
    v("colour_hidden_layers", c.colour_hidden_layers);
    v("appearance_dims", c.appearance_dims);
    v("scene_box", c.scene_box);
    v("box_padding", c.box_padding);
    v("cascades", c.cascades);
    v("occupancy_resolution", c.occupancy_resolution);
    v("occupancy_update_every", c.occupancy_update_every);
    v("occupancy_warmup", c.occupancy_warmup);
    v("occupancy_sample_fraction", c.occupancy_sample_fraction);
    v("occupancy_decay", c.occupancy_decay);
    v("occupancy_threshold", c.occupancy_threshold);
    v("steps_per_unit", c.steps_per_unit);
    v("cone_angle", c.cone_angle);
    v("early_stop_transmittance", c.early_stop_transmittance);
    v("max_samples_per_ray", c.max_samples_per_ray);
    v("target_samples", c.target_samples);
    v("initial_rays", c.initial_rays);
    v("max_rays", c.max_rays);
    v("loss", c.loss);
    v("huber_delta", c.huber_delta);
    v("random_background", c.random_background);
    v("background", c.background);
    v("lr", c.lr);
    v("beta1", c.beta1);
    v("beta2", c.beta2);
    v("eps", c.eps);
    v("lr_decay_start", c.lr_decay_start);
    v("lr_decay_interval", c.lr_decay_interval);
    v("lr_decay_base", c.lr_decay_base);
}

struct Writer {
    Json& j;
    template <class T>
    void operator()(const char* key, const T& value) {
        j[key] = value;
    }
    void operator()(const char* key, const std::vector<float>& value) {
        j[key] = value.empty() ? Json(nullptr) : Json(value);
    }
};

struct Reader {
    const Json& j;
    const std::string& where;
    std::set<std::string>& seen;

    const Json* find(const char* key) {
        auto it = j.find(key);
        if (it == j.end()) return nullptr;
        seen.insert(key);
        return &*it;
    }
    void operator()(const char* key, int& v) {
        if (const Json* x = find(key)) v = json_int(*x, key, where, -1000000000, 1000000000);
    }
    void operator()(const char* key, float& v) {
        if (const Json* x = find(key)) v = float(json_number(*x, key, where));
    }
    void operator()(const char* key, bool& v) {
        if (const Json* x = find(key)) v = json_bool(*x, key, where);
    }
    void operator()(const char* key, std::string& v) {
        if (const Json* x = find(key)) v = json_string(*x, key, where);
    }
    void operator()(const char* key, std::array<float, 2>& v) {
        if (const Json* x = find(key)) {
            if (x->is_number()) {
                v[0] = v[1] = float(json_number(*x, key, where));
                return;
            }
            if (!x->is_array() || x->size() != 2) throw Error(where, key, "expected a number or [first, last]");
            for (size_t i = 0; i < 2; ++i) v[i] = float(json_number((*x)[i], cat(key, "[", i, "]"), where));
        }
    }
    void operator()(const char* key, std::array<int, 2>& v) {
        if (const Json* x = find(key)) {
            if (x->is_number()) {
                v[0] = v[1] = json_int(*x, key, where, -1000, 1000);
                return;
            }
            if (!x->is_array() || x->size() != 2) throw Error(where, key, "expected an integer or [first, last]");
            for (size_t i = 0; i < 2; ++i) v[i] = json_int((*x)[i], cat(key, "[", i, "]"), where, -1000, 1000);
        }
    }
    void operator()(const char* key, std::vector<float>& v) {
        if (const Json* x = find(key)) {
            v.clear();
            if (x->is_null()) return;
            if (!x->is_array()) throw Error(where, key, "expected a list of numbers or null");
            for (size_t i = 0; i < x->size(); ++i)
                v.push_back(float(json_number((*x)[i], cat(key, "[", i, "]"), where)));
        }
    }
    void operator()(const char* key, std::vector<std::array<float, 3>>& v) {
        if (const Json* x = find(key)) {
            v.clear();
            if (x->is_null()) return;
            if (!x->is_array() || x->size() != 2)
                throw Error(where, key, "expected null or [[min x, y, z], [max x, y, z]]");
            for (size_t i = 0; i < 2; ++i) {
                const Json& p = (*x)[i];
                if (!p.is_array() || p.size() != 3) throw Error(where, cat(key, "[", i, "]"), "expected [x, y, z]");
                std::array<float, 3> a{};
                for (size_t k = 0; k < 3; ++k) a[k] = float(json_number(p[k], cat(key, "[", i, "][", k, "]"), where));
                v.push_back(a);
            }
        }
    }
};

float geometric(float a, float b, int i, int n) {
    if (n <= 1) return a;
    return a * std::pow(b / a, float(i) / float(n - 1));
}

} // namespace

float HmoheConfig::lr_at(int iteration) const {
    if (iteration <= lr_decay_start || lr_decay_interval <= 0) return lr;
    return lr * std::pow(lr_decay_base, float((iteration - lr_decay_start) / lr_decay_interval));
}

float HmoheConfig::expert_resolution(int e) const {
    return std::round(geometric(expert_max_resolution[0], expert_max_resolution[1], e, experts));
}

int HmoheConfig::expert_table_size(int e) const {
    return int(std::lround(geometric(float(expert_log2_table_size[0]), float(expert_log2_table_size[1]), e, experts)));
}

void HmoheConfig::validate(const std::string& w) const {
    require(iterations >= 1 && iterations <= 10000000, w, "iterations", "1 .. 10000000");
    require(experts >= 1 && experts <= 32, w, "experts", "1 .. 32");
    require(balance_weight >= 0 && balance_weight < 100, w, "balance_weight", "a value in [0, 100)");
    require(gate_levels >= 1 && gate_levels <= 32, w, "gate_levels", "1 .. 32");
    require(gate_features == 1 || gate_features == 2 || gate_features == 4 || gate_features == 8, w, "gate_features",
            "1, 2, 4 or 8");
    require(gate_log2_table_size >= 4 && gate_log2_table_size <= 24, w, "gate_log2_table_size", "4 .. 24");
    require(gate_base_resolution >= 1 && gate_max_resolution >= gate_base_resolution && gate_max_resolution <= 1e6f, w,
            "gate_max_resolution", ">= gate_base_resolution >= 1");
    require(gate_hidden >= 1 && gate_hidden <= 128, w, "gate_hidden", "1 .. 128");
    require(expert_levels >= 1 && expert_levels <= 32, w, "expert_levels", "1 .. 32");
    require(expert_features == 1 || expert_features == 2 || expert_features == 4 || expert_features == 8, w,
            "expert_features", "1, 2, 4 or 8");
    for (float r : expert_max_resolution)
        require(r >= expert_base_resolution && r <= 1e6f, w, "expert_max_resolution",
                ">= expert_base_resolution (and at most 1e6)");
    require(expert_base_resolution >= 1, w, "expert_base_resolution", ">= 1");
    for (int t : expert_log2_table_size) require(t >= 4 && t <= 24, w, "expert_log2_table_size", "4 .. 24");
    require(expert_hidden >= 1 && expert_hidden <= 128, w, "expert_hidden", "1 .. 128");
    require(expert_hidden_layers >= 0 && expert_hidden_layers <= 8, w, "expert_hidden_layers", "0 .. 8");
    require(geometry_features >= 1 && geometry_features <= 127, w, "geometry_features", "1 .. 127");
    require(sh_degree >= 0 && sh_degree <= 3, w, "sh_degree", "0 .. 3");
    require(colour_hidden >= 1 && colour_hidden <= 128, w, "colour_hidden", "1 .. 128");
    require(colour_hidden_layers >= 0 && colour_hidden_layers <= 8, w, "colour_hidden_layers", "0 .. 8");
    require(appearance_dims >= 0 && appearance_dims <= 64, w, "appearance_dims", "0 .. 64");
    require(scene_box.empty() || scene_box.size() == 2, w, "scene_box", "null or [[min], [max]]");
    if (scene_box.size() == 2)
        for (int a = 0; a < 3; ++a)
            require(scene_box[1][size_t(a)] > scene_box[0][size_t(a)], w, "scene_box", "max > min on every axis");
    require(box_padding >= 0 && box_padding <= 10, w, "box_padding", "0 .. 10");
    require(cascades >= 0 && cascades <= 8, w, "cascades", "0 (automatic) .. 8");
    require(occupancy_resolution >= 8 && occupancy_resolution <= 512 && occupancy_resolution % 8 == 0, w,
            "occupancy_resolution", "a multiple of 8 in 8 .. 512");
    require(occupancy_update_every >= 1, w, "occupancy_update_every", ">= 1");
    require(occupancy_warmup >= 0, w, "occupancy_warmup", ">= 0");
    require(occupancy_sample_fraction > 0 && occupancy_sample_fraction <= 1, w, "occupancy_sample_fraction",
            "a value in (0, 1]");
    require(occupancy_decay > 0 && occupancy_decay <= 1, w, "occupancy_decay", "a value in (0, 1]");
    require(occupancy_threshold > 0 && occupancy_threshold < 100, w, "occupancy_threshold", "a value in (0, 100)");
    require(steps_per_unit >= 16 && steps_per_unit <= 65536, w, "steps_per_unit", "16 .. 65536");
    require(cone_angle < 1, w, "cone_angle", "< 1 (negative: automatic)");
    require(early_stop_transmittance >= 0 && early_stop_transmittance < 1, w, "early_stop_transmittance",
            "a value in [0, 1)");
    require(max_samples_per_ray >= 1 && max_samples_per_ray <= 65536, w, "max_samples_per_ray", "1 .. 65536");
    require(target_samples >= 256 && target_samples <= (1 << 24), w, "target_samples", "256 .. 16777216");
    require(initial_rays >= 1 && initial_rays <= max_rays, w, "initial_rays", "1 .. max_rays");
    require(max_rays >= 1 && max_rays <= (1 << 24), w, "max_rays", "1 .. 16777216");
    require(loss == "huber" || loss == "l2", w, "loss", "\"huber\" or \"l2\"");
    require(huber_delta > 0 && huber_delta < 10, w, "huber_delta", "a value in (0, 10)");
    require(background.empty() || background.size() == 3, w, "background", "null or [r, g, b]");
    require(lr > 0 && lr < 10, w, "lr", "a learning rate in (0, 10)");
    require(beta1 >= 0 && beta1 < 1, w, "beta1", "a value in [0, 1)");
    require(beta2 >= 0 && beta2 < 1, w, "beta2", "a value in [0, 1)");
    require(eps > 0 && eps < 1, w, "eps", "a value in (0, 1)");
    require(lr_decay_start >= 0, w, "lr_decay_start", ">= 0");
    require(lr_decay_interval >= 1, w, "lr_decay_interval", ">= 1");
    require(lr_decay_base > 0 && lr_decay_base <= 1, w, "lr_decay_base", "a value in (0, 1]");
}

Json to_json(const HmoheConfig& c) {
    Json j = Json::object();
    Writer wr{j};
    visit(c, wr);
    if (c.scene_box.empty()) j["scene_box"] = nullptr;
    return j;
}

void update_from_json(HmoheConfig& c, const Json& j, const std::string& where) {
    if (j.is_null()) return;
    if (!j.is_object()) throw Error(where, "model_config", "expected an object of hmohe settings");
    std::set<std::string> seen;
    Reader rd{j, where, seen};
    visit(c, rd);
    config_json::reject_unknown(j, seen, "", where);
    c.validate(where);
}

} // namespace splatscape
