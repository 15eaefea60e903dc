#pragma once
// JSON to YAML in block style, for Kubernetes manifests people read and edit: keys keep their
// order, multi-line strings become literal blocks (`|`), other strings are plain where YAML
// reads them back as the same string and JSON-quoted (valid YAML) otherwise.
#include <string>

#include <nlohmann/json.hpp>

namespace splatscape::batch {

std::string to_yaml(const nlohmann::ordered_json& value);

} // namespace splatscape::batch
