#include "dnsd/http/http1_codec.h"

#include <catch2/catch.hpp>
#include <string>

namespace dnsd::http::internal {
namespace {

constexpr uint64_t kMaxEntity = 131072;

Http1Parse Parse(const std::string& input, Http1Request& out) {
  return ParseHttp1Request(input, kMaxEntity, out);
}

TEST_CASE("a keep-alive heartbeat is parsed with its size", "[http][http1]") {
  std::string input =
      "PUT /v1/services/web/instances/a/heartbeat HTTP/1.1\r\nHost: x\r\n"
      "Content-Length: 0\r\n\r\n";
  Http1Request r;
  REQUIRE(Parse(input + "GET /healthz HTTP/1.1\r\n\r\n", r) == Http1Parse::kRequest);
  CHECK(r.size == input.size());
  CHECK(r.request.method == "PUT");
  CHECK(r.request.path == "/v1/services/web/instances/a/heartbeat");
  CHECK(r.request.query.empty());
  CHECK(r.request.body.empty());
  CHECK(r.request.content_length == 0u);
  CHECK_FALSE(r.request.authorization);
  CHECK(r.keep_alive);
  CHECK_FALSE(r.head);
}

TEST_CASE("a body, the first Authorization and Connection are read", "[http][http1]") {
  Http1Request r;
  std::string input =
      "PUT /v1/services/web/instances/a HTTP/1.1\r\nconnection: CLOSE\r\n"
      "Authorization: Bearer one\r\nauthorization: Bearer two\r\nX-Other: 1\r\n"
      "Content-Length: 11\r\n\r\n{\"port\":80}";
  REQUIRE(Parse(input, r) == Http1Parse::kRequest);
  CHECK(r.size == input.size());
  CHECK(r.request.body == "{\"port\":80}");
  CHECK(r.request.authorization == "Bearer one");
  CHECK_FALSE(r.keep_alive);
  // The same Http1Request is reused for the next request: nothing carries over.
  REQUIRE(Parse("HEAD /healthz HTTP/1.1\r\nConnection: keep-alive\r\n\r\n", r) ==
          Http1Parse::kRequest);
  CHECK(r.head);
  CHECK(r.keep_alive);
  CHECK(r.request.body.empty());
  CHECK_FALSE(r.request.authorization);
  CHECK_FALSE(r.request.content_length);
}

TEST_CASE("Content-Type and Accept are read, the first of each, and not carried over",
          "[http][http1]") {
  Http1Request r;
  REQUIRE(Parse("POST /eureka/apps/WEB HTTP/1.1\r\ncontent-type: application/xml\r\n"
                "Accept: application/json\r\nAccept: text/plain\r\nContent-Length: 0\r\n\r\n",
                r) == Http1Parse::kRequest);
  CHECK(r.request.content_type == "application/xml");
  CHECK(r.request.accept == "application/json");
  REQUIRE(Parse("GET /eureka/apps HTTP/1.1\r\n\r\n", r) == Http1Parse::kRequest);
  CHECK_FALSE(r.request.content_type);
  CHECK_FALSE(r.request.accept);
}

TEST_CASE("a request not complete yet waits for more bytes", "[http][http1]") {
  for (const char* input : {"", "PUT /v1/services HTTP/1.1\r\nHost: x\r\n",
                            "PUT /x HTTP/1.1\r\nContent-Length: 5\r\n\r\n{\"a\""}) {
    INFO(input);
    Http1Request r;
    CHECK(Parse(input, r) == Http1Parse::kIncomplete);
  }
}

TEST_CASE("whatever h2o treats specially is handed over to it", "[http][http1]") {
  const char* cases[] = {
      "GET /healthz HTTP/1.0\r\n\r\n",
      "GET /v1/services/web?index=3&wait=1s HTTP/1.1\r\n\r\n",
      "GET /v1/services/web? HTTP/1.1\r\n\r\n",
      "OPTIONS * HTTP/1.1\r\n\r\n",
      "GET http://x/healthz HTTP/1.1\r\n\r\n",
      "PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nUpgrade: websocket\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nHTTP2-Settings: AAMAAABkAAQCAAAAAAIAAAAA\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nConnection: keep-alive, foo\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nConnection: close\r\nConnection: close\r\n\r\n",
      "PUT /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
      "PUT /x HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\n",
      "PUT /x HTTP/1.1\r\nContent-Length: 2\r\nContent-Length: 2\r\n\r\n{}",
      "PUT /x HTTP/1.1\r\nContent-Length: 2x\r\n\r\n{}",
      "PUT /x HTTP/1.1\r\nContent-Length: \r\n\r\n",
      "PUT /x HTTP/1.1\r\nContent-Length: 131073\r\n\r\n",
      "PUT /x HTTP/1.1\r\nContent-Length: 99999999999999999999\r\n\r\n",
      "GET /healthz HTTP/1.1\r\nX-Folded: a\r\n b\r\n\r\n",
      "GET /heal thz HTTP/1.1\r\n\r\n",
      "\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03",  // a TLS ClientHello
  };
  for (const char* input : cases) {
    INFO(input);
    Http1Request r;
    CHECK(Parse(input, r) == Http1Parse::kHandOver);
  }
}

TEST_CASE("a request head longer than h2o's limit is handed over", "[http][http1]") {
  std::string input = "GET /healthz HTTP/1.1\r\nX-Long: " + std::string(kHttp1MaxRequestHead, 'a');
  Http1Request r;
  CHECK(Parse(input, r) == Http1Parse::kHandOver);
  CHECK(Parse(input.substr(0, kHttp1MaxRequestHead - 1), r) == Http1Parse::kIncomplete);
}

TEST_CASE("answers are written as h2o 2.2.5 writes them", "[http][http1]") {
  HttpResponse ok;
  ok.body = "{\"index\":7}\n";
  ok.index = 7;
  std::string out;
  AppendHttp1Response(ok, false, true, "Sun, 06 Nov 1994 08:49:37 GMT", "dnsd", out);
  CHECK(out ==
        "HTTP/1.1 200 OK\r\nDate: Sun, 06 Nov 1994 08:49:37 GMT\r\nConnection: keep-alive\r\n"
        "Content-Length: 12\r\nServer: dnsd\r\nContent-Type: application/json\r\n"
        "X-Dnsd-Index: 7\r\n\r\n{\"index\":7}\n");

  HttpResponse denied;
  denied.status = 405;
  denied.body = "{}\n";
  denied.index = 12345678901234567890u;
  denied.headers.emplace_back("Allow", "PUT");
  out.clear();
  AppendHttp1Response(denied, true, false, "D", "dnsd", out);  // HEAD: no body, same length
  CHECK(out ==
        "HTTP/1.1 405 Method Not Allowed\r\nDate: D\r\nConnection: close\r\n"
        "Content-Length: 3\r\nServer: dnsd\r\nContent-Type: application/json\r\n"
        "X-Dnsd-Index: 12345678901234567890\r\nAllow: PUT\r\n\r\n");
}

}  // namespace
}  // namespace dnsd::http::internal
