// `view --commands FILE.json`: each entry becomes the command its panel button pushes; a bad file
// is one clear error naming the entry, before the window opens.
#include <gtest/gtest.h>

#include "app/gui/command_script.hpp"
#include "core/error.hpp"

namespace splatscape::gui {
namespace {

TEST(CommandScript, EntriesBecomeThePanelsCommands) {
    const Commands c = parse_command_script(Json::parse(R"([
        {"command": "path_add_key"},
        {"command": "path_settings", "width": 96, "height": 64, "fps": 12, "smooth": false},
        {"command": "path_save", "file": "p.json"},
        {"command": "path_render_video", "file": "v.mp4"},
        {"command": "path_cancel_video"}])"),
                                            "script.json");
    ASSERT_EQ(c.size(), 5u);
    EXPECT_TRUE(std::holds_alternative<command::PathAddKey>(c[0]));
    const auto& s = std::get<command::PathSettings>(c[1]);
    EXPECT_EQ(s.width, 96);
    EXPECT_EQ(s.height, 64);
    EXPECT_EQ(s.fps, 12.0);
    EXPECT_FALSE(s.smooth);
    EXPECT_EQ(std::get<command::PathSave>(c[2]).path, "p.json");
    EXPECT_EQ(std::get<command::PathRenderVideo>(c[3]).path, "v.mp4");
    EXPECT_TRUE(std::holds_alternative<command::PathCancelVideo>(c[4]));
}

TEST(CommandScript, BadEntriesNameWhatIsWrong) {
    auto error_of = [](const char* text) {
        try {
            parse_command_script(Json::parse(text), "script.json");
        } catch (const Error& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_NE(error_of(R"({"command": "path_add_key"})").find("array"), std::string::npos);
    EXPECT_NE(error_of(R"([42])").find("[0]"), std::string::npos);
    const std::string unknown = error_of(R"([{"command": "path_add_key"}, {"command": "fly"}])");
    EXPECT_NE(unknown.find("[1].command"), std::string::npos) << unknown;
    EXPECT_NE(unknown.find("path_render_video"), std::string::npos) << unknown;
    EXPECT_NE(error_of(R"([{"command": "path_render_video"}])").find("[0].file"), std::string::npos);
    EXPECT_NE(error_of(R"([{"command": "path_settings", "width": 0, "height": 9, "fps": 9, "smooth": true}])")
                  .find("[0].width"),
              std::string::npos);
    EXPECT_NE(error_of(R"([{"command": "path_settings", "width": 9, "height": 9, "fps": 1e9, "smooth": true}])")
                  .find("[0].fps"),
              std::string::npos);
    EXPECT_NE(error_of(R"([{"command": 3}])").find("[0].command"), std::string::npos);
}

} // namespace
} // namespace splatscape::gui
