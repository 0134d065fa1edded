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

// h2o 2.2's libuv binding ignores what uv_write returns. After a read error (a client's
// reset) libuv marks the stream unwritable, so every write h2o starts from then on (the
// TLS close_notify of the socket it is closing, above all) fails at once and its
// callback never comes: the socket, and its descriptor, would stay open for good.
// Whether `sock` (on `stream`) is in that state: h2o waits for a write libuv refused.
// A write libuv accepted before the error is still queued (write_queue_size) and gets
// its callback; one just finished gets it in the next loop iteration, so callers act
// only on a stall they saw in an earlier sweep.
bool WriteStalled(h2o_socket_t* sock, const uv_stream_t* stream);

// Completes the stalled write with h2o's I/O error, as libuv would have reported it, so
// that h2o goes on to close the socket (its close callback comes later, from libuv).
void FailStalledWrite(h2o_socket_t* sock);

// The address of a socket, as "127.0.0.1:8500" or "[::1]:8500".
using addr::FormatSockaddr;

// The peer address as registry::IpAddress (IPv4-mapped IPv6 becomes IPv4).
std::optional<registry::IpAddress> ToIpAddress(const struct sockaddr* sa);

}  // namespace dnsd::http::internal
