#include "dnsd/metrics/metrics.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

namespace dnsd::metrics {
namespace {

bool Has(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

TEST_CASE("query counts are summed over workers by qtype and rcode name", "[metrics]") {
  DnsMetrics a, b;
  a.RecordQuery(1, 0, 1e-6);
  b.RecordQuery(1, 0, 1e-6);
  a.RecordQuery(33, 3, 1e-6);
  b.RecordQuery(99, 16, 1e-6);  // unlisted type -> other; BADVERS
  b.RecordQuery(1, 9, 1e-6);    // unnamed rcode -> its number
  std::vector<const DnsMetrics*> workers = {&a, &b};
  std::string out;
  RenderDns(workers, out);
  CHECK(Has(out, "# TYPE dnsd_dns_queries_total counter"));
  CHECK(Has(out, R"(dnsd_dns_queries_total{qtype="A",rcode="NOERROR"} 2)"));
  CHECK(Has(out, R"(dnsd_dns_queries_total{qtype="SRV",rcode="NXDOMAIN"} 1)"));
  CHECK(Has(out, R"(dnsd_dns_queries_total{qtype="other",rcode="BADVERS"} 1)"));
  CHECK(Has(out, R"(dnsd_dns_queries_total{qtype="A",rcode="9"} 1)"));
  CHECK(out.find("rcode=\"SERVFAIL\"") == std::string::npos);  // zero series left out
}

TEST_CASE("latency histogram buckets are cumulative with sum and count", "[metrics]") {
  DnsMetrics m;
  m.RecordQuery(1, 0, 3e-6);  // first bucket
  m.RecordQuery(1, 0, 2e-4);  // <= 0.00025
  m.RecordQuery(1, 0, 7.0);   // beyond the last bound: +Inf only
  CHECK(m.LatencyCount() == 3);
  CHECK(m.LatencySum() == Approx(7.000203).epsilon(1e-6));
  std::vector<const DnsMetrics*> workers = {&m};
  std::string out;
  RenderDns(workers, out);
  const std::string h = "dnsd_dns_request_duration_seconds";
  CHECK(Has(out, "# TYPE " + h + " histogram"));
  CHECK(Has(out, h + R"(_bucket{le="5e-06"} 1)"));
  CHECK(Has(out, h + R"(_bucket{le="0.0001"} 1)"));
  CHECK(Has(out, h + R"(_bucket{le="0.00025"} 2)"));
  CHECK(Has(out, h + R"(_bucket{le="5"} 2)"));
  CHECK(Has(out, h + R"(_bucket{le="+Inf"} 3)"));
  CHECK(Has(out, h + "_count 3"));
  CHECK(out.find(h + "_sum 7.000203") != std::string::npos);
}

TEST_CASE("every counter family is rendered with HELP and TYPE", "[metrics]") {
  DnsMetrics m;
  m.truncated.Inc(2);
  m.forwarded.Inc();
  m.answer_cache_hits.Set(5);
  std::vector<const DnsMetrics*> workers = {&m};
  std::string out;
  RenderDns(workers, out);
  for (const char* name :
       {"dnsd_dns_truncated_total", "dnsd_dns_tcp_capped_total", "dnsd_dns_malformed_total",
        "dnsd_dns_dropped_total", "dnsd_dns_forwarded_total", "dnsd_dns_upstream_failures_total",
        "dnsd_dns_tcp_connections_rejected_total", "dnsd_dns_udp_receive_batches_total",
        "dnsd_dns_udp_datagrams_received_total", "dnsd_dns_udp_replies_dropped_total",
        "dnsd_dns_udp_send_errors_total", "dnsd_dns_answer_cache_hits_total",
        "dnsd_dns_answer_cache_builds_total"}) {
    INFO(name);
    CHECK(out.find(std::string("# HELP ") + name + " ") != std::string::npos);
    CHECK(Has(out, std::string("# TYPE ") + name + " counter"));
  }
  CHECK(Has(out, "dnsd_dns_truncated_total 2"));
  CHECK(Has(out, "dnsd_dns_forwarded_total 1"));
  CHECK(Has(out, "dnsd_dns_answer_cache_hits_total 5"));
}

}  // namespace
}  // namespace dnsd::metrics
