// Server: the composition root of the dnsd binary. It owns the control loop (main
// thread) with the registry, the zones, the HTTP API, the registry timer and the signal
// handlers, and the DNS workers (their own threads). Startup failures throw
// std::runtime_error (main catches); after startup nothing throws.
#pragma once

#include <uv.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dnsd/checks/engine.h"
#include "dnsd/checks/registry_checks.h"
#include "dnsd/config/config.h"
#include "dnsd/logging.h"
#include "dnsd/data_dir_loader.h"
#include "dnsd/store/data_dir_store.h"
#include "dnsd/uv/uv_handle.h"
#include "registry/clock.h"
#include "registry/published.h"
#include "registry/registry.h"
#include "registry/store.h"
#include "zones/zone.h"

namespace dnsd {

namespace net {
class DnsServer;
}
namespace http {
class HttpServer;
}
namespace agent {
class MirrorStore;
class Registrar;
}
namespace cluster {
class EtcdStore;
}

// Problems that only show when resources are read (zone files, resolv.conf), for
// --check-config and startup. Empty when all is well.
std::vector<std::string> CheckResources(const config::Config& config);

class Server {
 public:
  explicit Server(config::Config config);
  ~Server();
  Server(const Server&) = delete;
  Server& operator=(const Server&) = delete;

  // Binds DNS and HTTP, prints the startup line on stdout, serves until SIGTERM or
  // SIGINT, and returns the exit code. Throws std::runtime_error when startup fails.
  int Run();

 private:
  void StartDns();
  std::vector<std::string> StartHttp();
  void InstallHandles();
  void OpenStore();
  void StartLoading();
  void OnLoaded(store::Loaded loaded);
  bool StartWriter(std::string& error);
  void OnLoopIteration();  // publish registry changes, flush the store, re-arm the lease timer
  void ArmTickTimer();
  void ReloadZones();
  void BeginShutdown(const char* why);
  void FinishShutdown();  // after the agent's services are deregistered
  void CloseControlHandles();

  config::Config config_;
  uv_loop_t loop_{};
  bool loop_ready_ = false;
  registry::SteadyClock clock_;
  std::unique_ptr<registry::Registry> registry_;
  std::unique_ptr<registry::Store> store_;  // every write goes through it
  // Active checks of the instances this dnsd owns (SPEC §9), on the control loop.
  std::unique_ptr<checks::Engine> check_engine_;
  std::unique_ptr<checks::RegistryChecks> registry_checks_;
  store::DataDirStore* data_dir_ = nullptr;   // store_, when storage.data_dir is set
  cluster::EtcdStore* etcd_ = nullptr;        // store_, when cluster.etcd is set
  agent::MirrorStore* mirror_ = nullptr;      // store_, when agent.servers is set
  std::unique_ptr<agent::Registrar> registrar_;  // agent.services, on the servers
  std::unique_ptr<DataDirLoader> loader_;     // reads the data dir while the loop serves
  uv::UvHandle<uv_async_t> store_done_;       // the data dir's writer: a batch is on disk
  int exit_code_ = 0;
  RegistryEventLogger event_logger_;
  std::unique_ptr<registry::Published<zones::ZoneSet>> zones_;
  std::unique_ptr<net::DnsServer> dns_;
  std::unique_ptr<http::HttpServer> http_;
  std::vector<std::string> dns_listeners_;

  uv::UvHandle<uv_timer_t> tick_timer_;
  uv::UvHandle<uv_timer_t> trim_timer_;  // gives freed heap pages back (glibc)
  std::optional<registry::TimePoint> armed_deadline_;
  std::optional<registry::TimePoint> last_fired_;
  uv::UvHandle<uv_check_t> check_;
  uv::UvHandle<uv_signal_t> sigterm_, sigint_, sighup_;
  uv::UvHandle<uv_timer_t> shutdown_guard_;
  bool stopping_ = false;
};

}  // namespace dnsd
