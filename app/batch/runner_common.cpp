#include "app/batch/runner.hpp"

#include <cstdio>
#include <sstream>

#include "core/error.hpp"
#include "core/log.hpp"

namespace splatscape::batch {

namespace fs = std::filesystem;

namespace {

// What `train --force` and a fresh batch remove, so no stale result is mistaken for the new run's.
const char* const kRunResults[] = {"checkpoint.bin", "eval.json", "metrics.jsonl", "point_cloud.ply",
                                   "progress.json",  "cell.ply",  "cell.json"};

} // namespace

std::vector<JobStatus> prepare_jobs(const JobsFile& batch, const RunOptions& o) {
    std::vector<JobStatus> status(batch.jobs.size());
    std::vector<const Job*> holding;
    for (size_t i = 0; i < batch.jobs.size(); ++i) {
        const Job& job = batch.jobs[i];
        if (o.resume) {
            if (run_finished(job)) {
                status[i].state = JobState::Skipped;
                status[i].progress = read_progress(job.progress_file());
            } else {
                status[i].resumed = fs::exists(job.output / "checkpoint.bin");
            }
        } else if (fs::exists(job.output / "checkpoint.bin") || fs::exists(job.progress_file())) {
            holding.push_back(&job);
        }
    }
    if (!holding.empty() && !o.force) {
        std::string list;
        for (size_t k = 0; k < holding.size() && k < 5; ++k) list += "\n  " + holding[k]->output.string();
        if (holding.size() > 5) list += cat("\n  ... and ", holding.size() - 5, " more");
        throw UsageError(cat(holding.size(), " run folder", holding.size() > 1 ? "s hold" : " holds", " a run already:",
                             list, "\npass --resume to finish what is unfinished, or --force to start every job over"));
    }
    if (o.force && !o.dry_run)
        for (const Job* job : holding)
            for (const char* f : kRunResults) fs::remove(job->output / f);
    return status;
}

void write_job_configs(const JobsFile& batch) {
    for (const Job& job : batch.jobs)
        if (job.config.is_object()) {
            const fs::path p = config_path(batch, job);
            fs::create_directories(p.parent_path());
            save_json(p, job.config);
        }
}

fs::path job_log(const JobsFile& batch, const Job& job) {
    char prefix[16];
    std::snprintf(prefix, sizeof prefix, "%03d_", job.index);
    return batch.state_dir / "logs" / (prefix + job.name + ".log");
}

std::string array_spec(const std::vector<int>& idx) {
    std::string s;
    for (size_t i = 0; i < idx.size();) {
        size_t j = i;
        while (j + 1 < idx.size() && idx[j + 1] == idx[j] + 1) ++j;
        if (!s.empty()) s += ',';
        s += std::to_string(idx[i]);
        if (j > i) {
            s += j == i + 1 ? ',' : '-';
            s += std::to_string(idx[j]);
        }
        i = j + 1;
    }
    return s;
}

std::string job_selection_script(const JobsFile& batch, const std::vector<int>& indices, const CommandOptions& base,
                                 const std::string& var, const fs::path& status_dir, bool logs,
                                 const fs::path& config_dir) {
    std::ostringstream s;
    s << "index=\"${" << var << ":?this script runs one job of the batch, chosen by $" << var << "}\"\n"
      << "case \"$index\" in\n";
    for (int i : indices) {
        const Job& job = batch.jobs[size_t(i)];
        CommandOptions fresh = base, resume = base;
        fresh.resume = false;
        fresh.config_file = !config_dir.empty() && job.config.is_object()
                                ? config_dir / ("config." + job.name + ".json")
                                : config_path(batch, job);
        resume.resume = true;
        s << i << ")\n"
          << "    name=" << shell_quote(job.name) << "\n"
          << "    out=" << shell_quote(job.output.string()) << "\n"
          << "    iters=" << (job.iterations > 0 ? std::to_string(job.iterations) : std::string("''")) << "\n";
        if (logs) s << "    log=" << shell_quote(job_log(batch, job).string()) << "\n";
        s << "    fresh=(" << shell_join(train_command(job, fresh)) << ")\n"
          << "    resume=(" << shell_join(train_command(job, resume)) << ")\n"
          << "    ;;\n";
    }
    s << "*)\n"
      << "    echo \"splatscape batch: no job has index $index\" >&2\n"
      << "    exit 2\n"
      << "    ;;\n"
      << "esac\n"
      << (logs ? "mkdir -p \"$(dirname \"$log\")\" && exec >>\"$log\" 2>&1\n" : "")
      << "if grep -qs '\"state\": \"finished\"' \"$out/progress.json\" &&\n"
      << "    { [ -z \"$iters\" ] || grep -qs \"\\\"iterations\\\": $iters,\" \"$out/progress.json\"; }; then\n"
      << "    echo \"splatscape batch: job $index ($name) has finished already\"\n"
      << "    exit 0\n"
      << "fi\n"
      << "# A checkpoint means an earlier attempt of this job ran (requeued, preempted, killed): continue it.\n"
      << "if [ -f \"$out/checkpoint.bin\" ]; then cmd=(\"${resume[@]}\"); else cmd=(\"${fresh[@]}\"); fi\n"
      << "echo \"splatscape batch: job $index ($name) on $(hostname) at $(date -u +%FT%TZ): ${cmd[*]}\"\n"
      << "\"${cmd[@]}\"\n"
      << "rc=$?\n";
    if (!status_dir.empty())
        s << "mkdir -p " << shell_quote(status_dir.string()) << " && echo \"$rc\" > "
          << shell_quote(status_dir.string()) << "/\"$index.tmp\" && mv -f " << shell_quote(status_dir.string())
          << "/\"$index.tmp\" " << shell_quote(status_dir.string()) << "/\"$index\"\n";
    s << "exit \"$rc\"\n";
    return s.str();
}

} // namespace splatscape::batch
