#pragma once
// `view --commands FILE.json`: panel commands applied in order once the scene is shown, for
// scripted runs (making a scene's video from a saved path without clicking, tests). The file is a
// JSON array of objects, each naming a command and its fields:
//
//   [{"command": "reset_camera"},
//    {"command": "path_add_key"},                         the current view, 1 s after the last key
//    {"command": "path_clear"},
//    {"command": "path_settings", "width": 640, "height": 360, "fps": 24, "smooth": true},
//    {"command": "path_load", "file": "path.json"},
//    {"command": "path_save", "file": "path.json"},
//    {"command": "path_preview"},
//    {"command": "path_render_video", "file": "orbit.mp4"},  as the panel's "Render video"
//    {"command": "path_cancel_video"},
//    {"command": "screenshot", "file": "shot.png", "window": false}]
//
// path_settings needs all four fields. Options that close the window (--exit-after-frames) wait for
// the script to be applied and for a video being rendered.
#include <filesystem>

#include "app/gui/viewer_state.hpp"

namespace splatscape::gui {

// Throws Error naming the file and the entry ("[2].command") when the script is not valid.
Commands parse_command_script(const Json& script, const std::string& where);
Commands read_command_script(const std::filesystem::path& file);

} // namespace splatscape::gui
