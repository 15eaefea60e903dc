#pragma once
// One step of a processing pipeline that runs an external tool: shown as "[k/K] name" with its
// elapsed time and, where the tool prints it, parsed progress (a live status line on a terminal,
// a plain line every 10 s otherwise); every line of the tool's output goes to a log file.
#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace splatscape::process {

// What the line parser knows so far about a running stage.
struct StageStatus {
    uint64_t done = 0;
    uint64_t total = 0; // 0: unknown (only `done` is shown)
    std::string unit;   // what is counted: "images", "blocks", "registered"
    std::string detail; // appended to the status ("8192 features")
};

struct StageCommand {
    std::string title;             // shown to the user: "feature extraction"
    std::filesystem::path log;     // DATA/logs/<stage>.log (replaced)
    std::vector<std::string> args; // args[0] is looked up in PATH
    // Called with every output line; updates the status shown.
    std::function<void(std::string_view line, StageStatus& status)> parse;
};

struct StageResult {
    int exit_code = 0;
    double seconds = 0.0;
    StageStatus status; // as the parser left it
    std::string tail;   // the end of the tool's output
};

// Shows the "[index/count] title" step while the command runs. Throws Error when the program cannot
// be started (the caller checks for missing tools first, with a better message); a non-zero exit is
// returned, not thrown, for the caller to explain.
StageResult run_stage(const StageCommand& command, int index, int count);

// Prints the line that closes a step: "[k/K] title: done in mm:ss  summary".
void print_stage_done(int index, int count, const std::string& title, double seconds, const std::string& summary);

} // namespace splatscape::process
