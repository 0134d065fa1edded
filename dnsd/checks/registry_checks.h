// RegistryChecks: keeps the engine running the checks of the registry's instances that
// this dnsd owns (SPEC §9), and sends their results back as CheckResultCommands through
// the store, like a heartbeat. Owned: on a single node every instance; in cluster mode
// the instances whose lease this replica runs (Registry::Owned: the replica that
// accepted the registration, or took the instance over). An instance's checks stop when
// it goes (deregistered, removed after its lapse) or is replaced without checks, and
// restart when they change.
//
// It watches the registry's events and settles the engine on the next loop turn (an
// observer must not call back into the registry). Loop thread only.
#pragma once

#include <uv.h>

#include <string>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "dnsd/checks/engine.h"
#include "dnsd/uv/uv_handle.h"
#include "registry/registry.h"
#include "registry/store.h"

namespace dnsd::checks {

class RegistryChecks final : public registry::RegistryObserver {
 public:
  RegistryChecks(uv_loop_t* loop, Engine& engine, registry::Registry& registry,
                 registry::Store& store);
  ~RegistryChecks() override;
  RegistryChecks(const RegistryChecks&) = delete;
  RegistryChecks& operator=(const RegistryChecks&) = delete;

  void OnRegistryEvent(const registry::RegistryEvent& event) override;

 private:
  void Settle();
  void Sync(const std::string& key);

  Engine& engine_;
  registry::Registry& registry_;
  registry::Store& store_;
  uv::UvHandle<uv_timer_t> timer_;
  std::unordered_set<std::string> pending_;                          // "service/id"
  std::unordered_map<std::string, std::vector<registry::CheckSpec>> watched_;
};

}  // namespace dnsd::checks
