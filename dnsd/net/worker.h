// Worker: one DNS worker thread with its own libuv loop, its own UDP sockets (served in
// recvmmsg/sendmmsg batches, see udp_socket.h) and TCP listeners (SO_REUSEPORT siblings
// of the other workers'), its own readers of the published registry view and zones,
// random generator, metrics, answer buffer, answer cache and Forwarder. Queries are
// answered on this thread by dns::AnswerCache (ready wire answers, falling back to
// dns::Answer); nothing is shared with other workers except read-only
// configuration and the TCP connection count.
//
// Thread: constructed, given sockets and started by the control thread; after Start()
// only the worker thread touches it, until Stop() (any thread) ends and joins it.
#pragma once

#include <uv.h>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <memory>
#include <random>
#include <span>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "dnsd/dns/answer.h"
#include "dnsd/dns/answer_cache.h"
#include "dnsd/forward/forwarder.h"
#include "dnsd/log/rate_limit.h"
#include "dnsd/metrics/metrics.h"
#include "dnsd/net/udp_socket.h"
#include "dnsd/uv/uv_handle.h"
#include "registry/published.h"
#include "registry/snapshot.h"
#include "zones/zone.h"

namespace dnsd::net {

class TcpConnection;

// What every worker reads; owned by the DnsServer and outliving its workers.
struct WorkerContext {
  const registry::Published<registry::RegistryView>* registry = nullptr;
  const registry::Published<zones::ZoneSet>* zones = nullptr;
  dns::AnswerConfig answer;
  forward::ForwarderOptions forward;  // no upstreams: no forwarder
  std::chrono::milliseconds tcp_idle_timeout{10000};
  uint32_t tcp_max_connections = 1024;
  bool log_queries = false;  // one log::LogQuery line per answered or forwarded query
  std::atomic<uint32_t> tcp_connections{0};  // over all workers
};

class Worker {
 public:
  // Initialises the loop; check ok() / error() afterwards.
  Worker(size_t index, WorkerContext& context);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  bool ok() const { return error_.empty(); }
  const std::string& error() const { return error_; }

  // Control thread, before Start(). Take ownership of a bound socket fd (closed on
  // failure too); return a libuv status.
  int AddUdpSocket(int fd);
  int AddTcpListener(int fd);
  void Start();
  void Stop();  // any thread but the worker's; idempotent; joins
  const metrics::DnsMetrics& metrics() const { return metrics_; }

  // Used by TcpConnection and UdpSocket (worker thread).
  uv_loop_t* loop() { return &loop_; }
  WorkerContext& context() { return context_; }
  // The one place a query is answered, for UDP and TCP: answers into the answer buffer
  // and records metrics, except for kForward (recorded when the upstream answers) and
  // for the count and latency of UDP replies, which UdpSocket records per batch once
  // the batch is sent (RecordUdpReplies). peer: the client (null when unknown).
  dns::AnswerResult Process(std::span<const uint8_t> query, dns::Transport transport,
                            const sockaddr* peer, SteadyTime start);
  std::span<const uint8_t> answer(size_t size) const { return {out_.data(), size}; }
  // Counts each UDP reply of a batch with the time from start (its receipt) to now.
  void RecordUdpReplies(std::span<const UdpBatchBuffers::ReplyStat> replies, SteadyTime start);
  metrics::DnsMetrics& metrics() { return metrics_; }
  // Sends query upstream (or answers SERVFAIL when forwarding is not possible); done
  // gets the response (empty: send nothing); metrics and the query log line are
  // written before it runs.
  void Forward(std::span<const uint8_t> query, const sockaddr* peer, forward::Protocol protocol,
               uint16_t qtype, SteadyTime start, forward::Forwarder::Done done);
  TcpConnection* FindConnection(uint64_t id);
  void Reap(uint64_t id);  // destroys a closed connection
  std::span<uint8_t> tcp_read_buffer() { return tcp_read_buffer_; }

 private:
  static void OnStop(uv_async_t* handle);
  static void OnConnection(uv_stream_t* server, int status);
  void Accept(uv_stream_t* server);
  void CloseAll();
  void RecordForwarded(uint16_t qtype, std::span<const uint8_t> response, SteadyTime start);
  // A rate-limited warning (malformed_log_) about a FORMERR'd or dropped packet.
  void WarnMalformed(std::span<const uint8_t> packet, const sockaddr* peer);

  size_t index_;
  WorkerContext& context_;
  std::string error_;
  uv_loop_t loop_{};
  bool loop_ready_ = false;
  uv::UvHandle<uv_async_t> stop_;
  std::unique_ptr<UdpBatchBuffers> udp_buffers_ = std::make_unique<UdpBatchBuffers>();
  std::vector<std::unique_ptr<UdpSocket>> udp_;
  std::vector<uv::UvHandle<uv_tcp_t>> listeners_;
  std::unordered_map<uint64_t, std::unique_ptr<TcpConnection>> connections_;
  uint64_t next_connection_id_ = 1;
  std::unique_ptr<forward::Forwarder> forwarder_;

  registry::Published<registry::RegistryView>::Reader registry_reader_;
  registry::Published<zones::ZoneSet>::Reader zones_reader_;
  std::minstd_rand rng_;
  dns::AnswerCache cache_{context_.answer};  // after context_: reads its AnswerConfig
  metrics::DnsMetrics metrics_;
  log::RateLimiter malformed_log_;  // default: one line per 10 s
  std::vector<uint8_t> out_;  // dns::kMaxMessage
  std::vector<uint8_t> tcp_read_buffer_;
  std::thread thread_;
  std::atomic<bool> stopped_{false};
};

}  // namespace dnsd::net
