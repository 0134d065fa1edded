// The Consul-compatible API (SPEC §10, docs/CONSUL.md): Consul's agent, catalog, health
// and status endpoints on dnsd's HTTP listener, as a front end on the registry seam. It
// translates Consul requests into registry commands (PendingWrite) and renders the
// registry's const interface in Consul's JSON shapes; it never touches registry internals.
// Same contract as Route (router.h): the registry's thread, no sockets, no exceptions.
#pragma once

#include <optional>
#include <string_view>

#include "dnsd/http/router.h"
#include "registry/registry.h"

namespace dnsd::http {

// Whether the path belongs to the Consul API (/v1/agent/..., /v1/catalog/...,
// /v1/health/..., /v1/status/leader, /v1/status/peers).
bool IsConsulPath(std::string_view path);

// Routes a request whose path IsConsulPath. Errors are JSON, as everywhere in dnsd.
HttpResponse RouteConsul(const HttpRequest& request, const registry::Registry& registry,
                         const RouterOptions& options);

// The answer to a Consul write once its store called back: 200 with Consul's empty body.
HttpResponse AnswerConsulWrite(const PendingWrite& write, const registry::Result<uint64_t>& result,
                               const registry::Registry& registry);

// A parked Consul blocking query (woken or timed out): the endpoint's current answer.
HttpResponse AnswerConsulQuery(const BlockingQuery& query, const registry::Registry& registry,
                               const RouterOptions& options);

}  // namespace dnsd::http
