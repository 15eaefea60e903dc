#pragma once
// Levelled logging to stderr. Thread-safe; cooperates with the progress bar so that a log line
// never lands in the middle of a live bar.
#include <string>
#include <string_view>

#include "core/error.hpp"

namespace splatscape::log {

enum class Level { Debug = 0, Info = 1, Warn = 2, Error = 3, Off = 4 };

void set_level(Level level);
Level level();
void write(Level level, std::string_view message);

template <class... Args>
void debug(Args&&... args) {
    if (level() <= Level::Debug) write(Level::Debug, cat(std::forward<Args>(args)...));
}
template <class... Args>
void info(Args&&... args) {
    if (level() <= Level::Info) write(Level::Info, cat(std::forward<Args>(args)...));
}
template <class... Args>
void warn(Args&&... args) {
    if (level() <= Level::Warn) write(Level::Warn, cat(std::forward<Args>(args)...));
}
template <class... Args>
void error(Args&&... args) {
    if (level() <= Level::Error) write(Level::Error, cat(std::forward<Args>(args)...));
}

}  // namespace splatscape::log
