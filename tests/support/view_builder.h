// Test helpers that build a registry::RegistryView straight from Instance values (filling
// the shards as Registry::Publish would), so DNS tests do not depend on the Registry's
// mutation logic. Header-only; the returned view owns copies of the instances.
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

  std::array<std::shared_ptr<registry::RegistryView::Shard>, registry::RegistryView::kShards>
      shards;
  for (auto& [name, list] : by_service) {
    auto snapshot = std::make_shared<registry::ServiceSnapshot>();
    snapshot->name = name;
    snapshot->index = options.index;
    std::sort(list.begin(), list.end(),
              [](const registry::Instance& a, const registry::Instance& b) { return a.id < b.id; });
    snapshot->instances = std::move(list);
    auto& shard = shards[registry::RegistryView::ShardOf(name)];
    if (!shard) shard = std::make_shared<registry::RegistryView::Shard>();
    (*shard)[name] = std::move(snapshot);
  }
  auto view = std::make_shared<registry::RegistryView>();
  for (size_t s = 0; s < shards.size(); ++s) view->shards[s] = std::move(shards[s]);
  view->loaded_ = options.loaded;
  view->index_ = options.index;
  return view;
}

}  // namespace dnsd::testing
