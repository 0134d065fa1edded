#include "dnsd/metrics/metrics.h"

#include <algorithm>
#include <cinttypes>
#include <cstdio>
#include <tuple>

#include "dnsd/metrics/text.h"

namespace dnsd::metrics {
namespace {

size_t QtypeSlot(uint16_t qtype) {
  for (size_t i = 0; i < DnsMetrics::kQtypes.size(); ++i) {
    if (DnsMetrics::kQtypes[i].first == qtype) return i;
  }
  return DnsMetrics::kQtypes.size();  // "other"
}

std::string_view QtypeLabel(size_t slot) {
  return slot < DnsMetrics::kQtypes.size() ? DnsMetrics::kQtypes[slot].second : "other";
}

std::string RcodeLabel(size_t rcode) {
  switch (rcode) {
    case 0:
      return "NOERROR";
    case 1:
      return "FORMERR";
    case 2:
      return "SERVFAIL";
    case 3:
      return "NXDOMAIN";
    case 4:
      return "NOTIMP";
    case 5:
      return "REFUSED";
    case 16:
      return "BADVERS";
    default:
      return std::to_string(rcode);
  }
}

void AppendU64(std::string& out, uint64_t v) {
  char buf[24];
  int n = std::snprintf(buf, sizeof buf, "%" PRIu64, v);
  out.append(buf, static_cast<size_t>(n));
}

void AppendDouble(std::string& out, const char* format, double v) {
  char buf[48];
  int n = std::snprintf(buf, sizeof buf, format, v);
  out.append(buf, static_cast<size_t>(n));
}

using Workers = std::span<const DnsMetrics* const>;

void RenderCounter(Workers workers, std::string& out, std::string_view name, std::string_view help,
                   Counter DnsMetrics::*member) {
  uint64_t total = 0;
  for (const DnsMetrics* w : workers) total += (w->*member).Get();
  Header(out, name, "counter", help);
  out.append(name).append(" ");
  AppendU64(out, total);
  out.append("\n");
}

void RenderQueries(Workers workers, std::string& out) {
  Header(out, "dnsd_dns_queries_total", "counter",
         "DNS queries answered, by query type and response code.");
  for (size_t q = 0; q < DnsMetrics::kQtypeSlots; ++q) {
    for (size_t r = 0; r < DnsMetrics::kRcodeSlots; ++r) {
      uint64_t n = 0;
      for (const DnsMetrics* w : workers) n += w->Queries(q, r);
      if (n == 0) continue;  // absent series read as 0 in PromQL
      out.append("dnsd_dns_queries_total{qtype=\"").append(QtypeLabel(q));
      out.append("\",rcode=\"").append(RcodeLabel(r)).append("\"} ");
      AppendU64(out, n);
      out.append("\n");
    }
  }
}

void RenderLatency(Workers workers, std::string& out) {
  constexpr std::string_view kName = "dnsd_dns_request_duration_seconds";
  Header(out, kName, "histogram", "Time from receiving a DNS query to sending its answer.");
  uint64_t cumulative = 0;
  uint64_t count = 0;
  double sum = 0;
  for (const DnsMetrics* w : workers) {
    count += w->LatencyCount();
    sum += w->LatencySum();
  }
  for (size_t i = 0; i < DnsMetrics::kLatencyBounds.size(); ++i) {
    for (const DnsMetrics* w : workers) cumulative += w->LatencyBucket(i);
    out.append(kName).append("_bucket{le=\"");
    AppendDouble(out, "%g", DnsMetrics::kLatencyBounds[i]);
    out.append("\"} ");
    AppendU64(out, cumulative);
    out.append("\n");
  }
  out.append(kName).append("_bucket{le=\"+Inf\"} ");
  AppendU64(out, count);
  out.append("\n").append(kName).append("_sum ");
  AppendDouble(out, "%.9f", sum);
  out.append("\n").append(kName).append("_count ");
  AppendU64(out, count);
  out.append("\n");
}

}  // namespace

void DnsMetrics::RecordQuery(uint16_t qtype, uint8_t rcode, double seconds) {
  size_t r = rcode < kRcodeSlots ? rcode : kRcodeSlots - 1;
  queries_[QtypeSlot(qtype)][r].Inc();
  if (seconds < 0) seconds = 0;
  for (size_t i = 0; i < kLatencyBounds.size(); ++i) {
    if (seconds <= kLatencyBounds[i]) {
      latency_[i].Inc();
      break;
    }
  }
  latency_count_.Inc();
  latency_sum_ns_.Inc(static_cast<uint64_t>(seconds * 1e9));
}

double DnsMetrics::LatencySum() const { return static_cast<double>(latency_sum_ns_.Get()) / 1e9; }

namespace {

// The plain counter families: name, help, member.
struct CounterFamily {
  std::string_view name;
  std::string_view help;
  Counter DnsMetrics::*member;
};
constexpr CounterFamily kCounterFamilies[] = {
    {"dnsd_dns_truncated_total", "UDP answers sent with TC set.", &DnsMetrics::truncated},
    {"dnsd_dns_tcp_capped_total", "TCP answers cut to a random subset that fits 65535 bytes.",
     &DnsMetrics::tcp_capped},
    {"dnsd_dns_malformed_total", "Undecodable DNS packets (answered FORMERR or dropped).",
     &DnsMetrics::malformed},
    {"dnsd_dns_dropped_total", "Packets dropped without an answer (QR set, unreadable header).",
     &DnsMetrics::dropped},
    {"dnsd_dns_forwarded_total", "Queries forwarded to an upstream resolver.",
     &DnsMetrics::forwarded},
    {"dnsd_dns_upstream_failures_total",
     "Forwarded queries answered SERVFAIL by dnsd (every upstream failed).",
     &DnsMetrics::upstream_failures},
    {"dnsd_dns_tcp_connections_rejected_total",
     "TCP connections closed at once because dns.tcp_max_connections was reached.",
     &DnsMetrics::tcp_connections_rejected},
    {"dnsd_dns_udp_receive_batches_total",
     "recvmmsg calls that returned datagrams (datagrams / batches = mean batch).",
     &DnsMetrics::udp_batches},
    {"dnsd_dns_udp_datagrams_received_total", "UDP datagrams read.", &DnsMetrics::udp_datagrams},
    {"dnsd_dns_udp_replies_dropped_total",
     "UDP replies dropped because the worker's send queue was full.",
     &DnsMetrics::udp_replies_dropped},
    {"dnsd_dns_udp_send_errors_total", "UDP replies the kernel refused to send.",
     &DnsMetrics::udp_send_errors},
    {"dnsd_dns_answer_cache_hits_total", "Answers sent from a worker's answer cache.",
     &DnsMetrics::answer_cache_hits},
    {"dnsd_dns_answer_cache_builds_total",
     "Answer cache entries built, or rebuilt after a registry change.",
     &DnsMetrics::answer_cache_builds},
};

}  // namespace

void RenderDns(std::span<const DnsMetrics* const> workers, std::string& out) {
  RenderQueries(workers, out);
  RenderLatency(workers, out);
  for (const CounterFamily& f : kCounterFamilies) {
    RenderCounter(workers, out, f.name, f.help, f.member);
  }
}

void HttpMetrics::Render(std::string& out) const {
  constexpr std::string_view kName = "dnsd_http_requests_total";
  Header(out, kName, "counter", "HTTP API requests by route template and status code.");
  std::vector<const Entry*> sorted;  // by route, then code: the order of the text is stable
  sorted.reserve(entries_.size());
  for (const Entry& e : entries_) sorted.push_back(&e);
  std::sort(sorted.begin(), sorted.end(), [](const Entry* a, const Entry* b) {
    return std::tie(a->route, a->code) < std::tie(b->route, b->code);
  });
  for (const Entry* e : sorted) {
    std::string labels =
        "route=\"" + EscapeLabel(e->route) + "\",code=\"" + std::to_string(e->code) + "\"";
    Sample(out, kName, labels, e->count);
  }
}

}  // namespace dnsd::metrics
