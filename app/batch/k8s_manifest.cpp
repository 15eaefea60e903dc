// The Kubernetes runner writes a manifest and runs nothing: a ConfigMap holding the job script
// (the same selection as the Slurm script, by $JOB_COMPLETION_INDEX) and an Indexed Job with one
// completion per job, each pod one `splatscape train`. backoffLimitPerIndex retries a failed job
// on its own (resuming its checkpoint) without failing the others. `kubectl apply -f DIR/job.yaml`.
#include <cstdio>
#include <thread>

#include "app/batch/runner.hpp"
#include "app/batch/yaml_writer.hpp"
#include "core/error.hpp"
#include "core/file_util.hpp"

namespace splatscape::batch {

namespace fs = std::filesystem;
using OJson = nlohmann::ordered_json;

namespace {

// A DNS-1123 label: lower-case letters, digits and '-', starting and ending with an alphanumeric.
std::string dns_label(const std::string& s, size_t max_length) {
    std::string out;
    for (char c : s) {
        const char l = char(std::tolower(static_cast<unsigned char>(c)));
        out += std::isalnum(static_cast<unsigned char>(l)) ? l : '-';
    }
    while (!out.empty() && out.front() == '-') out.erase(out.begin());
    if (out.size() > max_length) out.resize(max_length);
    while (!out.empty() && out.back() == '-') out.pop_back();
    return out.empty() ? std::string("batch") : out;
}

} // namespace

std::string k8s_manifest(const JobsFile& batch, const RunOptions& o) {
    const std::string base = dns_label("splatscape-" + batch.name, 52);
    OJson labels = {{"app.kubernetes.io/name", "splatscape"}, {"splatscape.io/batch", dns_label(batch.name, 63)}};
    OJson meta_cm = {{"name", base + "-jobs"}}, meta_job = {{"name", base}};
    if (!o.k8s_namespace.empty()) meta_cm["namespace"] = meta_job["namespace"] = o.k8s_namespace;
    meta_cm["labels"] = meta_job["labels"] = labels;

    std::vector<int> all;
    for (const Job& j : batch.jobs) all.push_back(j.index);
    CommandOptions cmd;
    cmd.executable = o.exe_in_image;
    cmd.force = false; // a pod that finds a checkpoint continues it; a finished run is skipped
    const std::string script =
        "#!/bin/bash\n# Written by `splatscape batch " + batch.path.filename().string() +
        " --runner k8s`: completion index i runs job i.\n" +
        job_selection_script(batch, all, cmd, "JOB_COMPLETION_INDEX", {}, false, "/etc/splatscape");
    // The script, and the jobs' inline model settings beside it (config.<job>.json).
    OJson data = {{"run.sh", script}};
    for (const Job& j : batch.jobs)
        if (j.config.is_object()) data["config." + j.name + ".json"] = j.config.dump(2) + "\n";
    const OJson config_map = {{"apiVersion", "v1"}, {"kind", "ConfigMap"}, {"metadata", meta_cm}, {"data", data}};

    OJson resources = OJson::object();
    if (o.gpus_per_task > 0) resources["limits"]["nvidia.com/gpu"] = std::to_string(o.gpus_per_task);
    if (o.cpus_per_task > 0) resources["requests"]["cpu"] = std::to_string(o.cpus_per_task);
    if (!o.memory.empty()) {
        resources["requests"]["memory"] = o.memory;
        resources["limits"]["memory"] = o.memory;
    }
    OJson mounts = OJson::array({{{"name", "jobs"}, {"mountPath", "/etc/splatscape"}, {"readOnly", true}}});
    OJson volumes =
        OJson::array({{{"name", "jobs"}, {"configMap", {{"name", base + "-jobs"}, {"defaultMode", 0555}}}}});
    for (size_t i = 0; i < o.volumes.size(); ++i) {
        const std::string& v = o.volumes[i];
        const size_t colon = v.find(':');
        if (colon == std::string::npos || colon == 0 || colon + 1 >= v.size() || v[colon + 1] != '/')
            throw UsageError(cat("--volume ", v, ": expected CLAIM:/mount/path (a persistent volume claim)"));
        const std::string name = cat("data", i);
        mounts.push_back({{"name", name}, {"mountPath", v.substr(colon + 1)}});
        volumes.push_back({{"name", name}, {"persistentVolumeClaim", {{"claimName", v.substr(0, colon)}}}});
    }
    OJson container = {{"name", "train"},
                       {"image", o.image},
                       {"command", {"/bin/bash", "/etc/splatscape/run.sh"}},
                       {"resources", resources},
                       {"volumeMounts", mounts}};
    const int n = int(batch.jobs.size());
    const int parallel = o.parallel > 1 ? std::min(o.parallel, n) : n;
    OJson job = {
        {"apiVersion", "batch/v1"},
        {"kind", "Job"},
        {"metadata", meta_job},
        {"spec",
         {{"completionMode", "Indexed"},
          {"completions", n},
          {"parallelism", parallel},
          // A failed job is retried on its own (it resumes its checkpoint); the others go on.
          {"backoffLimitPerIndex", 2},
          {"template",
           {{"metadata", {{"labels", labels}}},
            {"spec",
             {{"restartPolicy", "Never"}, {"containers", OJson::array({container})}, {"volumes", volumes}}}}}}}};
    return "# splatscape batch " + batch.name + ": " + std::to_string(n) +
           " jobs as a Kubernetes Indexed Job (one completion per job). Apply with `kubectl apply -f`.\n"
           "# The jobs' paths must exist inside the container: mount the storage that holds them at the same\n"
           "# paths (--volume CLAIM:/path). backoffLimitPerIndex needs Kubernetes 1.29 or newer.\n" +
           to_yaml(config_map) + "---\n" + to_yaml(job);
}

int emit_k8s(const JobsFile& batch, const RunOptions& o) {
    const std::string yaml = k8s_manifest(batch, o);
    if (o.dry_run || o.emit.empty()) {
        std::fputs(yaml.c_str(), stdout);
        if (!o.dry_run) std::fprintf(stderr, "(no --emit DIR: the manifest went to standard output)\n");
        return 0;
    }
    fs::create_directories(o.emit);
    write_file_atomic(o.emit / "job.yaml", yaml);
    std::printf("wrote %s: an Indexed Job of %zu completions (one per job)%s\napply it with `kubectl apply -f %s`\n",
                (o.emit / "job.yaml").string().c_str(), batch.jobs.size(),
                o.gpus_per_task > 0 ? cat(", ", o.gpus_per_task, " GPU each").c_str() : "",
                (o.emit / "job.yaml").string().c_str());
    return 0;
}

} // namespace splatscape::batch
