// HTTP/1.1 request parsing (picohttpparser, as linked into libh2o) and answer formatting
// for the fast path. Every condition h2o would treat specially is a hand-over, so that h2o
// and this code never disagree on a request: see http1_codec.h.
#include "dnsd/http/http1_codec.h"

#include <array>
#include <charconv>

extern "C" {
// picohttpparser's API (exported by libh2o, which parses every HTTP/1 request with it; its
// header is not installed by libh2o-dev).
struct phr_header {
  const char* name;
  size_t name_len;
  const char* value;
  size_t value_len;
};
int phr_parse_request(const char* buf, size_t len, const char** method, size_t* method_len,
                      const char** path, size_t* path_len, int* minor_version,
                      struct phr_header* headers, size_t* num_headers, size_t last_len);
}

namespace dnsd::http::internal {
namespace {

bool EqualsLower(std::string_view text, std::string_view lower) {
  if (text.size() != lower.size()) return false;
  for (size_t i = 0; i < text.size(); ++i) {
    char c = text[i];
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
    if (c != lower[i]) return false;
  }
  return true;
}

// Applies one request header; false when the request is h2o's.
bool ApplyHeader(const phr_header& h, uint64_t max_entity, Http1Request& out, bool& seen_length,
                 bool& seen_connection) {
  if (h.name == nullptr) return false;  // a folded continuation line
  std::string_view name(h.name, h.name_len);
  std::string_view value(h.value, h.value_len);
  if (EqualsLower(name, "content-length")) {
    if (seen_length) return false;
    seen_length = true;
    out.request.content_length = ParseContentLength(value);
    return out.request.content_length && *out.request.content_length <= max_entity;
  }
  if (EqualsLower(name, "connection")) {
    if (seen_connection) return false;
    seen_connection = true;
    if (EqualsLower(value, "close")) {
      out.keep_alive = false;
      return true;
    }
    return EqualsLower(value, "keep-alive");
  }
  if (EqualsLower(name, "authorization")) {
    if (!out.request.authorization) out.request.authorization = std::string(value);
    return true;
  }
  if (EqualsLower(name, "x-consul-token")) {
    if (!out.request.consul_token) out.request.consul_token = std::string(value);
    return true;
  }
  if (EqualsLower(name, "content-type")) {
    if (!out.request.content_type) out.request.content_type = std::string(value);
    return true;
  }
  if (EqualsLower(name, "accept")) {
    if (!out.request.accept) out.request.accept = std::string(value);
    return true;
  }
  // Headers that change how h2o reads the request or the connection.
  return !EqualsLower(name, "transfer-encoding") && !EqualsLower(name, "expect") &&
         !EqualsLower(name, "upgrade") && !EqualsLower(name, "http2-settings");
}

void AppendDecimal(std::string& out, uint64_t value) {
  char digits[20];
  auto [end, ec] = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, static_cast<size_t>(end - digits));
}

}  // namespace

Http1Parse ParseHttp1Request(std::string_view input, uint64_t max_entity, Http1Request& out) {
  size_t head_len = std::min(input.size(), kHttp1MaxRequestHead);
  std::array<phr_header, kHttp1MaxHeaders> headers;
  size_t num_headers = headers.size();
  const char* method = nullptr;
  const char* path = nullptr;
  size_t method_len = 0;
  size_t path_len = 0;
  int minor_version = -1;
  int parsed = phr_parse_request(input.data(), head_len, &method, &method_len, &path, &path_len,
                                 &minor_version, headers.data(), &num_headers, 0);
  if (parsed == -2) {
    return head_len == kHttp1MaxRequestHead ? Http1Parse::kHandOver : Http1Parse::kIncomplete;
  }
  if (parsed < 0 || minor_version != 1) return Http1Parse::kHandOver;
  std::string_view target(path, path_len);
  if (target.empty() || target[0] != '/' || target.find('?') != std::string_view::npos) {
    return Http1Parse::kHandOver;
  }
  // Reset field by field: a connection reuses one Http1Request, and with it the strings'
  // capacity (no allocation per request).
  out.request.query.clear();
  out.request.authorization.reset();
  out.request.consul_token.reset();
  out.request.content_type.reset();
  out.request.accept.reset();
  out.request.content_length.reset();
  out.request.peer.reset();
  out.keep_alive = true;
  bool seen_length = false;
  bool seen_connection = false;
  for (size_t i = 0; i < num_headers; ++i) {
    if (!ApplyHeader(headers[i], max_entity, out, seen_length, seen_connection)) {
      return Http1Parse::kHandOver;
    }
  }
  uint64_t body_len = out.request.content_length.value_or(0);
  if (input.size() - static_cast<size_t>(parsed) < body_len) return Http1Parse::kIncomplete;
  out.request.method.assign(method, method_len);
  out.request.path.assign(target);
  out.request.body.assign(input.substr(static_cast<size_t>(parsed), body_len));
  out.size = static_cast<size_t>(parsed) + body_len;
  out.head = out.request.method == "HEAD";
  return Http1Parse::kRequest;
}

void AppendHttp1Response(const HttpResponse& response, bool head, bool keep_alive,
                         std::string_view date, std::string_view server, std::string& out) {
  out.append("HTTP/1.1 ");
  AppendDecimal(out, static_cast<uint64_t>(response.status));
  out.append(" ").append(ReasonPhrase(response.status));
  out.append("\r\nDate: ").append(date);
  out.append("\r\nConnection: ").append(keep_alive ? "keep-alive" : "close");
  out.append("\r\nContent-Length: ");
  AppendDecimal(out, response.body.size());
  out.append("\r\n");
  if (!server.empty()) out.append("Server: ").append(server).append("\r\n");
  out.append("Content-Type: ").append(response.content_type).append("\r\n");
  out.append("X-Dnsd-Index: ");
  AppendDecimal(out, response.index);
  out.append("\r\n");
  for (const auto& [name, value] : response.headers) {
    out.append(name).append(": ").append(value).append("\r\n");
  }
  out.append("\r\n");
  if (!head) out.append(response.body);
}

const char* ReasonPhrase(int status) {
  switch (status) {
    case 200:
      return "OK";
    case 302:
      return "Found";
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

std::optional<uint64_t> ParseContentLength(std::string_view text) {
  if (text.empty() || text.size() > 19) return std::nullopt;
  uint64_t n = 0;
  for (char c : text) {
    if (c < '0' || c > '9') return std::nullopt;
    n = n * 10 + static_cast<uint64_t>(c - '0');
  }
  return n;
}

}  // namespace dnsd::http::internal
