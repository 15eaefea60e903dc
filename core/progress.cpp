#include "core/progress.hpp"

#include <cmath>
#include <cstdio>

#include "core/terminal.hpp"

namespace splatscape {

ProgressBar::ProgressBar(std::string label, uint64_t total, std::string unit, std::chrono::seconds period)
    : m_label(std::move(label)),
      m_unit(std::move(unit)),
      m_total(total),
      m_tty(terminal::stderr_is_tty()),
      m_start(std::chrono::steady_clock::now()),
      m_last_print(m_start),
      m_last_draw(m_start),
      m_period(period) {}

ProgressBar::~ProgressBar() {
    if (!m_finished) terminal::set_status_line({});
}

std::string ProgressBar::format_duration(double seconds) {
    if (!std::isfinite(seconds) || seconds < 0) return "--:--";
    auto s = static_cast<long>(seconds + 0.5);
    char buf[32];
    if (s >= 3600)
        std::snprintf(buf, sizeof buf, "%ld:%02ld:%02ld", s / 3600, (s / 60) % 60, s % 60);
    else
        std::snprintf(buf, sizeof buf, "%02ld:%02ld", s / 60, s % 60);
    return buf;
}

double ProgressBar::rate() const {
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    return elapsed > 0 ? double(m_done - m_start_count) / elapsed : 0.0;
}

std::string ProgressBar::line(uint64_t done, const std::string& detail, bool with_bar) const {
    double r = rate();
    double eta = (r > 0 && m_total > done) ? double(m_total - done) / r : (m_total <= done ? 0.0 : NAN);
    double frac = m_total ? std::min(1.0, double(done) / double(m_total)) : 0.0;
    std::string out = m_label + " ";
    if (with_bar) {
        constexpr int kWidth = 24;
        int filled = int(frac * kWidth);
        out += "[" + std::string(filled, '#') + std::string(kWidth - filled, '.') + "] ";
    }
    char buf[160];
    std::snprintf(buf, sizeof buf, "%llu/%llu (%3.0f%%) %.1f %s/s ETA %s", (unsigned long long)done,
                  (unsigned long long)m_total, frac * 100.0, r, m_unit.c_str(), format_duration(eta).c_str());
    out += buf;
    if (!detail.empty()) out += "  " + detail;
    return out;
}

void ProgressBar::update(uint64_t done, const std::string& detail) {
    auto now = std::chrono::steady_clock::now();
    if (!m_started) {
        // Rates count from the first update, so a resumed job does not report a huge rate.
        m_started = true;
        m_start = now;
        m_start_count = done;
    }
    m_done = done;
    if (m_tty) {
        if (now - m_last_draw >= std::chrono::milliseconds(100) || done >= m_total) {
            m_last_draw = now;
            terminal::set_status_line(line(done, detail, true));
        }
    } else if (now - m_last_print >= m_period) {
        m_last_print = now;
        terminal::print_line(line(done, detail, false));
    }
}

void ProgressBar::finish(const std::string& detail) {
    if (m_finished) return;
    m_finished = true;
    terminal::set_status_line({});
    double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - m_start).count();
    terminal::print_line(m_label + " done: " + std::to_string(m_done) + " " + m_unit + " in " +
                         format_duration(elapsed) + (detail.empty() ? "" : "  " + detail));
}

}  // namespace splatscape
