#pragma once
// The JSON of model settings, shared by every Gaussian model's config (training/config.cpp for gs3d,
// training/models/gs4d_config.cpp): a visitor over each settings struct's fields drives writing and
// reading, and the settings all Gaussian models have are visited, read and checked here once.
#include <set>
#include <string>
#include <vector>

#include "core/error.hpp"
#include "core/json_util.hpp"

namespace splatscape::config_json {

// Writes each visited field under its key.
struct Writer {
    Json& j;
    template <class T>
    void operator()(const char* key, const T& value) {
        j[key] = value;
    }
};

// Reads each visited field present in `j` (checked for type and range), recording its key in `seen`;
// `prefix` names nested objects in messages ("densify.").
struct Reader {
    const Json& j;
    std::string prefix;
    std::string where;
    std::set<std::string>& seen;
    void operator()(const char* key, int& value) {
        if (auto it = j.find(key); it != j.end()) {
            seen.insert(key);
            value = json_int(*it, prefix + key, where, -1000000000, 1000000000);
        }
    }
    void operator()(const char* key, float& value) {
        if (auto it = j.find(key); it != j.end()) {
            seen.insert(key);
            value = float(json_number(*it, prefix + key, where));
        }
    }
    void operator()(const char* key, bool& value) {
        if (auto it = j.find(key); it != j.end()) {
            seen.insert(key);
            value = json_bool(*it, prefix + key, where);
        }
    }
    void operator()(const char* key, std::string& value) {
        if (auto it = j.find(key); it != j.end()) {
            seen.insert(key);
            value = json_string(*it, prefix + key, where);
        }
    }
};

// Error(where, prefix + key, "unknown setting") for the first key of `j` not in `seen`.
void reject_unknown(const Json& j, const std::set<std::string>& seen, const std::string& prefix,
                    const std::string& where);
// Error(where, field, "expected " + expected) unless ok.
void require(bool ok, const std::string& where, const std::string& field, const std::string& expected);
// "background": [r, g, b], or null for the dataset's (an empty vector).
void read_background(const Json& j, std::vector<float>& background, const std::string& where,
                     std::set<std::string>& seen);

// The settings every Gaussian model has.
template <class C, class V>
void visit_gaussian_settings(C& c, V&& v) {
    v("iterations", c.iterations);
    v("random_points", c.random_points);
    v("init_opacity", c.init_opacity);
    v("init_scale", c.init_scale);
    v("max_sh_degree", c.max_sh_degree);
    v("sh_increase_every", c.sh_increase_every);
    v("position_lr_init", c.position_lr_init);
    v("position_lr_final", c.position_lr_final);
    v("position_lr_delay_mult", c.position_lr_delay_mult);
    v("position_lr_delay_steps", c.position_lr_delay_steps);
    v("position_lr_max_steps", c.position_lr_max_steps);
    v("sh_dc_lr", c.sh_dc_lr);
    v("sh_rest_lr", c.sh_rest_lr);
    v("opacity_lr", c.opacity_lr);
    v("scaling_lr", c.scaling_lr);
    v("rotation_lr", c.rotation_lr);
    v("ssim_weight", c.ssim_weight);
    v("antialiased", c.antialiased);
    v("eps2d", c.eps2d);
    v("random_background", c.random_background);
    v("filter_3d", c.filter_3d);
    v("filter_3d_size", c.filter_3d_size);
    v("appearance", c.appearance);
    v("appearance_lr_init", c.appearance_lr_init);
    v("appearance_lr_final", c.appearance_lr_final);
    v("masks", c.masks);
}

// Range checks of those settings, the background's and the densification's.
template <class C>
void validate_gaussian_settings(const C& c, const std::string& w) {
    require(c.iterations >= 1 && c.iterations <= 10000000, w, "iterations", "1 .. 10000000");
    require(c.random_points >= 1 && c.random_points <= 50000000, w, "random_points", "1 .. 50000000");
    require(c.init_opacity > 0 && c.init_opacity < 1, w, "init_opacity", "a value in (0, 1)");
    require(c.init_scale > 0 && c.init_scale <= 100, w, "init_scale", "a value in (0, 100]");
    require(c.max_sh_degree >= 0 && c.max_sh_degree <= 3, w, "max_sh_degree", "0 .. 3");
    require(c.sh_increase_every >= 1, w, "sh_increase_every", ">= 1");
    for (auto [name, v] : {std::pair{"position_lr_init", c.position_lr_init},
                           {"position_lr_final", c.position_lr_final},
                           {"sh_dc_lr", c.sh_dc_lr},
                           {"sh_rest_lr", c.sh_rest_lr},
                           {"opacity_lr", c.opacity_lr},
                           {"scaling_lr", c.scaling_lr},
                           {"rotation_lr", c.rotation_lr}})
        require(v >= 0 && v < 10, w, name, "a learning rate in [0, 10)");
    require(c.position_lr_final > 0 || c.position_lr_init == 0, w, "position_lr_final",
            "> 0 (the schedule interpolates logarithmically)");
    require(c.position_lr_max_steps >= 1, w, "position_lr_max_steps", ">= 1");
    require(c.position_lr_delay_steps >= 0, w, "position_lr_delay_steps", ">= 0");
    require(c.ssim_weight >= 0 && c.ssim_weight <= 1, w, "ssim_weight", "a value in [0, 1]");
    require(c.eps2d >= 0 && c.eps2d < 100, w, "eps2d", "a value in [0, 100)");
    require(c.background.empty() || c.background.size() == 3, w, "background", "[r, g, b]");
    require(c.filter_3d_size > 0 && c.filter_3d_size < 100, w, "filter_3d_size", "a value in (0, 100)");
    require(c.appearance == "none" || c.appearance == "affine", w, "appearance", "\"none\" or \"affine\"");
    require(c.appearance_lr_init >= 0 && c.appearance_lr_init < 10, w, "appearance_lr_init",
            "a learning rate in [0, 10)");
    require(c.appearance_lr_final > 0 && c.appearance_lr_final < 10, w, "appearance_lr_final",
            "a learning rate in (0, 10)");
    require(c.masks == "auto" || c.masks == "alpha" || c.masks == "none", w, "masks",
            "\"auto\", \"alpha\" or \"none\"");
    validate(c.densify, w);
}

} // namespace splatscape::config_json
