// DnsServer: the DNS transports (UDP and TCP on every listen address) served by N
// worker threads, each with its own libuv loop and SO_REUSEPORT sockets. TCP listeners
// are per worker as well, so the kernel spreads connections like it spreads datagrams;
// the connection cap (tcp_max_connections) is counted over all workers.
//
// Thread: owned by the control thread, which calls Listen, Start, Stop and metrics().
// The registry and zone publishers must outlive the DnsServer.
#pragma once

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "dnsd/addr/address.h"
#include "dnsd/dns/answer.h"
#include "dnsd/forward/upstreams.h"
#include "dnsd/metrics/metrics.h"
#include "registry/published.h"
#include "registry/snapshot.h"
#include "zones/zone.h"

namespace dnsd::net {

struct DnsServerOptions {
  std::vector<addr::Address> listen;
  uint32_t workers = 0;  // 0: one per hardware thread
  dns::AnswerConfig answer;
  std::vector<forward::Upstream> upstreams;  // empty: no forwarding
  std::chrono::milliseconds upstream_timeout{2000};
  size_t max_forwards_per_worker = 4096;
  std::chrono::milliseconds tcp_idle_timeout{10000};
  uint32_t tcp_max_connections = 1024;
  bool log_queries = false;  // log.queries: one info line per answered or forwarded query
};

class Worker;
struct WorkerContext;

// UDP transport counters summed over workers (see udp_socket.h); not in /metrics yet.
class DnsServer {
 public:
  DnsServer(DnsServerOptions options, const registry::Published<registry::RegistryView>& registry,
            const registry::Published<zones::ZoneSet>& zones);
  ~DnsServer();  // stops the workers
  DnsServer(const DnsServer&) = delete;
  DnsServer& operator=(const DnsServer&) = delete;

  // Creates the workers and binds UDP and TCP on every listen address for each of them
  // (port 0: a port free for both is picked once and shared). Returns the bound
  // "ADDR:PORT" strings, or an empty vector with error filled.
  std::vector<std::string> Listen(std::string& error);
  void Start();  // spawns the worker threads (signals blocked in them)
  void Stop();   // idempotent; joins the threads
  // Each worker's counters, for /metrics (read from the control thread).
  std::vector<const metrics::DnsMetrics*> metrics() const;
  // Open TCP connections over all workers (at most tcp_max_connections).
  uint32_t tcp_connections() const;

 private:
  bool BindAddress(const addr::Address& listen, std::string& bound, std::string& error);

  DnsServerOptions options_;
  std::unique_ptr<WorkerContext> context_;
  std::vector<std::unique_ptr<Worker>> workers_;
};

}  // namespace dnsd::net
