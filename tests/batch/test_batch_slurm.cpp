// `splatscape batch --runner slurm` on a real Slurm: a single-node cluster started here from
// Debian's slurm-wlm and munge (a munge key and socket, slurmctld and slurmd as root, a generated
// slurm.conf, all in a temporary folder, torn down at the end). Three short trainings of the
// built-in scene run as one job array; one task is killed mid-run, the batch reports it, and
// `--resume` resubmits it alone, continuing from its checkpoint. Skipped, with a message, where
// the packages are not installed (scripts/install-deps.sh --test installs them) or not as root.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pwd.h>
#include <sys/socket.h>

#include <fstream>
#include <random>

#include <gtest/gtest.h>

#include "core/file_util.hpp"
#include "core/json_util.hpp"
#include "core/process/subprocess.hpp"
#include "tests/batch/batch_test_support.hpp"

namespace splatscape {
namespace {

namespace fs = std::filesystem;

bool port_free(int port) {
    const int s = socket(AF_INET, SOCK_STREAM, 0);
    if (s < 0) return false;
    sockaddr_in a{};
    a.sin_family = AF_INET;
    a.sin_port = htons(uint16_t(port));
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    const bool ok = bind(s, reinterpret_cast<sockaddr*>(&a), sizeof a) == 0;
    close(s);
    return ok;
}

std::string short_hostname() {
    char buf[256] = {};
    gethostname(buf, sizeof buf - 1);
    std::string h = buf;
    return h.substr(0, h.find('.'));
}

long read_pid(const fs::path& file) {
    try {
        return std::stol(read_file_text(file, 64));
    } catch (const std::exception&) {
        return 0;
    }
}

// A one-node Slurm cluster in a folder, up for the lifetime of the object. SLURM_CONF points the
// client commands (sbatch, squeue, scontrol, sacct) at it.
class SlurmCluster {
public:
    explicit SlurmCluster(const fs::path& dir) : m_dir(dir) {}
    ~SlurmCluster() { stop(); }

    // Empty on success, else why not.
    std::string start() {
        const passwd* munge = getpwnam("munge");
        if (!munge) return "no 'munge' user";
        const fs::path m = m_dir / "munge", key_dir = m / "key";
        fs::create_directories(key_dir);
        // munged insists: socket folder traversable by all, key private to the munge user.
        fs::permissions(m, fs::perms(0711));
        std::random_device rd;
        std::string key(1024, '\0');
        for (char& c : key) c = char(rd());
        test::write_bytes(key_dir / "munge.key", key);
        fs::permissions(key_dir / "munge.key", fs::perms(0400));
        fs::permissions(key_dir, fs::perms(0700));
        if (chown(m.c_str(), munge->pw_uid, munge->pw_gid) != 0 ||
            chown(key_dir.c_str(), munge->pw_uid, munge->pw_gid) != 0 ||
            chown((key_dir / "munge.key").c_str(), munge->pw_uid, munge->pw_gid) != 0)
            return "cannot hand the munge key to the munge user";
        // The test's folders must be traversable by munge up to the socket.
        for (fs::path p = m_dir; !p.empty() && p != p.root_path(); p = p.parent_path()) {
            std::error_code ec;
            fs::permissions(p, fs::perms::others_exec, fs::perm_options::add, ec);
        }
        const std::string socket = (m / "munge.socket").string();
        std::string out;
        if (test::run_command(
                "su -s /bin/sh munge -c '/usr/sbin/munged --key-file=" + (key_dir / "munge.key").string() +
                    " --socket=" + socket + " --pid-file=" + (key_dir / "munged.pid").string() + " --log-file=" +
                    (key_dir / "munged.log").string() + " --seed-file=" + (key_dir / "seed").string() + "'",
                &out) != 0)
            return "munged did not start: " + out;
        m_munged = read_pid(key_dir / "munged.pid");

        int ctld = 0;
        std::mt19937 rng(std::random_device{}());
        for (int tries = 0; tries < 50 && !ctld; ++tries) {
            const int p = 20000 + int(rng() % 20000);
            if (port_free(p) && port_free(p + 1)) ctld = p;
        }
        if (!ctld) return "no free ports";
        for (const char* d : {"state", "spool", "log"}) fs::create_directories(m_dir / d);
        const std::string host = short_hostname();
        m_conf = m_dir / "slurm.conf";
        std::ofstream(m_conf)
            << "ClusterName=splatscapetest\n"
            << "SlurmctldHost=" << host << "(127.0.0.1)\n"
            << "SlurmUser=root\nSlurmdUser=root\n"
            << "SlurmctldPort=" << ctld << "\nSlurmdPort=" << ctld + 1 << "\n"
            << "AuthType=auth/munge\nCredType=cred/munge\nAuthInfo=socket=" << socket << "\n"
            << "StateSaveLocation=" << (m_dir / "state").string() << "\n"
            << "SlurmdSpoolDir=" << (m_dir / "spool").string() << "\n"
            << "SlurmctldPidFile=" << (m_dir / "slurmctld.pid").string() << "\n"
            << "SlurmdPidFile=" << (m_dir / "slurmd.pid").string() << "\n"
            << "SlurmctldLogFile=" << (m_dir / "log" / "slurmctld.log").string() << "\n"
            << "SlurmdLogFile=" << (m_dir / "log" / "slurmd.log").string() << "\n"
            << "ProctrackType=proctrack/linuxproc\nTaskPlugin=task/none\n"
            << "JobAcctGatherType=jobacct_gather/none\nAccountingStorageType=accounting_storage/none\n"
            << "JobCompType=jobcomp/none\nSchedulerType=sched/backfill\n"
            << "SelectType=select/cons_tres\nSelectTypeParameters=CR_Core\n"
            << "ReturnToService=2\nMpiDefault=none\nSwitchType=switch/none\nMinJobAge=600\n"
            << "NodeName=" << host << " NodeAddr=127.0.0.1 CPUs=2 RealMemory=2000 State=UNKNOWN\n"
            << "PartitionName=test Nodes=" << host << " Default=YES MaxTime=INFINITE State=UP\n";
        setenv("SLURM_CONF", m_conf.c_str(), 1);
        if (test::run_command("/usr/sbin/slurmctld -f " + m_conf.string(), &out) != 0) return "slurmctld: " + out;
        if (test::run_command("/usr/sbin/slurmd -f " + m_conf.string(), &out) != 0) return "slurmd: " + out;
        const bool idle = test::wait_until(
            [&] {
                std::string s;
                return test::run_command("sinfo -h -o %T", &s) == 0 && s.find("idle") != std::string::npos;
            },
            std::chrono::seconds(30), std::chrono::milliseconds(250));
        if (!idle) return "the node did not come up:\n" + read_file_text(m_dir / "log" / "slurmctld.log");
        return "";
    }

    void stop() {
        if (!m_conf.empty()) {
            // Jobs first (their slurmstepd would outlive slurmd), then the daemons.
            test::run_command("scancel --full --signal=KILL --user=root");
            test::wait_until(
                [] {
                    std::string s;
                    return test::run_command("squeue -h", &s) != 0 || s.empty();
                },
                std::chrono::seconds(15), std::chrono::milliseconds(250));
            for (const char* pid : {"slurmd.pid", "slurmctld.pid"})
                if (const long p = read_pid(m_dir / pid)) kill(pid_t(p), SIGTERM);
            unsetenv("SLURM_CONF");
            m_conf.clear();
        }
        if (m_munged) kill(pid_t(m_munged), SIGTERM);
        m_munged = 0;
    }

private:
    fs::path m_dir;
    fs::path m_conf;
    long m_munged = 0;
};

TEST(BatchSlurm, ArrayKillResumeOnARealScheduler) {
    for (const char* tool : {"/usr/sbin/munged", "/usr/sbin/slurmctld", "/usr/sbin/slurmd", "/usr/bin/sbatch"})
        if (!fs::exists(tool))
            GTEST_SKIP() << tool
                         << " is not installed (Debian packages slurm-wlm and munge; scripts/install-deps.sh "
                            "--test installs them); skipping the Slurm test";
    if (geteuid() != 0) GTEST_SKIP() << "starting slurmctld and slurmd needs root; skipping the Slurm test";

    test::TempDir dir("batch_slurm_e2e");
    SlurmCluster cluster(dir / "slurm");
    const std::string why = cluster.start();
    ASSERT_TRUE(why.empty()) << why;

    test::write_tiny_scene(dir / "scene");
    std::ofstream(dir / "jobs.json") << R"({
        "defaults": {"iters": 300, "checkpoint_every": 50, "probe_every": 100, "device": "cpu", "threads": 1},
        "jobs": [
            {"name": "a", "data": "scene", "output": "runs/a"},
            {"name": "b", "data": "scene", "output": "runs/b", "seed": 1},
            {"name": "c", "data": "scene", "output": "runs/c", "seed": 2}
        ]})";
    const fs::path jobs = dir / "jobs.json";
    const std::string batch =
        test::splatscape_exe().string() + " batch " + jobs.string() + " --runner slurm --cpus-per-task 1 --poll 0.5";
    {
        test::BackgroundCommand run(batch, dir / "batch1.log");
        // Task 1 is killed mid-run, as a crashed node or an OOM kill would. It may wait for a free CPU
        // behind the others, and beside other tests a run goes slower: up to 120 s was seen under ctest -j2.
        const long killed = test::kill_run_after(dir / "runs" / "b" / "progress.json", 120, std::chrono::seconds(240));
        ASSERT_GT(killed, 0) << read_file_text(dir / "batch1.log");
        EXPECT_EQ(run.wait(), 1) << read_file_text(dir / "batch1.log");
    }
    const std::string log1 = read_file_text(dir / "batch1.log");
    EXPECT_NE(log1.find("submitted 3 jobs as Slurm array"), std::string::npos) << log1;
    const Json s1 = load_json(dir / "jobs.batch" / "summary.json");
    EXPECT_EQ(s1["jobs"][0]["state"], "done") << log1;
    EXPECT_EQ(s1["jobs"][1]["state"], "failed") << log1;
    EXPECT_NE(s1["jobs"][1]["message"].get<std::string>().find("killed by signal 9"), std::string::npos) << s1.dump(2);
    EXPECT_EQ(s1["jobs"][2]["state"], "done") << log1;

    std::string log2;
    EXPECT_EQ(test::run_command(batch + " --resume", &log2), 0) << log2;
    EXPECT_NE(log2.find("(tasks 1)"), std::string::npos) << "only the killed job is resubmitted:\n" << log2;
    const Json s2 = load_json(dir / "jobs.batch" / "summary.json");
    for (int i = 0; i < 3; ++i) {
        EXPECT_EQ(s2["jobs"][i]["state"], i == 1 ? "done" : "skipped") << log2;
        EXPECT_EQ(s2["jobs"][i]["iteration"], 300);
    }
    EXPECT_EQ(s2["jobs"][1]["resumed"], true);
    EXPECT_NE(read_file_text(dir / "jobs.batch" / "logs" / "001_b.log").find("resumed at iteration"),
              std::string::npos);
    for (const char* run : {"a", "b", "c"}) {
        const Json e = load_json(dir / "runs" / run / "eval.json");
        EXPECT_EQ(e["iteration"], 300) << run;
        // Measured 18.83-18.85 dB (CPU, 300 iterations at 64x64, before densification starts); the
        // bound leaves 1.8 dB for other thread counts and compilers.
        EXPECT_GT(e["psnr"].get<double>(), 17.0) << run;
    }
}

} // namespace
} // namespace splatscape
