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

// Third-party modules bundled inside a function scope of their own (their top-level names are not
// ours): only what they export becomes a top-level name of the bundle.
bool is_isolated_module(const std::string& name) {
    return name == "fzstd.js"; // third_party/fzstd
}

Module parse_isolated_module(const std::string& name, std::string_view text) {
    static const std::regex kExportDecl(R"(^export\s+(?:var|let|const|function\*?|class)\s+([A-Za-z_$][\w$]*))");
    static const std::regex kExportList(R"(^export\s*\{([^}]*)\}\s*;?\s*$)");
    static const std::regex kImport(R"(^\s*import[\s{*'"])");
    Module m;
    std::istringstream in{std::string(text)};
    std::string line, body;
    int line_no = 0;
    while (std::getline(in, line)) {
        ++line_no;
        std::smatch match;
        if (std::regex_search(line, kImport))
            throw Error(cat("web/", name), cat("line ", line_no), "an isolated module must not import others");
        if (std::regex_search(line, match, kExportDecl)) {
            m.names.push_back(match[1]);
            line = line.substr(7);
        } else if (std::regex_match(line, match, kExportList)) {
            std::istringstream list(match[1].str());
            for (std::string item; std::getline(list, item, ',');) {
                const size_t a = item.find_first_not_of(" \t"), b = item.find_last_not_of(" \t");
                if (a == std::string::npos) continue;
                item = item.substr(a, b - a + 1);
                if (item.find(' ') != std::string::npos)
                    throw Error(cat("web/", name), cat("line ", line_no), "renamed exports cannot be bundled");
                m.names.push_back(item);
            }
            continue;
        } else if (line.starts_with("export ")) {
            throw Error(cat("web/", name), cat("line ", line_no), "this export form cannot be bundled");
        }
        body += line;
        body += '\n';
    }
    std::string names;
    for (const auto& n : m.names) names += (names.empty() ? "" : ", ") + n;
    m.body = cat("const { ", names, " } = (() => {\n", body, "return { ", names, " };\n})();\n");
    return m;
}

Module parse_module(const std::string& name, std::string_view text) {
    if (is_isolated_module(name)) return parse_isolated_module(name, text);
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

std::string make_viewer_html(const GaussianCloud& cloud, const std::string& title, const Json& views) {
    std::string page(web_asset("index.html"));
    const size_t tag = page.find(kModuleTag);
    if (tag == std::string::npos)
        throw Error("web/index.html", "", cat("expected the line ", kModuleTag, " to replace with the bundle"));
    // Version 3 (gzip): browsers inflate it natively (DecompressionStream); its frame is RUB, which the
    // viewer assumes for SPZ files without a frame record.
    SpzOptions spz_options;
    spz_options.version = 3;
    spz_options.frame = SpzFrame::Rub;
    const std::vector<uint8_t> spz = encode_spz(cloud, spz_options);
    std::string views_block;
    if (!views.is_null()) {
        // JSON inside a script element ends at the first "</": escape the slash of any such pair.
        std::string text = views.dump();
        for (size_t pos = text.find("</"); pos != std::string::npos; pos = text.find("</", pos + 3))
            text.replace(pos, 2, "<\\/");
        views_block = cat("<script id=\"splatscape-views\" type=\"application/json\">", text, "</script>\n");
    }
    std::string block = cat("<script id=\"splatscape-scene\" type=\"application/octet-stream\" data-format=\"spz\" "
                            "data-name=\"",
                            html_escape(title), "\">", base64_encode(spz.data(), spz.size()), "</script>\n",
                            views_block, "<script type=\"module\">\n", bundle_viewer_script("main.js"), "</script>");
    page.replace(tag, std::string(kModuleTag).size(), block);
    const std::string kTitle = "<title>Splatscape viewer</title>";
    if (size_t t = page.find(kTitle); t != std::string::npos)
        page.replace(t, kTitle.size(), "<title>" + html_escape(title) + " - Splatscape viewer</title>");
    return page;
}

void write_viewer_html(const std::filesystem::path& path, const GaussianCloud& cloud, const Json& views) {
    std::string name = path.stem().string();
    write_file_atomic(path, make_viewer_html(cloud, name.empty() ? "scene" : name, views));
}

} // namespace splatscape
