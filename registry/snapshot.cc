// Lookups on the immutable read view.
#include "registry/snapshot.h"

#include <algorithm>

namespace registry {

const Instance* ServiceSnapshot::FindInstance(std::string_view lower_id) const {
  auto it = std::lower_bound(instances.begin(), instances.end(), lower_id,
                             [](const Instance& i, std::string_view id) { return i.id < id; });
  if (it == instances.end() || it->id != lower_id) return nullptr;
  return &*it;
}

const ServiceSnapshot* RegistryView::Find(std::string_view lower_name) const {
  const auto& shard = shards[ShardOf(lower_name)];
  if (!shard) return nullptr;
  auto it = shard->find(lower_name);
  if (it == shard->end()) return nullptr;
  return it->second.get();
}

}  // namespace registry
