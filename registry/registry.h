// Registry: the in-memory service registry with leases, health and self-preservation
// (SPEC §3).
//
// Threading contract: a Registry is owned by one thread (the server's control loop);
// every method must be called from that thread. Mutations are applied at once to the
// registry's own state (what the HTTP API reads) and become visible to DNS readers on
// other threads at the next Publish(), which builds immutable snapshots of the changed
// services and swaps them in through view() (a Published<RegistryView>; readers use a
// Published<RegistryView>::Reader each, lock-free on the hot path). Callers publish after
// each batch of mutations (the HTTP layer before it answers, the timer after Tick()).
//
// Time: all deadlines come from the Clock given at construction. Tick() applies every
// lapse and removal that is due; NextDeadline() says when Tick() must run next.
// Renewing a lease is O(1); lapsing or removing one instance is O(log n).
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
struct RegistryEvent {
  enum class Kind : uint8_t {
    kRegistered,    // new instance
    kUpdated,       // re-registered with new data
    kHealthChanged, // heartbeat/status/lapse changed health (health holds the new value)
    kLeaseLapsed,   // lease lapsed and was applied (instance is now critical)
    kLapseHeldBack, // lease lapsed but self-preservation held it back
    kRemoved,       // instance gone (reason says why)
    kSelfPreservationEntered,
    kSelfPreservationLeft,
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
  // Sets any health explicitly, including entering/leaving maintenance.
  Result<uint64_t> SetStatus(std::string_view service, std::string_view id, Health status,
                             std::optional<std::string> note = std::nullopt);
  Result<uint64_t> Deregister(std::string_view service, std::string_view id);

  // Applies due lapses, held-back lapses the rule now allows, and removals.
  void Tick();
  // When Tick() must next run, or nullopt when nothing is pending.
  std::optional<TimePoint> NextDeadline() const;

  // Builds snapshots of the services changed since the last call and publishes them.
  // Cheap when nothing changed.
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

  void AddObserver(RegistryObserver* observer);  // not owned; must outlive the registry
  void RemoveObserver(RegistryObserver* observer);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
  const Clock& clock_;
  RegistryConfig config_;
  uint64_t index_ = 1;
  std::unique_ptr<Published<RegistryView>> view_;
};

}  // namespace registry
