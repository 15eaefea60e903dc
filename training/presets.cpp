#include "training/presets.hpp"

#include <algorithm>
#include <filesystem>

#include "core/assets.hpp"
#include "core/error.hpp"
#include "training/config.hpp"
#include "training/models/gs4d_config.hpp"
#include "training/models/sags_config.hpp"
#include "training/models/hmohe_config.hpp"

namespace splatscape {

namespace {

// Drops the optional "description" and checks the rest as `model`'s settings.
Json checked_settings(const std::string& model, Json j, const std::string& where) {
    if (!j.is_object()) throw Error(where, "(root)", cat("expected an object of settings, found ", j.type_name()));
    if (auto it = j.find("description"); it != j.end()) {
        json_string(*it, "description", where);
        j.erase(it);
    }
    if (model == "gs4d") {
        Gs4dConfig c;
        update_from_json(c, j, where);
    } else if (model == "gs3d") {
        Gs3dConfig c;
        update_from_json(c, j, where);
    } else if (model == "sags" || model == "sags-lite") {
        SagsConfig c = sags_preset(model == "sags-lite" ? "lite" : "default");
        update_from_json(c, j, where);
    } else if (model == "hmohe") {
        HmoheConfig c;
        update_from_json(c, j, where);
    }
    return j;
}

template <class Config>
Json rescaled(Config c, const Json& config, int iterations, const std::string& where) {
    update_from_json(c, config, where);
    c.scale_schedule(iterations);
    return to_json(c);
}

std::string names_list(const std::vector<std::string>& names) {
    std::string s;
    for (const std::string& n : names) s += (s.empty() ? "" : ", ") + n;
    return s.empty() ? "none found" : s;
}

} // namespace

std::vector<std::string> preset_names(const std::string& model) {
    return list_assets("presets/" + model, ".json");
}

Json load_preset(const std::string& model, const std::string& name) {
    const std::string relative = "presets/" + model + "/" + name + ".json";
    const std::vector<std::string> names = preset_names(model);
    if (!names.empty() && std::find(names.begin(), names.end(), name) == names.end())
        throw UsageError(cat("no ", model, " preset named '", name, "' (", model, " presets: ", names_list(names),
                             "; a settings file is given by its path, e.g. ./", name, ".json)"));
    const std::filesystem::path file = find_asset(relative);
    return checked_settings(model, load_json(file), file.string());
}

Json load_model_config(const std::string& model, const std::string& value) {
    std::error_code ec;
    const bool is_path = value.find('/') != std::string::npos ||
                         (value.size() > 5 && value.compare(value.size() - 5, 5, ".json") == 0) ||
                         std::filesystem::is_regular_file(value, ec);
    if (!is_path) return load_preset(model, value);
    return checked_settings(model, load_json(value), value);
}

Json scale_model_schedule(const std::string& model, const Json& config, int iterations, const std::string& where) {
    if (model == "gs3d") return rescaled(Gs3dConfig{}, config, iterations, where);
    if (model == "gs4d") return rescaled(Gs4dConfig{}, config, iterations, where);
    if (model == "sags" || model == "sags-lite")
        return rescaled(sags_preset(model == "sags-lite" ? "lite" : "default"), config, iterations, where);
    if (model == "hmohe")
        throw UsageError("--scale-schedule scales the Gaussian families' schedules; hmohe's learning-rate decay is "
                         "set in its config (lr_decay_start, lr_decay_interval)");
    throw UsageError(cat("--scale-schedule: unknown model '", model, "'"));
}

} // namespace splatscape
