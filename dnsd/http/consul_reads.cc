// Consul's read endpoints and their blocking queries. A service's endpoints
// (catalog/service, health/service) block on that service's index, so that only a change
// to it ends the wait (Consul's own wake on any catalog change: hashicorp/consul #1244);
// the registry-wide ones (agent/services, agent/checks, catalog/services) on the
// registry's.
#include <algorithm>
#include <charconv>
#include <set>
#include <string>
#include <vector>

#include "dnsd/http/consul_names.h"
#include "dnsd/http/consul_view.h"
#include "registry/duration.h"

namespace dnsd::http::consul {
namespace {

using Instances = std::vector<const registry::Instance*>;

Json AgentServices(const registry::Registry& registry, const RouterOptions& o) {
  Json out = Json::object();
  for (const registry::Registry::ServiceSummary& s : registry.Services()) {
    for (const registry::Instance* in : registry.Instances(s.name)) {
      ConsulView v = ViewOf(*in);
      out[v.id] = AgentServiceJson(*in, v, o);
    }
  }
  return out;
}

Json AgentChecks(const registry::Registry& registry, const RouterOptions& o) {
  Json out = Json::object();
  for (const registry::Registry::ServiceSummary& s : registry.Services()) {
    for (const registry::Instance* in : registry.Instances(s.name)) {
      for (Json& check : ChecksJson(*in, ViewOf(*in), o)) {
        std::string id = check["CheckID"];
        out[id] = std::move(check);
      }
    }
  }
  return out;
}

Json CatalogServices(const registry::Registry& registry) {
  Json out = Json::object();
  for (const registry::Registry::ServiceSummary& s : registry.Services()) {
    std::set<std::string> tags;
    std::string name = s.name;
    for (const registry::Instance* in : registry.Instances(s.name)) {
      ConsulView v = ViewOf(*in);
      name = v.name;
      for (const Json& t : v.tags) tags.insert(t.get<std::string>());
    }
    out[name] = tags;
  }
  return out;
}

Json CatalogService(const Instances& instances, const Params& p, const RouterOptions& o) {
  Json out = Json::array();
  const Json node = NodeJson(o);
  for (const registry::Instance* in : instances) {
    ConsulView v = ViewOf(*in);
    if (!HasAllTags(v, p)) continue;
    out.push_back({{"ID", ""},
                   {"Node", o.node},
                   {"Address", node["Address"]},
                   {"Datacenter", o.datacenter},
                   {"TaggedAddresses", node["TaggedAddresses"]},
                   {"NodeMeta", Json::object()},
                   {"ServiceKind", ""},
                   {"ServiceID", v.id},
                   {"ServiceName", v.name},
                   {"ServiceAddress", in->address.ToString()},
                   {"ServiceTags", v.tags},
                   {"ServiceMeta", v.meta},
                   {"ServicePort", in->port},
                   {"ServiceWeights", {{"Passing", in->weight}, {"Warning", 1}}},
                   {"ServiceEnableTagOverride", false},
                   {"CreateIndex", in->index},
                   {"ModifyIndex", in->index}});
  }
  return out;
}

bool Passing(const Params& p) {
  std::optional<std::string> v = p.Get("passing");
  return v && (v->empty() || *v == "1" || *v == "true");
}

Json HealthService(const Instances& instances, const Params& p, const RouterOptions& o) {
  Json out = Json::array();
  const bool passing_only = Passing(p);
  for (const registry::Instance* in : instances) {
    if (passing_only && in->health != registry::Health::kPassing) continue;
    ConsulView v = ViewOf(*in);
    if (!HasAllTags(v, p)) continue;
    Json service = AgentServiceJson(*in, v, o);
    service["CreateIndex"] = in->index;
    service["ModifyIndex"] = in->index;
    out.push_back({{"Node", NodeJson(o)}, {"Service", std::move(service)},
                   {"Checks", ChecksJson(*in, v, o)}});
  }
  return out;
}

std::string LeaderAddress(const RouterOptions& o) {
  std::string a = o.http_listeners.empty() ? "127.0.0.1:8500" : o.http_listeners.front();
  return a;
}

// ?index=N&wait=D: the query to park, when the index has not moved past N yet.
std::optional<HttpResponse> Block(const HttpRequest& request, const Params& p,
                                  std::string waiter_key, uint64_t current,
                                  const RouterOptions& options) {
  std::optional<std::string> index_text = p.Get("index");
  if (!index_text) return std::nullopt;
  uint64_t index = 0;
  auto [end, ec] = std::from_chars(index_text->data(), index_text->data() + index_text->size(), index);
  if (ec != std::errc() || end != index_text->data() + index_text->size() || current > index) {
    return std::nullopt;
  }
  registry::Duration wait = options.default_wait;
  if (std::optional<std::string> w = p.Get("wait")) {
    std::optional<registry::Duration> d = registry::ParseDuration(*w);
    if (!d) return ConsulError(400, "\"wait\" must be a duration such as \"30s\" or \"120000ms\"",
                               "wait", current);
    wait = *d;
  }
  wait = std::min(wait, options.max_wait);
  if (wait <= registry::Duration(0)) return std::nullopt;
  HttpResponse r;
  r.index = current;
  r.block = BlockingQuery{std::move(waiter_key), false, index, options.clock->Now() + wait,
                          true, request.path, request.query};
  return r;
}

struct Read {
  std::string_view route;
  std::string service;  // label; empty for the registry-wide endpoints
  bool found = true;
};

Read MatchRead(std::string_view path) {
  auto after = [&](std::string_view prefix) -> std::optional<std::string> {
    if (!path.starts_with(prefix) || path.size() == prefix.size()) return std::nullopt;
    std::string_view rest = path.substr(prefix.size());
    if (rest.find('/') != rest.npos) return std::nullopt;
    return internal::PercentDecode(rest);
  };
  if (path == "/v1/agent/services") return {"/v1/agent/services", ""};
  if (path == "/v1/agent/checks") return {"/v1/agent/checks", ""};
  if (path == "/v1/agent/self") return {"/v1/agent/self", ""};
  if (path == "/v1/catalog/services") return {"/v1/catalog/services", ""};
  if (path == "/v1/catalog/datacenters") return {"/v1/catalog/datacenters", ""};
  if (path == "/v1/status/leader") return {"/v1/status/leader", ""};
  if (path == "/v1/status/peers") return {"/v1/status/peers", ""};
  if (auto id = after("/v1/agent/service/")) return {"/v1/agent/service/:id", *id};
  if (auto svc = after("/v1/catalog/service/")) return {"/v1/catalog/service/:svc", *svc};
  if (auto svc = after("/v1/health/service/")) return {"/v1/health/service/:svc", *svc};
  return {"other", "", false};
}

HttpResponse Answer(const Read& m, const Params& p, const registry::Registry& registry,
                    const RouterOptions& o, uint64_t index) {
  const std::string_view r = m.route;
  if (r == "/v1/agent/services") return ConsulJson(200, AgentServices(registry, o), index);
  if (r == "/v1/agent/checks") return ConsulJson(200, AgentChecks(registry, o), index);
  if (r == "/v1/catalog/services") return ConsulJson(200, CatalogServices(registry), index);
  if (r == "/v1/catalog/datacenters") return ConsulJson(200, Json::array({o.datacenter}), index);
  if (r == "/v1/status/leader") return ConsulJson(200, LeaderAddress(o), index);
  if (r == "/v1/status/peers") return ConsulJson(200, Json::array({LeaderAddress(o)}), index);
  if (r == "/v1/agent/self") {
    const Json node = NodeJson(o);
    return ConsulJson(200,
                      {{"Config", {{"Datacenter", o.datacenter}, {"NodeName", o.node},
                                   {"NodeID", ""}, {"Version", o.version}}},
                       {"Member", {{"Name", o.node}, {"Addr", node["Address"]}, {"Port", 8301},
                                   {"Status", 1}, {"Tags", Json::object()}}}},
                      index);
  }
  if (r == "/v1/agent/service/:id") {
    const registry::Instance* in = FindById(registry, m.service);
    if (!in) return ConsulError(404, "unknown service ID " + m.service, "", index);
    ConsulView v = ViewOf(*in);
    return ConsulJson(200, AgentServiceJson(*in, v, o), index);
  }
  const Instances instances = registry.Instances(ConsulLabel(m.service));
  if (r == "/v1/catalog/service/:svc") return ConsulJson(200, CatalogService(instances, p, o), index);
  return ConsulJson(200, HealthService(instances, p, o), index);
}

}  // namespace

HttpResponse ConsulRead(const HttpRequest& request, const registry::Registry& registry,
                        const RouterOptions& options, bool may_block) {
  Read m = MatchRead(request.path);
  HttpResponse out;
  if (!m.found) {
    out = ConsulError(404, "no such endpoint: " + request.path.substr(0, 200), "", registry.index());
  } else if (request.method != "GET" && request.method != "HEAD") {
    out = ConsulError(405, "method " + request.method + " is not allowed here; use GET", "",
                      registry.index());
    out.headers.emplace_back("Allow", "GET, HEAD");
  } else {
    const Params p = ParseParams(request.query);
    const bool per_service = m.route.find(":svc") != std::string_view::npos;
    const std::string key = per_service ? ConsulLabel(m.service) : std::string();
    uint64_t index = per_service ? registry.ServiceIndex(key) : registry.index();
    if (index == 0) index = registry.index();  // a service that does not exist (yet)
    std::optional<HttpResponse> parked;
    if (may_block) parked = Block(request, p, key, index, options);
    out = parked ? std::move(*parked) : Answer(m, p, registry, options, index);
  }
  out.route = m.route;
  return out;
}

}  // namespace dnsd::http::consul
