// h2o <-> router conversions. Everything handed to h2o for a response is copied into the
// request's memory pool, because h2o keeps pointers until the response is written.
#include "dnsd/http/h2o_glue.h"

#include <netinet/in.h>

#include <cctype>
#include <cstring>

namespace dnsd::http::internal {
namespace {

std::string ToString(h2o_iovec_t v) {
  return v.base == nullptr ? std::string() : std::string(v.base, v.len);
}

std::optional<std::string> FindHeader(h2o_req_t* req, const h2o_token_t* token) {
  ssize_t at = h2o_find_header(&req->headers, token, -1);
  if (at == -1) return std::nullopt;
  return ToString(req->headers.entries[at].value);
}

std::optional<uint64_t> ParseContentLength(const std::optional<std::string>& text) {
  if (!text || text->empty() || text->size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : *text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 400:
      return "Bad Request";
    case 401:
      return "Unauthorized";
    case 403:
      return "Forbidden";
    case 404:
      return "Not Found";
    case 405:
      return "Method Not Allowed";
    case 409:
      return "Conflict";
    case 413:
      return "Payload Too Large";
    case 429:
      return "Too Many Requests";
    case 503:
      return "Service Unavailable";
    default:
      return status < 500 ? "Client Error" : "Server Error";
  }
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
  std::string target = ToString(req->path);
  if (req->query_at != SIZE_MAX && req->query_at <= target.size()) {
    out.query = target.substr(req->query_at + 1);
    target.resize(req->query_at);
  }
  out.path = std::move(target);
  out.body = ToString(req->entity);
  out.authorization = FindHeader(req, H2O_TOKEN_AUTHORIZATION);
  out.content_length = ParseContentLength(FindHeader(req, H2O_TOKEN_CONTENT_LENGTH));
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
  AddHeader(req, "Content-Type", response.content_type);
  AddHeader(req, "X-Dnsd-Index", std::to_string(response.index));
  for (const auto& [name, value] : response.headers) AddHeader(req, name, value);
  req->res.content_length = response.body.size();
  h2o_start_response(req, &generator);
  h2o_iovec_t body = h2o_strdup(&req->pool, response.body.data(), response.body.size());
  bool head = req->method.len == 4 && std::memcmp(req->method.base, "HEAD", 4) == 0;
  h2o_send(req, head ? nullptr : &body, head ? 0 : 1, H2O_SEND_STATE_FINAL);
}

std::string FormatSockaddr(const struct sockaddr* sa) {
  char host[INET6_ADDRSTRLEN] = {};
  if (sa->sa_family == AF_INET) {
    const auto* in = reinterpret_cast<const struct sockaddr_in*>(sa);
    uv_ip4_name(in, host, sizeof host);
    return std::string(host) + ":" + std::to_string(ntohs(in->sin_port));
  }
  const auto* in6 = reinterpret_cast<const struct sockaddr_in6*>(sa);
  uv_ip6_name(in6, host, sizeof host);
  return "[" + std::string(host) + "]:" + std::to_string(ntohs(in6->sin6_port));
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
