// The Slurm runner: one job array script (STATE/slurm/batch.sh, one array task per job, the
// task's index selects its job), submitted with `sbatch --array`, followed with `squeue` while
// tasks are queued or running and `sacct` (or `scontrol`, where accounting is off) for how each
// ended; each job's iteration and PSNR come from its RUN/progress.json on the shared file system.
#include <signal.h>

#include <chrono>
#include <cmath>
#include <csignal>
#include <cstdio>
#include <ctime>
#include <map>
#include <sstream>
#include <thread>

#include "app/batch/overview.hpp"
#include "app/batch/runner.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/log.hpp"
#include "core/process/subprocess.hpp"

namespace splatscape::batch {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

namespace {

volatile std::sig_atomic_t g_follow_interrupts = 0;

void on_follow_signal(int) {
    g_follow_interrupts = g_follow_interrupts + 1;
}

struct TaskInfo {
    std::string state; // Slurm's: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...
    std::string node;
    std::string reason;
    int exit_code = -1; // -1: not known (yet)
};

process::SubprocessResult run_tool(const std::vector<std::string>& args) {
    process::SubprocessOptions o;
    o.keep_tail = 1 << 20;
    return process::run_subprocess(args, o);
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string cur;
    for (char c : s) {
        if (c == sep) {
            out.push_back(cur);
            cur.clear();
        } else if (c != '\r') {
            cur += c;
        }
    }
    out.push_back(cur);
    return out;
}

// "1:0" (exit code : signal) -> a shell-style status (128 + signal when killed).
int parse_exit(const std::string& s) {
    const size_t colon = s.find(':');
    try {
        const int rc = std::stoi(s.substr(0, colon));
        const int sig = colon == std::string::npos ? 0 : std::stoi(s.substr(colon + 1));
        return sig > 0 ? 128 + sig : rc;
    } catch (const std::exception&) {
        return -1;
    }
}

std::optional<int> parse_index(const std::string& s) {
    if (s.empty() || s.find_first_not_of("0123456789") != std::string::npos) return std::nullopt;
    return std::stoi(s);
}

// The array's tasks still in the queue, by index. nullopt when squeue itself failed.
std::optional<std::map<int, TaskInfo>> squeue_tasks(const std::string& job_id) {
    const auto r = run_tool({"squeue", "-h", "-r", "-j", job_id, "-o", "%K|%T|%N|%r"});
    if (!r.started) return std::nullopt;
    std::map<int, TaskInfo> out;
    if (r.exit_code != 0) {
        // A job id that has left the controller's memory is an error, not an empty list.
        if (r.output.find("Invalid job id") != std::string::npos) return out;
        return std::nullopt;
    }
    for (const auto& line : split(r.output, '\n')) {
        const auto f = split(line, '|');
        if (f.size() < 4) continue;
        if (const auto i = parse_index(f[0])) out[*i] = {f[1], f[2], f[3], -1};
    }
    return out;
}

// How the array's tasks ended: sacct when accounting is on, scontrol (which remembers recent jobs)
// otherwise.
std::map<int, TaskInfo> ended_tasks(const std::string& job_id) {
    std::map<int, TaskInfo> out;
    const auto a = run_tool({"sacct", "-n", "-P", "-X", "-j", job_id, "-o", "JobID,State,ExitCode,NodeList"});
    if (a.started && a.exit_code == 0 && a.output.find("accounting storage is disabled") == std::string::npos) {
        for (const auto& line : split(a.output, '\n')) {
            const auto f = split(line, '|');
            if (f.size() < 4) continue;
            const size_t us = f[0].find('_');
            if (us == std::string::npos) continue;
            if (const auto i = parse_index(f[0].substr(us + 1)))
                out[*i] = {split(f[1], ' ').front(), f[3], "", parse_exit(f[2])};
        }
        if (!out.empty()) return out;
    }
    const auto s = run_tool({"scontrol", "-o", "show", "job", job_id});
    if (!s.started || s.exit_code != 0) return out;
    for (const auto& line : split(s.output, '\n')) {
        std::map<std::string, std::string> kv;
        for (const auto& tok : split(line, ' ')) {
            const size_t eq = tok.find('=');
            if (eq != std::string::npos) kv[tok.substr(0, eq)] = tok.substr(eq + 1);
        }
        const auto i = parse_index(kv["ArrayTaskId"]);
        if (!i) continue;
        out[*i] = {kv["JobState"], kv["NodeList"], kv["Reason"], parse_exit(kv["ExitCode"])};
    }
    return out;
}

bool slurm_final_state(const std::string& s) {
    return s == "COMPLETED" || s == "FAILED" || s == "CANCELLED" || s == "TIMEOUT" || s == "OUT_OF_MEMORY" ||
           s == "NODE_FAIL" || s == "PREEMPTED" || s == "BOOT_FAIL" || s == "DEADLINE";
}

std::string last_log_line(const fs::path& log) {
    try {
        const std::string text = read_file_text(log, uint64_t(1) << 26);
        std::string tail = process::last_lines(text, 300);
        const size_t nl = tail.rfind('\n');
        return nl == std::string::npos ? tail : tail.substr(nl + 1);
    } catch (const std::exception&) {
        return "";
    }
}

void classify(const Job& job, const JobsFile& batch, JobStatus& s, const std::string& state, int exit_code) {
    s.scheduler_state = state;
    s.exit_code = exit_code;
    s.progress = read_progress(job.progress_file());
    const bool finished = s.progress && s.progress->state == "finished";
    if ((state == "COMPLETED" || state.empty()) && exit_code == 0 && finished) {
        s.state = JobState::Done;
        s.message.clear();
    } else if (exit_code == 130 || (s.progress && s.progress->state == "stopped")) {
        s.state = JobState::Stopped;
        s.message = cat(state.empty() ? "" : state + ": ", "stopped after saving its checkpoint");
    } else {
        s.state = JobState::Failed;
        // A killed task's log ends with the shell's notice of the kill: only an error of its own says more.
        const std::string why = s.progress && s.progress->state == "failed" ? s.progress->message
                                : exit_code > 128                           ? std::string()
                                                                            : last_log_line(job_log(batch, job));
        s.message = cat(state.empty() ? "" : state + ", ", exit_code >= 0 ? describe_exit(exit_code) : "no exit status",
                        why.empty() ? "" : ": ", why);
    }
}

std::string clock_prefix() {
    const std::time_t t = std::time(nullptr);
    char buf[16];
    std::strftime(buf, sizeof buf, "%H:%M:%S", std::localtime(&t));
    return cat("[", buf, "] ");
}

fs::path submissions_file(const JobsFile& batch) {
    return batch.state_dir / "slurm" / "submissions.json";
}

// Follows one submitted array until every task has ended; returns false when interrupted.
bool follow(const JobsFile& batch, const RunOptions& o, const std::string& job_id, const std::vector<int>& indices,
            std::vector<JobStatus>& status) {
    g_follow_interrupts = 0;
    auto* prev_int = std::signal(SIGINT, on_follow_signal);
    auto* prev_term = std::signal(SIGTERM, on_follow_signal);
    OverviewDisplay display;
    const auto t0 = Clock::now();
    const std::string title = cat("batch ", batch.name, " (Slurm array ", job_id, "):");
    std::map<int, int> missing_polls;
    int squeue_failures = 0;
    bool interrupted = false;
    for (int i : indices) status[size_t(i)].started = Clock::now();
    for (;;) {
        if (g_follow_interrupts > 0) {
            interrupted = true;
            break;
        }
        const auto queue = squeue_tasks(job_id);
        if (!queue) {
            if (++squeue_failures >= 10) {
                std::signal(SIGINT, prev_int);
                std::signal(SIGTERM, prev_term);
                throw Error(cat("squeue fails for job ", job_id, " (10 tries); is the Slurm controller reachable?"));
            }
        } else {
            squeue_failures = 0;
            std::map<int, TaskInfo> ended;
            bool looked_up = false;
            for (int i : indices) {
                JobStatus& s = status[size_t(i)];
                const Job& job = batch.jobs[size_t(i)];
                if (is_final(s.state)) continue;
                if (auto it = queue->find(i); it != queue->end()) {
                    const JobState before = s.state;
                    s.scheduler_state = it->second.state;
                    s.state = it->second.state == "PENDING" ? JobState::Queued : JobState::Running;
                    s.device = s.state == JobState::Running ? it->second.node
                                                            : (it->second.reason == "None" ? "" : it->second.reason);
                    if (auto p = read_progress(job.progress_file()); p && s.state == JobState::Running) s.progress = p;
                    if (s.state == JobState::Running && before != JobState::Running) {
                        s.started = Clock::now();
                        display.event(cat(clock_prefix(), "job ", job.index, " ", job.name, ": running on ", s.device,
                                          s.resumed ? " (resuming its checkpoint)" : ""));
                    }
                    continue;
                }
                // Left the queue: how did it end?
                if (!looked_up) ended = ended_tasks(job_id), looked_up = true;
                auto e = ended.find(i);
                const fs::path status_file = batch.state_dir / "slurm" / "status" / std::to_string(i);
                if (e != ended.end() && slurm_final_state(e->second.state)) {
                    classify(job, batch, s, e->second.state, e->second.exit_code);
                    if (!e->second.node.empty() && e->second.node != "(null)" && e->second.node != "None assigned")
                        s.device = e->second.node;
                } else if (fs::exists(status_file)) {
                    int rc = -1;
                    try {
                        rc = std::stoi(read_file_text(status_file, 64));
                    } catch (const std::exception&) {
                    }
                    classify(job, batch, s, "", rc);
                } else if (++missing_polls[i] >= 3) {
                    // Gone without a word (killed with its script, or the controller forgot it).
                    classify(job, batch, s, "", -1);
                } else {
                    continue;
                }
                s.wall_seconds = std::chrono::duration<double>(Clock::now() - s.started).count();
                std::string line = cat(clock_prefix(), "job ", job.index, " ", job.name, ": ", to_string(s.state));
                if (s.state == JobState::Done) {
                    const JobResult r = read_result(job);
                    if (r.evaluated) line += cat(", held-out PSNR ", std::round(r.psnr * 100) / 100, " dB");
                    line += cat(", ", r.gaussians, " Gaussians");
                } else {
                    line += cat(" (", s.message, "); log ", job_log(batch, job).string());
                }
                display.event(line);
            }
        }
        bool all = true;
        for (int i : indices) all = all && is_final(status[size_t(i)].state);
        const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        if (all) {
            display.finish(overview_lines(batch, status, title, elapsed));
            break;
        }
        display.show(overview_lines(batch, status, title, elapsed, terminal_max_rows()));
        // Sleep in short steps so Ctrl-C is answered at once.
        for (double w = 0; w < o.poll_seconds && g_follow_interrupts == 0; w += 0.1)
            std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    std::signal(SIGINT, prev_int);
    std::signal(SIGTERM, prev_term);
    return !interrupted;
}

} // namespace

std::string slurm_script(const JobsFile& batch, const std::vector<int>& indices, const RunOptions& o) {
    CommandOptions base;
    base.executable = o.executable.empty() ? current_executable().string() : o.executable.string();
    base.force = o.force;
    std::ostringstream s;
    s << "#!/bin/bash\n"
      << "# Written by `splatscape batch " << batch.path.filename().string() << " --runner slurm`: one array task per\n"
      << "# job; `sbatch --array=LIST` runs the jobs LIST names (job i is task i).\n"
      << "#SBATCH --job-name=" << shell_quote("splatscape-" + batch.name) << "\n"
      << "#SBATCH --output=" << shell_quote((batch.state_dir / "logs" / "slurm_%A_%a.out").string()) << "\n"
      << "#SBATCH --open-mode=append\n";
    if (o.cpus_per_task > 0) s << "#SBATCH --cpus-per-task=" << o.cpus_per_task << "\n";
    if (o.gpus_per_task > 0) s << "#SBATCH --gres=gpu:" << o.gpus_per_task << "\n";
    if (!o.partition.empty()) s << "#SBATCH --partition=" << shell_quote(o.partition) << "\n";
    if (!o.account.empty()) s << "#SBATCH --account=" << shell_quote(o.account) << "\n";
    if (!o.qos.empty()) s << "#SBATCH --qos=" << shell_quote(o.qos) << "\n";
    if (!o.time_limit.empty()) s << "#SBATCH --time=" << shell_quote(o.time_limit) << "\n";
    if (!o.memory.empty()) s << "#SBATCH --mem=" << shell_quote(o.memory) << "\n";
    for (const auto& a : o.sbatch_args) s << "#SBATCH " << a << "\n";
    // The trainer saves a checkpoint on SIGTERM; ask for it a while before a time limit kills the task.
    if (!o.time_limit.empty()) s << "#SBATCH --signal=TERM@120\n";
    s << job_selection_script(batch, indices, base, "SLURM_ARRAY_TASK_ID", batch.state_dir / "slurm" / "status", true);
    return s.str();
}

int run_slurm(const JobsFile& batch, const RunOptions& o) {
    std::vector<JobStatus> status;
    std::string job_id;
    std::vector<int> indices;
    Json submissions = Json::array();
    if (fs::exists(submissions_file(batch))) {
        submissions = load_json(submissions_file(batch));
        if (!submissions.is_array()) submissions = Json::array();
    }

    if (o.attach) {
        if (submissions.empty())
            throw UsageError(
                cat("no Slurm array has been submitted for this batch (", submissions_file(batch).string(), ")"));
        const Json& last = submissions.back();
        job_id =
            json_string(json_member(last, "job_id", "", "submissions"), "job_id", submissions_file(batch).string());
        status.assign(batch.jobs.size(), JobStatus{});
        for (size_t i = 0; i < status.size(); ++i)
            if (run_finished(batch.jobs[i])) status[i].state = JobState::Skipped;
        for (const auto& v : json_member(last, "indices", "", submissions_file(batch).string())) {
            const int i = v.get<int>();
            if (i < 0 || size_t(i) >= batch.jobs.size()) continue;
            indices.push_back(i);
            status[size_t(i)] = JobStatus{};
        }
    } else {
        status = prepare_jobs(batch, o);
        for (size_t i = 0; i < status.size(); ++i)
            if (status[i].state == JobState::Queued) indices.push_back(int(i));
        const std::string script = slurm_script(batch, indices, o);
        std::vector<std::string> sbatch = {"sbatch", "--parsable",
                                           "--array=" + array_spec(indices) +
                                               (o.max_running > 0 ? cat("%", o.max_running) : std::string())};
        const fs::path script_path = batch.state_dir / "slurm" / "batch.sh";
        sbatch.push_back(script_path.string());
        if (o.dry_run) {
            std::printf("# %s\n%s\n# submitted with:\n%s\n", script_path.string().c_str(), script.c_str(),
                        indices.empty() ? "# (nothing to run: every job has finished)" : shell_join(sbatch).c_str());
            return 0;
        }
        if (indices.empty()) {
            std::printf("batch %s: every job has finished; nothing to submit\n", batch.name.c_str());
            return 0;
        }
        if (!process::find_program("sbatch"))
            throw Error("sbatch not found on PATH: run the Slurm runner on a machine of the cluster (a login node)");
        // An earlier array of this batch that still runs would train the same run folders twice.
        if (!submissions.empty()) {
            const std::string prev = submissions.back().value("job_id", "");
            if (const auto q = squeue_tasks(prev); q && !q->empty())
                throw UsageError(cat("Slurm array ", prev, " of this batch still has ", q->size(),
                                     " tasks queued or running; follow it with --attach, or stop it with `scancel ",
                                     prev, "` first"));
        }
        fs::create_directories(batch.state_dir / "logs");
        fs::remove_all(batch.state_dir / "slurm" / "status");
        write_job_configs(batch);
        write_file_atomic(script_path, script);
        fs::permissions(script_path, fs::perms::owner_exec | fs::perms::group_exec, fs::perm_options::add);
        const auto r = run_tool(sbatch);
        if (!r.started) throw Error(cat("could not run sbatch: ", r.output));
        if (r.exit_code != 0)
            throw Error(cat("sbatch failed (", describe_exit(r.exit_code), "): ", process::last_lines(r.output)));
        job_id = split(process::last_lines(r.output, 100), ';').front();
        while (!job_id.empty() && (job_id.back() == '\n' || job_id.back() == ' ')) job_id.pop_back();
        if (const size_t nl = job_id.rfind('\n'); nl != std::string::npos) job_id = job_id.substr(nl + 1);
        if (job_id.empty() || job_id.find_first_not_of("0123456789") != std::string::npos)
            throw Error(cat("sbatch answered '", r.output, "', not a job id"));
        submissions.push_back({{"job_id", job_id},
                               {"indices", indices},
                               {"submitted", std::time(nullptr)},
                               {"script", script_path.string()}});
        save_json(submissions_file(batch), submissions);
        std::printf("batch %s: submitted %zu jobs as Slurm array %s (tasks %s); script %s\n", batch.name.c_str(),
                    indices.size(), job_id.c_str(), array_spec(indices).c_str(), script_path.string().c_str());
        std::fflush(stdout);
        if (!o.follow) {
            std::printf("follow it with `splatscape batch %s --runner slurm --attach`\n", batch.path.string().c_str());
            return 0;
        }
    }

    const auto t0 = Clock::now();
    if (!follow(batch, o, job_id, indices, status)) {
        std::printf("stopped following; Slurm array %s goes on. Follow it again with `splatscape batch %s --runner "
                    "slurm --attach`, or stop it with `scancel %s`\n",
                    job_id.c_str(), batch.path.string().c_str(), job_id.c_str());
        return 130;
    }
    const Summary summary = make_summary(batch, status, cat("slurm array ", job_id),
                                         std::chrono::duration<double>(Clock::now() - t0).count());
    write_summary(batch, summary);
    std::printf("%s\nsummary: %s and %s\n", summary.markdown.c_str(), (batch.state_dir / "summary.md").string().c_str(),
                (batch.state_dir / "summary.json").string().c_str());
    for (int i : indices)
        if (status[size_t(i)].state != JobState::Done) return 1;
    return 0;
}

} // namespace splatscape::batch
