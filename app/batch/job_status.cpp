#include "app/batch/job_status.hpp"

#include <cmath>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "core/error.hpp"
#include "core/file_util.hpp"

namespace splatscape::batch {

namespace fs = std::filesystem;

const char* to_string(JobState s) {
    switch (s) {
    case JobState::Queued:
        return "queued";
    case JobState::Running:
        return "running";
    case JobState::Done:
        return "done";
    case JobState::Failed:
        return "failed";
    case JobState::Stopped:
        return "stopped";
    case JobState::Skipped:
        return "skipped";
    }
    return "?";
}

bool is_final(JobState s) {
    return s == JobState::Done || s == JobState::Failed || s == JobState::Stopped || s == JobState::Skipped;
}

namespace {

double num(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_number() && std::isfinite(it->get<double>()) ? it->get<double>() : 0.0;
}

std::string str(const Json& j, const char* key) {
    auto it = j.find(key);
    return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

std::optional<Json> try_load(const fs::path& file) {
    std::error_code ec;
    if (!fs::exists(file, ec)) return std::nullopt;
    try {
        return load_json(file);
    } catch (const std::exception&) {
        return std::nullopt;
    }
}

} // namespace

std::optional<ProgressInfo> read_progress(const fs::path& file) {
    const auto j = try_load(file);
    if (!j || !j->is_object() || str(*j, "format") != "splatscape-progress") return std::nullopt;
    ProgressInfo p;
    p.state = str(*j, "state");
    p.pid = long(num(*j, "pid"));
    p.host = str(*j, "host");
    p.iteration = int(num(*j, "iteration"));
    p.first_iteration = int(num(*j, "first_iteration"));
    p.iterations = int(num(*j, "iterations"));
    p.probe_psnr = num(*j, "probe_psnr");
    p.rate = num(*j, "iterations_per_second");
    p.eta = num(*j, "eta_seconds");
    p.elapsed = num(*j, "elapsed_seconds");
    p.psnr = num(*j, "psnr");
    p.ssim = num(*j, "ssim");
    p.gaussians = size_t(num(*j, "gaussians"));
    p.evaluated = j->contains("evaluated") && (*j)["evaluated"].is_boolean() && (*j)["evaluated"].get<bool>();
    p.message = str(*j, "message");
    return p;
}

bool run_finished(const Job& job) {
    const auto p = read_progress(job.progress_file());
    if (!p || p->state != "finished") return false;
    return job.iterations <= 0 || p->iterations == job.iterations;
}

JobResult read_result(const Job& job) {
    JobResult r;
    if (const auto p = read_progress(job.progress_file())) {
        r.iteration = p->iteration;
        r.gaussians = p->gaussians;
        r.train_seconds = p->elapsed;
        r.psnr = p->psnr;
        r.ssim = p->ssim;
        r.evaluated = p->evaluated;
    }
    if (const auto e = try_load(job.output / "eval.json"); e && e->is_object()) {
        r.psnr = num(*e, "psnr");
        r.ssim = num(*e, "ssim");
        if (num(*e, "gaussians") > 0) r.gaussians = size_t(num(*e, "gaussians"));
        if (num(*e, "train_seconds") > 0) r.train_seconds = num(*e, "train_seconds");
        if (num(*e, "iteration") > 0) r.iteration = int(num(*e, "iteration"));
        r.evaluated = true;
    }
    return r;
}

std::string describe_exit(int code) {
    if (code == 0) return "exit code 0";
    if (code == 130) return "interrupted (checkpoint saved)";
    if (code > 128 && code < 128 + 65) {
        const char* name = sigabbrev_np(code - 128);
        return cat("killed by signal ", code - 128, name ? cat(" (SIG", name, ")") : std::string());
    }
    if (code == 2) return "exit code 2 (usage error)";
    return cat("exit code ", code);
}

std::string format_duration(double s) {
    if (!(s > 0) || !std::isfinite(s)) return "-";
    const long t = long(std::llround(s));
    char buf[32];
    if (t >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", t / 3600, (t / 60) % 60, t % 60);
    else
        std::snprintf(buf, sizeof buf, "%ld:%02ld", t / 60, t % 60);
    return buf;
}

Summary make_summary(const JobsFile& batch, const std::vector<JobStatus>& status, const std::string& runner,
                     double wall_seconds) {
    Summary s;
    s.batch = batch.name;
    s.runner = runner;
    s.wall_seconds = wall_seconds;
    Json jobs = Json::array();
    std::ostringstream md;
    md << "| # | job | state | PSNR (dB) | SSIM | Gaussians | iterations | train time | wall time | note |\n"
       << "|---:|---|---|---:|---:|---:|---:|---:|---:|---|\n";
    size_t counts[6] = {};
    double psnr_sum = 0;
    int psnr_n = 0;
    for (size_t i = 0; i < batch.jobs.size(); ++i) {
        const Job& job = batch.jobs[i];
        const JobStatus& st = status[i];
        const JobResult r = read_result(job);
        ++counts[int(st.state)];
        const bool ok = st.state == JobState::Done || st.state == JobState::Skipped;
        if (ok && r.evaluated) psnr_sum += r.psnr, ++psnr_n;
        Json j = {{"index", job.index},
                  {"name", job.name},
                  {"output", job.output.string()},
                  {"state", to_string(st.state)},
                  {"exit_code", st.exit_code},
                  {"iteration", r.iteration},
                  {"gaussians", r.gaussians},
                  {"train_seconds", r.train_seconds},
                  {"wall_seconds", st.wall_seconds},
                  {"resumed", st.resumed}};
        if (!job.data.empty()) j["data"] = job.data.string();
        if (!job.plan.empty()) j["plan"] = job.plan.string(), j["cell"] = job.cell;
        if (r.evaluated) j["psnr"] = r.psnr, j["ssim"] = r.ssim;
        if (!st.device.empty()) j["device"] = st.device;
        if (!st.message.empty()) j["message"] = st.message;
        if (!st.scheduler_state.empty()) j["scheduler_state"] = st.scheduler_state;
        jobs.push_back(j);

        char psnr[32] = "-", ssim[32] = "-";
        if (r.evaluated) {
            std::snprintf(psnr, sizeof psnr, "%.2f", r.psnr);
            std::snprintf(ssim, sizeof ssim, "%.4f", r.ssim);
        }
        std::string note = st.message;
        for (char& c : note)
            if (c == '|' || c == '\n') c = ' ';
        if (note.size() > 120) note = note.substr(0, 117) + "...";
        if (st.resumed) note = "resumed" + std::string(note.empty() ? "" : "; ") + note;
        md << "| " << job.index << " | " << job.name << " | " << to_string(st.state) << " | " << psnr << " | " << ssim
           << " | " << (r.gaussians ? std::to_string(r.gaussians) : "-") << " | "
           << (r.iteration ? std::to_string(r.iteration) : "-") << " | " << format_duration(r.train_seconds) << " | "
           << format_duration(st.wall_seconds) << " | " << note << " |\n";
    }
    std::ostringstream head;
    head << "# Batch " << batch.name << " (" << runner << ")\n\n"
         << batch.jobs.size() << " jobs: " << counts[int(JobState::Done)] + counts[int(JobState::Skipped)] << " done"
         << (counts[int(JobState::Skipped)] ? cat(" (", counts[int(JobState::Skipped)], " in an earlier run)") : "")
         << ", " << counts[int(JobState::Failed)] << " failed, " << counts[int(JobState::Stopped)] << " stopped, "
         << counts[int(JobState::Queued)] + counts[int(JobState::Running)] << " not run; wall time "
         << format_duration(wall_seconds);
    if (psnr_n) head << "; mean held-out PSNR " << cat(std::round(psnr_sum / psnr_n * 100) / 100) << " dB";
    head << ".\n\n";
    s.markdown = head.str() + md.str();
    s.json = {{"format", "splatscape-batch-summary"},
              {"batch", batch.name},
              {"jobs_file", batch.path.string()},
              {"runner", runner},
              {"wall_seconds", wall_seconds},
              {"done", counts[int(JobState::Done)] + counts[int(JobState::Skipped)]},
              {"failed", counts[int(JobState::Failed)]},
              {"stopped", counts[int(JobState::Stopped)]},
              {"not_run", counts[int(JobState::Queued)] + counts[int(JobState::Running)]},
              {"jobs", jobs}};
    if (psnr_n) s.json["mean_psnr"] = psnr_sum / psnr_n;
    return s;
}

void write_summary(const JobsFile& batch, const Summary& s) {
    fs::create_directories(batch.state_dir);
    save_json(batch.state_dir / "summary.json", s.json);
    write_file_atomic(batch.state_dir / "summary.md", s.markdown);
}

} // namespace splatscape::batch
