// Counters the DNS workers and the HTTP server keep for /metrics (Prometheus text).
//
// Each DNS worker thread owns one DnsMetrics and is its only writer (relaxed atomic
// stores, no shared cache line between workers); the control thread reads all of them
// when /metrics is scraped and sums them. HttpMetrics lives on the control thread.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace dnsd::metrics {

// A counter written by one thread, read by others.
class Counter {
 public:
  void Inc(uint64_t n = 1) { v_.store(v_.load(std::memory_order_relaxed) + n, std::memory_order_relaxed); }
  void Set(uint64_t v) { v_.store(v, std::memory_order_relaxed); }  // mirrors a plain count
  uint64_t Get() const { return v_.load(std::memory_order_relaxed); }

 private:
  std::atomic<uint64_t> v_{0};
};

class DnsMetrics {
 public:
  // Buckets of dnsd_dns_request_duration_seconds (upper bounds, seconds).
  static constexpr std::array<double, 14> kLatencyBounds = {
      5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 0.1, 1.0, 5.0};
  // qtype labels kept apart; everything else is "other".
  static constexpr std::array<std::pair<uint16_t, std::string_view>, 12> kQtypes = {{
      {1, "A"}, {2, "NS"}, {5, "CNAME"}, {6, "SOA"}, {12, "PTR"}, {15, "MX"}, {16, "TXT"},
      {28, "AAAA"}, {33, "SRV"}, {252, "AXFR"}, {251, "IXFR"}, {255, "ANY"}}};
  static constexpr size_t kQtypeSlots = kQtypes.size() + 1;  // + other
  static constexpr size_t kRcodeSlots = 24;                  // rcodes 0..23 (BADVERS=16)

  void RecordQuery(uint16_t qtype, uint8_t rcode, double seconds);
  Counter malformed;      // undecodable packets (FORMERR or dropped)
  Counter dropped;        // QR=1 and unreadable headers
  Counter truncated;      // UDP answers sent with TC
  Counter tcp_capped;     // TCP answers cut to a subset at 65535 bytes
  Counter forwarded;      // queries sent upstream
  Counter upstream_failures;  // forwarded queries answered SERVFAIL by dnsd
  Counter tcp_connections_rejected;
  Counter udp_batches;          // recvmmsg calls that returned datagrams
  Counter udp_datagrams;        // datagrams read
  Counter udp_replies_dropped;  // replies that found the send queue full
  Counter udp_send_errors;      // replies the kernel refused (EMSGSIZE, EPERM, ...)
  Counter answer_cache_hits;    // answers sent from the worker's answer cache
  Counter answer_cache_builds;  // cache entries built or rebuilt after a change

  // Read side (control thread).
  uint64_t Queries(size_t qtype_slot, size_t rcode) const { return queries_[qtype_slot][rcode].Get(); }
  uint64_t LatencyBucket(size_t i) const { return latency_[i].Get(); }
  uint64_t LatencyCount() const { return latency_count_.Get(); }
  double LatencySum() const;

 private:
  std::array<std::array<Counter, kRcodeSlots>, kQtypeSlots> queries_;
  std::array<Counter, kLatencyBounds.size()> latency_;  // non-cumulative per bucket
  Counter latency_count_;
  Counter latency_sum_ns_;
};

// Appends the DNS families, summed over workers, in Prometheus text format.
void RenderDns(std::span<const DnsMetrics* const> workers, std::string& out);

// HTTP request counts by route template ("/v1/services/{svc}") and status code.
// Record is on every request's path: a linear scan of the few (route, code) pairs seen so
// far (a dozen in practice, the route set is fixed), no allocation once a pair exists.
class HttpMetrics {
 public:
  void Record(std::string_view route, int code) {
    for (Entry& e : entries_) {
      if (e.code == code && e.route == route) {
        ++e.count;
        return;
      }
    }
    entries_.push_back(Entry{std::string(route), code, 1});
  }
  void Render(std::string& out) const;  // dnsd_http_requests_total{route,code}, sorted

 private:
  struct Entry {
    std::string route;
    int code;
    uint64_t count;
  };
  std::vector<Entry> entries_;
};

}  // namespace dnsd::metrics
