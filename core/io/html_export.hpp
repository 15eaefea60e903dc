#pragma once
// The standalone HTML export: one file holding the web viewer (web/, embedded in the binary) and the
// scene as base64 SPZ v3, which a browser opens from disk with a double click. ES modules do not
// load from file:// URLs, so the viewer's modules are joined into one inline module script: the
// files in web/ follow two rules that make this safe, checked here (a violation is an Error):
//   - imports are `import { a, b } from './file.js';` on one line (no default or namespace imports);
//   - top-level names are unique across files, and exports are `export function|class|const|let`.
#include <filesystem>
#include <string>

#include "core/gaussian_cloud.hpp"
#include "core/gaussian_cloud_4d.hpp"
#include "core/json_util.hpp"

namespace splatscape {

// The viewer's modules, starting at `entry`, joined in dependency order into one script.
std::string bundle_viewer_script(const std::string& entry = "main.js");
std::string base64_encode(const uint8_t* data, size_t size);

// Views the page opens with (web/views.js reads them): {"up": [x, y, z] world up, "background":
// [r, g, b], "cameras": [{"name", "R": world-to-camera rows (9), "t" (3), "fx", "fy", "cx", "cy",
// "width", "height", "focus": distance to the scene centre along the view}, ...]}, in the internal
// (OpenCV / COLMAP) frame; the page starts at the first camera and lists them all in a menu. Null:
// the page frames the scene itself.
// The complete HTML page; `title` names the scene in the page title.
std::string make_viewer_html(const GaussianCloud& cloud, const std::string& title, const Json& views = nullptr);
void write_viewer_html(const std::filesystem::path& path, const GaussianCloud& cloud, const Json& views = nullptr);
// The same page with a 4D scene (gs4d) embedded as a compact .s4d (core/io/s4d.hpp): the viewer
// slices it in the vertex shader and shows a time slider with play, pause, speed and loop.
std::string make_viewer_html(const GaussianCloud4d& cloud, const std::string& title);
void write_viewer_html(const std::filesystem::path& path, const GaussianCloud4d& cloud);

} // namespace splatscape
