// http.tokens (SPEC §12): who may write. Not a key of the table (keys.h), whose values are
// scalars and lists of them: each entry is a plain string (may write every service) or a
// mapping {token: "...", services: ["api", "web-*"]} (may write only the services its
// patterns match), read here with the same line-numbered errors.
#pragma once

#include <yaml-cpp/yaml.h>

#include <string>
#include <string_view>

#include "dnsd/config/apply.h"
#include "dnsd/config/config.h"

namespace dnsd::config {

inline constexpr std::string_view kHttpTokensKey = "http.tokens";

// Every problem is reported with its line and path ("http.tokens[1].services[0]"); nothing
// of a list with a problem is stored. Patterns are stored lower-case.
void ApplyHttpTokens(const YAML::Node& list, int key_line, Config& cfg, Reporter& rep);

// A service pattern: a DNS label ("api"), or label characters followed by one '*' at the
// end ("web-*", "*"); "" when fine, else the problem.
std::string CheckServicePattern(std::string_view pattern);

// Validate(): the tokens of a Config built in code, by the same rules.
void CheckHttpTokens(const Config& cfg, std::vector<ConfigError>& errors);

}  // namespace dnsd::config
