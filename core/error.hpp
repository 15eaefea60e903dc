#pragma once
// Errors a user can act on (bad file, bad field, bad option) are `Error`s; programmer errors assert.
#include <sstream>
#include <stdexcept>
#include <string>
#include <utility>

namespace splatscape {

// Concatenates its arguments with operator<< (g++ 12 has no <format>).
template <class... Args>
std::string cat(Args&&... args) {
    std::ostringstream out;
    (out << ... << std::forward<Args>(args));
    return out.str();
}

class Error : public std::runtime_error {
public:
    explicit Error(const std::string& message) : std::runtime_error(message) {}
    // "<file>: <field>: <problem>", the form every parser reports in.
    Error(std::string file, std::string field, const std::string& problem)
        : std::runtime_error(compose(file, field, problem)), m_file(std::move(file)), m_field(std::move(field)) {}

    const std::string& file() const { return m_file; }
    const std::string& field() const { return m_field; }

private:
    static std::string compose(const std::string& file, const std::string& field, const std::string& problem) {
        std::string s = file;
        if (!field.empty()) s += (s.empty() ? "" : ": ") + field;
        if (!s.empty()) s += ": ";
        return s + problem;
    }
    std::string m_file;
    std::string m_field;
};

// A usage error (bad command-line option): the CLI exits with code 2.
class UsageError : public Error {
public:
    using Error::Error;
};

// Raised when the user interrupts a long job (Ctrl-C) after the job saved its state.
class Interrupted : public Error {
public:
    using Error::Error;
};

}  // namespace splatscape

// Checks an expected condition on input data; `...` is streamed into the message.
#define SPLATSCAPE_REQUIRE(cond, file, field, ...)                                                \
    do {                                                                                           \
        if (!(cond)) throw ::splatscape::Error((file), (field), ::splatscape::cat(__VA_ARGS__)); \
    } while (0)
