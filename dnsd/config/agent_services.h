// agent.services (SPEC §9): the local services an agent registers on its servers and
// checks itself. Not a key of the table (keys.h), whose values are scalars and lists of
// them: a list of maps with checks inside, read here with the same line-numbered errors.
#pragma once

#include <yaml-cpp/yaml.h>

#include "dnsd/config/apply.h"
#include "dnsd/config/config.h"

namespace dnsd::config {

inline constexpr std::string_view kAgentServicesKey = "agent.services";

// Each entry: name, id, address, port, tags, meta, checks (each: exactly one of http (URL),
// tcp (host:port) and exec (argv list), with interval, timeout, success_before_passing,
// failures_before_critical, name). Every problem is reported with its line and its path
// ("agent.services[1].checks[0].interval"); nothing of a list with a problem is stored.
void ApplyAgentServices(const YAML::Node& list, int key_line, Config& cfg, Reporter& rep);

}  // namespace dnsd::config
