#pragma once
// Named starting points for each model family's settings: the JSON files
// assets/presets/<model>/<name>.json (found at run time, core/assets.hpp). "default" holds the
// paper's settings (what training uses without --config), "demo" those `splatscape demo` trains
// with. A preset is an object of the model's settings (Gs3dConfig, Gs4dConfig, HmoheConfig keys) plus an
// optional "description"; users may edit them or add their own beside them.
#include <string>
#include <vector>

#include "core/json_util.hpp"

namespace splatscape {

// The settings of preset `name` of `model`, checked against the model's config (an Error names the
// preset's file and the field). Throws UsageError listing the presets there are when `name` is not
// one, and Error naming where it looked when the assets are missing.
Json load_preset(const std::string& model, const std::string& name);

// The names of `model`'s presets (sorted).
std::vector<std::string> preset_names(const std::string& model);

// `--config VALUE`: a JSON file of settings (VALUE holds a '/', ends in .json or names an existing
// file) or else the name of a preset of `model`. Either may carry a "description", which is dropped.
Json load_model_config(const std::string& model, const std::string& value);

// `--scale-schedule`: `config` (settings of `model`, checked; `where` names them in errors) with
// the model's schedule (densification, growth, SH steps, learning-rate decay of the Gaussian
// families) scaled from its default iteration count to `iterations`, written out in full. Throws
// UsageError for a model without such a schedule (hmohe).
Json scale_model_schedule(const std::string& model, const Json& config, int iterations, const std::string& where);

} // namespace splatscape
