// Prometheus text for the registry's families; the HTTP request counter is rendered by
// dnsd/metrics (metrics::HttpMetrics::Render).
#include "dnsd/http/http_metrics.h"

#include "dnsd/metrics/text.h"

namespace dnsd::http {

using metrics::Header;
using metrics::Sample;

void RenderRegistryMetrics(const registry::RegistryStats& stats, uint64_t index, std::string& out) {
  Header(out, "dnsd_registry_services", "gauge", "Services with at least one instance.");
  Sample(out, "dnsd_registry_services", "", stats.services);
  Header(out, "dnsd_registry_instances", "gauge", "Registered instances by health status.");
  Sample(out, "dnsd_registry_instances", "status=\"passing\"", stats.passing);
  Sample(out, "dnsd_registry_instances", "status=\"warning\"", stats.warning);
  Sample(out, "dnsd_registry_instances", "status=\"critical\"", stats.critical);
  Sample(out, "dnsd_registry_instances", "status=\"maintenance\"", stats.maintenance);
  Header(out, "dnsd_registry_index", "gauge", "The registry-wide change index.");
  Sample(out, "dnsd_registry_index", "", index);
  Header(out, "dnsd_lease_lapses_total", "counter",
         "Lease lapses applied (instance turned critical).");
  Sample(out, "dnsd_lease_lapses_total", "", stats.lease_lapses_total);
  Header(out, "dnsd_instances_removed_total", "counter", "Instances removed, by reason.");
  Sample(out, "dnsd_instances_removed_total", "reason=\"deregistered\"",
         stats.removed_deregistered_total);
  Sample(out, "dnsd_instances_removed_total", "reason=\"expired\"", stats.removed_expired_total);
  Header(out, "dnsd_self_preservation_active", "gauge",
         "1 while self-preservation holds back lapses.");
  Sample(out, "dnsd_self_preservation_active", "", stats.self_preservation_active ? 1 : 0);
  Header(out, "dnsd_self_preservation_held_back", "gauge", "Lease lapses held back right now.");
  Sample(out, "dnsd_self_preservation_held_back", "", stats.held_back);
  Header(out, "dnsd_self_preservation_entered_total", "counter",
         "Times self-preservation became active.");
  Sample(out, "dnsd_self_preservation_entered_total", "", stats.self_preservation_entered_total);
}

}  // namespace dnsd::http
