// Prometheus text for the registry's gauges and counters (SPEC §4 /metrics). The HTTP
// request counter is dnsd/metrics's (metrics::HttpMetrics::Render).
#pragma once

#include <cstdint>
#include <string>

#include "registry/registry.h"

namespace dnsd::http {

// Appends dnsd_registry_services, dnsd_registry_instances{status}, dnsd_registry_index,
// dnsd_lease_lapses_total, dnsd_instances_removed_total{reason},
// dnsd_self_preservation_active, dnsd_self_preservation_held_back and
// dnsd_self_preservation_entered_total.
void RenderRegistryMetrics(const registry::RegistryStats& stats, uint64_t index, std::string& out);

}  // namespace dnsd::http
