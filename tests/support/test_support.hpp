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

// ../shared/datasets beside the checkout (or $SPLATSCAPE_DATASETS); nullopt when absent.
std::optional<fs::path> shared_datasets();
// The source tree and the build tree.
fs::path source_dir();
fs::path binary_dir();
// The built `splatscape` executable.
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
