#include "core/assets.hpp"

#include <algorithm>
#include <cstdlib>
#include <set>

#include "core/error.hpp"

namespace splatscape {

namespace fs = std::filesystem;

fs::path executable_path() {
    std::error_code ec;
    fs::path p = fs::read_symlink("/proc/self/exe", ec);
    return ec ? fs::path() : p;
}

std::vector<fs::path> asset_search_dirs() {
    if (const char* env = std::getenv("SPLATSCAPE_ASSETS"); env && *env) return {fs::path(env)};
    const fs::path exe = executable_path();
    if (exe.empty()) return {};
    const fs::path dir = exe.parent_path();
    return {dir / "assets", (dir.parent_path() / "share" / "splatscape" / "assets").lexically_normal()};
}

fs::path find_asset(const std::string& relative) {
    const std::vector<fs::path> dirs = asset_search_dirs();
    std::string looked;
    for (const fs::path& d : dirs) {
        std::error_code ec;
        if (fs::is_regular_file(d / relative, ec)) return d / relative;
        looked += cat(looked.empty() ? "" : ", ", (d / relative).string());
    }
    const bool from_env = std::getenv("SPLATSCAPE_ASSETS") && *std::getenv("SPLATSCAPE_ASSETS");
    throw Error(relative, "",
                cat("asset not found (looked in ",
                    looked.empty() ? "no folder: the executable's path is unknown" : looked,
                    from_env ? "; SPLATSCAPE_ASSETS names the assets folder"
                             : "; the assets/ folder is installed beside the executable, or set SPLATSCAPE_ASSETS to "
                               "it",
                    ")"));
}

std::vector<std::string> list_assets(const std::string& relative, const std::string& extension) {
    std::set<std::string> names;
    for (const fs::path& d : asset_search_dirs()) {
        std::error_code ec;
        for (fs::directory_iterator it(d / relative, ec), end; !ec && it != end; it.increment(ec))
            if (it->path().extension() == extension) names.insert(it->path().stem().string());
    }
    return {names.begin(), names.end()};
}

} // namespace splatscape
