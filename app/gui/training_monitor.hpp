#pragma once
// What the training window knows about a run, built only from the trainer's message stream (the
// same messages the console watcher turns into a progress bar): curves, counts, state, and the
// latest model snapshot for the live view.
#include <chrono>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "training/messages.hpp"

namespace splatscape::gui {

enum class TrainingState { Starting, Running, Paused, Finished, Stopped, Failed };

std::string to_string(TrainingState state);

class TrainingMonitor {
public:
    static constexpr size_t kMaxLogLines = 200;
    static constexpr size_t kMaxCurvePoints = 4000; // older points are merged pairwise beyond this

    void apply(const TrainerMessage& message);

    TrainingState state() const { return m_state; }
    bool done() const {
        return m_state == TrainingState::Finished || m_state == TrainingState::Stopped ||
               m_state == TrainingState::Failed;
    }
    const msg::Started& started() const { return m_started; }
    const msg::Progress& progress() const { return m_progress; }
    const msg::Finished& finished() const { return m_finished; }
    const std::string& failure() const { return m_failure; }
    double last_psnr() const { return m_psnr.empty() ? 0.0 : double(m_psnr.back()); }

    // Curves for plotting: loss per progress report and probe PSNR per probe, with their iterations.
    const std::vector<float>& loss() const { return m_loss; }
    const std::vector<float>& loss_iterations() const { return m_loss_iter; }
    const std::vector<float>& psnr() const { return m_psnr; }
    const std::vector<float>& psnr_iterations() const { return m_psnr_iter; }
    const std::vector<std::string>& log_lines() const { return m_log; }

    // The newest snapshot not yet taken; taking it clears it.
    std::optional<msg::Snapshot> take_snapshot();
    bool snapshot_pending() const { return m_snapshot.has_value(); }
    int last_snapshot_iteration() const { return m_snapshot_iteration; }
    // The final model file, once the trainer has written it (the newest "ply" save).
    const std::filesystem::path& saved_model() const { return m_saved_model; }
    int saved_model_iteration() const { return m_saved_model_iteration; }

private:
    void log_line(std::string text);
    static void push_curve(std::vector<float>& values, std::vector<float>& iters, float value, float iteration);

    TrainingState m_state = TrainingState::Starting;
    msg::Started m_started;
    msg::Progress m_progress;
    msg::Finished m_finished;
    std::string m_failure;
    std::vector<float> m_loss, m_loss_iter, m_psnr, m_psnr_iter;
    std::vector<std::string> m_log;
    std::optional<msg::Snapshot> m_snapshot;
    int m_snapshot_iteration = -1;
    std::filesystem::path m_saved_model;
    int m_saved_model_iteration = -1;
};

} // namespace splatscape::gui
