#include "dnsd/metrics/metrics.h"

#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "tests/support/prometheus_text.h"

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

TEST_CASE("HTTP request counts render per route and code", "[metrics]") {
  HttpMetrics m;
  m.Record("/v1/services/{svc}", 200);
  m.Record("/v1/services/{svc}", 200);
  m.Record("/v1/services/{svc}", 404);
  m.Record("we\"ird\\", 500);
  std::string out;
  m.Render(out);
  CHECK_THAT(out, Catch::Contains(
                      "dnsd_http_requests_total{route=\"/v1/services/{svc}\",code=\"200\"} 2\n"));
  CHECK_THAT(out, Catch::Contains(
                      "dnsd_http_requests_total{route=\"/v1/services/{svc}\",code=\"404\"} 1\n"));
  CHECK_THAT(out, Catch::Contains("route=\"we\\\"ird\\\\\""));
  testing::RequireWellFormed(out);
}

TEST_CASE("HTTP request counts render sorted by route, then code", "[metrics]") {
  HttpMetrics m;
  m.Record("/v1/status", 200);
  m.Record("/healthz", 503);
  m.Record("/v1/services/{svc}", 200);
  m.Record("/healthz", 200);
  m.Record("/v1/status", 200);
  std::string out;
  m.Render(out);
  CHECK_THAT(out, Catch::EndsWith(
                      "dnsd_http_requests_total{route=\"/healthz\",code=\"200\"} 1\n"
                      "dnsd_http_requests_total{route=\"/healthz\",code=\"503\"} 1\n"
                      "dnsd_http_requests_total{route=\"/v1/services/{svc}\",code=\"200\"} 1\n"
                      "dnsd_http_requests_total{route=\"/v1/status\",code=\"200\"} 2\n"));
}

TEST_CASE("an empty counter family still declares itself", "[metrics]") {
  std::string out;
  HttpMetrics().Render(out);
  CHECK_THAT(out, Catch::Contains("# TYPE dnsd_http_requests_total counter\n"));
  testing::RequireWellFormed(out);
}

}  // namespace
}  // namespace dnsd::metrics
