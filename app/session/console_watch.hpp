#pragma once
// Follows a training session on the terminal: a progress bar (iteration, it/s, loss, PSNR,
// Gaussians, ETA; plain periodic lines when stderr is not a terminal), log lines for saves and
// densification, and Ctrl-C (or SIGTERM, as schedulers send before a time limit or preemption),
// which stops the run after a checkpoint is written.
#include <functional>

#include "app/session/training_session.hpp"

namespace splatscape {

struct WatchResult {
    msg::Finished finished;
    msg::Started started;
    double last_probe_psnr = 0.0;
};

// Returns when the trainer finishes. Throws Error when it failed and Interrupted when Ctrl-C stopped
// it (after its checkpoint was saved).
// `observer`, when given, sees every message too (RUN/progress.json: app/session/progress_file.hpp).
WatchResult watch_in_console(TrainingSession& session, const std::string& label = "train",
                             const std::function<void(const TrainerMessage&)>& observer = {});

} // namespace splatscape
