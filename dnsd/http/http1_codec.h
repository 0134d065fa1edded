// Internal to dnsd/http: the bytes of dnsd's own HTTP/1.1 fast path (pure, no sockets).
//
// The profile of a heartbeat showed h2o's per-request work (sprintf'd headers, request
// objects, a read stop/start that costs two epoll_ctl calls) as the largest cost after the
// kernel's, so plain keep-alive HTTP/1.1 requests are parsed and answered here. Anything
// else - HTTP/1.0, HTTP/2, chunked or Expect bodies, Upgrade, odd Connection values,
// a query string (blocking queries park in h2o), oversized or malformed requests - is
// kHandOver: the connection goes to h2o with its unread bytes and h2o decides everything,
// exactly as before. Requests are parsed with h2o's own parser (picohttpparser), and the
// answers are byte-for-byte what h2o 2.2.5 writes for the same HttpResponse.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

#include "dnsd/http/router.h"

namespace dnsd::http::internal {

struct Http1Request {
  HttpRequest request;  // everything but peer
  size_t size = 0;      // bytes of the input it used (head and body)
  bool keep_alive = true;
  bool head = false;  // HEAD: the answer has no body
};

enum class Http1Parse { kIncomplete, kRequest, kHandOver };

// h2o's limits (h2o.h H2O_MAX_REQLEN, H2O_MAX_HEADERS; checked against it where h2o.h is
// included): a request head that does not fit is h2o's to refuse.
inline constexpr size_t kHttp1MaxHeaders = 100;
inline constexpr size_t kHttp1MaxRequestHead = 8192 + 4096 * kHttp1MaxHeaders;

// Reads the request at the start of input into out (which may be reused: every field is
// set on kRequest). max_entity is h2o's max_request_entity_size:
// a larger body is h2o's to refuse.
Http1Parse ParseHttp1Request(std::string_view input, uint64_t max_entity, Http1Request& out);

// The reason phrase h2o is given for a status ("OK", "Not Found", ...).
const char* ReasonPhrase(int status);

// A Content-Length value: decimal digits only, at most 19; nullopt otherwise.
std::optional<uint64_t> ParseContentLength(std::string_view text);

// Appends the status line, headers and (unless head) body, in h2o's order and spelling:
// Date, Connection, Content-Length, Server, Content-Type, X-Dnsd-Index, extra headers.
void AppendHttp1Response(const HttpResponse& response, bool head, bool keep_alive,
                         std::string_view date, std::string_view server, std::string& out);

}  // namespace dnsd::http::internal
