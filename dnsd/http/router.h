// The HTTP API of SPEC §4 as a pure function: Route(request, registry, options) ->
// response. No sockets, no libuv: the h2o binding (http_server.cc) only moves bytes, and
// tests call Route directly with a fake clock.
//
// Route runs on the registry's thread and only reads the registry. A write it accepts is
// returned as a PendingWrite instruction holding one registry command: the caller submits
// it to the store (registry/store.h), which applies and publishes it, and answers with
// AnswerWrite() once the store calls back. A request that fails validation never becomes
// a command. A blocking query that must wait is returned as a BlockingQuery instruction;
// the caller parks it and later answers it with AnswerServiceQuery().
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "dnsd/http/access.h"
#include "dnsd/metrics/metrics.h"
#include "registry/clock.h"
#include "registry/instance.h"
#include "registry/command.h"
#include "registry/registry.h"
#include "registry/store.h"

namespace dnsd::http {

struct HttpRequest {
  std::string method;  // "GET", "PUT", ...
  std::string path;    // as sent, without the query string (percent-encoding kept)
  std::string query;   // after '?', without it; empty when none
  std::string body;
  std::optional<std::string> authorization;  // Authorization header value
  std::optional<std::string> consul_token;   // X-Consul-Token header value (SPEC §10)
  std::optional<std::string> content_type;   // Content-Type (the Eureka API: JSON or XML)
  std::optional<std::string> accept;         // Accept (the Eureka API's answers: JSON or XML)
  std::optional<uint64_t> content_length;    // Content-Length header, when sent
  std::optional<registry::IpAddress> peer;   // default "address" of a registration
};

// A GET /v1/services/{svc} that waits until the service's index exceeds `index`, or a
// Consul read (consul set) answered again from its path and query when woken. An empty
// service waits on every change (Consul's registry-wide endpoints).
struct BlockingQuery {
  std::string service;  // lower-case
  bool healthy_only = false;
  uint64_t index = 0;
  registry::TimePoint deadline;
  bool consul = false;
  std::string consul_path;
  std::string consul_query;
  bool registry_feed = false;  // GET /v1/registry: answered with the services changed after index
  bool full = false;           // ... or with every service (no index given)
};

// A write accepted by the router, to be submitted to the store. service and id are
// lower-case (the answer's body); status is the SetStatus target.
struct PendingWrite {
  enum class Kind : uint8_t { kRegister, kHeartbeat, kSetStatus, kDeregister };
  Kind kind = Kind::kHeartbeat;
  std::string service;
  std::string id;
  registry::Health status = registry::Health::kPassing;
  registry::Command command;
  bool consul = false;  // answered in Consul's shape (AnswerConsulWrite)
  bool eureka = false;  // answered as Eureka does (AnswerEurekaWrite)
};

inline constexpr std::string_view kJsonContentType = "application/json";

// content_type and route point to string literals (static storage), never to a buffer.
struct HttpResponse {
  int status = 200;
  std::string body;  // JSON text (Prometheus text for /metrics)
  std::string_view content_type = kJsonContentType;
  uint64_t index = 0;     // X-Dnsd-Index
  std::string_view route;  // route template for metrics, e.g. "/v1/services/{svc}"
  std::vector<std::pair<std::string, std::string>> headers;  // Allow, WWW-Authenticate
  std::optional<BlockingQuery> block;  // set: park the request, do not answer yet
  std::optional<PendingWrite> write;   // set: submit to the store, answer with AnswerWrite
};

class RegistryFeed;
class EurekaDelta;

struct RouterOptions {
  const registry::Clock* clock = nullptr;  // required; the registry's time base
  std::vector<AccessToken> tokens;         // empty: writes need no token (SPEC §12)
  uint64_t max_body = 65536;
  bool include_warning = false;  // "healthy" counts warning too
  std::string version;
  std::string datacenter = "dc1";  // consul.datacenter (SPEC §10)
  std::string node;                // the node name the Consul API shows (host name)
  registry::TimePoint started{};  // for uptime_seconds
  std::vector<std::string> dns_listeners;
  std::vector<std::string> http_listeners;
  bool ready = false;  // /readyz (also needs the registry loaded)
  registry::Duration default_wait = std::chrono::minutes(5);
  registry::Duration max_wait = std::chrono::minutes(10);
  const metrics::HttpMetrics* http_metrics = nullptr;  // rendered into /metrics when set
  const registry::Store* store = nullptr;              // /v1/status "storage" when set
  RegistryFeed* feed = nullptr;  // changes by index for /v1/registry; nullptr: always in full
  EurekaDelta* eureka = nullptr;  // the last 3 minutes for /eureka/apps/delta; nullptr: none
  std::function<void(std::string&)> render_metrics;    // appends more families
};

HttpResponse Route(const HttpRequest& request, const registry::Registry& registry,
                   const RouterOptions& options);

// The answer to a write once its store has called back with `result`.
HttpResponse AnswerWrite(const PendingWrite& write, const registry::Result<uint64_t>& result,
                         const registry::Registry& registry);

// The current state of a service for a parked (woken or timed-out) blocking query.
HttpResponse AnswerServiceQuery(const BlockingQuery& query, const registry::Registry& registry,
                                const RouterOptions& options);

// Route template used for metrics when no route matched.
inline constexpr std::string_view kUnmatchedRoute = "other";

}  // namespace dnsd::http
