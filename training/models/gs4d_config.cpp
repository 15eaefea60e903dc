#include "training/models/gs4d_config.hpp"

#include <algorithm>
#include <cmath>
#include <set>

#include "core/error.hpp"

namespace splatscape {
namespace {

template <class C, class V>
void visit_gs4d(C& c, V&& v) {
    v("iterations", c.iterations);
    v("batch_size", c.batch_size);
    v("random_points", c.random_points);
    v("init_opacity", c.init_opacity);
    v("init_time_scale", c.init_time_scale);
    v("init_time_margin", c.init_time_margin);
    v("max_sh_degree", c.max_sh_degree);
    v("max_sh_degree_t", c.max_sh_degree_t);
    v("sh_increase_every", c.sh_increase_every);
    v("time_period", c.time_period);
    v("position_lr_init", c.position_lr_init);
    v("position_lr_final", c.position_lr_final);
    v("position_lr_delay_mult", c.position_lr_delay_mult);
    v("position_lr_delay_steps", c.position_lr_delay_steps);
    v("position_lr_max_steps", c.position_lr_max_steps);
    v("time_lr", c.time_lr);
    v("sh_dc_lr", c.sh_dc_lr);
    v("sh_rest_lr", c.sh_rest_lr);
    v("opacity_lr", c.opacity_lr);
    v("scaling_lr", c.scaling_lr);
    v("rotation_lr", c.rotation_lr);
    v("ssim_weight", c.ssim_weight);
    v("min_temporal_weight", c.min_temporal_weight);
    v("antialiased", c.antialiased);
    v("eps2d", c.eps2d);
    v("random_background", c.random_background);
}

struct Writer {
    Json& j;
    template <class T>
    void operator()(const char* key, const T& value) {
        j[key] = value;
    }
};

struct Reader {
    const Json& j;
    const std::string& where;
    std::set<std::string>& seen;
    void operator()(const char* key, int& value) {
        if (auto it = j.find(key); it != j.end()) {
            seen.insert(key);
            value = json_int(*it, key, where, -1000000000, 1000000000);
        }
    }
    void operator()(const char* key, float& value) {
        if (auto it = j.find(key); it != j.end()) {
            seen.insert(key);
            value = float(json_number(*it, key, where));
        }
    }
    void operator()(const char* key, bool& value) {
        if (auto it = j.find(key); it != j.end()) {
            seen.insert(key);
            value = json_bool(*it, key, where);
        }
    }
};

void require(bool ok, const std::string& where, const std::string& field, const std::string& expected) {
    if (!ok) throw Error(where, field, "expected " + expected);
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
    visit_gs4d(c, Reader{j, where, seen});
    if (auto it = j.find("background"); it != j.end()) {
        seen.insert("background");
        c.background.clear();
        if (!it->is_null()) {
            if (!it->is_array() || it->size() != 3) throw Error(where, "background", "expected [r, g, b] or null");
            for (size_t i = 0; i < 3; ++i)
                c.background.push_back(float(json_number((*it)[i], cat("background[", i, "]"), where)));
        }
    }
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
    for (auto it = j.begin(); it != j.end(); ++it)
        if (!seen.count(it.key())) throw Error(where, it.key(), "unknown setting (check the spelling)");
    c.validate(where);
}

void Gs4dConfig::validate(const std::string& w) const {
    require(iterations >= 1 && iterations <= 10000000, w, "iterations", "1 .. 10000000");
    require(batch_size >= 1 && batch_size <= 64, w, "batch_size", "1 .. 64");
    require(random_points >= 1 && random_points <= 50000000, w, "random_points", "1 .. 50000000");
    require(init_opacity > 0 && init_opacity < 1, w, "init_opacity", "a value in (0, 1)");
    require(init_time_scale > 0 && init_time_scale < 100, w, "init_time_scale", "a value in (0, 100)");
    require(init_time_margin >= 0 && init_time_margin < 10, w, "init_time_margin", "a value in [0, 10)");
    require(max_sh_degree >= 0 && max_sh_degree <= 3, w, "max_sh_degree", "0 .. 3");
    require(max_sh_degree_t >= 0 && max_sh_degree_t <= 4, w, "max_sh_degree_t", "0 .. 4");
    require(sh_increase_every >= 1, w, "sh_increase_every", ">= 1");
    require(time_period > 0 && time_period < 1000, w, "time_period", "a value in (0, 1000)");
    for (auto [name, v] : {std::pair{"position_lr_init", position_lr_init},
                           {"position_lr_final", position_lr_final},
                           {"sh_dc_lr", sh_dc_lr},
                           {"sh_rest_lr", sh_rest_lr},
                           {"opacity_lr", opacity_lr},
                           {"scaling_lr", scaling_lr},
                           {"rotation_lr", rotation_lr}})
        require(v >= 0 && v < 10, w, name, "a learning rate in [0, 10)");
    require(time_lr < 10, w, "time_lr", "a learning rate below 10 (negative: position_lr_init)");
    require(position_lr_final > 0 || position_lr_init == 0, w, "position_lr_final",
            "> 0 (the schedule interpolates logarithmically)");
    require(position_lr_max_steps >= 1, w, "position_lr_max_steps", ">= 1");
    require(position_lr_delay_steps >= 0, w, "position_lr_delay_steps", ">= 0");
    require(ssim_weight >= 0 && ssim_weight <= 1, w, "ssim_weight", "a value in [0, 1]");
    require(min_temporal_weight > 0 && min_temporal_weight < 1, w, "min_temporal_weight", "a value in (0, 1)");
    require(time_grad_threshold > 0, w, "densify.time_grad_threshold", "> 0");
    require(eps2d >= 0 && eps2d < 100, w, "eps2d", "a value in [0, 100)");
    require(background.empty() || background.size() == 3, w, "background", "[r, g, b]");
    splatscape::validate(densify, w);
}

void Gs4dConfig::scale_schedule(int iters) {
    scale_gaussian_schedule(*this, iters);
}

Gs4dConfig gs4d_preset(const std::string& name) {
    Gs4dConfig c;
    if (name == "default") return c;
    if (name == "demo") {
        // The built-in dynamic scene at reduced size: 3000 iterations, the SH steps every 300 (the
        // temporal degree reaches 2 at 1500), densification from 150 to 2000 every 100, one reset.
        c.iterations = 3000;
        c.position_lr_max_steps = 3000;
        c.sh_increase_every = 300;
        c.densify.densify_from = 150;
        c.densify.densify_until = 2000;
        c.densify.densify_every = 100;
        c.densify.opacity_reset_every = 900;
        return c;
    }
    throw UsageError(cat("unknown gs4d preset '", name, "' (expected default or demo)"));
}

} // namespace splatscape
