// Store: the seam between accepted commands and the registry's state (docs/DESIGN.md,
// "The write path"). A front end submits a Command; the store applies it to the registry
// when it is committed and calls `done` once the change is durable by the store's own
// measure. MemoryStore (here) commits at once, so `done` runs before Submit returns; the
// data dir store (dnsd/store) calls it after its group commit; a shared store (etcd)
// would apply only what it committed. Reads never go through a store: front ends read
// the Registry's const interface.
//
// Threading: Submit and `done` run on the registry's thread. `done` runs at most once,
// exactly once while the store lives; a store destroyed with writes in flight drops them
// unanswered (their front end must have stopped first).
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "registry/command.h"
#include "registry/result.h"

namespace registry {

class Registry;

// What /v1/status shows about a cluster store (SPEC §8).
struct ClusterStatus {
  std::string node;
  bool connected = false;
  uint64_t revision = 0;              // the last etcd revision applied here
  std::vector<std::string> replicas;  // live replicas' names, sorted
};

// What /v1/status shows about an agent's copy of its servers' registry (SPEC §9).
struct AgentStatus {
  std::vector<std::string> servers;
  std::string server;  // the one watched now (or tried next)
  bool connected = false;
  uint64_t index = 0;  // the servers' index the copy is at
  std::optional<double> last_contact_seconds;  // since the last answer; none yet: nullopt
  std::string error;   // why the last watch failed, while not connected
};

// What /v1/status shows about the store.
struct StoreStatus {
  bool persistent = false;  // false: memory only ("storage": null)
  std::string data_dir;
  uint64_t bytes = 0;
  double last_sync_ms = 0;
  uint64_t syncs_total = 0;
  double sync_seconds_total = 0;
  std::optional<ClusterStatus> cluster;  // set in cluster mode ("cluster": null otherwise)
  std::optional<AgentStatus> agent;      // set in agent mode ("agent": null otherwise)
};

class Store {
 public:
  using Done = std::function<void(Result<uint64_t>)>;
  virtual ~Store() = default;

  // Applies cmd once committed; done receives the registry index after it, or the
  // registry's (or the store's) refusal. A refused command changes nothing.
  virtual void Submit(Command cmd, Done done) = 0;
  virtual StoreStatus Status() const = 0;
};

// The registry in memory only: a command is committed when the registry applied it.
class MemoryStore final : public Store {
 public:
  explicit MemoryStore(Registry& registry) : registry_(registry) {}
  void Submit(Command cmd, Done done) override;
  StoreStatus Status() const override { return {}; }

 private:
  Registry& registry_;
};

}  // namespace registry
