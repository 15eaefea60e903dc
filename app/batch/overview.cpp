#include "app/batch/overview.hpp"

#include <sys/ioctl.h>
#include <unistd.h>

#include <algorithm>
#include <cstdio>

#include "core/error.hpp"
#include "core/terminal.hpp"

namespace splatscape::batch {

namespace {

std::string pad(std::string s, size_t width, bool right = false) {
    if (s.size() > width) s = s.substr(0, width);
    const std::string fill(width - s.size(), ' ');
    return right ? fill + s : s + fill;
}

std::string fixed(double v, int digits) {
    char buf[32];
    std::snprintf(buf, sizeof buf, "%.*f", digits, v);
    return buf;
}

int terminal_rows() {
    winsize w{};
    return ioctl(STDERR_FILENO, TIOCGWINSZ, &w) == 0 && w.ws_row > 0 ? int(w.ws_row) : 40;
}

} // namespace

std::vector<std::string> overview_lines(const JobsFile& batch, const std::vector<JobStatus>& status,
                                        const std::string& title, double elapsed, size_t max_rows) {
    size_t n[6] = {};
    for (const JobStatus& s : status) ++n[int(s.state)];
    std::vector<std::string> lines;
    lines.push_back(cat(title, "  queued ", n[int(JobState::Queued)], "  running ", n[int(JobState::Running)],
                        "  done ", n[int(JobState::Done)] + n[int(JobState::Skipped)], "  failed ",
                        n[int(JobState::Failed)],
                        n[int(JobState::Stopped)] ? cat("  stopped ", n[int(JobState::Stopped)]) : std::string(),
                        "  elapsed ", format_duration(elapsed)));
    size_t name_w = 4;
    for (const Job& j : batch.jobs) name_w = std::max(name_w, std::min<size_t>(j.name.size(), 28));
    lines.push_back(cat("  ", pad("#", 4, true), "  ", pad("job", name_w), "  ", pad("state", 8), "  ",
                        pad("iteration", 17), "  ", pad("PSNR", 6, true), "  ", pad("Gaussians", 10, true), "  ",
                        pad("it/s", 6, true), "  ", pad("ETA", 8, true), "  where / note"));
    // Running jobs first when rows are limited: they are what changes.
    std::vector<size_t> order(batch.jobs.size());
    for (size_t i = 0; i < order.size(); ++i) order[i] = i;
    if (max_rows && order.size() > max_rows)
        std::stable_sort(order.begin(), order.end(), [&](size_t a, size_t b) {
            return (status[a].state == JobState::Running) > (status[b].state == JobState::Running);
        });
    size_t shown = 0;
    for (size_t i : order) {
        if (max_rows && shown >= max_rows) {
            lines.push_back(cat("  ... ", order.size() - shown, " more"));
            break;
        }
        ++shown;
        const Job& job = batch.jobs[i];
        const JobStatus& s = status[i];
        std::string iter = "-", psnr = "-", gauss = "-", rate = "-", eta = "-";
        if (s.progress && s.progress->iterations > 0) {
            const auto& p = *s.progress;
            iter = cat(p.iteration, "/", p.iterations, " ", int(100.0 * p.iteration / p.iterations), "%");
            const double shown_psnr = p.evaluated ? p.psnr : p.probe_psnr;
            if (shown_psnr > 0) psnr = fixed(shown_psnr, 2);
            if (p.gaussians) gauss = std::to_string(p.gaussians);
            if (s.state == JobState::Running) {
                if (p.rate > 0) rate = fixed(p.rate, 1);
                eta = format_duration(p.eta);
            }
        }
        std::string where = s.device;
        if (!s.message.empty() && s.state != JobState::Running) {
            if (!where.empty()) where += "  ";
            where += s.message;
        }
        if (s.resumed && s.state == JobState::Running) where += " (resumed)";
        lines.push_back(cat("  ", pad(std::to_string(job.index), 4, true), "  ", pad(job.name, name_w), "  ",
                            pad(to_string(s.state), 8), "  ", pad(iter, 17), "  ", pad(psnr, 6, true), "  ",
                            pad(gauss, 10, true), "  ", pad(rate, 6, true), "  ", pad(eta, 8, true), "  ", where));
    }
    return lines;
}

size_t terminal_max_rows() {
    return terminal::stderr_is_tty() ? size_t(std::max(3, terminal_rows() - 5)) : 0;
}

OverviewDisplay::OverviewDisplay(std::chrono::seconds period) : m_tty(terminal::stderr_is_tty()), m_period(period) {}

OverviewDisplay::~OverviewDisplay() = default;

void OverviewDisplay::clear_block() {
    // Up to the block's first line, then clear to the end of the screen.
    if (m_drawn > 0) std::fprintf(stderr, "\r\033[%zuA\033[J", m_drawn);
    m_drawn = 0;
}

void OverviewDisplay::event(const std::string& line) {
    std::lock_guard lock(terminal::mutex());
    if (m_tty && !m_finished) {
        // Above the block: clear it, print, and let the next show() redraw it.
        clear_block();
    }
    std::fprintf(stderr, "%s\n", line.c_str());
    std::fflush(stderr);
}

void OverviewDisplay::show(const std::vector<std::string>& lines, bool force) {
    if (m_finished) return;
    std::lock_guard lock(terminal::mutex());
    const auto now = std::chrono::steady_clock::now();
    if (m_tty) {
        clear_block();
        const size_t room = size_t(std::max(3, terminal_rows() - 2));
        for (size_t i = 0; i < lines.size() && i < room; ++i) std::fprintf(stderr, "\033[K%s\n", lines[i].c_str());
        m_drawn = std::min(lines.size(), room);
    } else if (force || now - m_last_plain >= m_period) {
        for (const auto& l : lines) std::fprintf(stderr, "%s\n", l.c_str());
        m_last_plain = now;
    }
    std::fflush(stderr);
}

void OverviewDisplay::finish(const std::vector<std::string>& lines) {
    show(lines, true);
    m_finished = true;
    m_drawn = 0;
}

} // namespace splatscape::batch
