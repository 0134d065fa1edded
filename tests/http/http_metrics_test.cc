#include "dnsd/http/http_metrics.h"

#include <catch2/catch.hpp>

#include "tests/support/prometheus_text.h"

namespace dnsd::http {
namespace {

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
  testing::RequireWellFormed(out);
}

}  // namespace
}  // namespace dnsd::http
