#include "core/process/subprocess.hpp"

#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "core/error.hpp"

extern char** environ;

namespace splatscape::process {
namespace {

// Owns a file descriptor.
class Fd {
public:
    explicit Fd(int fd = -1) : m_fd(fd) {}
    ~Fd() { reset(); }
    Fd(const Fd&) = delete;
    Fd& operator=(const Fd&) = delete;
    int get() const { return m_fd; }
    void reset() {
        if (m_fd >= 0) close(m_fd);
        m_fd = -1;
    }

private:
    int m_fd;
};

// Splits a byte stream into lines for the callback, holding a partial line between reads.
class LineSplitter {
public:
    explicit LineSplitter(const std::function<void(std::string_view)>& sink) : m_sink(sink) {}
    void feed(const char* data, size_t size) {
        for (size_t i = 0; i < size; ++i) {
            const char c = data[i];
            if (c == '\n' || c == '\r') {
                // "\r\n" is one line end, not an empty line between.
                if (!(c == '\n' && m_last == '\r')) emit();
            } else {
                // A runaway line without an end is cut rather than grown without bound.
                if (m_line.size() >= kMaxLine) emit();
                m_line.push_back(c);
            }
            m_last = c;
        }
    }
    void flush() {
        if (!m_line.empty()) emit();
    }

private:
    static constexpr size_t kMaxLine = 1 << 16;
    void emit() {
        if (m_sink) m_sink(m_line);
        m_line.clear();
    }
    const std::function<void(std::string_view)>& m_sink;
    std::string m_line;
    char m_last = 0;
};

bool is_executable_file(const std::filesystem::path& p) {
    struct stat st {};
    return stat(p.c_str(), &st) == 0 && S_ISREG(st.st_mode) && access(p.c_str(), X_OK) == 0;
}

} // namespace

SubprocessResult run_subprocess(const std::vector<std::string>& args, const SubprocessOptions& options) {
    SubprocessResult result;
    if (args.empty()) {
        result.exit_code = 127;
        result.output = "no program given";
        return result;
    }
    int pipe_fd[2];
    if (pipe2(pipe_fd, O_CLOEXEC) != 0)
        throw Error(cat("cannot create a pipe to run ", args.front(), ": ", std::strerror(errno)));
    Fd read_end(pipe_fd[0]), write_end(pipe_fd[1]);

    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDOUT_FILENO);
    posix_spawn_file_actions_adddup2(&actions, write_end.get(), STDERR_FILENO);
    posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    std::vector<char*> argv;
    for (const auto& a : args) argv.push_back(const_cast<char*>(a.c_str()));
    argv.push_back(nullptr);
    posix_spawnattr_t attr;
    posix_spawnattr_init(&attr);
    if (options.new_process_group) {
        posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP);
        posix_spawnattr_setpgroup(&attr, 0);
    }
    pid_t pid = 0;
    const int rc = posix_spawnp(&pid, args.front().c_str(), &actions, &attr, argv.data(), environ);
    posix_spawnattr_destroy(&attr);
    posix_spawn_file_actions_destroy(&actions);
    write_end.reset();
    if (rc != 0) {
        result.exit_code = 127;
        result.output = std::strerror(rc);
        return result;
    }
    result.started = true;
    if (options.on_start) options.on_start(long(pid));

    LineSplitter lines(options.on_line);
    const int tick_ms = int(std::max<long long>(1, options.tick.count()));
    auto last_tick = std::chrono::steady_clock::now();
    char buf[8192];
    for (;;) {
        pollfd p{read_end.get(), POLLIN, 0};
        const int ready = poll(&p, 1, tick_ms);
        if (ready < 0 && errno != EINTR) break;
        if (ready > 0) {
            const ssize_t got = read(read_end.get(), buf, sizeof buf);
            if (got < 0 && errno == EINTR) continue;
            if (got <= 0) break; // end of output: the program closed its side (normally by exiting)
            lines.feed(buf, size_t(got));
            result.output.append(buf, size_t(got));
            if (result.output.size() > 2 * options.keep_tail)
                result.output.erase(0, result.output.size() - options.keep_tail);
        }
        const auto now = std::chrono::steady_clock::now();
        if (options.on_tick && now - last_tick >= options.tick) {
            last_tick = now;
            options.on_tick();
        }
    }
    lines.flush();
    if (result.output.size() > options.keep_tail) result.output.erase(0, result.output.size() - options.keep_tail);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR) {
    }
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return result;
}

std::optional<std::filesystem::path> find_program(const std::string& name) {
    if (name.empty()) return std::nullopt;
    if (name.find('/') != std::string::npos) {
        if (is_executable_file(name)) return std::filesystem::path(name);
        return std::nullopt;
    }
    const char* path = std::getenv("PATH");
    // An unset PATH means the default search path, as execvp uses.
    const std::string dirs = path ? path : "/bin:/usr/bin";
    size_t start = 0;
    while (start <= dirs.size()) {
        size_t end = dirs.find(':', start);
        if (end == std::string::npos) end = dirs.size();
        const std::string dir = dirs.substr(start, end - start);
        const std::filesystem::path candidate = std::filesystem::path(dir.empty() ? "." : dir) / name;
        if (is_executable_file(candidate)) return candidate;
        start = end + 1;
    }
    return std::nullopt;
}

std::string last_lines(const std::string& text, size_t max_chars) {
    std::string t = text;
    while (!t.empty() && (t.back() == '\n' || t.back() == '\r' || t.back() == ' ')) t.pop_back();
    if (t.size() <= max_chars) return t;
    const size_t at = t.find('\n', t.size() - max_chars);
    return at == std::string::npos ? t.substr(t.size() - max_chars) : t.substr(at + 1);
}

} // namespace splatscape::process
