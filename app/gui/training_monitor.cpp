#include "app/gui/training_monitor.hpp"

#include <cstdio>
#include <type_traits>

#include "core/error.hpp"

namespace splatscape::gui {

std::string to_string(TrainingState state) {
    switch (state) {
    case TrainingState::Starting:
        return "starting";
    case TrainingState::Running:
        return "training";
    case TrainingState::Paused:
        return "paused";
    case TrainingState::Finished:
        return "finished";
    case TrainingState::Stopped:
        return "stopped";
    case TrainingState::Failed:
        return "failed";
    }
    return "?";
}

void TrainingMonitor::log_line(std::string text) {
    if (m_log.size() == kMaxLogLines) m_log.erase(m_log.begin());
    m_log.push_back(std::move(text));
}

void TrainingMonitor::push_curve(std::vector<float>& values, std::vector<float>& iters, float value, float iteration) {
    values.push_back(value);
    iters.push_back(iteration);
    if (values.size() <= kMaxCurvePoints) return;
    // Halve the resolution of the whole curve: long runs keep their shape at a bounded cost.
    size_t out = 0;
    for (size_t i = 0; i + 1 < values.size(); i += 2, ++out) {
        values[out] = 0.5f * (values[i] + values[i + 1]);
        iters[out] = iters[i + 1];
    }
    if (values.size() % 2) {
        values[out] = values.back();
        iters[out] = iters.back();
        ++out;
    }
    values.resize(out);
    iters.resize(out);
}

void TrainingMonitor::apply(const TrainerMessage& message) {
    std::visit(
        [&](auto&& v) {
            using T = std::decay_t<decltype(v)>;
            if constexpr (std::is_same_v<T, msg::Started>) {
                m_started = v;
                m_progress.iteration = v.first_iteration;
                m_progress.iterations = v.iterations;
                m_progress.gaussians = v.gaussians;
                m_state = TrainingState::Running;
                log_line(cat("started: ", v.gaussians, " ", v.size_unit, " on ", v.backend, ", iterations ",
                             v.first_iteration, " -> ", v.iterations));
            } else if constexpr (std::is_same_v<T, msg::Progress>) {
                m_progress = v;
                push_curve(m_loss, m_loss_iter, float(v.loss), float(v.iteration));
            } else if constexpr (std::is_same_v<T, msg::Probe>) {
                push_curve(m_psnr, m_psnr_iter, float(v.psnr), float(v.iteration));
            } else if constexpr (std::is_same_v<T, msg::Densified>) {
                m_progress.gaussians = v.gaussians;
                log_line(cat("iteration ", v.iteration, ": cloned ", v.cloned, ", split ", v.split, ", pruned ",
                             v.pruned, v.opacity_reset ? ", opacity reset" : "", " -> ", v.gaussians, " Gaussians"));
            } else if constexpr (std::is_same_v<T, msg::Snapshot>) {
                if ((v.cloud || v.sags || v.nerf) && v.iteration >= m_snapshot_iteration) {
                    m_snapshot = v;
                    m_snapshot_iteration = v.iteration;
                }
            } else if constexpr (std::is_same_v<T, msg::Saved>) {
                log_line(cat("iteration ", v.iteration, ": saved ", v.what, " ", v.path.string()));
                if (v.what == "ply" && v.iteration >= m_saved_model_iteration) {
                    m_saved_model = v.path;
                    m_saved_model_iteration = v.iteration;
                }
            } else if constexpr (std::is_same_v<T, msg::Paused>) {
                if (m_state == TrainingState::Running || m_state == TrainingState::Paused)
                    m_state = v.paused ? TrainingState::Paused : TrainingState::Running;
                log_line(cat(v.paused ? "paused" : "resumed", " at iteration ", v.iteration));
            } else if constexpr (std::is_same_v<T, msg::Log>) {
                log_line(v.text);
            } else if constexpr (std::is_same_v<T, msg::Finished>) {
                m_finished = v;
                m_progress.iteration = v.iteration;
                m_state = v.completed ? TrainingState::Finished : TrainingState::Stopped;
                if (v.evaluated) {
                    char buf[96];
                    std::snprintf(buf, sizeof buf, "held-out PSNR %.2f dB, SSIM %.4f", v.psnr, v.ssim);
                    log_line(buf);
                }
                log_line(cat(v.completed ? "finished" : "stopped", " at iteration ", v.iteration));
            } else if constexpr (std::is_same_v<T, msg::Failed>) {
                m_failure = v.message;
                m_state = TrainingState::Failed;
                log_line("failed: " + v.message);
            }
        },
        message);
}

std::optional<msg::Snapshot> TrainingMonitor::take_snapshot() {
    std::optional<msg::Snapshot> s = std::move(m_snapshot);
    m_snapshot.reset();
    return s;
}

} // namespace splatscape::gui
