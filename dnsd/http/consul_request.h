// Decoding of Consul's PUT /v1/agent/service/register body (SPEC §10). Keys are matched
// as Consul writes them (CamelCase) or in snake_case ("DeregisterCriticalServiceAfter",
// "deregister_critical_service_after"). A known field of the wrong type is an Error
// naming it; fields dnsd does not use (Connect, Proxy, Kind, TaggedAddresses, ...) are
// ignored, as the SPEC says. Values are kept as given: the Consul API shows the originals,
// the translation to a registry command happens in consul_api.cc. Pure, no exceptions.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "registry/clock.h"
#include "registry/instance.h"
#include "registry/result.h"

namespace dnsd::http {

struct ConsulCheck {
  std::string field;  // where it was in the body, for errors: "Check" or "Checks[1]"
  std::string id;  // CheckID as given; empty = service:<ID>
  std::string name;
  std::string notes;
  std::optional<registry::Duration> ttl;
  std::string http;  // active checks (SPEC §9): an http(s) URL or host:port
  std::string tcp;
  std::optional<registry::Duration> interval;
  std::optional<registry::Duration> timeout;
  std::optional<uint32_t> success_before_passing;
  std::optional<uint32_t> failures_before_critical;
  std::optional<registry::Duration> deregister_after;
  std::optional<registry::Health> status;  // passing, warning or critical
};

struct ConsulRegistration {
  std::string name;  // required
  std::string id;    // defaults to name
  std::vector<std::string> tags;
  std::string address;  // empty: the HTTP peer
  uint32_t port = 0;
  std::map<std::string, std::string> meta;
  std::optional<uint32_t> weight;  // Weights.Passing
  std::vector<ConsulCheck> checks;
};

registry::Result<ConsulRegistration> ParseConsulRegistration(std::string_view body);

// "passing", "warning", "critical" (Consul's check states) -> registry health.
std::optional<registry::Health> ParseConsulStatus(std::string_view status);

}  // namespace dnsd::http
