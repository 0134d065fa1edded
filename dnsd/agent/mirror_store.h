// MirrorStore: an agent's registry (SPEC §9) is a copy of its servers' one. It watches
// GET /v1/registry?index=N&wait=... on the first server that answers, applies each
// answer (the services changed since N, each with all its instances; a removed one with
// none; or everything, replacing the copy) at the servers' indices, and keeps answering
// from the copy while no server is reachable, trying the next one with a bounded backoff.
//
// It is the agent's Store: local writes over the HTTP API are refused (409), since the
// copy would overwrite them; services register on the servers (or in agent.services).
//
// Threading: the loop's thread, like the registry. Instances applied are remote
// (Registry::ApplyAt owned = false): their leases run on the servers, which write their
// lapses and removals.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "dnsd/uv/uv_handle.h"
#include "registry/registry.h"
#include "registry/result.h"
#include "registry/store.h"

namespace dnsd::cluster {
class EtcdClient;
}

namespace dnsd::agent {

struct MirrorOptions {
  std::vector<std::string> servers;                  // "http://10.0.0.2:8500", tried in order
  std::string ca_file;  // verifies https:// servers; empty = the system's CAs
  std::chrono::milliseconds wait{std::chrono::seconds(60)};  // a watch's ?wait=
  std::chrono::milliseconds retry_min{200}, retry_max{std::chrono::seconds(2)};
};

// Applies one GET /v1/registry answer to registry; pure apart from the registry (unit
// tested). first: the registry is in BeginRestore (finished here at the answer's index).
// Returns the answer's index, or an error naming what in the body is wrong (nothing of a
// rejected answer is applied).
registry::Result<uint64_t> ApplyRegistryAnswer(std::string_view body, registry::Registry& registry,
                                               bool first);

class MirrorStore final : public registry::Store {
 public:
  MirrorStore(uv_loop_t* loop, registry::Registry& registry, MirrorOptions options);
  ~MirrorStore() override;

  void Submit(registry::Command cmd, Done done) override;
  registry::StoreStatus Status() const override;

  void Start();  // the registry is not loaded (SERVFAIL, /readyz 503) until the first answer
  void Stop();
  // dnsd_agent_connected, dnsd_agent_index, dnsd_agent_updates_total, dnsd_agent_errors_total.
  void RenderMetrics(std::string& out) const;

 private:
  void Watch();
  void OnAnswer(long status, std::string body, std::string error);
  void Retry();

  uv_loop_t* loop_;
  registry::Registry& registry_;
  MirrorOptions options_;
  std::unique_ptr<cluster::EtcdClient> client_;
  uv::UvHandle<uv_timer_t> retry_timer_;
  bool loaded_ = false;
  bool stopped_ = false;
  bool connected_ = false;
  uint64_t index_ = 0;  // the servers' index of the copy; 0: none yet
  size_t server_ = 0;
  std::chrono::milliseconds backoff_{0};
  std::string last_error_;
  registry::TimePoint last_contact_{};
  uint64_t updates_total_ = 0;
  uint64_t errors_total_ = 0;
};

}  // namespace dnsd::agent
