// Internal to dnsd/http: the endpoint handlers Route() dispatches to, and the helpers
// that build JSON responses. Same contract as Route (registry thread, no sockets).
#pragma once

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dnsd/http/router.h"
#include "registry/registry.h"

namespace dnsd::http::internal {

using Json = nlohmann::json;

int HttpStatusOf(registry::ErrorCode code);
std::string DumpJson(const Json& value);  // compact, invalid UTF-8 replaced, "\n" appended
HttpResponse JsonResponse(int status, const Json& body, uint64_t index);
HttpResponse ErrorResponse(int status, std::string_view message, std::string_view field,
                           uint64_t index);
HttpResponse ErrorResponse(const registry::Error& error, uint64_t index);

// Writes (PUT/DELETE): a PendingWrite, or the decoding error; svc and id are valid DNS
// labels, not yet lower-cased.
HttpResponse HandleRegister(const HttpRequest& request, std::string_view svc, std::string_view id,
                            const registry::Registry& registry);
HttpResponse HandleHeartbeat(const HttpRequest& request, std::string_view svc, std::string_view id,
                             const registry::Registry& registry);
HttpResponse HandleSetStatus(const HttpRequest& request, std::string_view svc, std::string_view id,
                             const registry::Registry& registry);
HttpResponse HandleDeregister(std::string_view svc, std::string_view id,
                              const registry::Registry& registry);

// Reads (GET/HEAD).
HttpResponse HandleListServices(const registry::Registry& registry, const RouterOptions& options);
HttpResponse HandleGetService(const HttpRequest& request, std::string_view svc,
                              const registry::Registry& registry, const RouterOptions& options);
// GET /v1/registry[?index=N&wait=]: every service with its instances, or only those
// changed after N (a removed one with none), blocking while nothing changed (SPEC §9).
HttpResponse HandleRegistry(const HttpRequest& request, const registry::Registry& registry,
                            const RouterOptions& options);
HttpResponse AnswerRegistryQuery(const BlockingQuery& query, const registry::Registry& registry,
                                 const RouterOptions& options);
// An instance as GET /v1/services/{svc} and /v1/registry show it.
Json InstanceJson(const registry::Instance& in, registry::TimePoint now);
HttpResponse HandleStatus(const registry::Registry& registry, const RouterOptions& options);
HttpResponse HandleHealthz(const registry::Registry& registry);
HttpResponse HandleReadyz(const registry::Registry& registry, const RouterOptions& options);
HttpResponse HandleMetrics(const registry::Registry& registry, const RouterOptions& options);

// Decodes %XX; a malformed escape is kept as is (and then fails label validation).
std::string PercentDecode(std::string_view s);

// A query string split at '&' and '=', keys and values percent-decoded, in order (a key
// may repeat: Consul's ?tag=); "passing" alone has an empty value.
struct Params {
  std::vector<std::pair<std::string, std::string>> all;
  bool Has(std::string_view key) const;
  std::optional<std::string> Get(std::string_view key) const;  // the first
};
Params ParseParams(std::string_view query);
// nullopt when the request carries a valid write token (grant says what it may write, all
// when no tokens are configured); otherwise the 401/403 response.
std::optional<HttpResponse> CheckToken(const HttpRequest& request, const RouterOptions& options,
                                       uint64_t index, Grant& grant);
// For a write whose service the caller does not check: only a token for every service
// may make it, a scoped one gets 403 (safe for a front end that does not check scopes).
std::optional<HttpResponse> CheckToken(const HttpRequest& request, const RouterOptions& options,
                                       uint64_t index);
// nullopt when grant may write the (lower-case) service; otherwise the 403 response.
std::optional<HttpResponse> CheckScope(const Grant& grant, std::string_view service,
                                       uint64_t index);

// "healthy" as the API counts it: passing, plus warning when include_warning is set.
bool IsHealthy(registry::Health health, bool include_warning);

}  // namespace dnsd::http::internal
