// Applies one YAML value to one key of the table, with the key's type, range and check.
// Shared by the YAML file reader and the command line (flags become scalar or sequence
// nodes), so that both report the same problems in the same words.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <vector>

#include "dnsd/config/config.h"
#include "dnsd/config/keys.h"

namespace dnsd::config {

struct Reporter {
  std::string source;  // file name or "command line"
  std::vector<ConfigError>& errors;
  void Add(int line, const std::string& key, const std::string& message) {
    errors.push_back({source, line, key, message});
  }
};

// 1-based line of node, or fallback when the node has no position (null, built in code).
int LineOf(const YAML::Node& node, int fallback = 0);

// label names the key in messages ("dns.ttl" or "--ttl"); list elements are labelled
// "label[i]" when index_elements, else label. Nothing is stored when a problem is found.
void ApplyValue(const KeySpec& spec, const YAML::Node& value, int key_line,
                const std::string& label, bool index_elements, Config& cfg, Reporter& rep);

// Checks a value already stored in a Config (type range, choices, per-value check) and
// appends its problems with an empty source (for Validate).
void CheckStoredValue(const KeySpec& spec, const Config& cfg, std::vector<ConfigError>& errors);

}  // namespace dnsd::config
