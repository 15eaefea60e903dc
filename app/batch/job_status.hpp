#pragma once
// What the batch knows about each job while it runs and after: its state, the latest figures from
// RUN/progress.json (app/session/progress_file.hpp), the final ones from RUN/eval.json, and the
// summary written at the end (STATE/summary.json and STATE/summary.md).
#include <chrono>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "app/batch/jobs.hpp"
#include "core/json_util.hpp"

namespace splatscape::batch {

enum class JobState {
    Queued, // waiting for a slot (local) or for the scheduler
    Running,
    Done,    // finished and evaluated (or finished with eval off)
    Failed,  // non-zero exit, killed, or vanished
    Stopped, // interrupted after saving a checkpoint (resume continues it)
    Skipped, // finished in an earlier batch run (--resume)
};
const char* to_string(JobState state);
bool is_final(JobState state);

// RUN/progress.json as read back; nullopt when absent or unreadable (it is replaced atomically, so
// a reader sees the old or the new file, but a run may not have written one yet).
struct ProgressInfo {
    std::string state; // starting, running, finished, stopped, failed
    long pid = 0;
    std::string host;
    int iteration = 0, first_iteration = 0, iterations = 0;
    double probe_psnr = 0, rate = 0, eta = 0, elapsed = 0, psnr = 0, ssim = 0;
    size_t gaussians = 0;
    bool evaluated = false;
    std::string message;
};
std::optional<ProgressInfo> read_progress(const std::filesystem::path& file);

// True when the job's run finished (and with the iteration count the job asks for).
bool run_finished(const Job& job);

struct JobStatus {
    JobState state = JobState::Queued;
    int exit_code = 0;
    std::string message; // why it failed or stopped
    std::optional<ProgressInfo> progress;
    std::string device;          // where it ran ("cuda:1", "cpu", a Slurm node)
    std::string scheduler_state; // Slurm: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...
    double wall_seconds = 0;     // of this batch run's attempt
    std::chrono::steady_clock::time_point started{};
    bool resumed = false; // continued from a checkpoint
};

// Final figures of one job for the summary, from RUN/eval.json and RUN/progress.json.
struct JobResult {
    double psnr = 0, ssim = 0;
    size_t gaussians = 0;
    double train_seconds = 0;
    int iteration = 0;
    bool evaluated = false;
};
JobResult read_result(const Job& job);

// A human text for an exit status ("exit code 1", "killed by signal 9").
std::string describe_exit(int exit_code);
// "1:05:07", "3:21", "-".
std::string format_duration(double seconds);

struct Summary {
    std::string batch;
    std::string runner;
    double wall_seconds = 0;
    Json json;            // summary.json
    std::string markdown; // summary.md
};
Summary make_summary(const JobsFile& batch, const std::vector<JobStatus>& status, const std::string& runner,
                     double wall_seconds);
// Writes STATE/summary.json and STATE/summary.md.
void write_summary(const JobsFile& batch, const Summary& summary);

} // namespace splatscape::batch
