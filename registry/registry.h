// Registry: the in-memory service registry with leases, health and self-preservation
// (SPEC §3).
//
// Threading contract: a Registry is owned by one thread (the server's control loop);
// every method must be called from that thread. Mutations are applied at once to the
// registry's own state (what the HTTP API reads through Find/Instances/Services) and
// become visible to DNS readers on other threads at the next Publish(), which builds
// immutable snapshots of the changed services and swaps them in through view() (a
// Published<RegistryView>; readers use a Published<RegistryView>::Reader each, lock-free
// on the hot path). Published snapshots are never modified afterwards, so a reader may
// keep one as long as it holds the shared_ptr. Callers publish after each batch of
// mutations (the HTTP layer before it answers, the timer after Tick()). Pointers returned
// by Find/Instances are valid until the next mutating call or Tick().
//
// Time: all deadlines come from the Clock given at construction. Tick() applies every
// lapse and removal that is due; NextDeadline() says when Tick() must run next.
// Renewing a lease is O(1) (lazy timers: the heap keeps one entry per lease at an old
// deadline and re-queues it at the real one when it comes up); lapsing or removing one
// instance is O(log n); nothing scans all instances.
//
// Semantics decided here, where SPEC §3 is silent:
// - Registering (new or again) counts as a heartbeat: the instance is passing (unless it
//   is in maintenance, which survives re-registration), its lease renewed. A
//   re-registration with identical data and no health change does not bump the index.
// - Heartbeat without a status means passing. It sets the note (empty when none is
//   given). In maintenance a heartbeat only renews the lease (health and note stay).
// - SetStatus sets health and note; it does not renew the lease. Leaving maintenance or
//   critical for passing/warning with a lease that has already run out lapses the
//   instance again at the next Tick() (NextDeadline() is then <= now).
// - Any critical instance (lapsed or set critical by SetStatus) is removed
//   deregister_after after it became critical; leaving critical cancels the removal.
// - Maintenance: instances in maintenance are not counted in L and their lease lapses
//   are not processed until maintenance is cleared (then a run-out lease lapses at the
//   next Tick()). Entering maintenance cancels a pending removal and a held-back lapse,
//   so an instance in maintenance is never removed except by Deregister.
// - A lease that runs out while the instance is already critical changes nothing (it is
//   out of DNS already and its removal is pending); it is not counted as a lapse.
// - Self-preservation: L and E as in SPEC §3. Held-back instances keep their health,
//   get is_protected (an index bump, event kLapseHeldBack) and leave the held-back set
//   when renewed (kLapseCancelled), deregistered, or put in maintenance. After every
//   mutation and Tick the oldest held-back lapse is applied while
//   (applied_in_window + held_back) / L <= threshold, or L < min_instances.
// - Every visible change bumps the index once: register, data update, health or note
//   change, protection set or cleared, lapse, removal. Lease renewals alone do not; the
//   published snapshots carry lease_deadline as of their last rebuild.
#pragma once

#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "registry/clock.h"
#include "registry/instance.h"
#include "registry/published.h"
#include "registry/result.h"
#include "registry/snapshot.h"

namespace registry {

struct SelfPreservationConfig {
  bool enabled = true;
  double threshold = 0.5;
  Duration window = std::chrono::seconds(60);
  uint32_t min_instances = 10;
};

struct RegistryConfig {
  Duration deregister_after = std::chrono::seconds(60);
  uint64_t max_instances = 1'000'000;
  uint32_t max_instances_per_service = 100'000;
  SelfPreservationConfig self_preservation;
};

enum class RemovalReason : uint8_t { kDeregistered, kExpired };
std::string_view RemovalReasonName(RemovalReason r);  // "deregistered", "expired"

// What happened, told to observers right after the registry's state changed (before
// Publish). Observers run on the registry's thread and must not call back into it.
// An applied lapse emits kLeaseLapsed, then kHealthChanged if the health changed. The
// string_views are valid only during the call.
struct RegistryEvent {
  enum class Kind : uint8_t {
    kRegistered,     // new instance
    kUpdated,        // re-registered with new data
    kHealthChanged,  // heartbeat/status/lapse changed health (health holds the new value)
    kLeaseLapsed,    // lease lapsed and was applied (instance is now critical)
    kLapseHeldBack,  // lease lapsed but self-preservation held it back
    kRemoved,        // instance gone (reason says why)
    kSelfPreservationEntered,
    kSelfPreservationLeft,
    kLapseCancelled,  // a held-back instance was renewed or put in maintenance
    kNoteChanged,     // heartbeat/status changed only the note
    kRestored,        // loaded from a store at startup (Restore)
  };
  Kind kind;
  std::string_view service;  // empty for self-preservation events
  std::string_view id;
  Health health = Health::kPassing;
  RemovalReason reason = RemovalReason::kDeregistered;
  uint64_t index = 0;  // registry index after the change
};

class RegistryObserver {
 public:
  virtual ~RegistryObserver() = default;
  virtual void OnRegistryEvent(const RegistryEvent& event) = 0;
};

struct RegistryStats {
  uint64_t services = 0;
  uint64_t instances = 0;
  uint64_t passing = 0, warning = 0, critical = 0, maintenance = 0;
  uint64_t lease_lapses_total = 0;
  uint64_t removed_deregistered_total = 0;
  uint64_t removed_expired_total = 0;
  bool self_preservation_enabled = true;
  bool self_preservation_active = false;
  uint64_t held_back = 0;
  uint64_t self_preservation_entered_total = 0;
};

class Registry {
 public:
  Registry(const Clock& clock, RegistryConfig config);
  ~Registry();
  Registry(const Registry&) = delete;
  Registry& operator=(const Registry&) = delete;

  // Validates, then inserts or replaces (renewing the lease; maintenance survives).
  // Returns the registry index after the call.
  Result<uint64_t> Register(InstanceSpec spec);
  // Renews the lease; status may be passing or warning (anything else -> kInvalid).
  // Unknown instance -> kNotFound.
  Result<uint64_t> Heartbeat(std::string_view service, std::string_view id,
                             std::optional<Health> status = std::nullopt,
                             std::optional<std::string> note = std::nullopt);
  // Renews the lease and nothing else: health and note stay (a critical instance stays
  // critical and its removal is counted again from now: it is alive, only not serving).
  // Unknown instance -> kNotFound. A visible change only when a held-back lapse ends.
  Result<uint64_t> Renew(std::string_view service, std::string_view id);
  // Sets any health explicitly, including entering/leaving maintenance.
  Result<uint64_t> SetStatus(std::string_view service, std::string_view id, Health status,
                             std::optional<std::string> note = std::nullopt);
  Result<uint64_t> Deregister(std::string_view service, std::string_view id);
  // The result of active check number `check` (SPEC §9): passing, warning or critical.
  // A new status or output is a visible change (index, event; the health becomes the
  // worst of the checks and the lease); the same result again only records last_run_ms.
  Result<uint64_t> SetCheckResult(std::string_view service, std::string_view id, size_t check,
                                  Health status, std::string output, int64_t last_run_ms);
  // Records a run that changed nothing: no index, no event, not persisted.
  void NoteCheckRun(std::string_view service, std::string_view id, size_t check,
                    int64_t last_run_ms);
  // True for an instance whose checks and lease run here (not another replica's).
  bool Owned(std::string_view service, std::string_view id) const;

  // Startup from a store (SPEC §7). BeginRestore publishes a view that is not loaded
  // (service names answer SERVFAIL, /readyz 503). Restore inserts one instance as it was
  // stored: data, health, note; a leased passing/warning instance gets a whole new lease
  // from now, a critical one its deregister_after from now, maintenance stays. It does not
  // validate beyond what the store checked, nor bump the index. FinishRestore sets the
  // index past both stored_index and every restored instance's index, gives every service
  // that index (so no blocking-query client sees an index go back), and publishes a
  // loaded view.
  void BeginRestore();
  Status Restore(Instance instance);
  void FinishRestore(uint64_t stored_index);

  // Cluster mode (SPEC §8, docs/DESIGN.md "Cluster mode"): changes committed by a shared
  // store are applied at the index it assigns (etcd's revision of the change), so that
  // every replica shows the same index. The registry-wide index becomes
  // max(index(), index); the instance and its service take `index`. Neither validates
  // nor checks limits: the store holds the truth, and the replica that wrote it checked.
  //
  // ApplyAt inserts or replaces an instance with its data, health and note as given
  // (is_protected and lease_deadline are ignored). An owned instance is this replica's:
  // its lease runs here (renewed from now when passing or warning), and lapses,
  // removals and self-preservation apply to it as usual. A remote instance (owned = false)
  // has no timers here and no lease_deadline: its owner writes its lapse and removal.
  void ApplyAt(Instance instance, uint64_t index, bool owned);
  // Removes an instance at index (no-op apart from the index when it is unknown).
  void RemoveAt(std::string_view service, std::string_view id, uint64_t index,
                RemovalReason reason = RemovalReason::kDeregistered);
  // Ends a BeginRestore from a shared store: the index becomes `index` (the revision the
  // store was read at) and services keep the indices their instances brought.
  void FinishRestoreAt(uint64_t index);

  // Applies due lapses, held-back lapses the rule now allows, and removals.
  void Tick();
  // When Tick() must next run (earliest lease, removal, or window expiry that could
  // release a held-back lapse), or nullopt when nothing is pending. Never later than
  // needed; may be earlier (a renewed lease's old deadline), and then Tick() does nothing.
  std::optional<TimePoint> NextDeadline() const;

  // Builds snapshots of the services changed since the last call and publishes them,
  // copying only the view's nodes on the paths to them. Does nothing when nothing changed.
  void Publish();
  const Published<RegistryView>& view() const { return *view_; }

  // Control-thread reads (HTTP API). Names are matched case-insensitively.
  const Instance* Find(std::string_view service, std::string_view id) const;
  // Instances of a service sorted by id; empty when unknown.
  std::vector<const Instance*> Instances(std::string_view service) const;
  // Index of the service's last change; 0 when unknown.
  uint64_t ServiceIndex(std::string_view service) const;
  struct ServiceSummary {
    std::string name;
    uint64_t instances = 0;
    uint64_t passing = 0;
    uint64_t warning = 0;
  };
  std::vector<ServiceSummary> Services() const;  // sorted by name
  uint64_t index() const { return index_; }
  RegistryStats Stats() const;
  const RegistryConfig& config() const { return config_; }

  // Observing is not writing: const, so that readers holding a const Registry& may watch.
  void AddObserver(RegistryObserver* observer) const;  // not owned; must outlive the registry
  void RemoveObserver(RegistryObserver* observer) const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const Clock& clock_;
  RegistryConfig config_;
  uint64_t index_ = 1;
  std::unique_ptr<Published<RegistryView>> view_;
};

}  // namespace registry
