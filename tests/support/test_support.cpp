#include "tests/support/test_support.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

namespace splatscape::test {

TempDir::TempDir(const std::string& name) {
    m_path = fs::path(SPLATSCAPE_BINARY_DIR) / "test_tmp" / (name + "-" + std::to_string(getpid()));
    fs::remove_all(m_path);
    fs::create_directories(m_path);
}

TempDir::~TempDir() {
    if (!std::getenv("SPLATSCAPE_KEEP_TEST_FILES")) {
        std::error_code ec;
        fs::remove_all(m_path, ec);
    }
}

std::optional<fs::path> shared_datasets() {
    if (const char* env = std::getenv("SPLATSCAPE_DATASETS"); env && *env) {
        if (fs::is_directory(env)) return fs::path(env);
        return std::nullopt;
    }
    fs::path p = fs::path(SPLATSCAPE_SOURCE_DIR).parent_path() / "shared" / "datasets";
    if (fs::is_directory(p)) return p;
    return std::nullopt;
}

fs::path source_dir() { return SPLATSCAPE_SOURCE_DIR; }
fs::path binary_dir() { return SPLATSCAPE_BINARY_DIR; }

fs::path splatscape_exe() {
    if (const char* env = std::getenv("SPLATSCAPE_BIN"); env && *env) return env;
    return fs::path(SPLATSCAPE_BINARY_DIR) / "splatscape";
}

int run_command(const std::string& command, std::string* output) {
    std::string cmd = command + " 2>&1";
    FILE* pipe = popen(cmd.c_str(), "r");
    if (!pipe) return -1;
    std::array<char, 4096> buf{};
    size_t n;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0)
        if (output) output->append(buf.data(), n);
    int status = pclose(pipe);
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

void write_bytes(const fs::path& path, const std::string& bytes) {
    fs::create_directories(path.parent_path());
    std::ofstream(path, std::ios::binary).write(bytes.data(), std::streamsize(bytes.size()));
}

}  // namespace splatscape::test
