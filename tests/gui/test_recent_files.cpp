// Recent files: most recent first, no duplicates, bounded, kept in $XDG_CONFIG_HOME/splatscape.
#include <cstdlib>
#include <fstream>

#include <gtest/gtest.h>

#include "app/gui/recent_files.hpp"
#include "tests/support/test_support.hpp"

namespace splatscape::gui {
namespace {

namespace fs = std::filesystem;
using test::TempDir;

TEST(RecentFiles, DefaultFileFollowsXdgConfigHome) {
    TempDir dir("gui_recent_xdg");
    const char* before = std::getenv("XDG_CONFIG_HOME");
    const std::string saved = before ? before : "";
    setenv("XDG_CONFIG_HOME", dir.path().c_str(), 1);
    EXPECT_EQ(RecentFiles::default_file(), dir.path() / "splatscape" / "recent.json");
    if (before)
        setenv("XDG_CONFIG_HOME", saved.c_str(), 1);
    else
        unsetenv("XDG_CONFIG_HOME");
}

TEST(RecentFiles, MostRecentFirstPersistedAndBounded) {
    TempDir dir("gui_recent_list");
    const fs::path file = dir / "config" / "splatscape" / "recent.json";
    {
        RecentFiles r(file);
        EXPECT_TRUE(r.items().empty());
        r.add(dir / "a.ply");
        r.add(dir / "b.ply");
        r.add(dir / "sub" / ".." / "a.ply"); // the same file, spelled differently
        ASSERT_EQ(r.items().size(), 2u);
        EXPECT_EQ(r.items()[0], (dir / "a.ply").string());
        EXPECT_EQ(r.items()[1], (dir / "b.ply").string());
    }
    ASSERT_TRUE(fs::exists(file)) << "written when changed";
    {
        RecentFiles r(file);
        ASSERT_EQ(r.items().size(), 2u);
        EXPECT_EQ(r.items()[0], (dir / "a.ply").string());
        r.remove((dir / "a.ply").string());
        for (int i = 0; i < 20; ++i) r.add(dir / ("scene" + std::to_string(i) + ".ply"));
        EXPECT_EQ(r.items().size(), RecentFiles::kMaxItems);
        EXPECT_EQ(r.items()[0], (dir / "scene19.ply").string());
    }
    EXPECT_EQ(RecentFiles(file).items().size(), RecentFiles::kMaxItems);
}

TEST(RecentFiles, ACorruptListIsIgnored) {
    TempDir dir("gui_recent_corrupt");
    const fs::path file = dir / "recent.json";
    std::ofstream(file) << "{\"recent\": [1, 2";
    RecentFiles r(file);
    EXPECT_TRUE(r.items().empty());
    r.add(dir / "x.ply");
    EXPECT_EQ(RecentFiles(file).items().size(), 1u) << "and replaced by the next change";
}

} // namespace
} // namespace splatscape::gui
