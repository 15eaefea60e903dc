#include "core/json_util.hpp"

#include <cmath>

#include "core/file_util.hpp"

namespace splatscape {

Json parse_json(const std::string& text, const std::string& name) {
    try {
        return Json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        // nlohmann's message already names the line and column.
        std::string what = e.what();
        auto pos = what.find("parse error");
        throw Error(name, "", "invalid JSON: " + (pos == std::string::npos ? what : what.substr(pos)));
    } catch (const nlohmann::json::exception& e) {
        // A number beyond double range ("1e999") is reported as out_of_range, not as a parse error.
        throw Error(name, "", cat("invalid JSON: ", e.what()));
    }
}

Json load_json(const std::filesystem::path& path) { return parse_json(read_file_text(path, uint64_t(1) << 30), path.string()); }

void save_json(const std::filesystem::path& path, const Json& json) { write_file_atomic(path, json.dump(2) + "\n"); }

double json_number(const Json& j, const std::string& field, const std::string& where) {
    if (!j.is_number()) throw Error(where, field, cat("expected a number, found ", j.type_name()));
    double v = j.get<double>();
    if (!std::isfinite(v)) throw Error(where, field, "expected a finite number");
    return v;
}

int json_int(const Json& j, const std::string& field, const std::string& where, int lo, int hi) {
    double v = json_number(j, field, where);
    if (v != std::floor(v) || v < lo || v > hi)
        throw Error(where, field, cat("expected an integer in [", lo, ", ", hi, "], found ", v));
    return int(v);
}

std::string json_string(const Json& j, const std::string& field, const std::string& where) {
    if (!j.is_string()) throw Error(where, field, cat("expected a string, found ", j.type_name()));
    return j.get<std::string>();
}

bool json_bool(const Json& j, const std::string& field, const std::string& where) {
    if (!j.is_boolean()) throw Error(where, field, cat("expected true or false, found ", j.type_name()));
    return j.get<bool>();
}

double json_number_or(const Json& obj, const char* key, double fallback, const std::string& prefix,
                      const std::string& where) {
    if (!obj.is_object()) return fallback;
    auto it = obj.find(key);
    if (it == obj.end() || it->is_null()) return fallback;
    return json_number(*it, prefix.empty() ? key : prefix + "." + key, where);
}

const Json& json_member(const Json& obj, const char* key, const std::string& prefix, const std::string& where) {
    std::string field = prefix.empty() ? key : prefix + "." + key;
    if (!obj.is_object()) throw Error(where, prefix.empty() ? "(root)" : prefix, cat("expected an object, found ", obj.type_name()));
    auto it = obj.find(key);
    if (it == obj.end()) throw Error(where, field, "missing");
    return *it;
}

}  // namespace splatscape
