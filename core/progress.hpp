#pragma once
// Progress of a long job: a live bar with rate and ETA on a terminal, plain periodic lines
// otherwise (logs, CI). Not thread-safe per instance; terminal output is serialised.
#include <chrono>
#include <cstdint>
#include <string>

namespace splatscape {

class ProgressBar {
public:
    // `unit` names what is counted ("it", "img"); `period` is how often plain lines are printed.
    ProgressBar(std::string label, uint64_t total, std::string unit = "it",
                std::chrono::seconds period = std::chrono::seconds(10));
    ~ProgressBar();
    ProgressBar(const ProgressBar&) = delete;
    ProgressBar& operator=(const ProgressBar&) = delete;

    // `done` items finished so far; `detail` is appended (e.g. "loss 0.031 psnr 27.4").
    void update(uint64_t done, const std::string& detail = {});
    // Prints the final line and releases the terminal's status line.
    void finish(const std::string& detail = {});

    double rate() const;  // items per second since start (or since the first update after a resume)

    static std::string format_duration(double seconds);

private:
    std::string line(uint64_t done, const std::string& detail, bool with_bar) const;

    std::string m_label;
    std::string m_unit;
    uint64_t m_total;
    uint64_t m_start_count = 0;
    uint64_t m_done = 0;
    bool m_started = false;
    bool m_finished = false;
    bool m_tty;
    std::chrono::steady_clock::time_point m_start;
    std::chrono::steady_clock::time_point m_last_print;
    std::chrono::steady_clock::time_point m_last_draw;
    std::chrono::seconds m_period;
};

}  // namespace splatscape
