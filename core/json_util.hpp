#pragma once
// JSON as untrusted input: parse errors and wrong types name the file and the field.
#include <filesystem>
#include <string>

#include <nlohmann/json.hpp>

#include "core/error.hpp"

namespace splatscape {

using Json = nlohmann::json;

// Parses a JSON file. Throws Error(file, "", "invalid JSON at line ...") on malformed input.
Json load_json(const std::filesystem::path& path);
Json parse_json(const std::string& text, const std::string& name);
// Writes pretty-printed JSON atomically.
void save_json(const std::filesystem::path& path, const Json& json);

// Checked access. `where` names the file (and is the Error's file); `field` is a dotted path
// for messages ("frames[3].transform_matrix").
double json_number(const Json& j, const std::string& field, const std::string& where);  // finite
int json_int(const Json& j, const std::string& field, const std::string& where, int lo, int hi);
std::string json_string(const Json& j, const std::string& field, const std::string& where);
bool json_bool(const Json& j, const std::string& field, const std::string& where);

// `j[key]` as a number when present, else `fallback`.
double json_number_or(const Json& obj, const char* key, double fallback, const std::string& field_prefix,
                      const std::string& where);
const Json& json_member(const Json& obj, const char* key, const std::string& field_prefix, const std::string& where);

}  // namespace splatscape
