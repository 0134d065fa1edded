// The one vocabulary of registry writes. Every front end (the native API, and later the
// Consul and Eureka APIs and the agent) translates its requests into these commands and
// hands them to a Store (registry/store.h); none of them calls a mutating Registry method.
// Commands are plain values: they can be queued, logged or sent to another replica.
#pragma once

#include <optional>
#include <string>
#include <variant>

#include "registry/instance.h"
#include "registry/result.h"

namespace registry {

class Registry;

// Register or replace an instance (SPEC §3). The address must be filled in.
struct RegisterCommand {
  InstanceSpec spec;
  // Consul's rules (SPEC §10). An ID is unique across services: a registration under
  // another service first removes the instance of that id from `moves_from` (after the
  // spec validated, so a refused registration removes nothing).
  std::optional<std::string> moves_from;
  // The health a registration sets (Consul's Check.Status): warning or critical; passing
  // is what registering means anyway.
  std::optional<Health> status;
  // The status applies even over maintenance, and passing leaves maintenance (the Eureka
  // API's status overrides, SPEC §11, whose front end decides the effective status).
  bool force_status = false;
};

// Renew a lease; status passing or warning (nullopt = passing). With keep_status the
// lease is renewed and the health, note and a critical instance's status stay as they
// are (Registry::Renew; Eureka's heartbeat of an app that reported DOWN, SPEC §11).
struct HeartbeatCommand {
  std::string service;
  std::string id;
  std::optional<Health> status;
  std::optional<std::string> note;
  bool keep_status = false;
};

// Set a health explicitly, maintenance included.
struct SetStatusCommand {
  std::string service;
  std::string id;
  Health status = Health::kPassing;
  std::optional<std::string> note;
};

struct DeregisterCommand {
  std::string service;
  std::string id;
};

// The result of an instance's active check number `check` (SPEC §9), sent by the check
// engine of the dnsd that owns the instance. Like a heartbeat: only a new status or
// output is a visible change.
struct CheckResultCommand {
  std::string service;
  std::string id;
  size_t check = 0;
  Health status = Health::kPassing;
  std::string output;
  int64_t last_run_ms = 0;
};

using Command = std::variant<RegisterCommand, HeartbeatCommand, SetStatusCommand, DeregisterCommand,
                             CheckResultCommand>;

// Applies cmd to the registry (validating it first) and returns the registry index
// after it, or why it was refused. Registry thread only. Does not publish.
Result<uint64_t> Apply(Registry& registry, Command cmd);

}  // namespace registry
