#include "app/session/console_watch.hpp"

#include <csignal>
#include <memory>

#include "core/error.hpp"
#include "core/log.hpp"
#include "core/progress.hpp"

namespace splatscape {
namespace {

volatile std::sig_atomic_t g_interrupts = 0;

void on_sigint(int) {
    g_interrupts = g_interrupts + 1;
}

// Installs the Ctrl-C handler for the lifetime of a watch. SIGTERM counts as a Ctrl-C: Slurm and
// Kubernetes send it before they kill a job (time limit, preemption, scancel), so it gets to save.
class SigintGuard {
public:
    SigintGuard() {
        g_interrupts = 0;
        m_previous = std::signal(SIGINT, on_sigint);
        m_previous_term = std::signal(SIGTERM, on_sigint);
    }
    ~SigintGuard() {
        std::signal(SIGINT, m_previous);
        std::signal(SIGTERM, m_previous_term);
    }

private:
    void (*m_previous)(int) = SIG_DFL;
    void (*m_previous_term)(int) = SIG_DFL;
};

} // namespace

WatchResult watch_in_console(TrainingSession& session, const std::string& label,
                             const std::function<void(const TrainerMessage&)>& observer) {
    SigintGuard guard;
    WatchResult result;
    std::unique_ptr<ProgressBar> bar;
    msg::Progress last;
    double probe = 0.0;
    bool stop_sent = false;
    std::string failure;
    bool finished = false;
    std::string unit = "gaussians"; // the model's size unit, from Started
    auto detail = [&] {
        return cat("loss ", std::to_string(last.loss).substr(0, 6), probe > 0 ? " psnr " : "",
                   probe > 0 ? std::to_string(probe).substr(0, 5) : "", " ", unit, " ", last.gaussians);
    };
    while (!finished) {
        if (g_interrupts > 0 && !stop_sent) {
            stop_sent = true;
            bar.reset();  // clears the live line without a "done" line
            log::warn("interrupted: saving a checkpoint (press Ctrl-C again to quit without it)");
            session.send(TrainerCommand::Stop);
        }
        if (g_interrupts > 1) {
            std::signal(SIGINT, SIG_DFL);
            std::raise(SIGINT);
        }
        auto m = session.wait(std::chrono::milliseconds(100));
        if (!m) {
            if (session.running()) continue;
            m = session.poll(); // pushed just before the thread ended
            if (!m) {
                // The trainer returned without a final message: cannot happen, but never hang.
                failure = "training ended without a result";
                break;
            }
        }
        if (observer) observer(*m);
        std::visit(
            [&](auto&& v) {
                using T = std::decay_t<decltype(v)>;
                if constexpr (std::is_same_v<T, msg::Started>) {
                    result.started = v;
                    unit = v.size_unit == "Gaussians" ? "gaussians" : v.size_unit;
                    log::info(label, ": ", v.gaussians, " ", v.size_unit, " on ", v.backend, ", iterations ",
                              v.first_iteration, " -> ", v.iterations, ", run folder ", v.run_dir.string());
                    bar = std::make_unique<ProgressBar>(label, uint64_t(v.iterations), "it");
                    last.iteration = v.first_iteration;
                } else if constexpr (std::is_same_v<T, msg::Progress>) {
                    last = v;
                    if (bar) bar->update(uint64_t(v.iteration), detail());
                } else if constexpr (std::is_same_v<T, msg::Probe>) {
                    probe = v.psnr;
                    result.last_probe_psnr = v.psnr;
                } else if constexpr (std::is_same_v<T, msg::Densified>) {
                    log::debug("iteration ", v.iteration, ": cloned ", v.cloned, ", split ", v.split, ", pruned ",
                               v.pruned, v.opacity_reset ? ", opacity reset" : "", " -> ", v.gaussians, " Gaussians");
                } else if constexpr (std::is_same_v<T, msg::Saved>) {
                    if (v.what != "checkpoint" || stop_sent)
                        log::debug("iteration ", v.iteration, ": saved ", v.what, " ", v.path.string());
                } else if constexpr (std::is_same_v<T, msg::Evaluated>) {
                    if (v.iteration < result.started.iterations)
                        log::info(label, ": iteration ", v.iteration, ": held-out PSNR ", v.psnr, " dB, SSIM ", v.ssim,
                                  " (", v.views, " views)");
                } else if constexpr (std::is_same_v<T, msg::Log>) {
                    log::info(v.text);
                } else if constexpr (std::is_same_v<T, msg::Paused>) {
                    log::info(v.paused ? "paused" : "resumed", " at iteration ", v.iteration);
                } else if constexpr (std::is_same_v<T, msg::Finished>) {
                    if (bar && v.completed) bar->finish(detail());
                    bar.reset();
                    result.finished = v;
                    finished = true;
                } else if constexpr (std::is_same_v<T, msg::Failed>) {
                    if (bar) bar->finish();
                    bar.reset();
                    failure = v.message;
                    finished = true;
                }
            },
            *m);
    }
    session.join();
    if (!failure.empty()) throw Error(failure);
    if (!result.finished.completed)
        throw Interrupted(cat("stopped at iteration ", result.finished.iteration,
                              "; the checkpoint is saved: continue with `splatscape train --resume -o ",
                              result.started.run_dir.string(), "`"));
    return result;
}

} // namespace splatscape
