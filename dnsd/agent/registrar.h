// Registrar: an agent's own services (agent.services, SPEC §9) on its servers. Each is
// registered on the first server that answers, without its checks and with a lease of 3×
// its shortest check interval (30 s without checks); the checks run here (checks::Engine)
// and every third of the lease a heartbeat carries their worst result: passing or
// warning as a heartbeat, critical as a status (which the server keeps out of DNS). A
// result that changes is sent at once. A 404 (the server lost it) registers it again,
// unless it is critical: then once its checks pass. A server that does not answer is
// left for the next (the servers are replicas of one registry, so the heartbeat goes on
// there). Stop() deregisters every service and reports when the servers answered or the
// deadline passed.
//
// Thread: the loop's thread only.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "dnsd/checks/engine.h"
#include "dnsd/uv/uv_handle.h"
#include "registry/instance.h"

namespace dnsd::cluster {
class EtcdClient;
struct EtcdReply;
}

namespace dnsd::agent {

struct RegistrarOptions {
  std::vector<std::string> servers;  // "http://10.0.0.2:8500", tried in order
  std::string ca_file;               // verifies https:// servers; empty = the system's CAs
  std::string token;                 // bearer token; empty: none
  std::vector<registry::InstanceSpec> services;  // complete: id and address filled in
  std::chrono::milliseconds request_timeout{std::chrono::seconds(3)};
  std::chrono::milliseconds stop_deadline{1500};
};

// A service's lease: 3× its shortest check interval, 30 s without checks.
registry::Duration AgentLease(const registry::InstanceSpec& spec);
// The registration body for the native API (SPEC §4): no checks, the lease as "ttl".
std::string RegistrationBody(const registry::InstanceSpec& spec);

class Registrar {
 public:
  Registrar(uv_loop_t* loop, checks::Engine& engine, RegistrarOptions options);
  ~Registrar();
  Registrar(const Registrar&) = delete;
  Registrar& operator=(const Registrar&) = delete;

  void Start();
  // Stops checks and heartbeats and deregisters every service; done runs once, on the
  // loop, when every server answered or stop_deadline passed.
  void Stop(std::function<void()> done);

  // dnsd_agent_services{state}, dnsd_agent_registrations_total,
  // dnsd_agent_heartbeats_total, dnsd_agent_registration_errors_total.
  void RenderMetrics(std::string& out) const;

  struct Local;

 private:
  enum class Call { kRegister, kHeartbeat, kStatus, kDeregister };
  void Send(Local& local);
  void OnReply(Local& local, Call call, const std::string& server,
               const cluster::EtcdReply& reply);
  void Schedule(Local& local, std::chrono::milliseconds delay);
  void Deregister(Local& local);
  void Deregistered(Local& local);
  std::vector<std::string> Headers() const;

  uv_loop_t* loop_;
  checks::Engine& engine_;
  RegistrarOptions options_;
  std::unique_ptr<cluster::EtcdClient> client_;
  std::vector<std::unique_ptr<Local>> locals_;
  bool stopping_ = false;
  size_t deregistering_ = 0;
  std::function<void()> stopped_;
  uv::UvHandle<uv_timer_t> deadline_;
  uint64_t registrations_ = 0, heartbeats_ = 0, errors_ = 0;
};

}  // namespace dnsd::agent
