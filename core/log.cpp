#include "core/log.hpp"

#include <atomic>

#include "core/terminal.hpp"

namespace splatscape::log {
namespace {
std::atomic<Level> g_level{Level::Info};
}

void set_level(Level level) { g_level = level; }
Level level() { return g_level; }

void write(Level lvl, std::string_view message) {
    static constexpr const char* kPrefix[] = {"debug: ", "", "warning: ", "error: "};
    terminal::print_line(std::string(kPrefix[static_cast<int>(lvl)]) + std::string(message));
}

}  // namespace splatscape::log
