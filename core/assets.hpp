#pragma once
// Files a user may edit or reuse without recompiling: the assets/ folder of the source tree
// (training presets of every model family, ...), shipped beside the executable. They are found at
// run time, relative to the running executable, never at a path fixed when it was built, so a
// build tree, an installed tree and an unpacked copy all work:
//   1. $SPLATSCAPE_ASSETS, when set (and then only there);
//   2. <folder of the executable>/assets          the build tree (CMake copies assets/ there) or a
//                                                 portable unpacked copy;
//   3. <folder of the executable>/../share/splatscape/assets   an installed tree (`cmake --install`).
#include <filesystem>
#include <string>
#include <vector>

namespace splatscape {

// The running executable (/proc/self/exe); empty when the system does not tell.
std::filesystem::path executable_path();

// The folders searched, in order (see above); they need not exist.
std::vector<std::filesystem::path> asset_search_dirs();

// The asset at `relative` (e.g. "presets/gs3d/demo.json") in the first folder that has it. Throws
// Error naming the asset and every folder looked in when none has it.
std::filesystem::path find_asset(const std::string& relative);

// The file names (without extension) of the `extension` files in the asset folder `relative`,
// over every searched folder, sorted and without repeats ("presets/gs3d", ".json": default, demo).
std::vector<std::string> list_assets(const std::string& relative, const std::string& extension);

} // namespace splatscape
