#include "dnsd/http/router.h"

#include <catch2/catch.hpp>

#include "dnsd/http/handlers.h"
#include "tests/http/router_fixture.h"

namespace dnsd::http {
namespace {

using testing::Body;
using testing::Json;
using testing::RouterFixture;
using namespace std::chrono_literals;

std::string Header(const HttpResponse& r, const std::string& name) {
  for (const auto& [k, v] : r.headers) {
    if (k == name) return v;
  }
  return "";
}

TEST_CASE("every bad request is a 4xx with message and field and changes nothing",
          "[http][router]") {
  RouterFixture f;
  f.RegisterWeb("a");
  f.options.max_body = 256;
  struct Case {
    const char* method;
    std::string target;
    std::string body;
    int status;
    const char* field;
    const char* message_part;
  };
  const std::string inst = "/v1/services/web/instances/a";
  const Case cases[] = {
      {"PUT", inst, "{", 400, "", "invalid JSON"},
      {"PUT", inst, "[]", 400, "", "JSON object"},
      {"PUT", inst, R"({"port":80,"bogus":1})", 400, "bogus", "unknown field"},
      {"PUT", inst, R"({"port":"80"})", 400, "port", "integer"},
      {"PUT", inst, R"({"port":70000})", 400, "port", ""},
      {"PUT", inst, R"({"port":0})", 400, "port", ""},
      {"PUT", inst, R"({"port":80,"ttl":"-5s"})", 400, "ttl", "duration"},
      {"PUT", inst, R"({"port":80,"ttl":"48h"})", 400, "ttl", ""},
      {"PUT", inst, R"({"port":80,"address":"nope"})", 400, "address", "IPv4"},
      {"PUT", inst, R"({"port":80,"tags":["bad_tag"]})", 400, "tags", ""},
      {"PUT", inst, R"({"port":80,"weight":70000})", 400, "weight", ""},
      {"PUT", inst, R"({"port":80,"service":"api"})", 409, "service", "differs"},
      {"PUT", inst, R"({"port":80,"id":"b"})", 409, "id", "differs"},
      {"PUT", "/v1/services/bad_name/instances/a", R"({"port":80})", 400, "service", "DNS label"},
      {"PUT", "/v1/services/web/instances/-a", R"({"port":80})", 400, "id", "DNS label"},
      {"PUT", inst + "/heartbeat", R"({"status":"critical"})", 400, "status", "passing or warning"},
      {"PUT", inst + "/heartbeat", R"({"x":1})", 400, "x", "unknown field"},
      {"PUT", "/v1/services/web/instances/nope/heartbeat", "", 404, "", ""},
      {"PUT", inst + "/status", "{}", 400, "status", "required"},
      {"PUT", inst + "/status", R"({"status":"down"})", 400, "status", "one of"},
      {"DELETE", "/v1/services/web/instances/nope", "", 404, "", ""},
      {"GET", "/v1/nothing", "", 404, "", "no such endpoint"},
      {"GET", "/v1/services/web/", "", 404, "", ""},
      {"GET", "/v1/services/web/instances", "", 404, "", ""},
      {"POST", "/v1/services", "", 405, "", "not allowed"},
      {"GET", inst, "", 405, "", "not allowed"},
      {"DELETE", inst + "/heartbeat", "", 405, "", "not allowed"},
      {"PUT", inst, std::string(300, ' '), 413, "", "larger than 256"},
      {"GET", "/v1/services/web?index=abc", "", 400, "index", "integer"},
      {"GET", "/v1/services/web?index=1&wait=soon", "", 400, "wait", "duration"},
      {"GET", "/v1/services/web?healthy=maybe", "", 400, "healthy", ""},
      {"GET", "/v1/services/Bad_Name", "", 400, "service", "DNS label"},
  };
  for (const Case& c : cases) {
    INFO(c.method << " " << c.target << " " << c.body);
    std::string before = f.Fingerprint();
    HttpResponse r = f.Call(c.method, c.target, c.body);
    CHECK(r.status == c.status);
    Json body = Body(r);
    REQUIRE(body.contains("error"));
    CHECK_THAT(body["error"].get<std::string>(), Catch::Contains(c.message_part));
    if (*c.field != '\0') {
      CHECK(body["field"] == c.field);
    } else {
      CHECK_FALSE(body.contains("field"));
    }
    CHECK(r.content_type == "application/json");
    CHECK(f.Fingerprint() == before);
  }
}

TEST_CASE("405 answers carry Allow", "[http][router]") {
  RouterFixture f;
  CHECK(Header(f.Call("POST", "/v1/services"), "Allow") == "GET, HEAD");
  CHECK(Header(f.Call("GET", "/v1/services/web/instances/a"), "Allow") == "PUT, DELETE");
  CHECK(Header(f.Call("GET", "/v1/services/web/instances/a/status"), "Allow") == "PUT");
  CHECK(Header(f.Call("PUT", "/metrics"), "Allow") == "GET, HEAD");
  CHECK(f.Call("HEAD", "/v1/services").status == 200);
}

TEST_CASE("a Content-Length over max_body is refused even before the body", "[http][router]") {
  RouterFixture f;
  HttpRequest r;
  r.method = "PUT";
  r.path = "/v1/services/web/instances/a";
  r.content_length = f.options.max_body + 1;
  CHECK(Route(r, f.registry, f.options).status == 413);
}

TEST_CASE("with tokens, writes need a valid bearer token and reads do not", "[http][router]") {
  RouterFixture f;
  f.options.tokens = {AccessToken{"s3cret", {}, false}, AccessToken{"other", {}, false}};
  const std::string inst = "/v1/services/web/instances/a";
  std::string before = f.Fingerprint();
  HttpResponse missing = f.Call("PUT", inst, R"({"port":80})");
  CHECK(missing.status == 401);
  CHECK(Header(missing, "WWW-Authenticate") == "Bearer");
  CHECK(Body(missing)["field"] == "Authorization");
  CHECK(f.Call("PUT", inst, R"({"port":80})", "Basic czNjcmV0").status == 401);
  CHECK(f.Call("PUT", inst, R"({"port":80})", "Bearer wrong").status == 403);
  CHECK(f.Call("PUT", inst, R"({"port":80})", "Bearer s3cre").status == 403);
  CHECK(f.Call("PUT", inst, R"({"port":80})", "Bearer ").status == 403);
  CHECK(f.Call("DELETE", inst, "", "Bearer nope").status == 403);
  CHECK(f.Fingerprint() == before);
  CHECK(f.Call("PUT", inst, R"({"port":80})", "Bearer s3cret").status == 200);
  CHECK(f.Call("PUT", inst + "/heartbeat", "", "bearer other").status == 200);
  CHECK(f.Call("PUT", inst + "/heartbeat", "").status == 401);
  CHECK(f.Get("/v1/services/web").status == 200);
  CHECK(f.Get("/metrics").status == 200);
  CHECK(f.Call("DELETE", inst, "", "Bearer s3cret").status == 200);
}

TEST_CASE("X-Dnsd-Index is the service index on a service, the registry index elsewhere",
          "[http][router]") {
  RouterFixture f;
  f.RegisterWeb("a");
  uint64_t web_index = f.registry.ServiceIndex("web");
  REQUIRE(f.Put("/v1/services/api/instances/x", R"({"port":1})").status == 200);
  REQUIRE(f.registry.index() > web_index);
  CHECK(f.Get("/v1/services/web").index == web_index);
  CHECK(f.Get("/v1/services/web?healthy=nope").index == web_index);
  CHECK(f.Get("/v1/services").index == f.registry.index());
  CHECK(f.Get("/v1/status").index == f.registry.index());
  CHECK(f.Get("/healthz").index == f.registry.index());
  CHECK(f.Get("/metrics").index == f.registry.index());
  CHECK(f.Get("/nope").index == f.registry.index());
  CHECK(f.Put("/v1/services/web/instances/a/heartbeat").index == f.registry.index());
}

TEST_CASE("unmatched paths use one metrics label", "[http][router]") {
  RouterFixture f;
  CHECK(f.Get("/random/path/1").route == kUnmatchedRoute);
  CHECK(f.Get("/v1/services/web/instances/a/other").route == kUnmatchedRoute);
  CHECK(f.Get("/v1/services/%77eb").route == "/v1/services/{svc}");
  CHECK(Body(f.Get("/v1/services/%77eb"))["name"] == "web");
}


TEST_CASE("a scoped token writes only the services its patterns match", "[http][router]") {
  RouterFixture f;
  f.options.tokens = {AccessToken{"admin", {}, false}, AccessToken{"team", {"api", "web-*"}, true}};
  const std::string body = R"({"address":"10.0.0.1","port":80})";
  CHECK(f.Call("PUT", "/v1/services/api/instances/a", body, "Bearer team").status == 200);
  CHECK(f.Call("PUT", "/v1/services/API/instances/b", body, "Bearer team").status == 200);
  CHECK(f.Call("PUT", "/v1/services/web-1/instances/a", body, "Bearer team").status == 200);
  CHECK(f.Call("PUT", "/v1/services/db/instances/a", body, "Bearer admin").status == 200);
  std::string before = f.Fingerprint();
  HttpResponse denied = f.Call("PUT", "/v1/services/db/instances/b", body, "Bearer team");
  CHECK(denied.status == 403);
  CHECK(Body(denied)["field"] == "Authorization");
  CHECK(Body(denied)["error"].get<std::string>().find("team") == std::string::npos);
  CHECK(f.Call("PUT", "/v1/services/apiv2/instances/a", body, "Bearer team").status == 403);
  CHECK(f.Call("PUT", "/v1/services/web/instances/a", body, "Bearer team").status == 403);
  CHECK(f.Call("PUT", "/v1/services/db/instances/a/heartbeat", "", "Bearer team").status == 403);
  CHECK(f.Call("PUT", "/v1/services/db/instances/a/status", R"({"status":"maintenance"})",
               "Bearer team")
            .status == 403);
  CHECK(f.Call("DELETE", "/v1/services/db/instances/a", "", "Bearer team").status == 403);
  CHECK(f.Fingerprint() == before);
  CHECK(f.Call("PUT", "/v1/services/api/instances/a/heartbeat", "", "Bearer team").status == 200);
  CHECK(f.Call("DELETE", "/v1/services/web-1/instances/a", "", "Bearer team").status == 200);
  CHECK(f.Call("DELETE", "/v1/services/db/instances/a", "", "Bearer admin").status == 200);
  CHECK(f.Get("/v1/services/db").status == 200);  // reads need no token
}

TEST_CASE("Consul writes check the scope of the service an id belongs to", "[http][router]") {
  RouterFixture f;
  f.options.tokens = {AccessToken{"admin", {}, false}, AccessToken{"team", {"api"}, true}};
  auto consul = [&](const std::string& target, const std::string& body,
                    const std::string& token) {
    HttpRequest r;
    r.method = "PUT";
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = body;
    if (!token.empty()) r.consul_token = token;
    r.peer = f.peer;
    HttpResponse response = Route(r, f.registry, f.options);
    if (!response.write) return response.status;
    std::optional<registry::Result<uint64_t>> result;
    f.store.Submit(std::move(response.write->command),
                   [&](registry::Result<uint64_t> res) { result = res; });
    return result && *result ? 200 : 500;
  };
  const std::string api = R"({"Name":"api","ID":"api-1","Port":80,"Address":"10.0.0.1",
                              "Check":{"TTL":"10s"}})";
  const std::string db = R"({"Name":"db","ID":"db-1","Port":5432,"Address":"10.0.0.2",
                             "Check":{"TTL":"10s"}})";
  CHECK(consul("/v1/agent/service/register", api, "team") == 200);
  CHECK(consul("/v1/agent/service/register", db, "team") == 403);
  CHECK(consul("/v1/agent/service/register", db, "admin") == 200);
  std::string before = f.Fingerprint();
  // By id: db-1 belongs to db, which the team token may not write.
  CHECK(consul("/v1/agent/service/deregister/db-1", "", "team") == 403);
  CHECK(consul("/v1/agent/check/pass/service:db-1", "", "team") == 403);
  CHECK(consul("/v1/agent/check/fail/service:db-1", "", "team") == 403);
  CHECK(consul("/v1/agent/check/update/service:db-1", R"({"Status":"passing"})", "team") == 403);
  CHECK(consul("/v1/agent/service/maintenance/db-1?enable=true", "", "team") == 403);
  // Taking db-1's id into api would remove it from db: refused too.
  const std::string steal = R"({"Name":"api","ID":"db-1","Port":81,"Address":"10.0.0.3"})";
  CHECK(consul("/v1/agent/service/register", steal, "team") == 403);
  CHECK(consul("/v1/agent/service/register?token=team", db, "") == 403);
  CHECK(f.Fingerprint() == before);
  CHECK(consul("/v1/agent/check/pass/service:api-1", "", "team") == 200);
  CHECK(consul("/v1/agent/service/deregister/api-1", "", "team") == 200);
  CHECK(consul("/v1/agent/service/deregister/db-1", "", "wrong") == 403);
  CHECK(consul("/v1/agent/service/deregister/db-1", "", "admin") == 200);
}

TEST_CASE("a front end that checks no scope takes only tokens for every service",
          "[http][router]") {
  RouterOptions options;
  options.tokens = {AccessToken{"admin", {}, false}, AccessToken{"team", {"*"}, true}};
  HttpRequest r;
  r.method = "PUT";
  r.authorization = "Bearer admin";
  CHECK_FALSE(internal::CheckToken(r, options, 1).has_value());
  r.authorization = "Bearer team";
  std::optional<HttpResponse> denied = internal::CheckToken(r, options, 1);
  REQUIRE(denied.has_value());
  CHECK(denied->status == 403);
  r.authorization.reset();
  CHECK(internal::CheckToken(r, options, 1)->status == 401);
  options.tokens.clear();
  CHECK_FALSE(internal::CheckToken(r, options, 1).has_value());
}

}  // namespace
}  // namespace dnsd::http
