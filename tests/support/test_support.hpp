#pragma once
// Shared helpers for tests: temporary folders, the shared datasets, and random inputs.
#include <filesystem>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace splatscape::test {

namespace fs = std::filesystem;

// A fresh empty folder under the build tree, removed when the object dies (kept when
// SPLATSCAPE_KEEP_TEST_FILES is set).
class TempDir {
public:
    explicit TempDir(const std::string& name);
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const fs::path& path() const { return m_path; }
    fs::path operator/(const std::string& name) const { return m_path / name; }

private:
    fs::path m_path;
};

// Nothing here is fixed when the tests are built, so that test executables copied to another
// machine (scripts/device-check.sh's bundle) look for nothing at this machine's paths.

// The shared datasets: $SPLATSCAPE_DATASETS when set; else ../shared/datasets beside the checkout
// the test was built from, or beside any folder above the test executable; nullopt when absent.
std::optional<fs::path> shared_datasets();
// The build tree the running test executable lies in (the nearest folder above it holding a
// CMakeCache.txt) and its source tree (that cache's CMAKE_HOME_DIRECTORY); empty outside a build
// tree (an unpacked bundle).
fs::path source_dir();
fs::path binary_dir();
// Where TempDirs go: $SPLATSCAPE_TEST_TMP, else <build tree>/test_tmp, else the system's temporary
// folder's splatscape-tests/.
fs::path test_tmp_root();
// The `splatscape` executable: $SPLATSCAPE_BIN (ctest sets it), else the build tree's, else the one
// beside the test executable.
fs::path splatscape_exe();
// Runs a shell command, returns its exit status; stdout+stderr go to `output` when given.
int run_command(const std::string& command, std::string* output = nullptr);
// Writes bytes to a file (for malformed-input tests).
void write_bytes(const fs::path& path, const std::string& bytes);

}  // namespace splatscape::test

// Skips the test when ../shared/datasets/<sub> is absent; binds `var` to its path otherwise.
#define SPLATSCAPE_REQUIRE_SHARED(var, sub)                                                                  \
    auto var##_opt = ::splatscape::test::shared_datasets();                                                \
    if (!var##_opt || !std::filesystem::exists(*var##_opt / (sub)))                                       \
        GTEST_SKIP() << "shared dataset '" << (sub) << "' not found (../shared/datasets beside the checkout, " \
                        "or SPLATSCAPE_DATASETS); skipping";                                               \
    const std::filesystem::path var = *var##_opt / (sub)
