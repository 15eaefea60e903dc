#pragma once
// Runs external command-line tools (ffmpeg, ffprobe, COLMAP) without a shell: arguments are passed
// as they are, stdin is /dev/null, stdout and stderr are merged into one stream that is handed to
// a callback line by line while the program runs.
#include <chrono>
#include <cstddef>
#include <filesystem>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace splatscape::process {

struct SubprocessOptions {
    // Each line the program writes (stdout and stderr merged), without its end. Lines end at '\n'
    // or '\r' (progress counters redraw with '\r'); empty lines are passed too.
    std::function<void(std::string_view line)> on_line;
    // Called about every `tick` while the program runs, also when it is silent (for elapsed-time displays).
    std::function<void()> on_tick;
    std::chrono::milliseconds tick{250};
    size_t keep_tail = 1 << 16; // bytes of output kept in SubprocessResult::output (the end of it)
    // Called with the program's process id once it runs (to signal it from another thread).
    std::function<void(long pid)> on_start;
    // Run it in a process group of its own, so that a Ctrl-C at the terminal reaches only the
    // caller, which decides what to forward.
    bool new_process_group = false;
};

struct SubprocessResult {
    bool started = false; // false: the program was not found or could not be executed
    int exit_code = 0;    // the program's exit status; 128 + N when killed by signal N; 127 when not started
    std::string output;   // the last `keep_tail` bytes of what it wrote (or why it could not start)
};

// args[0] is looked up in PATH (as execvp does). Throws Error only when the pipe cannot be made.
SubprocessResult run_subprocess(const std::vector<std::string>& args, const SubprocessOptions& options = {});

// The executable `name` would resolve to in PATH (a name with a '/' is taken as a path); nullopt
// when there is none.
std::optional<std::filesystem::path> find_program(const std::string& name);

// The end of a program's output for an error message: at most `max_chars`, starting at a line.
std::string last_lines(const std::string& text, size_t max_chars = 400);

} // namespace splatscape::process
