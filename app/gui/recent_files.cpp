#include "app/gui/recent_files.hpp"

#include <algorithm>
#include <cstdlib>

#include "core/error.hpp"
#include "core/json_util.hpp"
#include "core/log.hpp"

namespace splatscape::gui {

namespace fs = std::filesystem;

RecentFiles::RecentFiles(fs::path file) : m_file(std::move(file)) {
    std::error_code ec;
    if (m_file.empty() || !fs::exists(m_file, ec)) return;
    try {
        const Json j = load_json(m_file);
        const Json& list = json_member(j, "recent", "", m_file.string());
        if (!list.is_array()) throw Error(m_file.string(), "recent", "expected a list of paths");
        for (const Json& item : list) {
            if (m_items.size() == kMaxItems) break;
            m_items.push_back(json_string(item, "recent[]", m_file.string()));
        }
    } catch (const Error& e) {
        log::warn("ignoring the recent-files list: ", e.what());
        m_items.clear();
    }
}

fs::path RecentFiles::default_file() {
    const char* xdg = std::getenv("XDG_CONFIG_HOME");
    if (xdg && *xdg) return fs::path(xdg) / "splatscape" / "recent.json";
    const char* home = std::getenv("HOME");
    if (home && *home) return fs::path(home) / ".config" / "splatscape" / "recent.json";
    return {};
}

void RecentFiles::add(const fs::path& path) {
    std::error_code ec;
    fs::path abs = fs::absolute(path, ec);
    const std::string item = (ec ? path : abs.lexically_normal()).string();
    m_items.erase(std::remove(m_items.begin(), m_items.end(), item), m_items.end());
    m_items.insert(m_items.begin(), item);
    if (m_items.size() > kMaxItems) m_items.resize(kMaxItems);
    save();
}

void RecentFiles::remove(const std::string& path) {
    const size_t before = m_items.size();
    m_items.erase(std::remove(m_items.begin(), m_items.end(), path), m_items.end());
    if (m_items.size() != before) save();
}

void RecentFiles::save() const {
    if (m_file.empty()) return;
    try {
        std::error_code ec;
        fs::create_directories(m_file.parent_path(), ec);
        save_json(m_file, Json{{"recent", m_items}});
    } catch (const Error& e) {
        // The list is a convenience: a read-only home must not stop the viewer.
        log::warn("cannot save the recent-files list: ", e.what());
    }
}

} // namespace splatscape::gui
