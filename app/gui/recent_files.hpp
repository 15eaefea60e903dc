#pragma once
// Recently opened scenes, most recent first, kept in $XDG_CONFIG_HOME/splatscape/recent.json
// ($HOME/.config when XDG_CONFIG_HOME is unset), so the Scene panel offers them next time.
#include <filesystem>
#include <string>
#include <vector>

namespace splatscape::gui {

class RecentFiles {
public:
    static constexpr size_t kMaxItems = 12;

    // Reads `file` when it exists; a file that cannot be read is ignored (with a warning), never fatal.
    explicit RecentFiles(std::filesystem::path file);

    // The file the viewer uses; empty when neither XDG_CONFIG_HOME nor HOME is set.
    static std::filesystem::path default_file();

    // Moves `path` (made absolute) to the front and writes the file (atomically).
    void add(const std::filesystem::path& path);
    void remove(const std::string& path);
    const std::vector<std::string>& items() const { return m_items; }
    const std::filesystem::path& file() const { return m_file; }

private:
    void save() const;

    std::filesystem::path m_file;
    std::vector<std::string> m_items;
};

} // namespace splatscape::gui
