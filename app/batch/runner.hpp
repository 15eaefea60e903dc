#pragma once
// The runners of `splatscape batch`: local (processes on this machine, one per GPU or N on the
// CPU), Slurm (one job array, followed with squeue / sacct) and Kubernetes (an Indexed Job
// manifest). Each job is a `splatscape train` process; a job that fails never stops the others.
#include <filesystem>
#include <string>
#include <vector>

#include "app/batch/job_status.hpp"
#include "app/batch/jobs.hpp"

namespace splatscape::batch {

struct RunOptions {
    std::string runner = "local"; // local | slurm | k8s
    bool dry_run = false;
    bool resume = false;              // only jobs that are not finished, each from its checkpoint
    bool force = false;               // start over in run folders that hold runs
    std::filesystem::path executable; // the `splatscape` the jobs run (default: this one)

    // local
    std::vector<int> gpus; // one job per GPU at a time (--device cuda:N)
    int parallel = 1;      // without GPUs: jobs at a time, sharing the cores

    // slurm
    std::string partition, account, time_limit, memory, qos;
    int gpus_per_task = 0; // --gres=gpu:N
    int cpus_per_task = 0;
    int max_running = 0;                  // array throttle (%N)
    std::vector<std::string> sbatch_args; // more #SBATCH lines, e.g. "--constraint=a100"
    bool follow = true;                   // follow the array until it ends
    bool attach = false;                  // follow the last submitted array again instead of submitting
    double poll_seconds = 2.0;

    // k8s
    std::filesystem::path emit; // folder for the manifest
    std::string image = "splatscape:latest";
    std::string k8s_namespace;
    std::vector<std::string> volumes; // CLAIM:MOUNT_PATH (persistent volume claims)
    std::string exe_in_image = "splatscape";
};

// Which jobs this run starts, after the checks every runner shares: with --resume, finished jobs
// are Skipped; without it, run folders that hold a run are refused unless --force (which clears
// their results first, outside a dry run). Returns one status per job, Queued for those to run.
std::vector<JobStatus> prepare_jobs(const JobsFile& batch, const RunOptions& options);
// Writes the jobs' inline model settings to STATE/configs/ (not in a dry run).
void write_job_configs(const JobsFile& batch);
// The log file of a job (local runner and Slurm).
std::filesystem::path job_log(const JobsFile& batch, const Job& job);

// A bash fragment that picks a job by the index in `index_variable` and runs it: resuming from
// the run's checkpoint when there is one, else starting; a job whose run already finished exits 0.
// Shared by the Slurm script and the Kubernetes manifest. `status_dir`, when not empty, receives
// STATUS/<index> holding the exit code; `logs`: the job's output is appended to its job_log();
// `config_dir`, when not empty, is where inline model settings are found (as <job>.json) instead of
// config_path().
std::string job_selection_script(const JobsFile& batch, const std::vector<int>& indices, const CommandOptions& base,
                                 const std::string& index_variable, const std::filesystem::path& status_dir, bool logs,
                                 const std::filesystem::path& config_dir = {});

// Each returns the batch's exit code: 0 when every job is done, 1 when any failed or stopped,
// 130 when the batch itself was interrupted.
int run_local(const JobsFile& batch, const RunOptions& options);
int run_slurm(const JobsFile& batch, const RunOptions& options);
int emit_k8s(const JobsFile& batch, const RunOptions& options);

// Slurm array specifications: {0,1,2,5} -> "0-2,5".
std::string array_spec(const std::vector<int>& indices);
// The Slurm batch script of one array (the jobs `indices` may select).
std::string slurm_script(const JobsFile& batch, const std::vector<int>& indices, const RunOptions& options);
// The Kubernetes manifest (a ConfigMap with the job script, and an Indexed Job) as YAML.
std::string k8s_manifest(const JobsFile& batch, const RunOptions& options);

} // namespace splatscape::batch
