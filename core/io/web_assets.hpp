#pragma once
// The web viewer's files (web/*.html, web/*.js, web/*.css), embedded into the binary at build time
// by web/embed_web.cmake so that `splatscape export --format html` works from any folder.
#include <span>
#include <string_view>

namespace splatscape {

struct WebAsset {
    std::string_view name;    // file name inside web/, e.g. "main.js"
    std::string_view content; // the file's bytes
};

std::span<const WebAsset> web_assets();
// Throws Error when the build holds no such file.
std::string_view web_asset(std::string_view name);

} // namespace splatscape
