// Route(): path matching, method and token checks, then dispatch to a handler. The order
// of checks is fixed: unknown path 404, wrong method 405, body too large 413, token
// 401/403, then the handler's own validation (400/409) and the registry's answer.
#include "dnsd/http/router.h"

#include <algorithm>
#include <array>
#include <span>
#include <string_view>

#include "dnsd/http/consul_api.h"
#include "dnsd/http/eureka_api.h"
#include "dnsd/http/handlers.h"
#include "dnsd/http/ui.h"

namespace dnsd::http {
namespace {

using internal::ErrorResponse;

enum class Endpoint {
  kInstance,
  kHeartbeat,
  kStatusChange,
  kServices,
  kService,
  kApiStatus,
  kRegistry,
  kHealthz,
  kReadyz,
  kMetrics,
};

struct Match {
  Endpoint endpoint;
  std::string_view route;  // template, also the metrics label (a literal)
  const char* allow;       // Allow header for 405
  std::string svc{};       // percent-decoded path parameters
  std::string id{};
};

}  // namespace

namespace internal {
namespace {

int HexValue(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

}  // namespace

std::string PercentDecode(std::string_view s) {
  if (s.find('%') == std::string_view::npos) return std::string(s);
  std::string out;
  out.reserve(s.size());
  for (size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size() && HexValue(s[i + 1]) >= 0 && HexValue(s[i + 2]) >= 0) {
      out.push_back(static_cast<char>(HexValue(s[i + 1]) * 16 + HexValue(s[i + 2])));
      i += 2;
    } else {
      out.push_back(s[i]);
    }
  }
  return out;
}

bool Params::Has(std::string_view key) const {
  return std::any_of(all.begin(), all.end(), [&](const auto& p) { return p.first == key; });
}

std::optional<std::string> Params::Get(std::string_view key) const {
  for (const auto& [k, v] : all) {
    if (k == key) return v;
  }
  return std::nullopt;
}

Params ParseParams(std::string_view query) {
  Params p;
  while (!query.empty()) {
    size_t amp = query.find('&');
    std::string_view pair = query.substr(0, amp);
    query = amp == query.npos ? std::string_view() : query.substr(amp + 1);
    size_t eq = pair.find('=');
    std::string key = PercentDecode(pair.substr(0, eq));
    std::string value = eq == pair.npos ? std::string() : PercentDecode(pair.substr(eq + 1));
    if (!key.empty()) p.all.emplace_back(std::move(key), std::move(value));
  }
  return p;
}

}  // namespace internal

namespace {

using internal::PercentDecode;

// The segments of a path as sent (still percent-encoded); at most 7 are of interest.
struct Segments {
  std::array<std::string_view, 7> raw;
  size_t size = 0;
  bool escaped = false;  // the path holds a '%': segments must be decoded to compare

  // Whether segment i, percent-decoded, is `word`.
  bool Is(size_t i, std::string_view word) const {
    return escaped ? PercentDecode(raw[i]) == word : raw[i] == word;
  }
};

// Splits "/a/b/c" into {"a","b","c"}; nullopt for more than 7 segments or an empty one
// ("//" or a trailing slash). Decoding never empties a segment, so raw emptiness is enough.
std::optional<Segments> Split(std::string_view path) {
  if (path.empty() || path[0] != '/') return std::nullopt;
  Segments out;
  out.escaped = path.find('%') != std::string_view::npos;
  path.remove_prefix(1);
  while (true) {
    if (out.size == out.raw.size()) return std::nullopt;
    size_t slash = path.find('/');
    std::string_view part = path.substr(0, slash);
    if (part.empty()) return std::nullopt;
    out.raw[out.size++] = part;
    if (slash == std::string_view::npos) break;
    path.remove_prefix(slash + 1);
  }
  return out;
}

constexpr const char* kGetAllow = "GET, HEAD";

std::optional<Match> MatchInstancePath(const Segments& s) {
  size_t n = s.size;
  if (n < 5 || !s.Is(3, "instances")) return std::nullopt;
  if (n == 5) {
    return Match{Endpoint::kInstance, "/v1/services/{svc}/instances/{id}", "PUT, DELETE",
                 PercentDecode(s.raw[2]), PercentDecode(s.raw[4])};
  }
  if (n == 6 && s.Is(5, "heartbeat")) {
    return Match{Endpoint::kHeartbeat, "/v1/services/{svc}/instances/{id}/heartbeat", "PUT",
                 PercentDecode(s.raw[2]), PercentDecode(s.raw[4])};
  }
  if (n == 6 && s.Is(5, "status")) {
    return Match{Endpoint::kStatusChange, "/v1/services/{svc}/instances/{id}/status", "PUT",
                 PercentDecode(s.raw[2]), PercentDecode(s.raw[4])};
  }
  return std::nullopt;
}

std::optional<Match> MatchPath(std::string_view path) {
  std::optional<Segments> seg = Split(path);
  if (!seg) return std::nullopt;
  const Segments& s = *seg;
  size_t n = s.size;
  if (n == 1 && s.Is(0, "healthz")) return Match{Endpoint::kHealthz, "/healthz", kGetAllow};
  if (n == 1 && s.Is(0, "readyz")) return Match{Endpoint::kReadyz, "/readyz", kGetAllow};
  if (n == 1 && s.Is(0, "metrics")) return Match{Endpoint::kMetrics, "/metrics", kGetAllow};
  if (n < 2 || !s.Is(0, "v1")) return std::nullopt;
  if (n == 2 && s.Is(1, "status")) return Match{Endpoint::kApiStatus, "/v1/status", kGetAllow};
  if (n == 2 && s.Is(1, "registry")) return Match{Endpoint::kRegistry, "/v1/registry", kGetAllow};
  if (!s.Is(1, "services")) return std::nullopt;
  if (n == 2) return Match{Endpoint::kServices, "/v1/services", kGetAllow};
  if (n == 3) {
    return Match{Endpoint::kService, "/v1/services/{svc}", kGetAllow, PercentDecode(s.raw[2])};
  }
  return MatchInstancePath(s);
}

bool HasPathParameters(Endpoint e) {
  return e == Endpoint::kInstance || e == Endpoint::kHeartbeat || e == Endpoint::kStatusChange ||
         e == Endpoint::kService;
}

bool MethodAllowed(const Match& m, std::string_view method) {
  switch (m.endpoint) {
    case Endpoint::kInstance:
      return method == "PUT" || method == "DELETE";
    case Endpoint::kHeartbeat:
    case Endpoint::kStatusChange:
      return method == "PUT";
    default:
      return method == "GET" || method == "HEAD";
  }
}

}  // namespace

std::optional<HttpResponse> internal::CheckToken(const HttpRequest& request,
                                                 const RouterOptions& options, uint64_t index,
                                                 Grant& grant) {
  grant = Grant{};
  if (options.tokens.empty()) {
    grant.all = true;
    return std::nullopt;
  }
  if (!request.authorization) {
    HttpResponse r = ErrorResponse(401, "this endpoint needs Authorization: Bearer <token>",
                                   "Authorization", index);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  std::string_view value = *request.authorization;
  constexpr std::string_view kScheme = "bearer ";
  if (value.size() < kScheme.size() ||
      registry::ToLower(value.substr(0, kScheme.size())) != kScheme) {
    HttpResponse r =
        ErrorResponse(401, "Authorization must use the Bearer scheme", "Authorization", index);
    r.headers.emplace_back("WWW-Authenticate", "Bearer");
    return r;
  }
  value.remove_prefix(kScheme.size());
  grant = GrantFor(value, options.tokens);  // compares with every token
  if (grant.all || !grant.scoped.empty()) return std::nullopt;
  return ErrorResponse(403, "the token is not valid", "Authorization", index);
}

std::optional<HttpResponse> internal::CheckToken(const HttpRequest& request,
                                                 const RouterOptions& options, uint64_t index) {
  Grant grant;
  if (std::optional<HttpResponse> denied = CheckToken(request, options, index, grant)) {
    return denied;
  }
  if (grant.all) return std::nullopt;
  return ErrorResponse(403, "the token may write only some services, and this endpoint is not "
                            "checked against them: it needs a token for every service",
                       "Authorization", index);
}

std::optional<HttpResponse> internal::CheckScope(const Grant& grant, std::string_view service,
                                                 uint64_t index) {
  if (grant.Allows(service)) return std::nullopt;
  // The name is the one in the request (bounded), never the token.
  return ErrorResponse(
      403, "the token may not write service " + std::string(service.substr(0, 63)), "Authorization",
      index);
}

namespace {

// Path parameters must be DNS labels (SPEC §3); checked before any registry call.
std::optional<HttpResponse> CheckLabels(const Match& m, uint64_t index) {
  if (!registry::IsDnsLabel(m.svc)) {
    return ErrorResponse(400, "service name must be a DNS label (letters, digits, hyphen; 1-63)",
                         "service", index);
  }
  if (m.endpoint != Endpoint::kService && !registry::IsDnsLabel(m.id)) {
    return ErrorResponse(400, "instance id must be a DNS label (letters, digits, hyphen; 1-63)",
                         "id", index);
  }
  return std::nullopt;
}

HttpResponse Dispatch(const Match& m, const HttpRequest& request, const registry::Registry& registry,
                      const RouterOptions& options) {
  switch (m.endpoint) {
    case Endpoint::kInstance:
      return request.method == "PUT" ? internal::HandleRegister(request, m.svc, m.id, registry)
                                     : internal::HandleDeregister(m.svc, m.id, registry);
    case Endpoint::kHeartbeat:
      return internal::HandleHeartbeat(request, m.svc, m.id, registry);
    case Endpoint::kStatusChange:
      return internal::HandleSetStatus(request, m.svc, m.id, registry);
    case Endpoint::kServices:
      return internal::HandleListServices(registry, options);
    case Endpoint::kService:
      return internal::HandleGetService(request, m.svc, registry, options);
    case Endpoint::kApiStatus:
      return internal::HandleStatus(registry, options);
    case Endpoint::kRegistry:
      return internal::HandleRegistry(request, registry, options);
    case Endpoint::kHealthz:
      return internal::HandleHealthz(registry);
    case Endpoint::kReadyz:
      return internal::HandleReadyz(registry, options);
    case Endpoint::kMetrics:
      return internal::HandleMetrics(registry, options);
  }
  return ErrorResponse(404, "not found", "", registry.index());
}

HttpResponse Checked(const Match& m, const HttpRequest& request, const registry::Registry& registry,
                     const RouterOptions& options) {
  // Errors on /v1/services/{svc} carry the service's index like its answers do.
  uint64_t index = m.endpoint == Endpoint::kService && registry::IsDnsLabel(m.svc)
                       ? registry.ServiceIndex(registry::ToLower(m.svc))
                       : registry.index();
  if (!MethodAllowed(m, request.method)) {
    HttpResponse r = ErrorResponse(
        405, "method " + request.method + " is not allowed here; use " + m.allow, "", index);
    r.headers.emplace_back("Allow", m.allow);
    return r;
  }
  bool too_large = request.body.size() > options.max_body ||
                   (request.content_length && *request.content_length > options.max_body);
  if (too_large) {
    return ErrorResponse(
        413, "request body is larger than " + std::to_string(options.max_body) + " bytes", "",
        index);
  }
  bool write = request.method == "PUT" || request.method == "DELETE";
  if (write) {
    Grant grant;
    if (std::optional<HttpResponse> denied = internal::CheckToken(request, options, index, grant)) {
      return *denied;
    }
    if (std::optional<HttpResponse> denied =
            internal::CheckScope(grant, registry::ToLower(m.svc), index)) {
      return *denied;
    }
  }
  if (HasPathParameters(m.endpoint)) {
    if (std::optional<HttpResponse> bad = CheckLabels(m, index)) return *bad;
  }
  return Dispatch(m, request, registry, options);
}

}  // namespace

HttpResponse Route(const HttpRequest& request, const registry::Registry& registry,
                   const RouterOptions& options) {
  // The web page's paths ("/", "/ui", "/ui/...") are not the API's: answered first.
  if (std::optional<HttpResponse> page = RouteUi(request, registry.index())) return *page;
  if (IsConsulPath(request.path)) return RouteConsul(request, registry, options);
  if (IsEurekaPath(request.path)) return RouteEureka(request, registry, options);
  std::optional<Match> m = MatchPath(request.path);
  HttpResponse response = m ? Checked(*m, request, registry, options)
                            : ErrorResponse(404, "no such endpoint: " + request.path.substr(0, 200),
                                            "", registry.index());
  response.route = m ? m->route : kUnmatchedRoute;
  return response;
}

}  // namespace dnsd::http
