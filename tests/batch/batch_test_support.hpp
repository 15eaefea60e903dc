#pragma once
// Helpers of the batch end-to-end tests: a tiny built-in scene, a command running in the
// background (so a test can kill one of its trainings), and waiting on a run's progress file.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <functional>
#include <string>
#include <thread>

#include "app/batch/job_status.hpp"
#include "core/scene/synthetic_scene.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::test {

// The built-in scene, small enough that a few hundred iterations take seconds: 64x64 pixels,
// 16 training and 4 held-out views, one ray per pixel.
inline void write_tiny_scene(const std::filesystem::path& dir, int size = 64, int train = 16) {
    SyntheticSceneOptions o;
    o.width = o.height = size;
    o.train_views = train;
    o.test_views = 4;
    o.samples_per_axis = 1;
    o.points = 2000;
    generate_synthetic_scene(o, dir);
}

// `sh -c command` in the background, output to `log`; wait() returns its exit status.
class BackgroundCommand {
public:
    BackgroundCommand(const std::string& command, const std::filesystem::path& log) {
        m_pid = fork();
        if (m_pid == 0) {
            const std::string c = command + " > '" + log.string() + "' 2>&1";
            execl("/bin/sh", "sh", "-c", c.c_str(), static_cast<char*>(nullptr));
            _exit(127);
        }
    }
    ~BackgroundCommand() {
        if (m_pid > 0 && !m_waited) {
            kill(m_pid, SIGKILL);
            waitpid(m_pid, nullptr, 0);
        }
    }
    BackgroundCommand(const BackgroundCommand&) = delete;
    BackgroundCommand& operator=(const BackgroundCommand&) = delete;
    bool running() {
        if (m_waited) return false;
        int status = 0;
        if (waitpid(m_pid, &status, WNOHANG) == m_pid) {
            m_waited = true;
            m_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        return !m_waited;
    }
    int wait() {
        if (!m_waited) {
            int status = 0;
            waitpid(m_pid, &status, 0);
            m_waited = true;
            m_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
        }
        return m_status;
    }

private:
    pid_t m_pid = -1;
    bool m_waited = false;
    int m_status = -1;
};

// Polls until `ready` or the timeout; true when ready.
inline bool wait_until(const std::function<bool()>& ready, std::chrono::seconds timeout,
                       std::chrono::milliseconds step = std::chrono::milliseconds(100)) {
    const auto end = std::chrono::steady_clock::now() + timeout;
    while (std::chrono::steady_clock::now() < end) {
        if (ready()) return true;
        std::this_thread::sleep_for(step);
    }
    return ready();
}

// Waits until the run writing `progress` is training past `iteration`, then kills it outright
// (SIGKILL: no checkpoint on the way out). Returns the pid killed, or 0.
inline long kill_run_after(const std::filesystem::path& progress, int iteration, std::chrono::seconds timeout) {
    long pid = 0;
    wait_until(
        [&] {
            const auto p = batch::read_progress(progress);
            if (p && p->state == "running" && p->iteration >= iteration) pid = p->pid;
            return pid > 0;
        },
        timeout, std::chrono::milliseconds(20));
    if (pid > 0) kill(pid_t(pid), SIGKILL);
    return pid;
}

} // namespace splatscape::test
