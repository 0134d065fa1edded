#include <catch2/catch.hpp>

#include "tests/http/router_fixture.h"

namespace dnsd::http {
namespace {

using testing::Body;
using testing::Json;
using testing::RouterFixture;
using namespace std::chrono_literals;

TEST_CASE("register answers service, id and index and publishes at once", "[http][write]") {
  RouterFixture f;
  HttpResponse r = f.Put("/v1/services/Web/instances/A1", R"({"port":8080,"ttl":"10s"})");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/json");
  CHECK(r.route == "/v1/services/{svc}/instances/{id}");
  Json body = Body(r);
  CHECK(body == Json{{"service", "web"}, {"id", "a1"}, {"index", f.registry.index()}});
  CHECK(r.index == f.registry.index());
  // Visible to DNS readers without anyone else calling Publish().
  const registry::ServiceSnapshot* snap = f.registry.view().Load()->Find("web");
  REQUIRE(snap != nullptr);
  CHECK(snap->FindInstance("a1") != nullptr);
}

TEST_CASE("write answers are the bytes nlohmann would write for them", "[http][write]") {
  // They are built as text (no JSON tree on the hot path); the bytes must not change.
  RouterFixture f;
  HttpResponse reg = f.Put("/v1/services/Web/instances/A1", R"({"port":8080,"ttl":"10s"})");
  REQUIRE(reg.status == 200);
  CHECK(reg.body == Json{{"service", "web"}, {"id", "a1"}, {"index", reg.index}}.dump() + "\n");
  HttpResponse beat = f.Put("/v1/services/WEB/instances/a1/heartbeat", "");
  REQUIRE(beat.status == 200);
  CHECK(beat.body == Json{{"index", beat.index}}.dump() + "\n");
  HttpResponse status =
      f.Put("/v1/services/web/instances/a1/status", R"({"status":"maintenance"})");
  REQUIRE(status.status == 200);
  CHECK(status.body ==
        Json{{"index", status.index}, {"status", "maintenance"}}.dump() + "\n");
  HttpResponse gone = f.Call("DELETE", "/v1/services/web/instances/A1");
  REQUIRE(gone.status == 200);
  CHECK(gone.body == Json{{"index", gone.index}}.dump() + "\n");
}

TEST_CASE("the address defaults to the HTTP peer", "[http][write]") {
  RouterFixture f;
  REQUIRE(f.Put("/v1/services/web/instances/a", R"({"port":80})").status == 200);
  REQUIRE(f.Put("/v1/services/web/instances/b", R"({"port":80,"address":"10.9.8.7"})").status ==
          200);
  f.peer = registry::IpAddress::Parse("2001:db8::5");
  REQUIRE(f.Put("/v1/services/web/instances/c", R"({"port":80})").status == 200);
  CHECK(f.registry.Find("web", "a")->address.ToString() == "192.0.2.7");
  CHECK(f.registry.Find("web", "b")->address.ToString() == "10.9.8.7");
  CHECK(f.registry.Find("web", "c")->address.ToString() == "2001:db8::5");

  f.peer.reset();
  std::string before = f.Fingerprint();
  HttpResponse r = f.Put("/v1/services/web/instances/d", R"({"port":80})");
  CHECK(r.status == 400);
  CHECK(Body(r)["field"] == "address");
  CHECK(f.Fingerprint() == before);
}

TEST_CASE("durations in the body reach the instance", "[http][write]") {
  RouterFixture f;
  REQUIRE(f.Put("/v1/services/web/instances/a",
                R"({"port":80,"ttl":"1m30s","deregister_after":"2h","dns_ttl":7})")
              .status == 200);
  REQUIRE(f.Put("/v1/services/web/instances/b", R"({"port":80,"ttl":1.5})").status == 200);
  Json a = Body(f.Get("/v1/services/web"))["instances"][0];
  CHECK(a["ttl"] == 90);
  CHECK(a["deregister_after"] == 7200);
  CHECK(a["dns_ttl"] == 7);
  CHECK(f.registry.Find("web", "b")->ttl == 1500ms);
}

TEST_CASE("heartbeat renews, revives a lapsed instance, and 404s when unknown", "[http][write]") {
  RouterFixture f;
  f.RegisterWeb("a");
  f.clock.Advance(8s);
  HttpResponse hb = f.Put("/v1/services/web/instances/a/heartbeat");
  REQUIRE(hb.status == 200);
  CHECK(Body(hb) == Json{{"index", f.registry.index()}});
  f.clock.Advance(8s);
  f.registry.Tick();
  CHECK(f.registry.Find("web", "a")->health == registry::Health::kPassing);
  f.clock.Advance(3s);
  f.registry.Tick();
  CHECK(f.registry.Find("web", "a")->health == registry::Health::kCritical);
  REQUIRE(f.Put("/v1/services/web/instances/A/heartbeat", R"({"note":"back"})").status == 200);
  CHECK(f.registry.Find("web", "a")->health == registry::Health::kPassing);
  CHECK(f.registry.view().Load()->Find("web")->instances[0].health == registry::Health::kPassing);

  std::string before = f.Fingerprint();
  HttpResponse missing = f.Put("/v1/services/web/instances/zzz/heartbeat");
  CHECK(missing.status == 404);
  CHECK(Body(missing).contains("error"));
  CHECK(f.Fingerprint() == before);
}

TEST_CASE("status sets maintenance and back; delete removes at once", "[http][write]") {
  RouterFixture f;
  f.RegisterWeb("a");
  HttpResponse s =
      f.Put("/v1/services/web/instances/a/status", R"({"status":"maintenance","note":"deploy"})");
  REQUIRE(s.status == 200);
  CHECK(Body(s)["index"] == f.registry.index());
  CHECK(f.registry.Find("web", "a")->health == registry::Health::kMaintenance);
  CHECK(Body(f.Get("/v1/services/web"))["instances"][0]["note"] == "deploy");
  REQUIRE(f.Put("/v1/services/web/instances/a/status", R"({"status":"passing"})").status == 200);
  CHECK(f.registry.Find("web", "a")->health == registry::Health::kPassing);

  HttpResponse d = f.Call("DELETE", "/v1/services/web/instances/a");
  REQUIRE(d.status == 200);
  CHECK(Body(d)["index"] == f.registry.index());
  CHECK(f.registry.Find("web", "a") == nullptr);
  CHECK(f.registry.view().Load()->Find("web") == nullptr);
  CHECK(f.Call("DELETE", "/v1/services/web/instances/a").status == 404);
  CHECK(f.Put("/v1/services/web/instances/a/status", R"({"status":"passing"})").status == 404);
}

TEST_CASE("limits answer 429", "[http][write]") {
  registry::RegistryConfig config;
  config.max_instances = 1;
  RouterFixture f(config);
  f.RegisterWeb("a");
  std::string before = f.Fingerprint();
  HttpResponse r = f.Put("/v1/services/web/instances/b", R"({"port":80})");
  CHECK(r.status == 429);
  CHECK(Body(r).contains("error"));
  CHECK(f.Fingerprint() == before);
}

}  // namespace
}  // namespace dnsd::http
