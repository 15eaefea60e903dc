#include "app/cli/model_settings.hpp"

#include "core/error.hpp"
#include "training/presets.hpp"

namespace splatscape::cli {

void add_model_settings_options(CLI::App& cmd, ModelSettingsArgs& a) {
    cmd.add_option("--config", a.config, "JSON file of model settings, or a preset name (default, demo)");
    cmd.add_option("--densify", a.densify,
                   "Densification strategy: adc (3DGS's adaptive density control) or mcmc (relocation with a "
                   "Gaussian budget); sets densify.strategy")
        ->check(CLI::IsMember({"adc", "mcmc"}));
    cmd.add_option("--max-gaussians", a.max_gaussians,
                   "Gaussian budget: mcmc's hard cap (0: 1,000,000), adc's growth limit (0: none); sets "
                   "densify.max_gaussians")
        ->check(CLI::Range(0, 100000000));
    cmd.add_flag("--scale-schedule", a.scale_schedule,
                 "Scale the 30k-iteration schedule (LR decay, SH, densification, resets) to --iters");
}

Json model_settings(const std::string& model, const ModelSettingsArgs& a, int iterations) {
    Json settings = Json::object();
    if (!a.config.empty()) settings = load_model_config(model, a.config);
    if (!a.densify.empty() || a.max_gaussians >= 0) {
        // The flags write the model's "densify" settings, as --config would.
        if (!settings.is_object()) settings = Json::object();
        Json& d = settings["densify"];
        if (!d.is_object()) d = Json::object();
        if (!a.densify.empty()) d["strategy"] = a.densify;
        if (a.max_gaussians >= 0) d["max_gaussians"] = a.max_gaussians;
    }
    if (a.scale_schedule) {
        if (iterations <= 0) throw UsageError("--scale-schedule needs --iters");
        settings = scale_model_schedule(model, settings, iterations, a.config.empty() ? "--config" : a.config);
    }
    return settings;
}

void remove_run_results(const std::filesystem::path& run_dir) {
    for (const char* f :
         {"checkpoint.bin", "eval.json", "metrics.jsonl", "point_cloud.ply", "model.sags", "model.hmohe"})
        std::filesystem::remove(run_dir / f);
}

} // namespace splatscape::cli
