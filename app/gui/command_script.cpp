#include "app/gui/command_script.hpp"

#include <array>

#include "core/error.hpp"
#include "core/json_util.hpp"

namespace splatscape::gui {
namespace {

constexpr std::array kNames = {"reset_camera", "path_add_key", "path_clear",        "path_settings",     "path_load",
                               "path_save",    "path_preview", "path_render_video", "path_cancel_video", "screenshot"};

std::string names() {
    std::string s;
    for (const char* n : kNames) s += cat(s.empty() ? "" : ", ", n);
    return s;
}

} // namespace

Commands parse_command_script(const Json& script, const std::string& where) {
    if (!script.is_array()) throw Error(where, "", "expected a JSON array of commands");
    if (script.size() > 10000) throw Error(where, "", cat(script.size(), " commands; at most 10000"));
    Commands out;
    for (size_t i = 0; i < script.size(); ++i) {
        const Json& e = script[i];
        const std::string at = cat("[", i, "]");
        if (!e.is_object()) throw Error(where, at, "expected an object such as {\"command\": \"path_add_key\"}");
        const std::string name = json_string(json_member(e, "command", at, where), at + ".command", where);
        auto file = [&] { return json_string(json_member(e, "file", at, where), at + ".file", where); };
        if (name == "reset_camera") {
            out.push_back(command::ResetCamera{});
        } else if (name == "path_add_key") {
            out.push_back(command::PathAddKey{});
        } else if (name == "path_clear") {
            out.push_back(command::PathClear{});
        } else if (name == "path_settings") {
            command::PathSettings s;
            s.width = json_int(json_member(e, "width", at, where), at + ".width", where, 1, 16384);
            s.height = json_int(json_member(e, "height", at, where), at + ".height", where, 1, 16384);
            s.fps = json_number(json_member(e, "fps", at, where), at + ".fps", where);
            if (!(s.fps >= 1.0 && s.fps <= 240.0)) throw Error(where, at + ".fps", cat(s.fps, "; expected 1 to 240"));
            s.smooth = json_bool(json_member(e, "smooth", at, where), at + ".smooth", where);
            out.push_back(s);
        } else if (name == "path_load") {
            out.push_back(command::PathLoad{file()});
        } else if (name == "path_save") {
            out.push_back(command::PathSave{file()});
        } else if (name == "path_preview") {
            out.push_back(command::PathPreview{true});
        } else if (name == "path_render_video") {
            out.push_back(command::PathRenderVideo{file()});
        } else if (name == "path_cancel_video") {
            out.push_back(command::PathCancelVideo{});
        } else if (name == "screenshot") {
            const bool window = e.contains("window") && json_bool(e["window"], at + ".window", where);
            out.push_back(command::Screenshot{file(), window});
        } else {
            throw Error(where, at + ".command", cat("\"", name, "\"; expected one of ", names()));
        }
    }
    return out;
}

Commands read_command_script(const std::filesystem::path& file) {
    return parse_command_script(load_json(file), file.string());
}

} // namespace splatscape::gui
