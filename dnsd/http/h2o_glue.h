// Internal to dnsd/http: conversions between h2o's request/response structures and the
// router's HttpRequest/HttpResponse. Must be the only way dnsd/http includes h2o.h, so
// that H2O_USE_LIBUV is always set the same way (libh2o-dev is built with libuv).
#pragma once

#ifndef H2O_USE_LIBUV
#define H2O_USE_LIBUV 1
#endif
#include <h2o.h>

#include <optional>
#include <string>

#include "dnsd/addr/address.h"
#include "dnsd/http/router.h"

namespace dnsd::http::internal {

// Copies what the router needs out of an h2o request (the request stays h2o's).
HttpRequest ToHttpRequest(h2o_req_t* req);

// Sends the whole response (status, Content-Type, Content-Length, X-Dnsd-Index, extra
// headers, body) in one final h2o_send. h2o copies everything into the request's pool.
void SendResponse(h2o_req_t* req, const HttpResponse& response);

// Whether h2o_context_dispose may run: no timeout entry of the context is linked any
// more (the HTTP/2 graceful-shutdown entry, the only one left once every connection is
// closed, is unlinked here).
bool ContextIdle(h2o_context_t& context);

// The address of a socket, as "127.0.0.1:8500" or "[::1]:8500".
using addr::FormatSockaddr;

// The peer address as registry::IpAddress (IPv4-mapped IPv6 becomes IPv4).
std::optional<registry::IpAddress> ToIpAddress(const struct sockaddr* sa);

}  // namespace dnsd::http::internal
