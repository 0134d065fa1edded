#include "dnsd/net/dns_server.h"

#include <signal.h>
#include <unistd.h>

#include <cstring>
#include <thread>

#include "dnsd/net/sockets.h"
#include "dnsd/net/worker.h"

namespace dnsd::net {

DnsServer::DnsServer(DnsServerOptions options,
                     const registry::Published<registry::RegistryView>& registry,
                     const registry::Published<zones::ZoneSet>& zones)
    : options_(std::move(options)), context_(std::make_unique<WorkerContext>()) {
  context_->registry = &registry;
  context_->zones = &zones;
  context_->answer = options_.answer;
  context_->forward.upstreams = options_.upstreams;
  context_->forward.timeout = options_.upstream_timeout;
  context_->forward.max_in_flight = options_.max_forwards_per_worker;
  context_->tcp_idle_timeout = options_.tcp_idle_timeout;
  context_->tcp_max_connections = options_.tcp_max_connections;
  context_->log_queries = options_.log_queries;
}

DnsServer::~DnsServer() {
  Stop();
  workers_.clear();  // before context_, which they refer to
}

std::vector<std::string> DnsServer::Listen(std::string& error) {
  size_t n = options_.workers;
  if (n == 0) n = std::max(1u, std::thread::hardware_concurrency());
  for (size_t i = 0; i < n; ++i) {
    auto worker = std::make_unique<Worker>(i, *context_);
    if (!worker->ok()) {
      error = "DNS worker " + std::to_string(i) + ": " + worker->error();
      return {};
    }
    workers_.push_back(std::move(worker));
  }
  std::vector<std::string> bound;
  for (const addr::Address& listen : options_.listen) {
    std::string address;
    if (!BindAddress(listen, address, error)) return {};
    bound.push_back(address);
  }
  return bound;
}

bool DnsServer::BindAddress(const addr::Address& listen, std::string& bound, std::string& error) {
  auto address = MakeSocketAddress(listen);
  std::string name = listen.host + ":" + std::to_string(listen.port);
  if (!address) {
    error = "dns listen address " + name + ": not an IP address";
    return false;
  }
  if (listen.port == 0) {
    uint16_t port = PickFreePort(*address, error);
    if (port == 0) return false;
    address->set_port(port);
  }
  for (auto& worker : workers_) {
    for (int type : {SOCK_DGRAM, SOCK_STREAM}) {
      int fd = BindSocket(*address, type, true);
      if (fd < 0) {
        error = "dns listen " + address->ToString() +
                (type == SOCK_DGRAM ? " (udp): " : " (tcp): ") + std::strerror(-fd);
        return false;
      }
      int rc = type == SOCK_DGRAM ? worker->AddUdpSocket(fd) : worker->AddTcpListener(fd);
      if (rc != 0) {
        error = "dns listen " + address->ToString() + ": " + uv_strerror(rc);
        return false;
      }
    }
  }
  bound = address->ToString();
  return true;
}

void DnsServer::Start() {
  // Signals belong to the control thread's uv_signal handles, not to the workers.
  sigset_t all, previous;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &previous);
  for (auto& worker : workers_) worker->Start();
  pthread_sigmask(SIG_SETMASK, &previous, nullptr);
}

void DnsServer::Stop() {
  for (auto& worker : workers_) worker->Stop();
}

std::vector<const metrics::DnsMetrics*> DnsServer::metrics() const {
  std::vector<const metrics::DnsMetrics*> out;
  for (const auto& worker : workers_) out.push_back(&worker->metrics());
  return out;
}

uint32_t DnsServer::tcp_connections() const {
  return context_ ? context_->tcp_connections.load(std::memory_order_relaxed) : 0;
}

}  // namespace dnsd::net
