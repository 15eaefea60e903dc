#pragma once
// The CUDA side of the zero-copy live view (app/session/live_view.hpp): a LiveModelSink that writes
// a gs3d-layout model (parameters means, opacities, log_scales, rotations, sh) into the slots the
// GUI exported, at most every `interval_seconds`.
#include <memory>

#include "app/session/live_view.hpp"
#include "training/live_view.hpp"

namespace splatscape {

// Null in a build without the CUDA backend.
std::shared_ptr<LiveModelSink> make_cuda_live_sink(std::shared_ptr<LiveViewExchange> exchange,
                                                   double interval_seconds = 0.05);

} // namespace splatscape
