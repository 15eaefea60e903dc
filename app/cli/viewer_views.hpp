#pragma once
// The views a standalone HTML export opens with (core/io/html_export.hpp): the scene's up direction
// (against the training cameras' mean down axis, as `render --orbit` takes it), the background the
// run trained on, and a few cameras: the held-out ones first (the first is where the page opens,
// the view `eval` rendered as eval/renders/<its name>.png), then training cameras spread over the
// capture.
#include <filesystem>
#include <string>

#include "core/gaussian_cloud.hpp"
#include "core/json_util.hpp"

namespace splatscape::cli {

// Views from a run folder's dataset (`input` a run), or from `dataset` (a dataset folder) when
// given; null when neither is available (the page then frames the scene itself).
Json viewer_views(const std::filesystem::path& input, const std::string& dataset, const GaussianCloud& cloud,
                  int max_held_out = 4, int max_training = 4);

} // namespace splatscape::cli
