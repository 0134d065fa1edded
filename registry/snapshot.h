// The read view of the registry handed to DNS worker threads: immutable once published.
// A RegistryView maps service name -> ServiceSnapshot. It is split into shards so that
// publishing a change copies one shard's map and the small shard array, not every service.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "registry/instance.h"

namespace registry {

// All instances of one service (any health), sorted by id.
struct ServiceSnapshot {
  std::string name;
  uint64_t index = 0;  // index of the service's last change
  std::vector<Instance> instances;

  const Instance* FindInstance(std::string_view lower_id) const;  // binary search
};

struct StringHash {
  using is_transparent = void;
  size_t operator()(std::string_view s) const { return std::hash<std::string_view>{}(s); }
};

class RegistryView {
 public:
  static constexpr size_t kShards = 256;
  using Shard = std::unordered_map<std::string, std::shared_ptr<const ServiceSnapshot>, StringHash,
                                   std::equal_to<>>;

  // name must be lower-case. Returns nullptr for an unknown service.
  const ServiceSnapshot* Find(std::string_view lower_name) const;

  bool loaded() const { return loaded_; }  // false until the registry's data is loaded
  uint64_t index() const { return index_; }
  uint64_t generation() const { return generation_; }  // bumps on every publish

  static size_t ShardOf(std::string_view lower_name) { return StringHash{}(lower_name) % kShards; }

  // Written only by Registry::Publish while the view is still private to it.
  std::array<std::shared_ptr<const Shard>, kShards> shards;
  bool loaded_ = true;
  uint64_t index_ = 1;
  uint64_t generation_ = 0;
};

}  // namespace registry
