#include "dnsd/http/registry_feed.h"

namespace dnsd::http {

void RegistryFeed::Touch(std::string_view service, uint64_t index) {
  if (service.empty() || index <= floor_) return;
  auto it = last_.find(service);
  if (it != last_.end()) {
    if (it->second >= index) return;
    by_index_.erase({it->second, it->first});
    it->second = index;
    by_index_.emplace(index, it->first);
    return;
  }
  last_.emplace(std::string(service), index);
  by_index_.emplace(index, std::string(service));
  ++touched_since_prune_;
}

void RegistryFeed::Reset(uint64_t index) {
  restore_pending_ = false;
  floor_ = std::max(floor_, index);
  while (!by_index_.empty() && by_index_.begin()->first <= floor_) {
    last_.erase(by_index_.begin()->second);
    by_index_.erase(by_index_.begin());
  }
}

std::optional<std::vector<RegistryFeed::Change>> RegistryFeed::ChangedSince(
    uint64_t since) const {
  if (since < floor_) return std::nullopt;
  std::vector<Change> out;
  for (auto it = by_index_.upper_bound({since, std::string()}); it != by_index_.end(); ++it) {
    if (it->first > since) out.push_back({it->second, it->first});
  }
  return out;
}

void RegistryFeed::Prune(const std::function<bool(std::string_view)>& exists) {
  touched_since_prune_ = 0;
  size_t gone = 0;
  for (const auto& [index, name] : by_index_) gone += exists(name) ? 0 : 1;
  for (auto it = by_index_.begin(); gone > max_tombstones_ && it != by_index_.end();) {
    if (exists(it->second)) {
      ++it;
      continue;
    }
    floor_ = std::max(floor_, it->first);
    last_.erase(it->second);
    it = by_index_.erase(it);
    --gone;
  }
}

}  // namespace dnsd::http
