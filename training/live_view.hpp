#pragma once
// A watcher that receives the model on the training thread, between iterations: the zero-copy live
// view of CUDA training (app/session/live_view.hpp) writes it into memory the renderer reads. The
// message stream's snapshots (host copies) remain the path for every other case.
#include "training/backend.hpp"

namespace splatscape {

class GaussianModel;

class LiveModelSink {
public:
    virtual ~LiveModelSink() = default;
    // Called before the first iteration and after each one, on the training thread; returns quickly
    // when it does not want this iteration. `backend` holds the model's tensors. Exceptions are
    // logged by the trainer and switch the sink off.
    virtual void publish(Backend& backend, GaussianModel& model, int iteration) = 0;
};

} // namespace splatscape
