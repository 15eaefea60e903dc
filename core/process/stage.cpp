#include "core/process/stage.hpp"

#include <chrono>
#include <fstream>

#include "core/error.hpp"
#include "core/process/subprocess.hpp"
#include "core/progress.hpp"
#include "core/terminal.hpp"

namespace splatscape::process {
namespace {

std::string step_label(int index, int count, const std::string& title) {
    return cat("[", index, "/", count, "] ", title);
}

std::string status_text(const StageStatus& s) {
    std::string out;
    if (s.total > 0)
        out = cat(s.done, "/", s.total, " ", s.unit);
    else if (s.done > 0)
        out = cat(s.done, " ", s.unit);
    if (!s.detail.empty()) out += (out.empty() ? "" : ", ") + s.detail;
    return out;
}

} // namespace

void print_stage_done(int index, int count, const std::string& title, double seconds, const std::string& summary) {
    terminal::print_line(cat(step_label(index, count, title), ": done in ", ProgressBar::format_duration(seconds),
                             summary.empty() ? "" : "  ", summary));
}

StageResult run_stage(const StageCommand& command, int index, int count) {
    std::error_code ec;
    std::filesystem::create_directories(command.log.parent_path(), ec);
    std::ofstream log(command.log, std::ios::binary | std::ios::trunc);
    if (!log) throw Error(command.log.string(), "", "cannot write the log file");
    log << "$";
    for (const auto& a : command.args) log << " " << a;
    log << "\n";

    const std::string label = step_label(index, count, command.title);
    const bool tty = terminal::stderr_is_tty();
    const auto start = std::chrono::steady_clock::now();
    auto last_plain = start;
    auto last_draw = start - std::chrono::seconds(1);
    StageResult result;
    result.status.unit = "";
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count(); };
    auto show = [&](bool force) {
        const auto now = std::chrono::steady_clock::now();
        const std::string text =
            cat(label, "  ", ProgressBar::format_duration(elapsed()), "  ", status_text(result.status));
        if (tty) {
            if (force || now - last_draw >= std::chrono::milliseconds(100)) {
                last_draw = now;
                terminal::set_status_line(text);
            }
        } else if (now - last_plain >= std::chrono::seconds(10)) {
            last_plain = now;
            terminal::print_line(text);
        }
    };
    show(true);

    SubprocessOptions options;
    options.on_line = [&](std::string_view line) {
        log << line << "\n";
        if (command.parse) command.parse(line, result.status);
        show(false);
    };
    options.on_tick = [&] { show(false); };
    const SubprocessResult r = run_subprocess(command.args, options);
    terminal::set_status_line({});
    result.seconds = elapsed();
    log << "# exit status " << r.exit_code << " after " << result.seconds << " s\n";
    if (!r.started)
        throw Error(command.args.front(), "", cat("cannot run the program: ", r.output, " (", command.title, ")"));
    result.exit_code = r.exit_code;
    result.tail = r.output;
    return result;
}

} // namespace splatscape::process
