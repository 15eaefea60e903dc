#pragma once
// The jobs file of `splatscape batch`: which trainings to run, each one `splatscape train`
// process. Relative paths are relative to the jobs file. docs/batch.md describes the format:
//
//   {
//     "name": "captures",                       optional (default: the file's name)
//     "state_dir": "captures.batch",            optional: logs, status and summaries (default: beside the file)
//     "defaults": {"model": "gs3d", "iters": 7000, "config": {"sh_degree": 3}, "args": ["--scale-schedule"]},
//     "jobs": [
//       {"data": "scans/*", "output": "runs/{name}"},         a glob: one job per matching folder
//       {"name": "lego", "data": "nerf/lego", "output": "runs/lego", "iters": 30000},
//       {"plan": "city.plan"}                                one job per cell of a partition plan
//     ]
//   }
//
// A job's settings: data (folder or glob) or plan (+ optional "cells": [i, ...]), output, name,
// model, iters, device, threads, seed, config (an object of model settings, or a JSON file),
// checkpoint_every, probe_every, eval (false: --no-eval), args (more `train` arguments, a list).
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "core/json_util.hpp"

namespace splatscape::batch {

struct Job {
    int index = 0;              // position in the batch: the Slurm array task and Kubernetes completion index
    std::string name;           // unique in the batch; file-name safe
    std::filesystem::path data; // dataset folder (absolute); empty for a plan cell
    std::filesystem::path plan; // partition plan folder (absolute) for a cell job
    int cell = -1;
    std::filesystem::path output; // run folder (absolute)
    std::string model = "gs3d";
    int iterations = 0; // 0: the model's default
    std::string device = "auto";
    int threads = 0;
    std::optional<uint64_t> seed;
    Json config;                       // model settings (object) or null
    std::filesystem::path config_file; // a settings file given by path (absolute)
    std::optional<int> checkpoint_every;
    std::optional<int> probe_every;
    bool evaluate = true;
    std::vector<std::string> extra_args;

    std::filesystem::path progress_file() const { return output / "progress.json"; }
};

struct JobsFile {
    std::filesystem::path path; // the jobs file (absolute)
    std::string name;
    std::filesystem::path state_dir; // absolute
    std::vector<Job> jobs;
};

// Reads and expands a jobs file: globs become one job per folder, plans one job per cell. Throws
// Error naming the file and the field on bad input (unknown keys too), on a glob that matches no
// folder, and on two jobs with the same name or output.
JobsFile read_jobs_file(const std::filesystem::path& path);

// Where a job's model settings go when given inline (the batch writes them before running).
std::filesystem::path config_path(const JobsFile& batch, const Job& job);

// The `splatscape train` command line of a job. `resume`: continue from the run's checkpoint;
// `force`: start over in a folder that holds a run. `device` / `threads` override the job's when
// set (the local runner places jobs on GPUs and shares the CPU cores).
struct CommandOptions {
    std::string executable = "splatscape";
    bool resume = false;
    bool force = false;
    std::string device;
    int threads = -1;
    std::filesystem::path config_file; // the settings file to pass (config_path when inline settings exist)
};
std::vector<std::string> train_command(const Job& job, const CommandOptions& options);

// A command line for a POSIX shell (single quotes where needed).
std::string shell_quote(const std::string& arg);
std::string shell_join(const std::vector<std::string>& args);

// The executable running now (/proc/self/exe), for commands that must run the same build.
std::filesystem::path current_executable();

} // namespace splatscape::batch
