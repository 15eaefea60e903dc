#include "core/terminal.hpp"

#include <unistd.h>

#include <cstdio>

namespace splatscape::terminal {
namespace {
std::string g_status;
}

bool stderr_is_tty() {
    static const bool tty = isatty(STDERR_FILENO) != 0;
    return tty;
}

std::mutex& mutex() {
    static std::mutex m;
    return m;
}

void set_status_line(std::string line) {
    std::lock_guard lock(mutex());
    g_status = std::move(line);
    if (stderr_is_tty()) {
        std::fprintf(stderr, "\r\033[K%s", g_status.c_str());
        std::fflush(stderr);
    }
}

void print_line(const std::string& line) {
    std::lock_guard lock(mutex());
    if (stderr_is_tty() && !g_status.empty()) {
        std::fprintf(stderr, "\r\033[K%s\n%s", line.c_str(), g_status.c_str());
    } else {
        std::fprintf(stderr, "%s\n", line.c_str());
    }
    std::fflush(stderr);
}

}  // namespace splatscape::terminal
