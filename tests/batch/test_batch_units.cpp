// `splatscape batch` without running trainings: jobs files, train command lines, the Slurm job
// script (executed with a stand-in for splatscape), the Kubernetes manifest, YAML, summaries and
// the progress file the trainings write.
#include <fstream>

#include <gtest/gtest.h>

#include "app/batch/job_status.hpp"
#include "app/batch/jobs.hpp"
#include "app/batch/runner.hpp"
#include "app/batch/yaml_writer.hpp"
#include "app/session/progress_file.hpp"
#include "core/file_util.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape {
namespace {

namespace fs = std::filesystem;
using namespace batch;

void write_text(const fs::path& p, const std::string& text) {
    fs::create_directories(p.parent_path());
    std::ofstream(p) << text;
}

// Three dataset folders (their content does not matter here) and a jobs file.
struct JobsFixture {
    test::TempDir dir{"batch_units"};
    JobsFixture() {
        for (const char* s : {"scans/a", "scans/b", "scans/c", "other/lego"}) fs::create_directories(dir / s);
        write_text(dir / "scans" / "notes.txt", "not a folder");
    }
    fs::path write(const std::string& json) {
        write_text(dir / "jobs.json", json);
        return dir / "jobs.json";
    }
};

TEST(BatchJobs, GlobsDefaultsAndOutputs) {
    JobsFixture f;
    const JobsFile b = read_jobs_file(f.write(R"({
        "defaults": {"iters": 500, "config": {"sh_degree": 1, "densify_until": 300}, "args": ["--scale-schedule"]},
        "jobs": [
            {"data": "scans/*", "output": "runs/{name}", "device": "cpu"},
            {"name": "lego big", "data": "other/lego", "iters": 900, "config": {"sh_degree": 3}, "seed": 7,
             "eval": false}
        ]})"));
    ASSERT_EQ(b.jobs.size(), 4u);
    EXPECT_EQ(b.name, "jobs");
    EXPECT_EQ(b.state_dir, f.dir.path() / "jobs.batch");
    EXPECT_EQ(b.jobs[0].name, "a");
    EXPECT_EQ(b.jobs[2].name, "c");
    EXPECT_EQ(b.jobs[2].output, f.dir.path() / "runs" / "c");
    EXPECT_EQ(b.jobs[0].data, f.dir.path() / "scans" / "a");
    EXPECT_EQ(b.jobs[0].device, "cpu");
    EXPECT_EQ(b.jobs[0].iterations, 500);
    EXPECT_EQ(b.jobs[3].name, "lego_big"); // file-name safe
    EXPECT_EQ(b.jobs[3].iterations, 900);
    EXPECT_EQ(b.jobs[3].output, f.dir.path() / "runs" / "lego_big");
    // A job's settings over the defaults', key by key.
    EXPECT_EQ(b.jobs[3].config["sh_degree"], 3);
    EXPECT_EQ(b.jobs[3].config["densify_until"], 300);
    EXPECT_EQ(b.jobs[0].config["sh_degree"], 1);
    for (size_t i = 0; i < b.jobs.size(); ++i) EXPECT_EQ(b.jobs[i].index, int(i));

    CommandOptions c;
    c.executable = "/opt/splatscape";
    c.config_file = config_path(b, b.jobs[3]);
    const auto fresh = train_command(b.jobs[3], c);
    const std::string line = shell_join(fresh);
    EXPECT_EQ(fresh[0], "/opt/splatscape");
    EXPECT_EQ(fresh[1], "train");
    EXPECT_EQ(fresh[2], (f.dir.path() / "other" / "lego").string());
    for (const char* want : {"--iters 900", "--seed 7", "--no-eval", "--scale-schedule", "--model gs3d", "--config ",
                             "--progress-json ", "--device auto"})
        EXPECT_NE(line.find(want), std::string::npos) << want << " in " << line;
    c.resume = true;
    const std::string resumed = shell_join(train_command(b.jobs[3], c));
    EXPECT_NE(resumed.find("train --resume -o "), std::string::npos) << resumed;
    // A resumed run keeps its own settings: no model, config, seed or extra arguments.
    for (const char* absent : {"--config", "--seed", "--model", "--scale-schedule", "other/lego"})
        EXPECT_EQ(resumed.find(absent), std::string::npos) << absent << " in " << resumed;
    EXPECT_NE(resumed.find("--iters 900"), std::string::npos);
}

TEST(BatchJobs, BadFilesNameTheField) {
    JobsFixture f;
    auto expect_error = [&](const std::string& json, const std::string& needle) {
        try {
            read_jobs_file(f.write(json));
            ADD_FAILURE() << "accepted: " << json;
        } catch (const Error& e) {
            EXPECT_NE(std::string(e.what()).find(needle), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("jobs.json"), std::string::npos) << e.what();
        }
    };
    expect_error(R"({"jobs": []})", "jobs");
    expect_error(R"({"jobs": [{"data": "scans/a", "iter": 5}]})", "jobs[0].iter");
    expect_error(R"({"jobs": [{"data": "nothing/*"}]})", "matches no folder");
    expect_error(R"({"jobs": [{"data": "scans/*", "output": "runs/x"}]})", "{name}");
    expect_error(R"({"jobs": [{"data": "scans/a"}, {"data": "scans/a"}]})", "two jobs are named 'a'");
    expect_error(R"({"jobs": [{"data": "scans/a"}, {"name": "b", "data": "scans/b", "output": "runs/a"}]})",
                 "same run folder");
    expect_error(R"({"jobs": [{"data": "scans/a", "iters": -3}]})", "jobs[0].iters");
    expect_error(R"({"jobs": [{"data": "scans/a", "config": 5}]})", "jobs[0].config");
    expect_error(R"({"jobs": [{"output": "x"}]})", "give \"data\"");
    expect_error(R"({"jobs": [{"data": "scans/a", "args": "--x"}]})", "jobs[0].args");
    expect_error(R"({"defaults": {"data": "x"}, "jobs": [{"data": "scans/a"}]})", "defaults.data");
    expect_error(R"({"jobs": [{"data": "scans/a"}], "extra": 1})", "extra");
    expect_error(R"({"jobs": [{"data": "scans/a"})", "invalid JSON");
}

TEST(BatchJobs, ArraySpecs) {
    EXPECT_EQ(array_spec({0, 1, 2, 3}), "0-3");
    EXPECT_EQ(array_spec({0, 2, 3, 5, 6, 7, 9}), "0,2,3,5-7,9");
    EXPECT_EQ(array_spec({4}), "4");
    EXPECT_EQ(shell_quote("plain/path-1.2"), "plain/path-1.2");
    EXPECT_EQ(shell_quote("it's here"), "'it'\\''s here'");
    EXPECT_EQ(shell_quote(""), "''");
}

// The Slurm script's job selection, run by bash with a stand-in `splatscape` that records its
// arguments: job i runs as task i, fresh without a checkpoint, resumed with one, skipped when done.
TEST(BatchSlurm, ScriptSelectsStartsResumesAndSkips) {
    JobsFixture f;
    const JobsFile b = read_jobs_file(f.write(R"({"defaults": {"iters": 300},
        "jobs": [{"data": "scans/*", "output": "runs/{name}"}]})"));
    const fs::path fake = f.dir / "fake_splatscape";
    write_text(fake, "#!/bin/bash\necho \"$@\" > " + (f.dir / "args.txt").string() + "\nexit 3\n");
    fs::permissions(fake, fs::perms::owner_all);
    RunOptions o;
    o.executable = fake;
    o.partition = "gpu";
    o.account = "lab";
    o.time_limit = "2:00:00";
    o.gpus_per_task = 1;
    o.cpus_per_task = 8;
    o.sbatch_args = {"--constraint=a100"};
    const std::string script = slurm_script(b, {0, 1, 2}, o);
    for (const char* want :
         {"#SBATCH --gres=gpu:1", "#SBATCH --partition=gpu", "#SBATCH --account=lab", "#SBATCH --time=2:00:00",
          "#SBATCH --cpus-per-task=8", "#SBATCH --constraint=a100", "#SBATCH --signal=TERM@120", "SLURM_ARRAY_TASK_ID"})
        EXPECT_NE(script.find(want), std::string::npos) << want;
    write_text(f.dir / "batch.sh", script);
    ASSERT_EQ(test::run_command("bash -n " + (f.dir / "batch.sh").string()), 0) << script;

    auto run_task = [&](int task) {
        fs::remove(f.dir / "args.txt");
        const int rc =
            test::run_command("SLURM_ARRAY_TASK_ID=" + std::to_string(task) + " bash " + (f.dir / "batch.sh").string());
        std::string args;
        if (fs::exists(f.dir / "args.txt")) args = read_file_text(f.dir / "args.txt");
        return std::make_pair(rc, args);
    };
    auto [rc, args] = run_task(1);
    EXPECT_EQ(rc, 3); // the job's exit code is the task's
    EXPECT_NE(args.find("train " + (f.dir / "scans" / "b").string()), std::string::npos) << args;
    EXPECT_EQ(read_file_text(b.state_dir / "slurm" / "status" / "1"), "3\n");
    EXPECT_NE(read_file_text(job_log(b, b.jobs[1])).find("job 1 (b)"), std::string::npos);
    // With a checkpoint the task continues it.
    write_text(b.jobs[2].output / "checkpoint.bin", "x");
    std::tie(rc, args) = run_task(2);
    EXPECT_NE(args.find("train --resume -o " + b.jobs[2].output.string()), std::string::npos) << args;
    // A finished run (of the asked iteration count) is not run again; one of another count is.
    write_text(b.jobs[0].progress_file(), "{\n  \"iterations\": 300,\n  \"state\": \"finished\"\n}\n");
    std::tie(rc, args) = run_task(0);
    EXPECT_EQ(rc, 0);
    EXPECT_TRUE(args.empty()) << args;
    write_text(b.jobs[0].progress_file(), "{\n  \"iterations\": 200,\n  \"state\": \"finished\"\n}\n");
    std::tie(rc, args) = run_task(0);
    EXPECT_FALSE(args.empty());
    // An index no job has.
    std::tie(rc, args) = run_task(7);
    EXPECT_EQ(rc, 2);
}

TEST(BatchYaml, BlockStyleThatReadsBack) {
    nlohmann::ordered_json j = {{"apiVersion", "batch/v1"},
                                {"kind", "Job"},
                                {"list", {1, "two", true, nullptr}},
                                {"objects", {{{"name", "a"}, {"value", "yes"}}, {{"name", "b"}}}},
                                {"empty", nlohmann::ordered_json::object()},
                                {"script", "#!/bin/bash\necho \"hi\"\n"},
                                {"quoted", "a: b"},
                                {"number_like", "1"},
                                {"nvidia.com/gpu", "1"}};
    const std::string y = to_yaml(j);
    EXPECT_EQ(y, "apiVersion: batch/v1\n"
                 "kind: Job\n"
                 "list:\n"
                 "  - 1\n"
                 "  - two\n"
                 "  - true\n"
                 "  - null\n"
                 "objects:\n"
                 "  - name: a\n"
                 "    value: \"yes\"\n"
                 "  - name: b\n"
                 "empty: {}\n"
                 "script: |\n"
                 "  #!/bin/bash\n"
                 "  echo \"hi\"\n"
                 "quoted: \"a: b\"\n"
                 "number_like: \"1\"\n"
                 "nvidia.com/gpu: \"1\"\n");
}

TEST(BatchK8s, IndexedJobWithOneCompletionPerJob) {
    JobsFixture f;
    const JobsFile b =
        read_jobs_file(f.write(R"({"name": "Scans_2026", "jobs": [{"data": "scans/*", "output": "runs/{name}"}]})"));
    RunOptions o;
    o.gpus_per_task = 1;
    o.memory = "16Gi";
    o.volumes = {"scans-pvc:/data"};
    o.parallel = 2;
    const std::string y = k8s_manifest(b, o);
    for (const char* want :
         {"kind: ConfigMap", "kind: Job", "completionMode: Indexed", "completions: 3", "parallelism: 2",
          "backoffLimitPerIndex: 2", "nvidia.com/gpu: \"1\"", "memory: \"16Gi\"", "claimName: scans-pvc",
          "mountPath: /data", "name: splatscape-scans-2026", "JOB_COMPLETION_INDEX", "restartPolicy: Never"})
        EXPECT_NE(y.find(want), std::string::npos) << want << "\n" << y;
    RunOptions bad;
    bad.volumes = {"nopath"};
    EXPECT_THROW(k8s_manifest(b, bad), UsageError);
}

TEST(BatchSummary, TablesFromTheRunFolders) {
    JobsFixture f;
    const JobsFile b = read_jobs_file(f.write(R"({"jobs": [{"data": "scans/*", "output": "runs/{name}"}]})"));
    write_text(b.jobs[0].output / "eval.json", R"({"psnr": 31.5, "ssim": 0.95, "gaussians": 1234, "train_seconds": 65,
                                                   "iteration": 300})");
    std::vector<JobStatus> s(3);
    s[0].state = JobState::Done;
    s[0].wall_seconds = 70;
    s[1].state = JobState::Failed;
    s[1].exit_code = 137;
    s[1].message = describe_exit(137);
    s[2].state = JobState::Stopped;
    const Summary sum = make_summary(b, s, "local", 75);
    EXPECT_EQ(sum.json["done"], 1);
    EXPECT_EQ(sum.json["failed"], 1);
    EXPECT_EQ(sum.json["stopped"], 1);
    EXPECT_EQ(sum.json["jobs"][0]["psnr"], 31.5);
    EXPECT_EQ(sum.json["jobs"][0]["gaussians"], 1234);
    EXPECT_FALSE(sum.json["jobs"][1].contains("psnr"));
    EXPECT_NE(sum.markdown.find("| 0 | a | done | 31.50 | 0.9500 | 1234 | 300 | 1:05 | 1:10 |"), std::string::npos)
        << sum.markdown;
    EXPECT_NE(sum.markdown.find("killed by signal 9 (SIGKILL)"), std::string::npos) << sum.markdown;
    write_summary(b, sum);
    EXPECT_TRUE(fs::exists(b.state_dir / "summary.md"));
    EXPECT_EQ(load_json(b.state_dir / "summary.json")["batch"], "jobs");
    EXPECT_EQ(format_duration(3725), "1:02:05");
    EXPECT_EQ(describe_exit(130), "interrupted (checkpoint saved)");
}

TEST(BatchProgress, TheTrainingStatusFileReadsBack) {
    test::TempDir dir("batch_progress");
    const fs::path file = dir / "run" / "progress.json";
    ProgressFile p(file, std::chrono::milliseconds(0));
    EXPECT_EQ(read_progress(file)->state, "starting");
    p.on_message(msg::Started{100, 2000, 5000, "cpu", dir / "run"});
    msg::Progress pr;
    pr.iteration = 1000;
    pr.iterations = 2000;
    pr.iterations_per_second = 20;
    pr.gaussians = 6000;
    p.on_message(pr);
    p.on_message(msg::Probe{1000, 28.5, "test/r_0"});
    p.on_message(pr);
    auto r = read_progress(file);
    ASSERT_TRUE(r);
    EXPECT_EQ(r->state, "running");
    EXPECT_EQ(r->first_iteration, 100);
    EXPECT_EQ(r->iteration, 1000);
    EXPECT_EQ(r->gaussians, 6000u);
    EXPECT_DOUBLE_EQ(r->probe_psnr, 28.5);
    EXPECT_DOUBLE_EQ(r->eta, 50.0);
    EXPECT_GT(r->pid, 0);
    msg::Finished fin;
    fin.iteration = 2000;
    fin.completed = true;
    fin.evaluated = true;
    fin.psnr = 33.25;
    p.on_message(fin);
    EXPECT_EQ(read_progress(file)->state, "finished");
    EXPECT_DOUBLE_EQ(read_progress(file)->psnr, 33.25);
    p.fail("late"); // a finished run stays finished
    EXPECT_EQ(read_progress(file)->state, "finished");

    Job job;
    job.output = dir / "run";
    job.iterations = 2000;
    EXPECT_TRUE(run_finished(job));
    job.iterations = 3000;
    EXPECT_FALSE(run_finished(job)); // asked for more than it ran
    write_text(file, "{ broken");
    EXPECT_FALSE(read_progress(file));
}

} // namespace
} // namespace splatscape
