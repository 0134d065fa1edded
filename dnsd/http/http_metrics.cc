// Prometheus text exposition (format 0.0.4) for the HTTP server's own families.
#include "dnsd/http/http_metrics.h"

#include <algorithm>
#include <string_view>
#include <tuple>
#include <vector>

#include "dnsd/metrics/metrics.h"

namespace dnsd {
namespace {

// Label values are escaped as the text format requires (\\, \", \n).
std::string EscapeLabel(std::string_view value) {
  std::string out;
  out.reserve(value.size());
  for (char c : value) {
    if (c == '\\' || c == '"') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

void Header(std::string& out, std::string_view name, std::string_view type, std::string_view help) {
  out.append("# HELP ").append(name).append(" ").append(help).append("\n");
  out.append("# TYPE ").append(name).append(" ").append(type).append("\n");
}

void Sample(std::string& out, std::string_view name, std::string_view labels, uint64_t value) {
  out.append(name);
  if (!labels.empty()) out.append("{").append(labels).append("}");
  out.append(" ").append(std::to_string(value)).append("\n");
}

}  // namespace

namespace metrics {

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

}  // namespace metrics

namespace http {

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

}  // namespace http
}  // namespace dnsd
