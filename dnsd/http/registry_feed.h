// RegistryFeed: which services changed after a given registry index, for
// GET /v1/registry?index=N (SPEC §9), at a cost proportional to what changed.
//
// The feed keeps every service it has seen a change of, ordered by the index of its last
// change, removed services included (a tombstone: the service's name with the index of
// its removal). Touch() moves a service to its new index in O(log n); ChangedSince(N)
// walks only the entries after N. Tombstones are bounded: beyond max_tombstones the
// oldest are dropped, and the feed then cannot answer for indices before the newest one
// dropped (floor()); nor for those before a restore (Reset). A reader asking for such an
// index gets the whole registry instead.
//
// Pure bookkeeping, no registry calls: fed from RegistryEvents on the registry's thread;
// whether a service still exists is the registry's to say (the `exists` callbacks).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include "registry/snapshot.h"

namespace dnsd::http {

class RegistryFeed {
 public:
  explicit RegistryFeed(size_t max_tombstones = 65536) : max_tombstones_(max_tombstones) {}

  // A change to `service` (lower-case) that left the registry at `index`.
  void Touch(std::string_view service, uint64_t index);
  // The registry is being loaded from a store (its instances arrive without indices):
  // until Reset(), restore_pending() says so.
  void Restored() { restore_pending_ = true; }
  bool restore_pending() const { return restore_pending_; }
  // Nothing before `index` is known here (the index a load ended at, or later).
  void Reset(uint64_t index);
  // The services whose last change is after `since`, oldest change first; nullopt when
  // the feed does not reach back that far (since < floor()): answer with everything.
  // Each with the index of its last change (for a removed service, of its removal).
  struct Change {
    std::string_view service;
    uint64_t index;
  };
  std::optional<std::vector<Change>> ChangedSince(uint64_t since) const;
  // Drops the oldest entries of services that no longer exist while there are more than
  // max_tombstones of them. O(entries dropped) plus one pass counting, amortized by
  // running only when Touch() has added max_tombstones entries since the last prune.
  void Prune(const std::function<bool(std::string_view)>& exists);
  bool NeedsPrune() const { return touched_since_prune_ >= max_tombstones_; }

  uint64_t floor() const { return floor_; }
  size_t size() const { return by_index_.size(); }

 private:
  size_t max_tombstones_;
  uint64_t floor_ = 0;
  bool restore_pending_ = false;
  size_t touched_since_prune_ = 0;
  std::set<std::pair<uint64_t, std::string>> by_index_;
  std::unordered_map<std::string, uint64_t, registry::StringHash, std::equal_to<>> last_;
};

}  // namespace dnsd::http
