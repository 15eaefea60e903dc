// splatscape batch JOBS.json [--runner local|slurm|k8s]: many trainings, each a `splatscape train`
// process, on this machine's GPUs or CPU, as a Slurm job array, or as a Kubernetes Indexed Job.
// The runners live in app/batch/; docs/batch.md describes the jobs file and the outputs.
#include <cstdio>
#include <memory>
#include <sstream>

#include "app/batch/runner.hpp"
#include "app/cli/command.hpp"
#include "core/error.hpp"

namespace splatscape::cli {
namespace {

struct BatchArgs {
    std::string jobs;
    std::string gpus;
    batch::RunOptions run;
};

std::vector<int> parse_gpus(const std::string& list) {
    std::vector<int> gpus;
    std::stringstream in(list);
    std::string item;
    while (std::getline(in, item, ',')) {
        if (item.empty() || item.find_first_not_of("0123456789") != std::string::npos || item.size() > 4)
            throw UsageError(cat("--gpus: expected a list of GPU numbers like 0,1,3, got '", list, "'"));
        gpus.push_back(std::stoi(item));
    }
    return gpus;
}

int run_batch(BatchArgs a) {
    const batch::JobsFile jobs = batch::read_jobs_file(a.jobs);
    batch::RunOptions& o = a.run;
    if (!a.gpus.empty()) o.gpus = parse_gpus(a.gpus);
    if (o.resume && o.force) throw UsageError("--resume and --force contradict each other");
    if (o.runner == "local") {
        if (o.attach) throw UsageError("--attach follows a Slurm array (--runner slurm)");
        return batch::run_local(jobs, o);
    }
    if (!o.gpus.empty())
        throw UsageError("--gpus places jobs on this machine's GPUs (--runner local); on a cluster ask for "
                         "--gpus-per-task N");
    if (o.runner == "slurm") return batch::run_slurm(jobs, o);
    if (o.runner == "k8s") return batch::emit_k8s(jobs, o);
    throw UsageError(cat("--runner: expected local, slurm or k8s, got '", o.runner, "'"));
}

} // namespace

void add_batch(CLI::App& app, Registry& registry) {
    auto* cmd =
        app.add_subcommand("batch", "Run many trainings: on this machine, as a Slurm job array, or on Kubernetes");
    cmd->footer(
        "JOBS.json lists trainings (dataset folders or globs of them, or the cells of a partition plan) with\n"
        "their settings; see docs/batch.md. Each job is one `splatscape train` process writing its run folder.\n"
        "A live overview shows each job's state, iteration, PSNR and ETA; at the end STATE/summary.json and\n"
        "STATE/summary.md hold held-out PSNR / SSIM, Gaussians and times per job (STATE: beside JOBS.json,\n"
        "JOBS.batch/ unless the file names a state_dir). A job that fails does not stop the others; Ctrl-C\n"
        "stops the running jobs after their checkpoints. `--resume` reruns only what is not finished, each\n"
        "from its last checkpoint. Exit code 0 when every job is done, 1 when any failed or stopped.");
    auto a = std::make_shared<BatchArgs>();
    batch::RunOptions& o = a->run;
    cmd->add_option("jobs", a->jobs, "Jobs file (JSON)")->required();
    cmd->add_option("--runner", o.runner, "local, slurm or k8s")->capture_default_str();
    cmd->add_flag("--dry-run", o.dry_run, "Print what would run (commands, the Slurm script, the manifest) and stop");
    cmd->add_flag("--resume", o.resume, "Run only the jobs that have not finished, each from its last checkpoint");
    cmd->add_flag("--force", o.force, "Start every job over, also in run folders that hold runs");
    cmd->add_option("--exe", o.executable, "The splatscape executable the jobs run (default: this one)");
    auto* local = "Local runner";
    cmd->add_option("--gpus", a->gpus, "GPUs to use, one job on each at a time (e.g. 0,1,2,3)")->group(local);
    cmd->add_option("--parallel", o.parallel,
                    "Without --gpus: jobs at a time on the CPU, sharing its cores (k8s: pods at a time)")
        ->check(CLI::Range(1, 1024))
        ->capture_default_str()
        ->group(local);
    auto* slurm = "Slurm runner";
    cmd->add_option("--partition", o.partition, "Slurm partition")->group(slurm);
    cmd->add_option("--account", o.account, "Slurm account")->group(slurm);
    cmd->add_option("--qos", o.qos, "Slurm quality of service")->group(slurm);
    cmd->add_option("--time", o.time_limit,
                    "Time limit per job (Slurm's format, e.g. 4:00:00); the job saves a "
                    "checkpoint 2 minutes before it")
        ->group(slurm);
    cmd->add_option("--gpus-per-task", o.gpus_per_task, "GPUs per job (Slurm --gres=gpu:N; k8s nvidia.com/gpu)")
        ->check(CLI::Range(0, 64))
        ->group(slurm);
    cmd->add_option("--cpus-per-task", o.cpus_per_task, "CPU cores per job")->check(CLI::Range(0, 4096))->group(slurm);
    cmd->add_option("--mem", o.memory, "Memory per job (Slurm: 32G; k8s: 32Gi)")->group(slurm);
    cmd->add_option("--max-running", o.max_running, "At most this many array tasks at once (sbatch --array=...%N)")
        ->check(CLI::Range(0, 100000))
        ->group(slurm);
    cmd->add_option("--sbatch-arg", o.sbatch_args, "Another #SBATCH line, e.g. --sbatch-arg=--constraint=a100")
        ->group(slurm);
    cmd->add_flag(
           "--no-follow", [&o](int64_t) { o.follow = false; }, "Submit and return instead of following the array")
        ->group(slurm);
    cmd->add_flag("--attach", o.attach, "Follow the batch's last submitted array again")->group(slurm);
    cmd->add_option("--poll", o.poll_seconds, "Seconds between squeue polls")
        ->check(CLI::Range(0.1, 600.0))
        ->capture_default_str()
        ->group(slurm);
    auto* k8s = "Kubernetes runner";
    cmd->add_option("--emit", o.emit, "Folder for the manifest (job.yaml); without it, standard output")->group(k8s);
    cmd->add_option("--image", o.image, "Container image with splatscape on PATH")->capture_default_str()->group(k8s);
    cmd->add_option("--namespace", o.k8s_namespace, "Kubernetes namespace")->group(k8s);
    cmd->add_option("--volume", o.volumes, "CLAIM:/mount/path, a persistent volume claim holding the jobs' paths")
        ->group(k8s);
    cmd->add_option("--exe-in-image", o.exe_in_image, "splatscape inside the image")->capture_default_str()->group(k8s);
    cmd->callback([&registry, a] { registry.action = [a] { return run_batch(*a); }; });
}

} // namespace splatscape::cli
