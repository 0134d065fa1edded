// Helpers shared by the registry tests: spec builders and an event recorder.
#pragma once

#include <string>
#include <vector>

#include "registry/registry.h"

namespace dnsd::testing {

using namespace std::chrono_literals;

inline registry::InstanceSpec Spec(std::string service, std::string id,
                                   registry::Duration ttl = registry::Duration::zero(),
                                   std::string address = "10.0.0.1", uint32_t port = 8080) {
  registry::InstanceSpec s;
  s.service = std::move(service);
  s.id = std::move(id);
  s.address = registry::IpAddress::Parse(address);
  s.port = port;
  s.ttl = ttl;
  return s;
}

// Records every event with copies of its strings.
struct EventLog final : registry::RegistryObserver {
  struct Entry {
    registry::RegistryEvent::Kind kind;
    std::string service;
    std::string id;
    registry::Health health;
    registry::RemovalReason reason;
    uint64_t index;
  };
  void OnRegistryEvent(const registry::RegistryEvent& e) override {
    entries.push_back(
        {e.kind, std::string(e.service), std::string(e.id), e.health, e.reason, e.index});
  }
  std::vector<registry::RegistryEvent::Kind> Kinds() const {
    std::vector<registry::RegistryEvent::Kind> out;
    for (const Entry& e : entries) out.push_back(e.kind);
    return out;
  }
  size_t Count(registry::RegistryEvent::Kind kind) const {
    size_t n = 0;
    for (const Entry& e : entries) n += e.kind == kind;
    return n;
  }
  std::vector<Entry> entries;
};

}  // namespace dnsd::testing
