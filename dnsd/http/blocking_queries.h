// BlockingQueries: the parked GET /v1/services/{svc}?index=N requests, indexed by service
// (to wake them on a change to that service only) and by deadline (so that one timer
// serves every waiter: the owner arms it for NextDeadline()). Pure bookkeeping, no I/O.
// Adding, removing, waking or expiring one waiter is O(log n).
//
// Not thread-safe; used on the registry's thread. `context` is opaque (the HTTP request)
// and is never dereferenced here.
#pragma once

#include <cstdint>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <utility>
#include <vector>

#include "dnsd/http/router.h"
#include "registry/snapshot.h"

namespace dnsd::http {

class BlockingQueries {
 public:
  using Id = uint64_t;
  struct Waiter {
    Id id = 0;
    BlockingQuery query;
    void* context = nullptr;
  };

  Id Add(BlockingQuery query, void* context);
  // Forgets a waiter (its client went away). False when it is not parked any more.
  bool Remove(Id id);
  // A change to `service` at registry index `index`: every waiter on that service, or on
  // every change (an empty service), whose index is lower becomes ready. Returns true
  // when at least one did.
  bool OnChange(std::string_view service, uint64_t index);
  // Hands out (and forgets) the ready waiters, in the order they became ready.
  std::vector<Waiter> TakeReady();
  // Hands out (and forgets) the waiters whose deadline is at or before now.
  std::vector<Waiter> TakeExpired(registry::TimePoint now);
  // Hands out (and forgets) every waiter: shutdown.
  std::vector<Waiter> TakeAll();
  // The earliest deadline of a waiting (not ready) waiter.
  std::optional<registry::TimePoint> NextDeadline() const;
  bool HasReady() const { return !ready_.empty(); }
  size_t size() const { return entries_.size(); }

 private:
  struct Entry {
    BlockingQuery query;
    void* context = nullptr;
    bool ready = false;
  };
  void Unindex(Id id, const Entry& entry);  // from by_service_ and deadlines_
  Waiter Extract(Id id);                    // erases the entry, returns its contents

  Id next_id_ = 1;
  std::unordered_map<Id, Entry> entries_;
  std::unordered_map<std::string, std::unordered_set<Id>, registry::StringHash, std::equal_to<>>
      by_service_;
  std::set<std::pair<registry::TimePoint, Id>> deadlines_;
  std::vector<Id> ready_;  // may hold ids removed since; skipped by TakeReady
};

}  // namespace dnsd::http
