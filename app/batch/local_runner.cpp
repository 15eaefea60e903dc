// The local runner: each job a `splatscape train` child process, one per GPU (--gpus) or
// --parallel N at a time sharing the CPU cores; their output goes to STATE/logs/, their progress
// is read from RUN/progress.json. Ctrl-C (or SIGTERM) asks every running job to stop after saving
// a checkpoint (`--resume` continues them); a second one kills them.
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <csignal>
#include <ctime>
#include <fstream>
#include <memory>
#include <mutex>
#include <thread>

#include "app/batch/overview.hpp"
#include "app/batch/runner.hpp"
#include "core/error.hpp"
#include "core/log.hpp"
#include "core/process/subprocess.hpp"

namespace splatscape::batch {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::sig_atomic_t g_batch_interrupts = 0;

void on_batch_signal(int) {
    g_batch_interrupts = g_batch_interrupts + 1;
}

class SignalGuard {
public:
    SignalGuard() {
        g_batch_interrupts = 0;
        m_int = std::signal(SIGINT, on_batch_signal);
        m_term = std::signal(SIGTERM, on_batch_signal);
    }
    ~SignalGuard() {
        std::signal(SIGINT, m_int);
        std::signal(SIGTERM, m_term);
    }

private:
    void (*m_int)(int) = SIG_DFL;
    void (*m_term)(int) = SIG_DFL;
};

// One running child: its thread, its process id once started, and its result when it ends.
struct Child {
    size_t job = 0;
    int slot = 0;
    std::thread thread;
    std::atomic<long> pid{0};
    std::atomic<bool> ended{false};
    process::SubprocessResult result;
};

std::string clock_prefix() {
    const std::time_t t = std::time(nullptr);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    return cat("[", buf, "] ");
}

// A run folder that an earlier batch's process (still alive on this machine) is writing.
long live_writer(const Job& job) {
    const auto p = read_progress(job.progress_file());
    if (!p || (p->state != "running" && p->state != "starting") || p->pid <= 0) return 0;
    char host[256] = {};
    gethostname(host, sizeof host - 1);
    if (p->host != host) return 0;
    return kill(pid_t(p->pid), 0) == 0 ? p->pid : 0;
}

} // namespace

int run_local(const JobsFile& batch, const RunOptions& o) {
    std::vector<JobStatus> status = prepare_jobs(batch, o);
    const int slots = o.gpus.empty() ? std::max(1, o.parallel) : int(o.gpus.size());
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    // Jobs sharing the CPU split its cores; a job's own "threads" wins.
    const int cpu_threads = o.gpus.empty() && slots > 1 ? std::max(1, int(cores) / slots) : -1;
    CommandOptions base;
    base.executable = o.executable.empty() ? current_executable().string() : o.executable.string();
    base.force = o.force;

    auto command_for = [&](const Job& job, int slot) {
        CommandOptions c = base;
        c.resume = fs::exists(job.output / "checkpoint.bin") && o.resume;
        c.config_file = config_path(batch, job);
        if (!o.gpus.empty()) c.device = cat("cuda:", o.gpus[size_t(slot)]);
        if (cpu_threads > 0 && job.threads == 0) c.threads = cpu_threads;
        return train_command(job, c);
    };

    const std::string where =
        o.gpus.empty()
            ? cat(slots, " at a time",
                  slots > 1 ? cat(", ", cpu_threads, cpu_threads == 1 ? " thread each" : " threads each") : "")
            : cat("one per GPU on GPUs ", [&] {
                  std::string g;
                  for (int x : o.gpus) {
                      if (!g.empty()) g += ',';
                      g += std::to_string(x);
                  }
                  return g;
              }());
    if (o.dry_run) {
        std::printf("batch %s: %zu jobs, local runner (%s); state in %s\n", batch.name.c_str(), batch.jobs.size(),
                    where.c_str(), batch.state_dir.string().c_str());
        int slot = 0;
        for (size_t i = 0; i < batch.jobs.size(); ++i) {
            const Job& job = batch.jobs[i];
            if (status[i].state == JobState::Skipped) {
                std::printf("# %d %s: finished already, skipped\n", job.index, job.name.c_str());
                continue;
            }
            std::printf("# %d %s%s\n%s\n", job.index, job.name.c_str(),
                        status[i].resumed ? " (resumes its checkpoint)" : "",
                        shell_join(command_for(job, slot)).c_str());
            slot = (slot + 1) % slots;
        }
        return 0;
    }

    fs::create_directories(batch.state_dir / "logs");
    write_job_configs(batch);
    save_json(batch.state_dir / "batch.json",
              {{"runner", "local"}, {"jobs_file", batch.path.string()}, {"jobs", batch.jobs.size()}, {"slots", slots}});

    SignalGuard guard;
    OverviewDisplay display;
    const auto t0 = Clock::now();
    const std::string title = cat("batch ", batch.name, " (local, ", where, "):");
    std::vector<std::unique_ptr<Child>> running;
    std::vector<bool> slot_busy(size_t(slots), false);
    size_t next = 0;
    int interrupts_seen = 0;
    bool stopping = false;

    auto elapsed = [&] { return std::chrono::duration<double>(Clock::now() - t0).count(); };
    auto lines = [&] { return overview_lines(batch, status, title, elapsed(), terminal_max_rows()); };

    for (;;) {
        // Ctrl-C / SIGTERM: the first asks the jobs to save and stop, a second kills them.
        if (g_batch_interrupts > interrupts_seen) {
            interrupts_seen = int(g_batch_interrupts);
            const int sig = interrupts_seen == 1 ? SIGTERM : SIGKILL;
            if (interrupts_seen == 1)
                display.event(clock_prefix() + "interrupted: stopping the running jobs after their checkpoints "
                                               "(again to kill them); `--resume` continues the batch");
            stopping = true;
            for (auto& c : running)
                if (c->pid > 0) kill(pid_t(c->pid.load()), sig);
        }
        // Start queued jobs in free slots.
        while (!stopping && running.size() < size_t(slots)) {
            while (next < status.size() && status[next].state != JobState::Queued) ++next;
            if (next >= status.size()) break;
            const size_t i = next++;
            const Job& job = batch.jobs[i];
            if (const long pid = live_writer(job)) {
                status[i].state = JobState::Failed;
                status[i].message =
                    cat("its run folder is in use by process ", pid, " (an earlier batch?); stop it first");
                display.event(
                    cat(clock_prefix(), "job ", job.index, " ", job.name, ": not started: ", status[i].message));
                continue;
            }
            int slot = 0;
            while (slot_busy[size_t(slot)]) ++slot;
            slot_busy[size_t(slot)] = true;
            auto child = std::make_unique<Child>();
            child->job = i;
            child->slot = slot;
            const std::vector<std::string> args = command_for(job, slot);
            status[i].resumed = fs::exists(job.output / "checkpoint.bin") && o.resume;
            status[i].state = JobState::Running;
            status[i].started = Clock::now();
            status[i].device = o.gpus.empty() ? (job.device == "auto" ? std::string("auto") : job.device)
                                              : cat("cuda:", o.gpus[size_t(slot)]);
            status[i].progress.reset();
            fs::remove(job.progress_file()); // the new attempt writes its own
            Child* c = child.get();
            const fs::path log_path = job_log(batch, job);
            c->thread = std::thread([c, args, log_path] {
                std::ofstream log(log_path, std::ios::app);
                log << "\n==== " << shell_join(args) << "\n";
                log.flush();
                process::SubprocessOptions so;
                so.new_process_group = true;
                so.on_start = [c](long pid) { c->pid = pid; };
                so.on_line = [&log](std::string_view line) {
                    log << line << '\n';
                    log.flush();
                };
                so.keep_tail = 1 << 14;
                c->result = process::run_subprocess(args, so);
                log << "==== " << describe_exit(c->result.exit_code) << "\n";
                c->ended = true;
            });
            display.event(cat(clock_prefix(), "job ", job.index, " ", job.name, ": started on ", status[i].device,
                              status[i].resumed ? " (resuming its checkpoint)" : "", ", log ", log_path.string()));
            running.push_back(std::move(child));
        }
        // Progress of the running jobs; results of the ended ones.
        for (auto it = running.begin(); it != running.end();) {
            Child& c = **it;
            const size_t i = c.job;
            const Job& job = batch.jobs[i];
            if (auto p = read_progress(job.progress_file())) status[i].progress = p;
            if (!c.ended) {
                ++it;
                continue;
            }
            c.thread.join();
            slot_busy[size_t(c.slot)] = false;
            JobStatus& s = status[i];
            s.wall_seconds = std::chrono::duration<double>(Clock::now() - s.started).count();
            s.exit_code = c.result.exit_code;
            if (auto p = read_progress(job.progress_file())) s.progress = p;
            if (!c.result.started) {
                s.state = JobState::Failed;
                s.message = cat("could not start ", job.name, ": ", c.result.output);
            } else if (s.exit_code == 0) {
                s.state = JobState::Done;
                s.message.clear();
            } else if (s.exit_code == 130) {
                s.state = JobState::Stopped;
                s.message = "stopped after saving its checkpoint";
            } else {
                s.state = JobState::Failed;
                const std::string why = s.progress && !s.progress->message.empty() ? s.progress->message
                                        : s.exit_code > 128 ? std::string() // killed: its output says nothing more
                                                            : process::last_lines(c.result.output, 200);
                s.message = cat(describe_exit(s.exit_code), why.empty() ? "" : ": ", why);
                // Only the last line of a multi-line tail.
                if (const size_t nl = s.message.rfind('\n'); nl != std::string::npos)
                    s.message = describe_exit(s.exit_code) + ": " + s.message.substr(nl + 1);
            }
            std::string line = cat(clock_prefix(), "job ", job.index, " ", job.name, ": ", to_string(s.state),
                                   " after ", format_duration(s.wall_seconds));
            if (s.state == JobState::Done) {
                const JobResult r = read_result(job);
                if (r.evaluated) line += cat(", held-out PSNR ", std::round(r.psnr * 100) / 100, " dB");
                line += cat(", ", r.gaussians, " Gaussians");
            } else {
                line += cat(" (", s.message, "); log ", job_log(batch, job).string());
            }
            display.event(line);
            it = running.erase(it);
        }
        if (running.empty() && (stopping || next >= status.size())) {
            bool queued = false;
            for (const auto& s : status) queued = queued || s.state == JobState::Queued;
            if (!queued || stopping) break;
        }
        display.show(lines());
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    display.finish(overview_lines(batch, status, title, elapsed()));

    const Summary summary = make_summary(batch, status, "local", elapsed());
    write_summary(batch, summary);
    std::printf("%s\nsummary: %s and %s\n", summary.markdown.c_str(), (batch.state_dir / "summary.md").string().c_str(),
                (batch.state_dir / "summary.json").string().c_str());
    if (interrupts_seen > 0) return 130;
    for (const auto& s : status)
        if (s.state != JobState::Done && s.state != JobState::Skipped) return 1;
    return 0;
}

} // namespace splatscape::batch
