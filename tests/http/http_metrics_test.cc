#include "dnsd/http/http_metrics.h"

#include <catch2/catch.hpp>
#include <regex>
#include <set>
#include <sstream>

#include "dnsd/metrics/metrics.h"

namespace dnsd::http {
namespace {

// Checks the text format rules promtool checks too: HELP/TYPE before a family's samples,
// each family declared once, and sample lines of the form name{labels} value.
void RequireWellFormed(const std::string& text) {
  static const std::regex kSample(
      R"(^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")"
      R"((,[a-zA-Z_][a-zA-Z0-9_]*="(\\.|[^"\\])*")*\})? -?[0-9.e+]+$)");
  static const std::regex kType(R"(^# TYPE ([a-zA-Z_:][a-zA-Z0-9_:]*) (counter|gauge|histogram)$)");
  static const std::regex kHelp(R"(^# HELP ([a-zA-Z_:][a-zA-Z0-9_:]*) .+$)");
  std::set<std::string> typed;
  std::string current;
  std::istringstream lines(text);
  std::string line;
  REQUIRE(text.back() == '\n');
  while (std::getline(lines, line)) {
    INFO(line);
    std::smatch m;
    if (std::regex_match(line, m, kHelp)) continue;
    if (std::regex_match(line, m, kType)) {
      CHECK(typed.insert(m[1]).second);
      current = m[1];
      continue;
    }
    REQUIRE(std::regex_match(line, m, kSample));
    std::string name = m[1];
    CHECK((name == current || name.rfind(current + "_", 0) == 0));
  }
}

TEST_CASE("HTTP request counts render per route and code", "[http][metrics]") {
  metrics::HttpMetrics m;
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
  RequireWellFormed(out);
}

TEST_CASE("HTTP request counts render sorted by route, then code", "[http][metrics]") {
  metrics::HttpMetrics m;
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

TEST_CASE("an empty counter family still declares itself", "[http][metrics]") {
  std::string out;
  metrics::HttpMetrics().Render(out);
  CHECK_THAT(out, Catch::Contains("# TYPE dnsd_http_requests_total counter\n"));
  RequireWellFormed(out);
}

TEST_CASE("registry families render every status and reason", "[http][metrics]") {
  registry::RegistryStats s;
  s.services = 3;
  s.instances = 10;
  s.passing = 4;
  s.warning = 3;
  s.critical = 2;
  s.maintenance = 1;
  s.lease_lapses_total = 7;
  s.removed_deregistered_total = 5;
  s.removed_expired_total = 6;
  s.self_preservation_active = true;
  s.held_back = 2;
  std::string out;
  RenderRegistryMetrics(s, 99, out);
  for (const char* line :
       {"dnsd_registry_services 3\n", "dnsd_registry_instances{status=\"passing\"} 4\n",
        "dnsd_registry_instances{status=\"warning\"} 3\n",
        "dnsd_registry_instances{status=\"critical\"} 2\n",
        "dnsd_registry_instances{status=\"maintenance\"} 1\n", "dnsd_registry_index 99\n",
        "dnsd_lease_lapses_total 7\n", "dnsd_instances_removed_total{reason=\"deregistered\"} 5\n",
        "dnsd_instances_removed_total{reason=\"expired\"} 6\n", "dnsd_self_preservation_active 1\n",
        "dnsd_self_preservation_held_back 2\n"}) {
    CHECK_THAT(out, Catch::Contains(line));
  }
  RequireWellFormed(out);
}

}  // namespace
}  // namespace dnsd::http
