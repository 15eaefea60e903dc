#include "app/batch/jobs.hpp"

#include <glob.h>
#include <unistd.h>

#include <map>
#include <set>

#include "core/error.hpp"
#include "core/partition/partition_plan.hpp"

namespace splatscape::batch {

namespace fs = std::filesystem;

namespace {

const std::set<std::string> kJobKeys = {"name",        "data",   "plan",    "cells", "output", "model",
                                        "iters",       "device", "threads", "seed",  "config", "checkpoint_every",
                                        "probe_every", "eval",   "args"};
const std::set<std::string> kDefaultKeys = {"output",      "model", "iters",  "device",
                                            "threads",     "seed",  "config", "checkpoint_every",
                                            "probe_every", "eval",  "args"};

std::string safe_name(const std::string& s) {
    std::string out;
    for (char c : s) out += (std::isalnum(static_cast<unsigned char>(c)) || c == '.' || c == '_' || c == '-') ? c : '_';
    while (!out.empty() && out.front() == '.') out.erase(out.begin());
    return out.empty() ? std::string("job") : out;
}

bool is_glob(const std::string& s) {
    return s.find_first_of("*?[") != std::string::npos;
}

fs::path resolve(const fs::path& base, const std::string& p) {
    const fs::path path(p);
    return (path.is_absolute() ? path : base / path).lexically_normal();
}

std::string replace_all(std::string s, const std::string& from, const std::string& to) {
    for (size_t at = s.find(from); at != std::string::npos; at = s.find(from, at + to.size()))
        s.replace(at, from.size(), to);
    return s;
}

// The folders a glob matches, sorted.
std::vector<fs::path> glob_folders(const std::string& pattern) {
    glob_t g{};
    std::vector<fs::path> out;
    const int rc = glob(pattern.c_str(), GLOB_MARK, nullptr, &g);
    if (rc == 0)
        for (size_t i = 0; i < g.gl_pathc; ++i) {
            std::string p = g.gl_pathv[i];
            if (!p.empty() && p.back() == '/') {
                p.pop_back();
                out.emplace_back(p);
            }
        }
    globfree(&g);
    return out;
}

// The settings of one job entry over the defaults.
void apply(Job& job, const Json& e, const std::string& field, const std::string& where, const fs::path& base) {
    for (auto it = e.begin(); it != e.end(); ++it) {
        const std::string k = it.key(), f = field + "." + k;
        if (k == "model")
            job.model = json_string(*it, f, where);
        else if (k == "iters")
            job.iterations = json_int(*it, f, where, 1, 10000000);
        else if (k == "device")
            job.device = json_string(*it, f, where);
        else if (k == "threads")
            job.threads = json_int(*it, f, where, 0, 4096);
        else if (k == "seed") {
            const double s = json_number(*it, f, where);
            if (s < 0 || s > 9.0e15 || s != std::floor(s)) throw Error(where, f, "expected a non-negative integer");
            job.seed = uint64_t(s);
        } else if (k == "checkpoint_every")
            job.checkpoint_every = json_int(*it, f, where, 0, 10000000);
        else if (k == "probe_every")
            job.probe_every = json_int(*it, f, where, 0, 10000000);
        else if (k == "eval")
            job.evaluate = json_bool(*it, f, where);
        else if (k == "config") {
            if (it->is_string()) {
                job.config_file = resolve(base, it->get<std::string>());
                job.config = nullptr;
            } else if (it->is_object()) {
                if (!job.config.is_object()) job.config = Json::object();
                job.config.update(*it); // a job's keys over the defaults' keys
                job.config_file.clear();
            } else
                throw Error(where, f, "expected an object of model settings or the path of a JSON file");
        } else if (k == "args") {
            if (!it->is_array()) throw Error(where, f, "expected a list of `splatscape train` arguments");
            job.extra_args.clear();
            for (size_t i = 0; i < it->size(); ++i)
                job.extra_args.push_back(json_string((*it)[i], cat(f, "[", i, "]"), where));
        }
    }
    if (!job.config.is_null() && !job.config_file.empty()) throw Error(where, field + ".config", "give settings once");
}

void check_keys(const Json& e, const std::set<std::string>& allowed, const std::string& field,
                const std::string& where) {
    if (!e.is_object()) throw Error(where, field, cat("expected an object, found ", e.type_name()));
    for (auto it = e.begin(); it != e.end(); ++it)
        if (!allowed.count(it.key())) {
            std::string list;
            for (const auto& k : allowed) {
                if (!list.empty()) list += ", ";
                list += k;
            }
            throw Error(where, field + "." + it.key(), cat("unknown setting (expected one of ", list, ")"));
        }
}

} // namespace

JobsFile read_jobs_file(const fs::path& path) {
    JobsFile b;
    b.path = fs::absolute(path).lexically_normal();
    const std::string where = b.path.string();
    const fs::path base = b.path.parent_path();
    const Json j = load_json(b.path);
    if (!j.is_object()) throw Error(where, "(root)", cat("expected an object, found ", j.type_name()));
    for (auto it = j.begin(); it != j.end(); ++it)
        if (it.key() != "name" && it.key() != "state_dir" && it.key() != "defaults" && it.key() != "jobs")
            throw Error(where, it.key(), "unknown setting (expected name, state_dir, defaults, jobs)");
    b.name = j.contains("name") ? json_string(j["name"], "name", where) : b.path.stem().string();
    b.name = safe_name(b.name);
    b.state_dir = j.contains("state_dir") ? resolve(base, json_string(j["state_dir"], "state_dir", where))
                                          : base / (b.path.stem().string() + ".batch");
    Job defaults;
    std::string default_output = "runs/{name}";
    if (j.contains("defaults")) {
        check_keys(j["defaults"], kDefaultKeys, "defaults", where);
        apply(defaults, j["defaults"], "defaults", where, base);
        if (j["defaults"].contains("output"))
            default_output = json_string(j["defaults"]["output"], "defaults.output", where);
    }
    const Json& list = json_member(j, "jobs", "", where);
    if (!list.is_array() || list.empty()) throw Error(where, "jobs", "expected a non-empty list of jobs");
    if (list.size() > 100000) throw Error(where, "jobs", "more than 100000 entries");

    for (size_t i = 0; i < list.size(); ++i) {
        const std::string field = cat("jobs[", i, "]");
        const Json& e = list[i];
        check_keys(e, kJobKeys, field, where);
        Job job = defaults;
        apply(job, e, field, where, base);
        const std::string output =
            e.contains("output") ? json_string(e["output"], field + ".output", where) : default_output;
        const bool has_data = e.contains("data"), has_plan = e.contains("plan");
        if (has_data == has_plan) throw Error(where, field, "give \"data\" (a dataset folder or a glob) or \"plan\"");
        if (e.contains("cells") && !has_plan) throw Error(where, field + ".cells", "only for a \"plan\" job");

        auto add = [&](Job one, const std::string& name, const std::string& default_out) {
            one.name = safe_name(name);
            const std::string out =
                e.contains("output") || default_out.empty() ? replace_all(output, "{name}", one.name) : default_out;
            one.output = resolve(base, out);
            one.index = int(b.jobs.size());
            b.jobs.push_back(std::move(one));
        };
        if (has_plan) {
            const fs::path plan_dir = plan_folder(resolve(base, json_string(e["plan"], field + ".plan", where)));
            const PartitionPlan plan = read_partition_plan(plan_dir);
            std::vector<int> cells;
            if (e.contains("cells")) {
                const Json& c = e["cells"];
                if (!c.is_array()) throw Error(where, field + ".cells", "expected a list of cell indices");
                for (size_t k = 0; k < c.size(); ++k)
                    cells.push_back(
                        json_int(c[k], cat(field, ".cells[", k, "]"), where, 0, int(plan.cells.size()) - 1));
            } else {
                for (const PlanCell& c : plan.cells) cells.push_back(c.index);
            }
            const std::string prefix = e.contains("name") ? json_string(e["name"], field + ".name", where) + "_" : "";
            for (int c : cells) {
                Job one = job;
                one.plan = plan_dir;
                one.cell = c;
                add(one, prefix + cell_name(c), (plan_dir / "runs" / cell_name(c)).string());
            }
            continue;
        }
        const std::string data = json_string(e["data"], field + ".data", where);
        if (is_glob(data)) {
            const std::vector<fs::path> folders = glob_folders(resolve(base, data).string());
            if (folders.empty()) throw Error(where, field + ".data", cat("'", data, "' matches no folder"));
            if (e.contains("name")) throw Error(where, field + ".name", "a glob names its jobs after the folders");
            if (e.contains("output") && output.find("{name}") == std::string::npos)
                throw Error(where, field + ".output", "a glob's output needs {name} (one run folder per dataset)");
            for (const fs::path& f : folders) {
                Job one = job;
                one.data = f;
                add(one, f.filename().string(), "");
            }
        } else {
            job.data = resolve(base, data);
            const std::string name =
                e.contains("name") ? json_string(e["name"], field + ".name", where) : job.data.filename().string();
            add(job, name, "");
        }
    }

    std::map<std::string, int> names;
    std::map<fs::path, int> outputs;
    for (const Job& job : b.jobs) {
        if (auto [it, fresh] = names.emplace(job.name, job.index); !fresh)
            throw Error(where, "jobs",
                        cat("two jobs are named '", job.name, "' (jobs ", it->second, " and ", job.index,
                            "); give them names"));
        if (auto [it, fresh] = outputs.emplace(job.output, job.index); !fresh)
            throw Error(
                where, "jobs",
                cat("jobs ", it->second, " and ", job.index, " write the same run folder ", job.output.string()));
    }
    return b;
}

fs::path config_path(const JobsFile& batch, const Job& job) {
    if (!job.config_file.empty()) return job.config_file;
    if (job.config.is_object()) return batch.state_dir / "configs" / (job.name + ".json");
    return {};
}

std::vector<std::string> train_command(const Job& job, const CommandOptions& o) {
    std::vector<std::string> c = {o.executable, "train"};
    if (o.resume) {
        c.push_back("--resume");
    } else if (!job.plan.empty()) {
        c.insert(c.end(), {"--plan", job.plan.string(), "--cell", std::to_string(job.cell)});
    } else {
        c.push_back(job.data.string());
    }
    c.insert(c.end(), {"-o", job.output.string()});
    if (o.resume && !job.plan.empty())
        c.insert(c.end(), {"--plan", job.plan.string(), "--cell", std::to_string(job.cell)});
    c.insert(c.end(), {"--progress-json", job.progress_file().string()});
    c.insert(c.end(), {"--device", o.device.empty() ? job.device : o.device});
    const int threads = o.threads >= 0 ? o.threads : job.threads;
    if (threads > 0) c.insert(c.end(), {"--threads", std::to_string(threads)});
    if (job.iterations > 0) c.insert(c.end(), {"--iters", std::to_string(job.iterations)});
    if (!o.resume) {
        // The run's own settings: a resumed run keeps those in its checkpoint.
        c.insert(c.end(), {"--model", job.model});
        if (!o.config_file.empty()) c.insert(c.end(), {"--config", o.config_file.string()});
        if (job.seed) c.insert(c.end(), {"--seed", std::to_string(*job.seed)});
        if (job.checkpoint_every) c.insert(c.end(), {"--checkpoint-every", std::to_string(*job.checkpoint_every)});
        if (job.probe_every) c.insert(c.end(), {"--probe-every", std::to_string(*job.probe_every)});
        if (!job.evaluate) c.push_back("--no-eval");
        if (o.force) c.push_back("--force");
        c.insert(c.end(), job.extra_args.begin(), job.extra_args.end());
    }
    return c;
}

std::string shell_quote(const std::string& a) {
    if (!a.empty() && a.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_-./=:,+@%") ==
                          std::string::npos)
        return a;
    std::string q = "'";
    for (char c : a) q += c == '\'' ? std::string("'\\''") : std::string(1, c);
    return q + "'";
}

std::string shell_join(const std::vector<std::string>& args) {
    std::string s;
    for (const auto& a : args) {
        if (!s.empty()) s += ' ';
        s += shell_quote(a);
    }
    return s;
}

fs::path current_executable() {
    std::error_code ec;
    const fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path("splatscape") : p;
}

} // namespace splatscape::batch
