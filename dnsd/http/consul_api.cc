// Consul's endpoints (SPEC §10): matching, the write translations and the reads. The
// shapes and the reserved meta keys are in consul_view.h.
#include "dnsd/http/consul_api.h"

#include <algorithm>
#include <set>
#include <string>
#include <vector>

#include "dnsd/http/consul_names.h"
#include "dnsd/http/consul_request.h"
#include "dnsd/http/consul_view.h"
#include "dnsd/http/request_json.h"
#include "registry/duration.h"

namespace dnsd::http {
namespace {

using namespace consul;  // NOLINT: this file is the Consul front end

HttpResponse Pending(registry::Command command, std::string service, std::string id) {
  HttpResponse r;
  r.write = PendingWrite{PendingWrite::Kind::kRegister, std::move(service), std::move(id),
                         registry::Health::kPassing, std::move(command)};
  r.write->consul = true;
  return r;
}

// ---- writes ----------------------------------------------------------------------------

// Tags: all are kept for the Consul API; those that are DNS labels also go to the registry,
// where they work as DNS tag filters.
void TranslateTags(const std::vector<std::string>& tags, registry::InstanceSpec& spec) {
  bool all_labels = true;
  for (const std::string& tag : tags) {
    const bool label = registry::IsDnsLabel(tag);
    all_labels &= label && registry::ToLower(tag) == tag;
    if (label) spec.tags.push_back(registry::ToLower(tag));
  }
  if (!all_labels) spec.meta[std::string(kMetaTags)] = Json(tags).dump();
}

// A registry check field ("checks[0].http") in Consul's words ("Check.HTTP").
std::string ConsulField(const std::string& registry_field, const std::string& prefix) {
  static const std::vector<std::pair<std::string_view, std::string_view>> kNames = {
      {"http", "HTTP"},
      {"tcp", "TCP"},
      {"interval", "Interval"},
      {"timeout", "Timeout"},
      {"success_before_passing", "SuccessBeforePassing"},
      {"failures_before_critical", "FailuresBeforeCritical"},
      {"ttl", "TTL"},
      {"id", "CheckID"}};
  const std::string suffix = registry_field.substr(registry_field.rfind('.') + 1);
  for (const auto& [from, to] : kNames) {
    if (suffix == from) return prefix + "." + std::string(to);
  }
  return prefix;
}

// The checks of a registration (SPEC §10): the first TTL check is the instance's lease,
// further TTL checks are registry checks of their own (CheckKind::kTtl), HTTP and TCP
// checks are active checks (SPEC §9). Check ids: CheckID, else
// service:<ID>, or service:<ID>:<n> (from 1) for the n-th of several.
struct TranslatedChecks {
  const ConsulCheck* ttl = nullptr;
  std::string ttl_id;
  std::vector<registry::CheckSpec> active;
  std::optional<registry::Duration> deregister_after;
};

registry::Result<TranslatedChecks> TranslateChecks(const ConsulRegistration& c) {
  using registry::Invalid;
  TranslatedChecks out;
  const bool several = c.checks.size() > 1;
  for (size_t i = 0; i < c.checks.size(); ++i) {
    const ConsulCheck& k = c.checks[i];
    const std::string& field = k.field;
    const int kinds = (k.ttl ? 1 : 0) + (k.http.empty() ? 0 : 1) + (k.tcp.empty() ? 0 : 1);
    if (kinds == 0) return Invalid(field + ".TTL", "a check needs a TTL, an HTTP or a TCP");
    if (kinds > 1) return Invalid(field, "a check has one of TTL, HTTP and TCP");
    const std::string id = !k.id.empty() ? k.id
                           : several     ? "service:" + c.id + ":" + std::to_string(i + 1)
                                         : "service:" + c.id;
    if (k.deregister_after) {
      out.deregister_after = std::min(out.deregister_after.value_or(*k.deregister_after),
                                      *k.deregister_after);
    }
    if (k.ttl && !out.ttl) {  // the first TTL check is the instance's lease
      out.ttl = &k;
      out.ttl_id = id;
      continue;
    }
    registry::CheckSpec spec;
    if (k.ttl) {  // each further one a lease of its own, run out by the registry
      spec.kind = registry::CheckKind::kTtl;
      spec.interval = *k.ttl;
    } else {
      if (!k.interval) return Invalid(field + ".Interval", "an HTTP or TCP check needs an Interval");
      spec.kind = k.http.empty() ? registry::CheckKind::kTcp : registry::CheckKind::kHttp;
      spec.target = k.http.empty() ? k.tcp : k.http;
      spec.interval = *k.interval;
      spec.timeout = k.timeout.value_or(registry::Duration::zero());
    }
    spec.success_before_passing = std::max<uint32_t>(1, k.success_before_passing.value_or(1));
    spec.failures_before_critical = std::max<uint32_t>(1, k.failures_before_critical.value_or(1));
    spec.check_id = id;
    spec.name = k.name.empty() ? "Service '" + c.name + "' check" : k.name;
    if (registry::Status s = registry::ValidateCheck(spec, field); !s) {
      return Invalid(ConsulField(s.error().field, field), s.error().message);
    }
    out.active.push_back(std::move(spec));
  }
  return out;
}

registry::Result<registry::RegisterCommand> Translate(const ConsulRegistration& c,
                                                      const HttpRequest& request,
                                                      const registry::Registry& registry) {
  using registry::Invalid;
  registry::Result<TranslatedChecks> checks = TranslateChecks(c);
  if (!checks) return checks.error();
  const ConsulCheck* check = checks->ttl;
  for (const auto& [key, value] : c.meta) {
    if (key.starts_with("consul-")) return Invalid("Meta", "meta keys consul-* are dnsd's own");
  }
  registry::RegisterCommand cmd;
  registry::InstanceSpec& spec = cmd.spec;
  spec.service = ConsulLabel(c.name);
  spec.id = ConsulLabel(c.id);
  spec.meta = c.meta;
  if (spec.service != c.name) spec.meta[std::string(kMetaName)] = c.name;
  if (spec.id != c.id) spec.meta[std::string(kMetaId)] = c.id;
  if (c.address.empty()) {
    spec.address = request.peer;
  } else {
    spec.address = registry::IpAddress::Parse(c.address);
    if (!spec.address) return Invalid("Address", "\"Address\" must be an IPv4 or IPv6 literal");
  }
  if (!spec.address) return Invalid("Address", "\"Address\" is required: the peer is unknown");
  spec.port = c.port;
  spec.weight = c.weight.value_or(1);
  TranslateTags(c.tags, spec);
  spec.deregister_after = checks->deregister_after;
  spec.checks = std::move(checks->active);
  if (check) {
    spec.ttl = *check->ttl;
    cmd.status = check->status;
    if (checks->ttl_id != "service:" + c.id) spec.meta[std::string(kMetaCheck)] = checks->ttl_id;
    if (!check->name.empty()) spec.meta[std::string(kMetaCheckName)] = check->name;
  }
  if (const registry::Instance* existing = FindById(registry, c.id)) {
    cmd.moves_from = existing->service;
  }
  return cmd;
}

HttpResponse Register(const HttpRequest& request, const registry::Registry& registry) {
  registry::Result<ConsulRegistration> c = ParseConsulRegistration(request.body);
  if (!c) return ConsulError(400, c.error().message, c.error().field, registry.index());
  registry::Result<registry::RegisterCommand> cmd = Translate(*c, request, registry);
  if (!cmd) return ConsulError(400, cmd.error().message, cmd.error().field, registry.index());
  std::string service = cmd->spec.service, id = cmd->spec.id;
  return Pending(std::move(*cmd), std::move(service), std::move(id));
}

HttpResponse Deregister(std::string_view consul_id, const registry::Registry& registry) {
  const registry::Instance* in = FindById(registry, consul_id);
  if (!in) return ConsulError(404, "Unknown service ID " + std::string(consul_id), "", registry.index());
  return Pending(registry::DeregisterCommand{in->service, in->id}, in->service, in->id);
}

// pass / warn / fail, and update with {"Status","Output"}: a TTL check's heartbeat.
HttpResponse CheckResult(std::string_view check, registry::Health status, std::string note,
                         const registry::Registry& registry) {
  size_t n = kLeaseCheck;
  const registry::Instance* in = FindByCheck(registry, check, &n);
  if (!in) return ConsulError(404, "Unknown check ID " + std::string(check), "", registry.index());
  if (n != kLeaseCheck) {
    if (in->checks[n].spec.kind != registry::CheckKind::kTtl) {
      return ConsulError(400, "check " + std::string(check) + " is not a TTL check: dnsd runs it",
                         "", registry.index());
    }
    return Pending(registry::CheckResultCommand{in->service, in->id, n, status, std::move(note),
                                                registry::WallClockMs()},
                   in->service, in->id);
  }
  if (status == registry::Health::kCritical) {
    return Pending(registry::SetStatusCommand{in->service, in->id, status, std::move(note)},
                   in->service, in->id);
  }
  return Pending(registry::HeartbeatCommand{in->service, in->id, status, std::move(note)},
                 in->service, in->id);
}

HttpResponse CheckUpdate(const HttpRequest& request, std::string_view check,
                         const registry::Registry& registry) {
  registry::Result<Json> body = ParseJsonObject(request.body);
  if (!body) return ConsulError(400, body.error().message, body.error().field, registry.index());
  std::string status = "passing", output;
  for (const auto& [key, value] : body->items()) {
    std::string k = registry::ToLower(key);
    if (k != "status" && k != "output") continue;
    if (!value.is_string()) return ConsulError(400, "\"" + key + "\" must be a string", key, registry.index());
    (k == "status" ? status : output) = value.get<std::string>();
  }
  std::optional<registry::Health> health = ParseConsulStatus(status);
  if (!health) {
    return ConsulError(400, "\"Status\" must be \"passing\", \"warning\" or \"critical\"", "Status",
                       registry.index());
  }
  return CheckResult(check, *health, std::move(output), registry);
}

HttpResponse Maintenance(std::string_view consul_id, const Params& p,
                         const registry::Registry& registry) {
  std::optional<std::string> enable = p.Get("enable");
  if (!enable || (*enable != "true" && *enable != "false")) {
    return ConsulError(400, "?enable=true or ?enable=false is required", "enable", registry.index());
  }
  const registry::Instance* in = FindById(registry, consul_id);
  if (!in) return ConsulError(404, "Unknown service ID " + std::string(consul_id), "", registry.index());
  const registry::Health status =
      *enable == "true" ? registry::Health::kMaintenance : registry::Health::kPassing;
  return Pending(registry::SetStatusCommand{in->service, in->id, status, p.Get("reason")},
                 in->service, in->id);
}

// The path after /v1/, split at '/' (at most 4 segments; the last may hold '/').
std::vector<std::string> Segments(std::string_view path) {
  std::vector<std::string> out;
  path.remove_prefix(4);  // "/v1/"
  while (!path.empty() && out.size() < 3) {
    size_t slash = path.find('/');
    out.push_back(internal::PercentDecode(path.substr(0, slash)));
    path = slash == path.npos ? std::string_view() : path.substr(slash + 1);
  }
  if (!path.empty()) out.push_back(internal::PercentDecode(path));
  return out;
}

// The token of a Consul write: Authorization: Bearer, X-Consul-Token or ?token=.
std::optional<HttpResponse> CheckConsulToken(const HttpRequest& request, const Params& p,
                                             const RouterOptions& options, uint64_t index,
                                             Grant& grant) {
  if (options.tokens.empty()) {
    grant.all = true;
    return std::nullopt;
  }
  HttpRequest with = request;
  std::optional<std::string> token = request.consul_token ? request.consul_token : p.Get("token");
  if (token && !request.authorization) with.authorization = "Bearer " + *token;
  return internal::CheckToken(with, options, index, grant);
}

// A scoped token may write only its services: the one a write names, and for a
// registration that moves an ID from another service, that one too. Deregistrations and
// checks name an ID; the router resolved it to its service already.
std::optional<HttpResponse> CheckConsulScope(const Grant& grant,
                                             const PendingWrite& write, uint64_t index) {
  std::optional<HttpResponse> denied = internal::CheckScope(grant, write.service, index);
  if (const auto* reg = std::get_if<registry::RegisterCommand>(&write.command);
      !denied && reg && reg->moves_from) {
    denied = internal::CheckScope(grant, *reg->moves_from, index);
  }
  if (denied) denied->headers.emplace_back("X-Consul-Index", std::to_string(std::max<uint64_t>(index, 1)));
  return denied;
}

struct WriteRoute {
  std::string_view route;  // metrics label
  bool get_too;            // Consul before 1.0 sent these as GET
};

// The write endpoints; nullopt for a path that is not one.
std::optional<WriteRoute> MatchWrite(const std::vector<std::string>& s) {
  if (s.size() < 3 || s[0] != "agent") return std::nullopt;
  if (s[1] == "service" && s[2] == "register" && s.size() == 3) {
    return WriteRoute{"/v1/agent/service/register", false};
  }
  if (s.size() != 4) return std::nullopt;
  if (s[1] == "service" && s[2] == "deregister") return WriteRoute{"/v1/agent/service/deregister/:id", true};
  if (s[1] == "service" && s[2] == "maintenance") return WriteRoute{"/v1/agent/service/maintenance/:id", false};
  if (s[1] == "check" && (s[2] == "pass" || s[2] == "warn" || s[2] == "fail")) {
    return WriteRoute{"/v1/agent/check/:result/:check_id", true};
  }
  if (s[1] == "check" && s[2] == "update") return WriteRoute{"/v1/agent/check/update/:check_id", false};
  return std::nullopt;
}

HttpResponse DispatchWrite(const std::vector<std::string>& s, const HttpRequest& request,
                           const Params& p, const registry::Registry& registry) {
  if (s[1] == "service" && s[2] == "register") return Register(request, registry);
  if (s[1] == "service" && s[2] == "deregister") return Deregister(s[3], registry);
  if (s[1] == "service" && s[2] == "maintenance") return Maintenance(s[3], p, registry);
  if (s[2] == "update") return CheckUpdate(request, s[3], registry);
  const registry::Health status = s[2] == "pass"   ? registry::Health::kPassing
                                  : s[2] == "warn" ? registry::Health::kWarning
                                                   : registry::Health::kCritical;
  return CheckResult(s[3], status, p.Get("note").value_or(""), registry);
}

HttpResponse RouteWrite(const WriteRoute& w, const std::vector<std::string>& s,
                        const HttpRequest& request, const registry::Registry& registry,
                        const RouterOptions& options) {
  const uint64_t index = registry.index();
  if (request.method != "PUT" && !(w.get_too && request.method == "GET")) {
    HttpResponse r = ConsulError(405, "method " + request.method + " is not allowed here; use PUT",
                                 "", index);
    r.headers.emplace_back("Allow", w.get_too ? "PUT, GET" : "PUT");
    return r;
  }
  if (request.body.size() > options.max_body ||
      (request.content_length && *request.content_length > options.max_body)) {
    return ConsulError(413, "request body is larger than " + std::to_string(options.max_body) +
                                " bytes", "", index);
  }
  const Params p = ParseParams(request.query);
  Grant grant;
  if (std::optional<HttpResponse> denied = CheckConsulToken(request, p, options, index, grant)) {
    return *denied;
  }
  HttpResponse r = DispatchWrite(s, request, p, registry);
  if (r.write && !grant.all) {
    if (std::optional<HttpResponse> denied = CheckConsulScope(grant, *r.write, index)) return *denied;
  }
  return r;
}

}  // namespace

bool IsConsulPath(std::string_view path) {
  return path.starts_with("/v1/agent/") || path.starts_with("/v1/catalog/") ||
         path.starts_with("/v1/health/") || path == "/v1/status/leader" ||
         path == "/v1/status/peers";
}

HttpResponse RouteConsul(const HttpRequest& request, const registry::Registry& registry,
                         const RouterOptions& options) {
  const std::vector<std::string> s = Segments(request.path);
  if (std::optional<WriteRoute> w = MatchWrite(s)) {
    HttpResponse r = RouteWrite(*w, s, request, registry, options);
    r.route = w->route;
    return r;
  }
  return ConsulRead(request, registry, options, /*may_block=*/true);
}

HttpResponse AnswerConsulWrite(const PendingWrite& write, const registry::Result<uint64_t>& result,
                               const registry::Registry& registry) {
  if (!result) {
    HttpResponse r = internal::ErrorResponse(result.error(), registry.index());
    r.headers.emplace_back("X-Consul-Index", std::to_string(registry.index()));
    return r;
  }
  HttpResponse r = ConsulJson(200, nullptr, registry.index());
  r.body.clear();  // Consul answers its writes with an empty body
  return r;
}

HttpResponse AnswerConsulQuery(const BlockingQuery& query, const registry::Registry& registry,
                               const RouterOptions& options) {
  HttpRequest request;
  request.method = "GET";
  request.path = query.consul_path;
  request.query = query.consul_query;
  return ConsulRead(request, registry, options, /*may_block=*/false);
}

}  // namespace dnsd::http
