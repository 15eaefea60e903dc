#pragma once
// Where the benchmarks find the shared datasets, at run time: never a path fixed when they were
// built, so a benchmark copied to another machine (scripts/device-check.sh's bundle) looks for
// nothing at this machine's paths. $SPLATSCAPE_DATASETS when set; else a shared/datasets folder
// beside any folder above the executable (a build tree in a checkout next to ../shared); else
// empty. Each benchmark also takes its data by a flag.
#include <cstdlib>
#include <filesystem>

#include "core/assets.hpp"

namespace splatscape::bench {

inline std::filesystem::path shared_datasets_dir() {
    if (const char* env = std::getenv("SPLATSCAPE_DATASETS"); env && *env) return env;
    std::error_code ec;
    for (std::filesystem::path p = executable_path().parent_path(); !p.empty(); p = p.parent_path()) {
        if (std::filesystem::is_directory(p / "shared" / "datasets", ec)) return p / "shared" / "datasets";
        if (p == p.root_path()) break;
    }
    return {};
}

} // namespace splatscape::bench
