// h2o <-> router conversions. Everything handed to h2o for a response is copied into the
// request's memory pool, because h2o keeps pointers until the response is written.
#include "dnsd/http/h2o_glue.h"

#include <netinet/in.h>

#include <cctype>
#include <charconv>
#include <cstring>

#include "dnsd/http/http1_codec.h"

namespace dnsd::http::internal {
namespace {

static_assert(kHttp1MaxHeaders == H2O_MAX_HEADERS && kHttp1MaxRequestHead == H2O_MAX_REQLEN,
              "the fast path must hand over exactly what h2o would refuse");

std::string ToString(h2o_iovec_t v) {
  return v.base == nullptr ? std::string() : std::string(v.base, v.len);
}

std::optional<std::string> FindHeader(h2o_req_t* req, const h2o_token_t* token) {
  ssize_t at = h2o_find_header(&req->headers, token, -1);
  if (at == -1) return std::nullopt;
  return ToString(req->headers.entries[at].value);
}

void AddHeader(h2o_req_t* req, std::string_view name, std::string_view value) {
  // HTTP/2 needs lower-case names; h2o keeps the original spelling for HTTP/1.
  h2o_iovec_t lower = h2o_strdup(&req->pool, name.data(), name.size());
  for (size_t i = 0; i < lower.len; ++i)
    lower.base[i] = static_cast<char>(std::tolower(lower.base[i]));
  h2o_iovec_t orig = h2o_strdup(&req->pool, name.data(), name.size());
  h2o_iovec_t v = h2o_strdup(&req->pool, value.data(), value.size());
  h2o_add_header_by_str(&req->pool, &req->res.headers, lower.base, lower.len, 1, orig.base, v.base,
                        v.len);
}

}  // namespace

HttpRequest ToHttpRequest(h2o_req_t* req) {
  HttpRequest out;
  out.method = ToString(req->method);
  std::string_view target(req->path.base == nullptr ? "" : req->path.base, req->path.len);
  if (req->query_at != SIZE_MAX && req->query_at < target.size()) {
    out.query = target.substr(req->query_at + 1);
    target = target.substr(0, req->query_at);
  }
  out.path = target;
  out.body = ToString(req->entity);
  out.authorization = FindHeader(req, H2O_TOKEN_AUTHORIZATION);
  static constexpr std::string_view kConsulToken = "x-consul-token";
  ssize_t at = h2o_find_header_by_str(&req->headers, kConsulToken.data(), kConsulToken.size(), -1);
  if (at >= 0) {
    const h2o_header_t& h = req->headers.entries[at];
    out.consul_token = std::string(h.value.base, h.value.len);
  }
  out.content_type = FindHeader(req, H2O_TOKEN_CONTENT_TYPE);
  out.accept = FindHeader(req, H2O_TOKEN_ACCEPT);
  std::optional<std::string> length = FindHeader(req, H2O_TOKEN_CONTENT_LENGTH);
  if (length) out.content_length = ParseContentLength(*length);
  struct sockaddr_storage ss {};
  if (req->conn->callbacks->get_peername(req->conn, reinterpret_cast<struct sockaddr*>(&ss)) != 0) {
    out.peer = ToIpAddress(reinterpret_cast<struct sockaddr*>(&ss));
  }
  return out;
}

void SendResponse(h2o_req_t* req, const HttpResponse& response) {
  static h2o_generator_t generator = {nullptr, nullptr};  // stateless: one final send
  req->res.status = response.status;
  req->res.reason = ReasonPhrase(response.status);
  // Content-Type is a literal (static storage) and X-Dnsd-Index is formatted straight into
  // the request's pool: no copies, no case conversion for the two headers every answer has.
  h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_CONTENT_TYPE, "Content-Type",
                 response.content_type.data(), response.content_type.size());
  static constexpr std::string_view kIndexName = "x-dnsd-index";
  char* index = static_cast<char*>(h2o_mem_alloc_pool(&req->pool, 20));
  size_t index_len = static_cast<size_t>(std::to_chars(index, index + 20, response.index).ptr - index);
  h2o_add_header_by_str(&req->pool, &req->res.headers, kIndexName.data(), kIndexName.size(), 0,
                        "X-Dnsd-Index", index, index_len);
  for (const auto& [name, value] : response.headers) AddHeader(req, name, value);
  req->res.content_length = response.body.size();
  h2o_start_response(req, &generator);
  bool head = req->method.len == 4 && std::memcmp(req->method.base, "HEAD", 4) == 0;
  h2o_iovec_t body = h2o_strdup(&req->pool, response.body.data(), response.body.size());
  h2o_send(req, head ? nullptr : &body, head ? 0 : 1, H2O_SEND_STATE_FINAL);
}

// h2o_context_dispose asserts that no timeout entry is still linked. With every
// connection closed only the HTTP/2 graceful-shutdown entry (linked by
// h2o_context_request_shutdown) may remain; anything else is waited out.
bool ContextIdle(h2o_context_t& context) {
  if (h2o_timeout_is_linked(&context.http2._graceful_shutdown_timeout)) {
    h2o_timeout_unlink(&context.http2._graceful_shutdown_timeout);
  }
  h2o_timeout_t* timeouts[] = {&context.zero_timeout,
                               &context.one_sec_timeout,
                               &context.hundred_ms_timeout,
                               &context.handshake_timeout,
                               &context.http1.req_timeout,
                               &context.http2.idle_timeout,
                               &context.http2.graceful_shutdown_timeout,
                               &context.proxy.io_timeout};
  for (h2o_timeout_t* t : timeouts) {
    if (!h2o_linklist_is_empty(&t->_entries)) return false;
  }
  return true;
}

bool WriteStalled(h2o_socket_t* sock, const uv_stream_t* stream) {
  return h2o_socket_is_writing(sock) && !uv_is_writable(stream) && stream->write_queue_size == 0;
}

void FailStalledWrite(h2o_socket_t* sock) {
  // What h2o's own on_write_complete does, minus clearing the TLS output buffers, which
  // the close that follows frees anyway.
  h2o_socket_cb cb = sock->_cb.write;
  sock->_cb.write = nullptr;
  cb(sock, h2o_socket_error_io);
}

std::optional<registry::IpAddress> ToIpAddress(const struct sockaddr* sa) {
  registry::IpAddress ip;
  if (sa->sa_family == AF_INET) {
    std::memcpy(ip.bytes.data(), &reinterpret_cast<const struct sockaddr_in*>(sa)->sin_addr, 4);
    return ip;
  }
  if (sa->sa_family != AF_INET6) return std::nullopt;
  const auto* in6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
  if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
    std::memcpy(ip.bytes.data(), in6->sin6_addr.s6_addr + 12, 4);
    return ip;
  }
  ip.family = registry::IpAddress::Family::kV6;
  std::memcpy(ip.bytes.data(), &in6->sin6_addr, 16);
  return ip;
}

}  // namespace dnsd::http::internal
