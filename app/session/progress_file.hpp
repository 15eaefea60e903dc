#pragma once
// A machine-readable view of a running training: RUN/progress.json (or any path), rewritten
// atomically at most about once a second and at every change of state, from the trainer's
// messages. `splatscape batch` reads it to show each job's iteration, PSNR and ETA without parsing
// terminal output; any other tool may read it too.
//
//   {"format": "splatscape-progress", "version": 1,
//    "state": "starting" | "running" | "finished" | "stopped" | "failed",
//    "pid": 1234, "host": "node7", "updated": 1796503874.5 (Unix seconds),
//    "iteration": 1250, "first_iteration": 0, "iterations": 2000,
//    "loss": 0.031, "probe_psnr": 31.2 (latest probe; 0 before one), "gaussians": 40211,
//    "iterations_per_second": 14.2, "elapsed_seconds": 88.1, "eta_seconds": 52.8,
//    "psnr": 37.9, "ssim": 0.981, "evaluated": true (final held-out figures, when finished),
//    "message": "why it failed or stopped"}
//
// A process that is killed outright leaves "running" behind: whoever started it knows it ended.
#include <chrono>
#include <filesystem>
#include <string>

#include "training/messages.hpp"

namespace splatscape {

class ProgressFile {
public:
    explicit ProgressFile(std::filesystem::path path,
                          std::chrono::milliseconds period = std::chrono::milliseconds(1000));
    const std::filesystem::path& path() const { return m_path; }

    void on_message(const TrainerMessage& message);
    // A failure before training started (bad dataset, bad options), or an interruption.
    void fail(const std::string& message);
    // Writes now, whatever the period.
    void flush();

private:
    void write();

    std::filesystem::path m_path;
    std::chrono::milliseconds m_period;
    std::chrono::steady_clock::time_point m_last_write{};
    std::string m_state = "starting";
    std::string m_message;
    int m_iteration = 0, m_first_iteration = 0, m_iterations = 0;
    double m_loss = 0, m_probe_psnr = 0, m_rate = 0, m_elapsed = 0;
    size_t m_gaussians = 0;
    double m_psnr = 0, m_ssim = 0;
    bool m_evaluated = false;
};

} // namespace splatscape
