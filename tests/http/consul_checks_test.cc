// Consul's checks through the router (SPEC §10): several TTL checks on one service, each a
// lease of its own; their ids; pass on a check dnsd runs itself. Fake clock, no sockets.
#include <catch2/catch.hpp>

#include "tests/http/router_fixture.h"

using namespace dnsd::http::testing;
using dnsd::http::HttpResponse;
using namespace std::chrono_literals;

namespace {

Json Checks(RouterFixture& f, const std::string& service) {
  HttpResponse r = f.Get("/v1/health/service/" + service);
  REQUIRE(r.status == 200);
  Json j = Json::parse(r.body);
  REQUIRE(j.size() == 1);
  return j[0]["Checks"];
}

std::string StatusOf(const Json& checks, const std::string& id) {
  for (const Json& c : checks) {
    if (c["CheckID"] == id) return c["Status"];
  }
  return "absent";
}

}  // namespace

TEST_CASE("several TTL checks: each a lease of its own, health the worst", "[consul][checks]") {
  registry::RegistryConfig config;
  config.self_preservation.enabled = false;
  RouterFixture f(config);
  HttpResponse r = f.Put("/v1/agent/service/register",
                         R"({"Name":"web","ID":"w1","Port":80,"Address":"10.0.0.1",
                             "Checks":[{"TTL":"10s"},{"TTL":"4s","Name":"disk"},
                                       {"CheckID":"db-link","TTL":"6s"}]})");
  REQUIRE(r.status == 200);
  Json checks = Checks(f, "web");
  REQUIRE(checks.size() == 3);
  CHECK(StatusOf(checks, "service:w1:1") == "passing");
  CHECK(StatusOf(checks, "service:w1:2") == "passing");
  CHECK(StatusOf(checks, "db-link") == "passing");
  for (const Json& c : checks) CHECK(c["Type"] == "ttl");

  // Every check but service:w1:2 is kept alive; it alone runs out.
  f.clock.Advance(3s);
  REQUIRE(f.Put("/v1/agent/check/pass/service:w1:1").status == 200);
  REQUIRE(f.Put("/v1/agent/check/pass/db-link").status == 200);
  f.clock.Advance(1s);
  f.registry.Tick();
  checks = Checks(f, "web");
  CHECK(StatusOf(checks, "service:w1:1") == "passing");
  CHECK(StatusOf(checks, "service:w1:2") == "critical");
  CHECK(StatusOf(checks, "db-link") == "passing");
  CHECK(Json::parse(f.Get("/v1/health/service/web?passing").body).empty());

  // Its own pass brings the service back; a warn on another makes it warning.
  REQUIRE(f.Put("/v1/agent/check/pass/service:w1:2").status == 200);
  CHECK(Json::parse(f.Get("/v1/health/service/web?passing").body).size() == 1);
  REQUIRE(f.Put("/v1/agent/check/update/db-link", R"({"Status":"warning","Output":"slow"})").status ==
          200);
  checks = Checks(f, "web");
  CHECK(StatusOf(checks, "db-link") == "warning");
  CHECK(Json::parse(f.Get("/v1/health/service/web?passing").body).empty());

  // The lease's check (the first TTL check) runs out as the instance's lease.
  f.clock.Advance(10s);
  f.registry.Tick();
  checks = Checks(f, "web");
  CHECK(StatusOf(checks, "service:w1:1") == "critical");
  CHECK(StatusOf(checks, "service:w1:2") == "critical");
  CHECK(StatusOf(checks, "db-link") == "critical");
}

TEST_CASE("pass on an HTTP check is refused: dnsd runs it", "[consul][checks]") {
  RouterFixture f;
  REQUIRE(f.Put("/v1/agent/service/register",
                R"({"Name":"web","ID":"w1","Port":80,"Address":"10.0.0.1",
                    "Checks":[{"TTL":"10s"},{"HTTP":"http://127.0.0.1:1/","Interval":"10s"}]})")
              .status == 200);
  const std::string before = f.Fingerprint();
  HttpResponse r = f.Put("/v1/agent/check/pass/service:w1:2");
  CHECK(r.status == 400);
  CHECK(r.body.find("not a TTL check") != std::string::npos);
  CHECK(f.Fingerprint() == before);
  CHECK(f.Put("/v1/agent/check/pass/service:w1:1").status == 200);
  CHECK(f.Put("/v1/agent/check/pass/service:w1:3").status == 404);
}

TEST_CASE("a bad TTL on a further check names it", "[consul][checks]") {
  RouterFixture f;
  HttpResponse r = f.Put("/v1/agent/service/register",
                         R"({"Name":"web","Port":80,"Address":"10.0.0.1",
                             "Checks":[{"TTL":"10s"},{"TTL":"10ms"}]})");
  CHECK(r.status == 400);
  CHECK(Json::parse(r.body)["field"] == "Checks[1].TTL");
  CHECK(Json::parse(f.Get("/v1/agent/services").body).empty());
}
