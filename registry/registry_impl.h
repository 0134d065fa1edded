// Internal state of Registry, shared by registry.cc, registry_timers.cc and
// registry_publish.cc. Not part of the public API; owned and used by the registry's thread.
#pragma once

#include <array>
#include <cstdint>
#include <deque>
#include <list>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "registry/registry.h"

namespace registry {

struct ServiceRec;

// One stored instance. Lives in its service's map node (stable address) and owns a
// slot in the slot table, which timer-heap entries name instead of a pointer.
struct InstanceRec {
  Instance inst;  // the live data (lease_deadline is the real deadline)
  ServiceRec* service = nullptr;
  uint32_t slot = 0;
  bool held = false;  // lapse held back by self-preservation (inst.is_protected)
  // Owned by another replica (cluster mode, ApplyAt): no lease or removal timers here,
  // not counted in self-preservation; its owner writes its lapses and removal.
  bool remote = false;
  std::list<InstanceRec*>::iterator held_pos;
  std::optional<TimePoint> removal_deadline;  // set while critical
  // Time of this record's live entry in each heap (lazy timers): an entry whose time
  // differs from these is a stale duplicate and is skipped.
  std::optional<TimePoint> lease_timer;
  std::optional<TimePoint> removal_timer;
  std::optional<TimePoint> check_timer;  // the earliest TTL check deadline (check_heap)
};

struct ServiceRec {
  std::string name;
  std::map<std::string, InstanceRec, std::less<>> instances;  // by id
  uint64_t index = 0;
  uint64_t passing = 0;
  uint64_t warning = 0;
};

struct TimerEntry {
  TimePoint when;
  uint32_t slot = 0;
  uint32_t gen = 0;
};

// A binary min-heap of timer entries.
class TimerHeap {
 public:
  void Push(TimerEntry e);
  bool Due(TimePoint now) const { return !heap_.empty() && heap_.front().when <= now; }
  TimerEntry Pop();
  std::optional<TimePoint> Earliest() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front().when;
  }
  std::optional<TimerEntry> Top() const {
    if (heap_.empty()) return std::nullopt;
    return heap_.front();
  }
  size_t size() const { return heap_.size(); }

 private:
  std::vector<TimerEntry> heap_;
};

using StringSet = std::unordered_set<std::string, StringHash, std::equal_to<>>;

// The own health of an instance given with its visible health (restored, or applied from
// a shared store): a visible warning or critical that its checks explain is theirs, not
// the lease's.
Health OwnHealth(const Instance& in);
bool SameCheckSpecs(const Instance& a, const Instance& b);

struct Registry::Impl {
  explicit Impl(Registry& owner);

  // registry.cc: lookups, bookkeeping, mutations.
  TimePoint Now() const { return reg.clock_.Now(); }
  InstanceRec* Lookup(std::string_view lower_service, std::string_view lower_id);
  Result<uint64_t> Register(InstanceSpec spec);
  Result<uint64_t> Update(InstanceRec& rec, InstanceSpec spec, TimePoint now);
  Result<uint64_t> Heartbeat(InstanceRec& rec, std::optional<Health> status,
                             std::optional<std::string> note);
  Result<uint64_t> SetStatus(InstanceRec& rec, Health status, std::optional<std::string> note);
  Result<uint64_t> Renew(InstanceRec& rec);
  Status CheckLimits(const ServiceRec* svc) const;
  uint32_t AllocSlot(InstanceRec* rec);
  void FreeSlot(uint32_t slot);
  InstanceRec* Resolve(const TimerEntry& e) const;
  void Count(const InstanceRec& rec, bool add);  // health counters and L
  uint64_t Touch(InstanceRec& rec);              // bumps the index, marks dirty
  // Sets inst.own_health and derives the visible health (the worst of it and the checks).
  void SetHealth(InstanceRec& rec, Health h, TimePoint now);
  Result<uint64_t> SetCheckResult(InstanceRec& rec, size_t n, Health status, std::string output,
                                  int64_t last_run_ms);
  // at: the index the change takes (ApplyAt/RemoveAt); none = index()+1.
  void Remove(InstanceRec& rec, RemovalReason reason, std::optional<uint64_t> at = std::nullopt);
  void Emit(RegistryEvent::Kind kind, std::string_view service, std::string_view id, Health health,
            RemovalReason reason = RemovalReason::kDeregistered);
  void Emit(RegistryEvent::Kind kind, const InstanceRec& rec) {
    Emit(kind, rec.inst.service, rec.inst.id, rec.inst.health);
  }

  // registry_timers.cc: leases, removals, self-preservation.
  void ArmLease(InstanceRec& rec);
  void ArmRemoval(InstanceRec& rec);
  // TTL checks (CheckKind::kTtl): renew = every one starts a whole TTL from now (register,
  // restore, a new owner); otherwise only those without a deadline get one.
  void StartTtlChecks(InstanceRec& rec, TimePoint now, bool renew);
  void ArmChecks(InstanceRec& rec);
  void OnChecksDue(InstanceRec& rec, TimePoint now);
  void Hold(InstanceRec& rec);
  void Unhold(InstanceRec& rec);
  void OnLeaseDue(InstanceRec& rec, TimePoint now);
  void OnRemovalDue(InstanceRec& rec, TimePoint now);
  void ApplyLapse(InstanceRec& rec, TimePoint now);
  bool ShouldHold() const;
  bool MayRelease() const;
  void PruneWindow(TimePoint now);
  void Settle(TimePoint now);  // releases what the rule allows, reports transitions
  void Tick(TimePoint now);
  void DropStaleTops();
  std::optional<TimePoint> NextDeadline() const;

  // registry_publish.cc
  void Publish(bool force = false);  // force: even when nothing changed (loaded flips)
  ServiceSnapshot BuildSnapshot(const ServiceRec& svc) const;
  std::shared_ptr<const RegistryView> InitialView();  // the empty view, generation 0

  Registry& reg;
  std::unordered_map<std::string, ServiceRec, StringHash, std::equal_to<>> services;

  struct Slot {
    InstanceRec* rec = nullptr;
    uint32_t gen = 0;
  };
  std::vector<Slot> slots;
  std::vector<uint32_t> free_slots;
  TimerHeap lease_heap;
  TimerHeap removal_heap;
  TimerHeap check_heap;

  std::list<InstanceRec*> held;   // held-back lapses, oldest first
  std::deque<TimePoint> applied;  // times of lapses applied within the window
  uint64_t leased_active = 0;     // L: instances with a lease, not in maintenance
  bool sp_active = false;
  bool loaded = true;  // false between BeginRestore and FinishRestore

  uint64_t instances = 0;
  std::array<uint64_t, 4> by_health{};
  uint64_t lapses_total = 0;
  uint64_t removed_deregistered = 0;
  uint64_t removed_expired = 0;
  uint64_t sp_entered = 0;

  StringSet dirty;  // services changed since the last Publish
  ViewWriter writer;
  std::shared_ptr<const RegistryView> current;  // the newest published view
  std::vector<RegistryObserver*> observers;
};

}  // namespace registry
