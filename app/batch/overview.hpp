#pragma once
// The live overview of a batch: a header line (jobs queued / running / done / failed, elapsed
// time) and one row per job (state, iteration, PSNR, Gaussians, it/s, ETA). On a terminal it is
// redrawn in place; otherwise (logs, CI) the batch prints an event line per change of state and
// the table every `period`.
#include <chrono>
#include <string>
#include <vector>

#include "app/batch/job_status.hpp"

namespace splatscape::batch {

// The overview as text lines; `max_rows` limits the job rows (running jobs first, then the rest in
// order), 0 for all.
std::vector<std::string> overview_lines(const JobsFile& batch, const std::vector<JobStatus>& status,
                                        const std::string& title, double elapsed_seconds, size_t max_rows = 0);

// Job rows that fit the terminal (0, all, when stderr is not a terminal).
size_t terminal_max_rows();

class OverviewDisplay {
public:
    explicit OverviewDisplay(std::chrono::seconds period = std::chrono::seconds(30));
    ~OverviewDisplay();
    OverviewDisplay(const OverviewDisplay&) = delete;
    OverviewDisplay& operator=(const OverviewDisplay&) = delete;

    // A line that stays (a job started, finished, failed).
    void event(const std::string& line);
    // The current overview; drawn now on a terminal, every `period` otherwise (or when `force`).
    void show(const std::vector<std::string>& lines, bool force = false);
    // Leaves the last overview on screen and stops redrawing.
    void finish(const std::vector<std::string>& lines);

private:
    void clear_block();
    bool m_tty;
    size_t m_drawn = 0; // lines of the block on screen
    std::chrono::seconds m_period;
    std::chrono::steady_clock::time_point m_last_plain{};
    bool m_finished = false;
};

} // namespace splatscape::batch
