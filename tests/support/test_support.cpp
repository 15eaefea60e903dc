#include "tests/support/test_support.hpp"

#include <unistd.h>

#include <array>
#include <cstdio>
#include <cstdlib>
#include <fstream>

#include "core/assets.hpp"

namespace splatscape::test {

namespace {

// The value of `key` in the build tree's CMakeCache.txt ("" when absent).
std::string cmake_cache_value(const fs::path& build, const std::string& key) {
    std::ifstream in(build / "CMakeCache.txt");
    const std::string prefix = key + ":";
    for (std::string line; std::getline(in, line);) {
        if (line.rfind(prefix, 0) != 0) continue;
        const size_t eq = line.find('=');
        if (eq != std::string::npos) return line.substr(eq + 1);
    }
    return "";
}

} // namespace

fs::path binary_dir() {
    static const fs::path dir = [] {
        std::error_code ec;
        for (fs::path p = executable_path().parent_path(); !p.empty(); p = p.parent_path()) {
            if (fs::is_regular_file(p / "CMakeCache.txt", ec)) return p;
            if (p == p.root_path()) break;
        }
        return fs::path();
    }();
    return dir;
}

fs::path source_dir() {
    const fs::path build = binary_dir();
    return build.empty() ? fs::path() : fs::path(cmake_cache_value(build, "CMAKE_HOME_DIRECTORY"));
}

fs::path test_tmp_root() {
    if (const char* env = std::getenv("SPLATSCAPE_TEST_TMP"); env && *env) return env;
    if (const fs::path build = binary_dir(); !build.empty()) return build / "test_tmp";
    return fs::temp_directory_path() / "splatscape-tests";
}

TempDir::TempDir(const std::string& name) {
    m_path = test_tmp_root() / (name + "-" + std::to_string(getpid()));
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
    std::error_code ec;
    if (const char* env = std::getenv("SPLATSCAPE_DATASETS"); env && *env) {
        if (fs::is_directory(env, ec)) return fs::path(env);
        return std::nullopt;
    }
    // Beside the checkout the test was built from, else beside any folder above the executable.
    if (const fs::path source = source_dir(); !source.empty()) {
        const fs::path p = source.parent_path() / "shared" / "datasets";
        if (fs::is_directory(p, ec)) return p;
    }
    for (fs::path p = executable_path().parent_path(); !p.empty(); p = p.parent_path()) {
        if (fs::is_directory(p / "shared" / "datasets", ec)) return p / "shared" / "datasets";
        if (p == p.root_path()) break;
    }
    return std::nullopt;
}

fs::path splatscape_exe() {
    if (const char* env = std::getenv("SPLATSCAPE_BIN"); env && *env) return env;
    if (const fs::path build = binary_dir(); !build.empty()) return build / "splatscape";
    return executable_path().parent_path() / "splatscape";
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
