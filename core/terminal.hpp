#pragma once
// The one place that writes to the user's terminal: log lines and the live progress bar share it.
#include <mutex>
#include <string>

namespace splatscape::terminal {

bool stderr_is_tty();
// Serialises every write to stderr.
std::mutex& mutex();
// The live status line (progress bar) that log lines must clear and redraw; empty when none.
void set_status_line(std::string line);  // takes the mutex
// Writes one full line above the status line. Caller need not hold the mutex.
void print_line(const std::string& line);

}  // namespace splatscape::terminal
