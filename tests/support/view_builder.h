// Test helpers that build a registry::RegistryView straight from Instance values (through
// a registry::ViewWriter, as Registry::Publish does), so DNS tests do not depend on the
// Registry's mutation logic. Header-only; the returned view owns copies of the instances.
#pragma once

#include <algorithm>
#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "registry/instance.h"
#include "registry/snapshot.h"

namespace dnsd::testing {

// An instance with SPEC §3 defaults: passing, tcp, weight 1, priority 1.
inline registry::Instance MakeInstance(std::string_view service, std::string_view id,
                                       std::string_view address, uint16_t port = 8080) {
  registry::Instance i;
  i.service = std::string(service);
  i.id = std::string(id);
  i.address = *registry::IpAddress::Parse(address);
  i.port = port;
  return i;
}

struct ViewOptions {
  uint64_t index = 1;
  bool loaded = true;
};

inline std::shared_ptr<const registry::RegistryView> BuildView(
    std::vector<registry::Instance> instances, ViewOptions options = {}) {
  std::map<std::string, std::vector<registry::Instance>> by_service;
  for (registry::Instance& i : instances) by_service[i.service].push_back(std::move(i));

  registry::ViewWriter writer;  // the view keeps what it needs when the writer is gone
  for (auto& [name, list] : by_service) {
    registry::ServiceSnapshot snapshot;
    snapshot.name = name;
    snapshot.index = options.index;
    std::sort(list.begin(), list.end(),
              [](const registry::Instance& a, const registry::Instance& b) { return a.id < b.id; });
    snapshot.instances = std::move(list);
    writer.Put(std::move(snapshot));
  }
  return writer.Publish(options.loaded, options.index);
}

}  // namespace dnsd::testing
