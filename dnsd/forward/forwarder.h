// Forwarder: sends queries dnsd is not authoritative for to upstream resolvers with
// c-ares, on one worker's libuv loop (c-ares sockets watched by uv_poll, its timeouts
// driven by a uv_timer). Upstreams are tried in order, each once with the configured
// timeout; SERVFAIL, REFUSED or silence moves on to the next; when all fail the client
// gets a SERVFAIL built by dnsd, and a warning is logged (rate-limited: at most one line
// per 10 s per Forwarder, saying how many were suppressed). UDP queries go upstream
// over UDP with TC passed through (the client retries over TCP); TCP queries go
// upstream over TCP.
//
// Thread: one Forwarder per worker, used only on that worker's loop thread. Destroying
// it cancels every pending forward without calling its callback.
#pragma once

#include <uv.h>

#include <chrono>
#include <cstdint>
#include <functional>
#include <memory>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "dnsd/forward/upstreams.h"
#include "dnsd/log/rate_limit.h"
#include "dnsd/metrics/metrics.h"

namespace dnsd::forward {

enum class Protocol : uint8_t { kUdp, kTcp };

struct ForwarderOptions {
  std::vector<Upstream> upstreams;          // tried in this order
  std::chrono::milliseconds timeout{2000};  // per upstream
  size_t max_in_flight = 4096;              // beyond it: SERVFAIL at once
};

class Forwarder {
 public:
  // Called exactly once per Forward (unless the Forwarder is destroyed first) with the
  // message to send to the client. The span is valid only during the call.
  using Done = std::function<void(std::span<const uint8_t> response)>;

  // Builds the c-ares channels on loop. Returns null and fills error on failure.
  static std::unique_ptr<Forwarder> Create(uv_loop_t* loop, ForwarderOptions options,
                                           metrics::DnsMetrics& metrics, std::string& error);
  ~Forwarder();
  Forwarder(const Forwarder&) = delete;
  Forwarder& operator=(const Forwarder&) = delete;

  // query is the client's raw message (copied). done may run before Forward returns.
  void Forward(std::span<const uint8_t> query, Protocol protocol, Done done);
  size_t in_flight() const { return in_flight_; }

 private:
  struct Channel;
  struct Pending;
  Forwarder(ForwarderOptions options, metrics::DnsMetrics& metrics);
  static void OnAnswer(void* arg, int status, int timeouts, unsigned char* abuf, int alen);
  // Answers SERVFAIL, counts the failure and logs why (rate-limited); sent: the query
  // went upstream (else it was refused locally, e.g. too many in flight).
  void Fail(const Pending& pending, std::string_view why, bool sent);
  std::string UpstreamNames() const;

  ForwarderOptions options_;
  metrics::DnsMetrics& metrics_;
  std::unique_ptr<Channel> udp_;
  std::unique_ptr<Channel> tcp_;
  size_t in_flight_ = 0;
  log::RateLimiter failure_log_;  // default: one line per 10 s
};

}  // namespace dnsd::forward
