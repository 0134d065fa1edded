// The reading endpoints: service lists, one service (with blocking queries), status,
// health, readiness and metrics.
#include <algorithm>
#include <charconv>
#include <cstdio>
#include <ctime>

#include "registry/duration.h"
#include "dnsd/http/consul_api.h"
#include "dnsd/http/handlers.h"
#include "dnsd/http/http_metrics.h"
#include "dnsd/http/registry_feed.h"

namespace dnsd::http {
namespace internal {
namespace {

constexpr const char* kServiceRoute = "/v1/services/{svc}";
constexpr const char* kRegistryRoute = "/v1/registry";

// Whole seconds as an integer, anything finer as a fraction (1.5).
Json Seconds(registry::Duration d) {
  if (d.count() % 1000 == 0) return Json(d.count() / 1000);
  return Json(registry::ToSeconds(d));
}

// Milliseconds since the epoch as RFC 3339 UTC ("2026-12-03T15:40:00.123Z"); null for 0.
Json Rfc3339(int64_t ms) {
  if (ms <= 0) return nullptr;
  const time_t secs = static_cast<time_t>(ms / 1000);
  tm utc{};
  gmtime_r(&secs, &utc);
  char text[40];
  const size_t n = strftime(text, sizeof text, "%Y-%m-%dT%H:%M:%S", &utc);
  std::snprintf(text + n, sizeof text - n, ".%03dZ", static_cast<int>(ms % 1000));
  return std::string(text);
}

Json ChecksJson(const std::vector<registry::CheckState>& checks) {
  Json out = Json::array();
  for (const registry::CheckState& c : checks) {
    Json j = Json::object();
    if (c.spec.kind == registry::CheckKind::kTtl) {  // Consul's TTL check (SPEC §10)
      j["ttl"] = Seconds(c.spec.interval);
    } else {
      j[std::string(registry::CheckKindName(c.spec.kind))] = c.spec.target;
      j["interval"] = Seconds(c.spec.interval);
      j["timeout"] = Seconds(c.spec.EffectiveTimeout());
      j["success_before_passing"] = c.spec.success_before_passing;
      j["failures_before_critical"] = c.spec.failures_before_critical;
    }
    if (!c.spec.check_id.empty()) j["id"] = c.spec.check_id;
    if (!c.spec.name.empty()) j["name"] = c.spec.name;
    j["status"] = std::string(registry::HealthName(c.status));
    j["output"] = c.output;
    j["last_run"] = Rfc3339(c.last_run_ms);
    out.push_back(std::move(j));
  }
  return out;
}

}  // namespace

Json InstanceJson(const registry::Instance& in, registry::TimePoint now) {
  Json lease_remaining = nullptr;
  if (in.lease_deadline) {
    auto left = std::chrono::floor<registry::Duration>(*in.lease_deadline - now);
    lease_remaining = registry::ToSeconds(std::max(left, registry::Duration(0)));
  }
  return Json{
      {"service", in.service},
      {"id", in.id},
      {"address", in.address.ToString()},
      {"port", in.port},
      {"proto", std::string(registry::ProtoName(in.proto))},
      {"tags", in.tags},
      {"meta", in.meta},
      {"weight", in.weight},
      {"priority", in.priority},
      {"ttl", Seconds(in.ttl)},
      {"deregister_after", Seconds(in.deregister_after)},
      {"dns_ttl", in.dns_ttl ? Json(*in.dns_ttl) : Json(nullptr)},
      {"status", std::string(registry::HealthName(in.health))},
      {"note", in.note},
      {"lease_remaining", lease_remaining},
      {"protected", in.is_protected},
      {"checks", ChecksJson(in.checks)},
      {"index", in.index},
  };
}

namespace {

struct ServiceQuery {
  bool healthy_only = false;
  std::optional<uint64_t> index;
  std::optional<registry::Duration> wait;
};

bool ParseUint(std::string_view s, uint64_t& out) {
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
  return ec == std::errc() && end == s.data() + s.size() && !s.empty();
}

// Reads ?healthy, ?index and ?wait; other parameters are ignored, as Consul does.
registry::Result<ServiceQuery> ParseServiceQuery(std::string_view query) {
  ServiceQuery q;
  for (const auto& [key, value] : ParseParams(query).all) {
    if (key == "healthy") {
      if (value.empty() || value == "1" || value == "true") {
        q.healthy_only = true;
      } else if (value == "0" || value == "false") {
        q.healthy_only = false;
      } else {
        return registry::Invalid("healthy", "\"healthy\" must be 1, true, 0 or false");
      }
    } else if (key == "index") {
      uint64_t n = 0;
      if (!ParseUint(value, n))
        return registry::Invalid("index", "\"index\" must be a non-negative integer");
      q.index = n;
    } else if (key == "wait") {
      q.wait = registry::ParseDuration(value);
      if (!q.wait) return registry::Invalid("wait", "\"wait\" must be a duration such as \"30s\"");
    }
  }
  return q;
}

uint64_t HealthyCount(uint64_t passing, uint64_t warning, bool include_warning) {
  return passing + (include_warning ? warning : 0);
}

}  // namespace

HttpResponse HandleListServices(const registry::Registry& registry, const RouterOptions& options) {
  Json services = Json::array();
  for (const registry::Registry::ServiceSummary& s : registry.Services()) {
    services.push_back({{"name", s.name},
                        {"instances", s.instances},
                        {"healthy", HealthyCount(s.passing, s.warning, options.include_warning)}});
  }
  return JsonResponse(200, {{"index", registry.index()}, {"services", std::move(services)}},
                      registry.index());
}

HttpResponse HandleGetService(const HttpRequest& request, std::string_view svc,
                              const registry::Registry& registry, const RouterOptions& options) {
  std::string name = registry::ToLower(svc);
  uint64_t current = registry.ServiceIndex(name);
  registry::Result<ServiceQuery> q = ParseServiceQuery(request.query);
  if (!q) return ErrorResponse(q.error(), current);
  BlockingQuery block{name, q->healthy_only, q->index.value_or(0), {}, false, {}, {}};
  if (q->index && current <= *q->index) {
    registry::Duration wait = std::min(q->wait.value_or(options.default_wait), options.max_wait);
    if (wait > registry::Duration(0)) {
      block.deadline = options.clock->Now() + wait;
      HttpResponse r;
      r.index = current;
      r.block = std::move(block);
      return r;
    }
  }
  return AnswerServiceQuery(block, registry, options);
}

HttpResponse HandleRegistry(const HttpRequest& request, const registry::Registry& registry,
                            const RouterOptions& options) {
  if (!registry.view().Load()->loaded()) {
    return ErrorResponse(503, "the registry is not loaded yet", "", registry.index());
  }
  registry::Result<ServiceQuery> q = ParseServiceQuery(request.query);
  if (!q) return ErrorResponse(q.error(), registry.index());
  BlockingQuery block;
  block.index = q->index.value_or(0);
  block.registry_feed = true;
  // No index, or one from another history (the server restarted without its data, or
  // the client watched another registry): everything, at once.
  block.full = !q->index || *q->index > registry.index();
  if (block.full) return AnswerRegistryQuery(block, registry, options);
  if (q->index && registry.index() <= *q->index) {
    registry::Duration wait = std::min(q->wait.value_or(options.default_wait), options.max_wait);
    if (wait > registry::Duration(0)) {
      block.deadline = options.clock->Now() + wait;
      HttpResponse r;
      r.index = registry.index();
      r.block = std::move(block);
      return r;
    }
  }
  return AnswerRegistryQuery(block, registry, options);
}

HttpResponse AnswerRegistryQuery(const BlockingQuery& query, const registry::Registry& registry,
                                 const RouterOptions& options) {
  RegistryFeed* feed = options.feed;
  std::optional<std::vector<RegistryFeed::Change>> changed;
  if (feed != nullptr && feed->restore_pending()) feed->Reset(registry.index());
  if (feed != nullptr && !query.full) {
    if (feed->NeedsPrune()) {
      feed->Prune([&](std::string_view name) { return registry.ServiceIndex(name) != 0; });
    }
    changed = feed->ChangedSince(query.index);
  }
  registry::TimePoint now = options.clock->Now();
  // A removed service is listed with no instances and the index of its removal.
  auto service_json = [&](std::string_view name, uint64_t removed_at) {
    Json instances = Json::array();
    for (const registry::Instance* in : registry.Instances(name)) {
      instances.push_back(InstanceJson(*in, now));
    }
    uint64_t index = registry.ServiceIndex(name);
    return Json{{"name", name},
                {"index", index != 0 ? index : removed_at},
                {"instances", std::move(instances)}};
  };
  Json services = Json::array();
  if (changed) {
    for (const RegistryFeed::Change& c : *changed) services.push_back(service_json(c.service, c.index));
  } else {
    for (const registry::Registry::ServiceSummary& s : registry.Services()) {
      services.push_back(service_json(s.name, 0));
    }
  }
  HttpResponse r = JsonResponse(200,
                                {{"index", registry.index()},
                                 {"full", !changed.has_value()},
                                 {"services", std::move(services)}},
                                registry.index());
  r.route = kRegistryRoute;
  return r;
}

HttpResponse HandleStatus(const registry::Registry& registry, const RouterOptions& options) {
  registry::RegistryStats stats = registry.Stats();
  auto uptime =
      std::chrono::duration_cast<std::chrono::seconds>(options.clock->Now() - options.started);
  Json body = {
      {"version", options.version},
      {"uptime_seconds", std::max<int64_t>(uptime.count(), 0)},
      {"index", registry.index()},
      {"services", stats.services},
      {"instances", stats.instances},
      {"healthy", HealthyCount(stats.passing, stats.warning, options.include_warning)},
      {"self_preservation",
       {{"enabled", stats.self_preservation_enabled},
        {"active", stats.self_preservation_active},
        {"held_back", stats.held_back}}},
      {"listeners", {{"dns", options.dns_listeners}, {"http", options.http_listeners}}},
      {"storage", nullptr},
      {"cluster", nullptr},
      {"agent", nullptr},
  };
  if (options.store) {
    registry::StoreStatus store = options.store->Status();
    if (store.persistent) {
      body["storage"] = {{"data_dir", store.data_dir},
                         {"bytes", store.bytes},
                         {"last_sync_ms", store.last_sync_ms}};
    }
    if (store.cluster) {
      body["cluster"] = {{"node", store.cluster->node},
                         {"connected", store.cluster->connected},
                         {"revision", store.cluster->revision},
                         {"replicas", store.cluster->replicas}};
    }
    if (store.agent) {
      const registry::AgentStatus& a = *store.agent;
      body["agent"] = {{"servers", a.servers},
                       {"server", a.server},
                       {"connected", a.connected},
                       {"index", a.index},
                       {"last_contact_seconds",
                        a.last_contact_seconds ? Json(*a.last_contact_seconds) : Json(nullptr)},
                       {"error", a.connected ? Json(nullptr) : Json(a.error)}};
    }
  }
  return JsonResponse(200, body, registry.index());
}

HttpResponse HandleHealthz(const registry::Registry& registry) {
  return JsonResponse(200, {{"status", "ok"}}, registry.index());
}

HttpResponse HandleReadyz(const registry::Registry& registry, const RouterOptions& options) {
  bool loaded = registry.view().Load()->loaded();
  if (options.ready && loaded) return JsonResponse(200, {{"ready", true}}, registry.index());
  std::string why = !loaded ? "the registry is not loaded yet" : "the listeners are not up yet";
  return JsonResponse(503, {{"ready", false}, {"error", why}}, registry.index());
}

HttpResponse HandleMetrics(const registry::Registry& registry, const RouterOptions& options) {
  HttpResponse r;
  if (options.http_metrics) {
    options.http_metrics->Render(r.body);
  } else {
    metrics::HttpMetrics().Render(r.body);
  }
  RenderRegistryMetrics(registry.Stats(), registry.index(), r.body);
  if (options.render_metrics) options.render_metrics(r.body);
  r.content_type = "text/plain; version=0.0.4; charset=utf-8";
  r.index = registry.index();
  return r;
}

}  // namespace internal

HttpResponse AnswerServiceQuery(const BlockingQuery& query, const registry::Registry& registry,
                                const RouterOptions& options) {
  if (query.consul) return AnswerConsulQuery(query, registry, options);
  if (query.registry_feed) return internal::AnswerRegistryQuery(query, registry, options);
  registry::TimePoint now = options.clock->Now();
  internal::Json instances = internal::Json::array();
  for (const registry::Instance* in : registry.Instances(query.service)) {
    if (query.healthy_only && !internal::IsHealthy(in->health, options.include_warning)) continue;
    instances.push_back(internal::InstanceJson(*in, now));
  }
  uint64_t index = registry.ServiceIndex(query.service);
  HttpResponse r = internal::JsonResponse(
      200, {{"name", query.service}, {"index", index}, {"instances", std::move(instances)}}, index);
  r.route = internal::kServiceRoute;
  return r;
}

}  // namespace dnsd::http
