// Eureka's endpoints (SPEC §11): matching, the write translations and the reads. The
// InstanceInfo mapping and the shapes are in eureka_view.h, the delta's bookkeeping in
// eureka_delta.h.
#include "dnsd/http/eureka_api.h"

#include <chrono>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "dnsd/http/consul_names.h"
#include "dnsd/http/eureka_delta.h"
#include "dnsd/http/eureka_view.h"
#include "dnsd/http/handlers.h"

namespace dnsd::http {
namespace {

using eureka::Application;
using eureka::InstanceInfo;
using internal::ErrorResponse;
using internal::Params;
using internal::ParseParams;
using internal::PercentDecode;

constexpr std::string_view kXmlContentType = "application/xml";

// ---- matching ----

enum class Endpoint { kApps, kDelta, kApp, kInstance, kStatus, kMetadata, kById, kVip, kSvip };

struct Match {
  Endpoint endpoint;
  std::string_view route;
  const char* allow;
  std::string app{}, id{};  // percent-decoded; for vips the VIP in app
};

// The segments after /eureka/ (and v2/); a trailing slash is allowed (eureka-js-client
// fetches /eureka/apps/). Empty segments inside the path: no match.
std::optional<std::vector<std::string>> Segments(std::string_view path) {
  path.remove_prefix(std::string_view("/eureka/").size());
  if (path.starts_with("v2/")) path.remove_prefix(3);
  if (!path.empty() && path.back() == '/') path.remove_suffix(1);
  std::vector<std::string> out;
  while (!path.empty() && out.size() <= 5) {
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part.empty()) return std::nullopt;
    out.push_back(PercentDecode(part));
    path = slash == path.npos ? std::string_view() : path.substr(slash + 1);
  }
  if (!path.empty()) return std::nullopt;
  return out;
}

constexpr const char* kGet = "GET, HEAD";

std::optional<Match> MatchPath(std::string_view path) {
  std::optional<std::vector<std::string>> seg = Segments(path);
  if (!seg || seg->empty()) return std::nullopt;
  const std::vector<std::string>& s = *seg;
  const size_t n = s.size();
  if (s[0] == "apps") {
    if (n == 1) return Match{Endpoint::kApps, "/eureka/apps", kGet};
    if (n == 2 && s[1] == "delta") return Match{Endpoint::kDelta, "/eureka/apps/delta", kGet};
    if (n == 2) return Match{Endpoint::kApp, "/eureka/apps/{app}", "GET, HEAD, POST", s[1]};
    if (n == 3) {
      return Match{Endpoint::kInstance, "/eureka/apps/{app}/{id}", "GET, HEAD, PUT, DELETE", s[1],
                   s[2]};
    }
    if (n == 4 && s[3] == "status") {
      return Match{Endpoint::kStatus, "/eureka/apps/{app}/{id}/status", "PUT, DELETE", s[1], s[2]};
    }
    if (n == 4 && s[3] == "metadata") {
      return Match{Endpoint::kMetadata, "/eureka/apps/{app}/{id}/metadata", "PUT", s[1], s[2]};
    }
    return std::nullopt;
  }
  if (n != 2) return std::nullopt;
  if (s[0] == "instances") return Match{Endpoint::kById, "/eureka/instances/{id}", kGet, "", s[1]};
  if (s[0] == "vips") return Match{Endpoint::kVip, "/eureka/vips/{vip}", kGet, s[1]};
  if (s[0] == "svips") return Match{Endpoint::kSvip, "/eureka/svips/{svip}", kGet, s[1]};
  return std::nullopt;
}

bool MethodAllowed(const Match& m, std::string_view method) {
  const bool get = method == "GET" || method == "HEAD";
  switch (m.endpoint) {
    case Endpoint::kApp: return get || method == "POST";
    case Endpoint::kInstance: return get || method == "PUT" || method == "DELETE";
    case Endpoint::kStatus: return method == "PUT" || method == "DELETE";
    case Endpoint::kMetadata: return method == "PUT";
    default: return get;
  }
}

// ---- reads ----

bool WantsJson(const HttpRequest& request) {
  return request.accept && request.accept->find("json") != std::string::npos;
}

// The lease's last renewal on the wall clock: the deadline minus the ttl, moved from the
// registry's clock to the wall clock.
int64_t RenewedMs(const registry::Instance& in, const RouterOptions& options, int64_t wall_ms) {
  if (!in.lease_deadline || options.clock == nullptr) return 0;
  const auto since = options.clock->Now() - (*in.lease_deadline - in.ttl);
  return wall_ms - std::chrono::duration_cast<std::chrono::milliseconds>(since).count();
}

struct Listing {
  std::vector<Application> apps;
  std::string hashcode;  // of the whole registry
};

// Every instance the filter keeps, grouped by service; the hashcode counts all of them.
template <typename Filter>
Listing List(const registry::Registry& registry, const RouterOptions& options, Filter keep) {
  Listing out;
  std::map<std::string, uint64_t, std::less<>> counts;
  const int64_t wall = registry::WallClockMs();
  for (const registry::Registry::ServiceSummary& svc : registry.Services()) {
    Application app;
    for (const registry::Instance* in : registry.Instances(svc.name)) {
      ++counts[std::string(eureka::StatusName(eureka::ShownStatus(*in)))];
      if (!keep(*in)) continue;
      app.instances.push_back(eureka::FromInstance(*in, RenewedMs(*in, options, wall)));
    }
    if (app.instances.empty()) continue;
    app.name = app.instances.front().app;
    out.apps.push_back(std::move(app));
  }
  out.hashcode = eureka::HashCode(counts);
  return out;
}

HttpResponse Body(const HttpRequest& request, int status, std::string json, std::string xml,
                  uint64_t index) {
  HttpResponse r;
  r.status = status;
  r.index = index;
  if (WantsJson(request)) {
    r.body = std::move(json);
    r.content_type = kJsonContentType;
  } else {
    r.body = std::move(xml);
    r.content_type = kXmlContentType;
  }
  return r;
}

HttpResponse Applications(const HttpRequest& request, const Listing& l, uint64_t index) {
  const bool json = WantsJson(request);
  std::string body = json ? eureka::ApplicationsJson(l.apps, index, l.hashcode)
                          : eureka::ApplicationsXml(l.apps, index, l.hashcode);
  return json ? Body(request, 200, std::move(body), "", index)
              : Body(request, 200, "", std::move(body), index);
}

HttpResponse Delta(const HttpRequest& request, const registry::Registry& registry,
                   const RouterOptions& options) {
  Listing all = List(registry, options, [](const registry::Instance&) { return false; });
  if (options.eureka != nullptr && options.clock != nullptr) {
    const int64_t wall = registry::WallClockMs();
    std::unordered_map<std::string, size_t> by_service;
    for (EurekaDelta::Change& c : options.eureka->Recent(options.clock->Now())) {
      InstanceInfo info;
      if (c.action == EurekaDelta::Action::kDeleted) {
        if (c.last) {
          info = *c.last;
        } else {
          info.app = c.service;
          info.instance_id = info.host_name = c.id;
        }
        info.status = eureka::Status::kDown;
      } else {
        const registry::Instance* in = registry.Find(c.service, c.id);
        if (in == nullptr) continue;  // removed since: its DELETED follows
        info = eureka::FromInstance(*in, RenewedMs(*in, options, wall));
      }
      info.action_type = std::string(EurekaDelta::ActionName(c.action));
      auto [it, inserted] = by_service.emplace(c.service, all.apps.size());
      if (inserted) all.apps.push_back(Application{info.app, {}});
      all.apps[it->second].instances.push_back(std::move(info));
    }
  }
  return Applications(request, all, registry.index());
}

std::string Label(std::string_view name) { return ConsulLabel(name); }

HttpResponse NotFound(std::string_view what, uint64_t index) {
  return ErrorResponse(404, std::string(what), "", index);
}

HttpResponse Read(const Match& m, const HttpRequest& request, const registry::Registry& registry,
                  const RouterOptions& options) {
  const uint64_t index = registry.index();
  // A Eureka client reads: from now on the delta records changes (eureka_delta.h).
  if (options.eureka != nullptr && options.clock != nullptr) {
    options.eureka->NoteRead(options.clock->Now());
  }
  switch (m.endpoint) {
    case Endpoint::kApps:
      return Applications(request, List(registry, options, [](const auto&) { return true; }),
                          index);
    case Endpoint::kDelta:
      return Delta(request, registry, options);
    case Endpoint::kApp: {
      const std::string service = Label(m.app);
      Listing l = List(registry, options,
                       [&](const registry::Instance& in) { return in.service == service; });
      if (l.apps.empty()) return NotFound("no application " + m.app, index);
      return Body(request, 200, eureka::ApplicationJson(l.apps[0]),
                  eureka::ApplicationXml(l.apps[0]), index);
    }
    case Endpoint::kInstance:
    case Endpoint::kById: {
      const registry::Instance* in = nullptr;
      const std::string id = Label(m.id);
      if (m.endpoint == Endpoint::kInstance) {
        in = registry.Find(Label(m.app), id);
      } else {
        for (const auto& svc : registry.Services()) {
          if ((in = registry.Find(svc.name, id)) != nullptr) break;
        }
      }
      if (in == nullptr) return NotFound("no instance " + m.id, index);
      InstanceInfo info = eureka::FromInstance(*in, RenewedMs(*in, options, registry::WallClockMs()));
      return Body(request, 200, eureka::InstanceJson(info), eureka::InstanceXml(info), index);
    }
    case Endpoint::kVip:
    case Endpoint::kSvip: {
      const bool secure = m.endpoint == Endpoint::kSvip;
      const std::string vip = registry::ToLower(m.app);
      Listing l = List(registry, options, [&](const registry::Instance& in) {
        for (const std::string& v : eureka::VipsOf(in, secure)) {
          if (v == vip) return true;
        }
        return false;
      });
      return Applications(request, l, index);
    }
    default:
      break;
  }
  return NotFound("not found", index);
}

// ---- writes ----

HttpResponse Pending(registry::Command command, PendingWrite::Kind kind, std::string service,
                     std::string id) {
  HttpResponse r;
  r.write = PendingWrite{kind, std::move(service), std::move(id), registry::Health::kPassing,
                         std::move(command)};
  r.write->eureka = true;
  return r;
}

bool IsXmlBody(const HttpRequest& request) {
  if (request.content_type) return registry::ToLower(*request.content_type).find("xml") != std::string::npos;
  const size_t first = request.body.find_first_not_of(" \t\r\n");
  return first != std::string::npos && request.body[first] == '<';
}

// A registry instance as a registration again (status and metadata changes re-register).
registry::InstanceSpec SpecOf(const registry::Instance& in) {
  registry::InstanceSpec s;
  s.service = in.service;
  s.id = in.id;
  s.address = in.address;
  s.port = in.port;
  s.proto = in.proto;
  s.tags = in.tags;
  s.meta = in.meta;
  s.weight = in.weight;
  s.priority = in.priority;
  s.ttl = in.ttl;
  s.deregister_after = in.deregister_after;
  s.dns_ttl = in.dns_ttl;
  for (const registry::CheckState& c : in.checks) s.checks.push_back(c.spec);
  return s;
}

HttpResponse Register(const Match& m, const HttpRequest& request,
                      const registry::Registry& registry, const RouterOptions& options) {
  const uint64_t index = registry.index();
  registry::Result<InstanceInfo> parsed = IsXmlBody(request) ? eureka::ParseInstanceXml(request.body)
                                                             : eureka::ParseInstanceJson(request.body);
  if (!parsed) return ErrorResponse(parsed.error(), index);
  InstanceInfo& info = *parsed;
  if (info.app.empty()) return ErrorResponse(400, "\"app\" is required", "app", index);
  if (Label(info.app) != Label(m.app)) {
    return ErrorResponse(400, "\"app\" (" + info.app + ") differs from the path's " + m.app, "app",
                         index);
  }
  const int64_t now = registry::WallClockMs();
  const registry::Instance* existing =
      info.Id().empty() ? nullptr : registry.Find(Label(info.app), Label(info.Id()));
  std::optional<eureka::Status> was;  // the effective status before
  if (existing) {
    const InstanceInfo before = eureka::FromInstance(*existing, 0);
    info.registration_ts = before.registration_ts;
    info.service_up_ts = before.service_up_ts;
    // An override outlives the app's registrations (Eureka keeps it on the server).
    const eureka::Status kept = eureka::OverriddenStatus(*existing);
    if (kept != eureka::Status::kUnknown) info.overridden = kept;
    was = eureka::Effective(eureka::ReportedStatus(*existing), kept);
  }
  if (info.registration_ts == 0) info.registration_ts = now;
  if (info.service_up_ts == 0 && info.status == eureka::Status::kUp) info.service_up_ts = now;
  if (info.last_dirty_ts == 0) info.last_dirty_ts = now;
  registry::Result<registry::InstanceSpec> spec = eureka::ToSpec(info);
  if (!spec) return ErrorResponse(spec.error(), index);
  registry::RegisterCommand cmd;
  cmd.spec = std::move(*spec);
  const eureka::Status effective = eureka::Effective(info.status, info.overridden);
  cmd.status = eureka::HealthOf(effective);
  // Maintenance set through Eureka (OUT_OF_SERVICE) is Eureka's to end; an operator's
  // maintenance set otherwise outlives the registration (SPEC §3).
  cmd.force_status = was == eureka::Status::kOutOfService;
  std::string service = cmd.spec.service, id = cmd.spec.id;
  if (options.eureka != nullptr) options.eureka->Remember(service, id, info);
  return Pending(std::move(cmd), PendingWrite::Kind::kRegister, std::move(service), std::move(id));
}

HttpResponse Rewrite(const registry::Instance& in, registry::InstanceSpec spec) {
  registry::RegisterCommand cmd;
  cmd.spec = std::move(spec);
  const eureka::Status reported = [&] {
    auto it = cmd.spec.meta.find(std::string(eureka::kMetaStatus));
    std::optional<eureka::Status> s =
        it == cmd.spec.meta.end() ? std::nullopt : eureka::ParseStatus(it->second);
    return s.value_or(eureka::Status::kUp);
  }();
  const eureka::Status overridden = [&] {
    auto it = cmd.spec.meta.find(std::string(eureka::kMetaOverride));
    std::optional<eureka::Status> s =
        it == cmd.spec.meta.end() ? std::nullopt : eureka::ParseStatus(it->second);
    return s.value_or(eureka::Status::kUnknown);
  }();
  cmd.status = eureka::HealthOf(eureka::Effective(reported, overridden));
  cmd.force_status = true;
  return Pending(std::move(cmd), PendingWrite::Kind::kSetStatus, in.service, in.id);
}

HttpResponse Write(const Match& m, const HttpRequest& request, const registry::Registry& registry,
                   const RouterOptions& options) {
  const uint64_t index = registry.index();
  if (m.endpoint == Endpoint::kApp) return Register(m, request, registry, options);
  const registry::Instance* in = registry.Find(Label(m.app), Label(m.id));
  if (in == nullptr) return NotFound("no instance " + m.id + " of " + m.app, index);
  const Params p = ParseParams(request.query);
  if (m.endpoint == Endpoint::kInstance && request.method == "DELETE") {
    return Pending(registry::DeregisterCommand{in->service, in->id}, PendingWrite::Kind::kDeregister,
                   in->service, in->id);
  }
  if (m.endpoint == Endpoint::kInstance) {  // PUT: the heartbeat
    const eureka::Status effective =
        eureka::Effective(eureka::ReportedStatus(*in), eureka::OverriddenStatus(*in));
    registry::HeartbeatCommand hb{in->service, in->id, std::nullopt, std::nullopt};
    // An app that reported DOWN/STARTING/UNKNOWN stays so; UP revives a lapsed lease.
    hb.keep_status = effective != eureka::Status::kUp;
    return Pending(std::move(hb), PendingWrite::Kind::kHeartbeat, in->service, in->id);
  }
  registry::InstanceSpec spec = SpecOf(*in);
  if (m.endpoint == Endpoint::kMetadata) {
    for (const auto& [k, v] : p.all) {
      if (k.starts_with(eureka::kMetaPrefix)) {
        return ErrorResponse(400, "metadata keys eureka-* are dnsd's own", k, index);
      }
      spec.meta[k] = v;
    }
    return Rewrite(*in, std::move(spec));
  }
  // status: PUT ?value= sets the override, DELETE removes it (?value= then is the app's).
  std::optional<std::string> value = p.Get("value");
  std::optional<eureka::Status> status;
  if (value) status = eureka::ParseStatus(*value);
  if (value && !status) {
    return ErrorResponse(400, "\"value\" must be UP, DOWN, STARTING, OUT_OF_SERVICE or UNKNOWN",
                         "value", index);
  }
  if (request.method == "PUT") {
    if (!status) return ErrorResponse(400, "?value=<status> is required", "value", index);
    spec.meta[std::string(eureka::kMetaOverride)] = std::string(eureka::StatusName(*status));
  } else {
    spec.meta.erase(std::string(eureka::kMetaOverride));
    if (value) spec.meta[std::string(eureka::kMetaStatus)] = std::string(eureka::StatusName(status.value()));
  }
  return Rewrite(*in, std::move(spec));
}

HttpResponse Checked(const Match& m, const HttpRequest& request, const registry::Registry& registry,
                     const RouterOptions& options) {
  const uint64_t index = registry.index();
  if (!MethodAllowed(m, request.method)) {
    HttpResponse r = ErrorResponse(
        405, "method " + request.method + " is not allowed here; use " + m.allow, "", index);
    r.headers.emplace_back("Allow", m.allow);
    return r;
  }
  if (request.method == "GET" || request.method == "HEAD") return Read(m, request, registry, options);
  if (request.body.size() > options.max_body ||
      (request.content_length && *request.content_length > options.max_body)) {
    return ErrorResponse(
        413, "request body is larger than " + std::to_string(options.max_body) + " bytes", "", index);
  }
  Grant grant;
  if (std::optional<HttpResponse> denied = internal::CheckToken(request, options, index, grant)) {
    return *denied;
  }
  // A scoped token (SPEC §12) writes only its services: the one the path's APP names.
  if (std::optional<HttpResponse> denied = internal::CheckScope(grant, Label(m.app), index)) {
    return *denied;
  }
  return Write(m, request, registry, options);
}

}  // namespace

bool IsEurekaPath(std::string_view path) { return path.starts_with("/eureka/"); }

HttpResponse RouteEureka(const HttpRequest& request, const registry::Registry& registry,
                         const RouterOptions& options) {
  std::optional<Match> m = MatchPath(request.path);
  if (!m) {
    HttpResponse r = ErrorResponse(404, "no such endpoint: " + request.path.substr(0, 200), "",
                                   registry.index());
    r.route = kUnmatchedRoute;
    return r;
  }
  HttpResponse r = Checked(*m, request, registry, options);
  r.route = m->route;
  return r;
}

HttpResponse AnswerEurekaWrite(const PendingWrite& write, const registry::Result<uint64_t>& result,
                               const registry::Registry& registry) {
  if (!result) return ErrorResponse(result.error(), registry.index());
  HttpResponse r;
  r.status = write.kind == PendingWrite::Kind::kRegister ? 204 : 200;
  r.index = registry.index();
  return r;
}

}  // namespace dnsd::http
