#include "app/batch/yaml_writer.hpp"

#include <cctype>

namespace splatscape::batch {

namespace {

using OJson = nlohmann::ordered_json;

bool plain_safe(const std::string& s) {
    if (s.empty() || s.size() > 200) return false;
    // Words YAML 1.1 readers (Kubernetes' among them) take as booleans or null.
    static const char* const kReserved[] = {"true", "false", "yes", "no", "on", "off", "null", "y", "n", "~"};
    std::string lower;
    for (char c : s) lower += char(std::tolower(static_cast<unsigned char>(c)));
    for (const char* r : kReserved)
        if (lower == r) return false;
    // Anything that could read as a number (or a timestamp, or a sexagesimal) stays quoted.
    if (std::isdigit(static_cast<unsigned char>(s[0])) || s[0] == '-' || s[0] == '+' || s[0] == '.') return false;
    for (char c : s)
        if (!(std::isalnum(static_cast<unsigned char>(c)) || c == '/' || c == '.' || c == '_' || c == '-'))
            return false;
    return true;
}

bool literal_safe(const std::string& s) {
    if (s.find('\n') == std::string::npos || s.front() == ' ' || s.front() == '\n') return false;
    for (unsigned char c : s)
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) return false;
    // Trailing spaces on a line survive a literal block, but editors strip them: quote instead.
    return s.find(" \n") == std::string::npos;
}

std::string key_text(const std::string& k) {
    return plain_safe(k) ? k : OJson(k).dump();
}

std::string scalar(const OJson& v, int indent) {
    if (v.is_string()) {
        const std::string& s = v.get_ref<const std::string&>();
        if (plain_safe(s)) return s;
        if (literal_safe(s)) {
            // "|" keeps one final newline, "|-" none, "|+" all of them.
            size_t trailing = 0;
            while (trailing < s.size() && s[s.size() - 1 - trailing] == '\n') ++trailing;
            std::string out = trailing == 0 ? "|-" : trailing == 1 ? "|" : "|+";
            const std::string pad(size_t(indent), ' ');
            size_t start = 0;
            const std::string body = s.substr(0, s.size() - trailing);
            while (start <= body.size()) {
                const size_t end = body.find('\n', start);
                const std::string line = body.substr(start, end == std::string::npos ? std::string::npos : end - start);
                out += '\n';
                if (!line.empty()) out += pad + line;
                if (end == std::string::npos) break;
                start = end + 1;
            }
            for (size_t i = 1; i < trailing; ++i) out += "\n";
            return out;
        }
        return v.dump();
    }
    if (v.is_object()) return "{}";
    if (v.is_array()) return "[]";
    return v.dump();
}

void emit_map(const OJson& j, int indent, std::string& out);

void emit_seq(const OJson& a, int indent, std::string& out) {
    const std::string pad(size_t(indent), ' ');
    for (const OJson& item : a) {
        if (item.is_object() && !item.empty()) {
            std::string sub;
            emit_map(item, indent + 2, sub);
            out += pad + "- " + sub.substr(size_t(indent) + 2);
        } else if (item.is_array() && !item.empty()) {
            out += pad + "-\n";
            emit_seq(item, indent + 2, out);
        } else {
            out += pad + "- " + scalar(item, indent + 2) + "\n";
        }
    }
}

void emit_map(const OJson& j, int indent, std::string& out) {
    const std::string pad(size_t(indent), ' ');
    for (auto it = j.begin(); it != j.end(); ++it) {
        out += pad + key_text(it.key()) + ":";
        const OJson& v = it.value();
        if (v.is_object() && !v.empty()) {
            out += "\n";
            emit_map(v, indent + 2, out);
        } else if (v.is_array() && !v.empty()) {
            out += "\n";
            emit_seq(v, indent + 2, out);
        } else {
            out += ' ';
            out += scalar(v, indent + 2);
            out += '\n';
        }
    }
}

} // namespace

std::string to_yaml(const OJson& value) {
    std::string out;
    if (value.is_object() && !value.empty())
        emit_map(value, 0, out);
    else if (value.is_array() && !value.empty())
        emit_seq(value, 0, out);
    else
        out = scalar(value, 0) + "\n";
    return out;
}

} // namespace splatscape::batch
