#include "core/io/html_export.hpp"

#include <functional>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <vector>

#include "core/error.hpp"
#include "core/file_util.hpp"
#include "core/io/s4d.hpp"
#include "core/io/spz.hpp"
#include "core/io/web_assets.hpp"

namespace splatscape {
namespace {

constexpr const char* kModuleTag = "<script type=\"module\" src=\"./main.js\"></script>";

std::string html_escape(const std::string& s) {
    std::string out;
    for (char c : s) {
        switch (c) {
        case '&':
            out += "&amp;";
            break;
        case '<':
            out += "&lt;";
            break;
        case '>':
            out += "&gt;";
            break;
        case '"':
            out += "&quot;";
            break;
        case '\'':
            out += "&#39;";
            break;
        default:
            out += c;
        }
    }
    return out;
}

struct Module {
    std::vector<std::string> deps;
    std::vector<std::string> names; // top-level declarations (lines that start in column 0)
    std::string body;               // the file with import lines removed and `export ` prefixes stripped
};

Module parse_module(const std::string& name, std::string_view text) {
    static const std::regex kImport(R"(^\s*import\s*\{[^}]*\}\s*from\s*['"]\./([A-Za-z0-9_.-]+\.js)['"]\s*;?\s*$)");
    static const std::regex kAnyImport(R"(^\s*import[\s{*'"])");
    static const std::regex kExport(R"(^export\s+(async\s+function|function|class|const|let)\b)");
    Module m;
    std::istringstream in{std::string(text)};
    std::string line;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        std::smatch match;
        if (std::regex_match(line, match, kImport)) {
            m.deps.push_back(match[1]);
            continue;
        }
        if (std::regex_search(line, kAnyImport))
            throw Error(cat("web/", name), cat("line ", line_no),
                        "imports must read `import { a, b } from './file.js';` on one line to be bundled");
        if (line.starts_with("export ")) {
            if (!std::regex_search(line, kExport))
                throw Error(cat("web/", name), cat("line ", line_no),
                            "only `export function|class|const|let` can be bundled");
            line = line.substr(7);
        }
        static const std::regex kDeclaration(
            R"(^(?:async\s+)?(?:function\*?|class|const|let|var)\s+([A-Za-z_$][\w$]*))");
        if (std::smatch decl; std::regex_search(line, decl, kDeclaration)) m.names.push_back(decl[1]);
        m.body += line;
        m.body += '\n';
    }
    return m;
}

} // namespace

std::string base64_encode(const uint8_t* data, size_t size) {
    static const char* kAlphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    out.reserve((size + 2) / 3 * 4);
    size_t i = 0;
    for (; i + 2 < size; i += 3) {
        const uint32_t v = uint32_t(data[i]) << 16 | uint32_t(data[i + 1]) << 8 | data[i + 2];
        for (int s = 18; s >= 0; s -= 6) out += kAlphabet[(v >> s) & 63];
    }
    if (i < size) {
        uint32_t v = uint32_t(data[i]) << 16;
        if (i + 1 < size) v |= uint32_t(data[i + 1]) << 8;
        out += kAlphabet[(v >> 18) & 63];
        out += kAlphabet[(v >> 12) & 63];
        out += i + 1 < size ? kAlphabet[(v >> 6) & 63] : '=';
        out += '=';
    }
    return out;
}

std::string bundle_viewer_script(const std::string& entry) {
    std::set<std::string> done, active;
    std::map<std::string, std::string> declared_in; // top-level name -> file
    std::string out;
    std::function<void(const std::string&)> visit = [&](const std::string& name) {
        if (done.count(name)) return;
        if (active.count(name)) throw Error(cat("web/", name), "imports", "circular import");
        active.insert(name);
        Module m = parse_module(name, web_asset(name));
        // One script shares one top-level scope: a name declared in two files would not load.
        for (const auto& n : m.names)
            if (auto [it, fresh] = declared_in.emplace(n, name); !fresh)
                throw Error(cat("web/", name), n,
                            cat("also declared at the top level of web/", it->second,
                                "; top-level names must be unique across the viewer's files"));
        for (const auto& dep : m.deps) visit(dep);
        out += cat("// ---- ", name, " ----\n", m.body);
        active.erase(name);
        done.insert(name);
    };
    visit(entry);
    // An inline script ends at the first "</script"; the bundle must not contain one.
    for (size_t pos = out.find("</script"); pos != std::string::npos; pos = out.find("</script", pos))
        out.replace(pos, 8, "<\\/script");
    return out;
}

namespace {

// The viewer page with `scene` (a file in `format`, as the viewer's loaders read it) embedded.
std::string page_with_scene(const std::vector<uint8_t>& scene, const std::string& format, const std::string& title) {
    std::string page(web_asset("index.html"));
    const size_t tag = page.find(kModuleTag);
    if (tag == std::string::npos)
        throw Error("web/index.html", "", cat("expected the line ", kModuleTag, " to replace with the bundle"));
    std::string block = cat("<script id=\"splatscape-scene\" type=\"application/octet-stream\" data-format=\"", format,
                            "\" data-name=\"", html_escape(title), "\">", base64_encode(scene.data(), scene.size()),
                            "</script>\n", "<script type=\"module\">\n", bundle_viewer_script("main.js"), "</script>");
    page.replace(tag, std::string(kModuleTag).size(), block);
    const std::string kTitle = "<title>Splatscape viewer</title>";
    if (size_t t = page.find(kTitle); t != std::string::npos)
        page.replace(t, kTitle.size(), "<title>" + html_escape(title) + " - Splatscape viewer</title>");
    return page;
}

} // namespace

std::string make_viewer_html(const GaussianCloud4d& cloud, const std::string& title) {
    return page_with_scene(encode_s4d(cloud), "s4d", title);
}

void write_viewer_html(const std::filesystem::path& path, const GaussianCloud4d& cloud) {
    std::string name = path.stem().string();
    write_file_atomic(path, make_viewer_html(cloud, name.empty() ? "scene" : name));
}

std::string make_viewer_html(const GaussianCloud& cloud, const std::string& title) {
    std::string page(web_asset("index.html"));
    const size_t tag = page.find(kModuleTag);
    if (tag == std::string::npos)
        throw Error("web/index.html", "", cat("expected the line ", kModuleTag, " to replace with the bundle"));
    const std::vector<uint8_t> spz = encode_spz(cloud);
    std::string block = cat("<script id=\"splatscape-scene\" type=\"application/octet-stream\" data-format=\"spz\" "
                            "data-name=\"",
                            html_escape(title), "\">", base64_encode(spz.data(), spz.size()), "</script>\n",
                            "<script type=\"module\">\n", bundle_viewer_script("main.js"), "</script>");
    page.replace(tag, std::string(kModuleTag).size(), block);
    const std::string kTitle = "<title>Splatscape viewer</title>";
    if (size_t t = page.find(kTitle); t != std::string::npos)
        page.replace(t, kTitle.size(), "<title>" + html_escape(title) + " - Splatscape viewer</title>");
    return page;
}

void write_viewer_html(const std::filesystem::path& path, const GaussianCloud& cloud) {
    std::string name = path.stem().string();
    write_file_atomic(path, make_viewer_html(cloud, name.empty() ? "scene" : name));
}

} // namespace splatscape
