// The Eureka-compatible REST API (SPEC §11, docs/EUREKA.md): Eureka's apps, instances,
// vips and svips endpoints under /eureka and /eureka/v2 on dnsd's HTTP listener, as a
// front end on the registry seam. It translates Eureka requests (JSON or XML) into
// registry commands (PendingWrite) and renders the registry's const interface in Eureka's
// shapes (JSON when Accept asks for it, XML otherwise); it never touches registry
// internals. No response cache: every read shows every write before it. Same contract as
// Route (router.h): the registry's thread, no sockets, no exceptions.
#pragma once

#include <string_view>

#include "dnsd/http/router.h"
#include "registry/registry.h"

namespace dnsd::http {

// Whether the path belongs to the Eureka API (/eureka/...).
bool IsEurekaPath(std::string_view path);

// Routes a request whose path IsEurekaPath. Errors are dnsd's JSON errors.
HttpResponse RouteEureka(const HttpRequest& request, const registry::Registry& registry,
                         const RouterOptions& options);

// The answer to a Eureka write once its store called back: 204 for a registration, 200
// with an empty body otherwise; the registry's error (404 for an unknown instance).
HttpResponse AnswerEurekaWrite(const PendingWrite& write, const registry::Result<uint64_t>& result,
                               const registry::Registry& registry);

}  // namespace dnsd::http
