#include "dnsd/http/router.h"

#include <catch2/catch.hpp>

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

TEST_CASE("register answers service, id and index and publishes at once", "[http][router]") {
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

TEST_CASE("the address defaults to the HTTP peer", "[http][router]") {
  RouterFixture f;
  REQUIRE(f.Put("/v1/services/web/instances/a", R"({"port":80})").status == 200);
  REQUIRE(f.Put("/v1/services/web/instances/b", R"({"port":80,"address":"10.9.8.7"})").status == 200);
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

TEST_CASE("durations in the body reach the instance", "[http][router]") {
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

TEST_CASE("GET of a service lists every field, status, lease and protection", "[http][router]") {
  RouterFixture f;
  f.RegisterWeb("a", R"(,"tags":["v1"],"meta":{"k":"v"},"priority":2,"weight":5)");
  REQUIRE(f.Put("/v1/services/web/instances/b", R"({"address":"10.0.0.2","port":81})").status == 200);
  f.clock.Advance(2500ms);
  HttpResponse r = f.Get("/v1/services/web");
  REQUIRE(r.status == 200);
  CHECK(r.route == "/v1/services/{svc}");
  Json body = Body(r);
  CHECK(body["name"] == "web");
  CHECK(body["index"] == f.registry.ServiceIndex("web"));
  CHECK(r.index == f.registry.ServiceIndex("web"));
  REQUIRE(body["instances"].size() == 2);
  Json a = body["instances"][0];
  CHECK(a["service"] == "web");
  CHECK(a["id"] == "a");
  CHECK(a["address"] == "10.0.0.1");
  CHECK(a["port"] == 8080);
  CHECK(a["proto"] == "tcp");
  CHECK(a["tags"] == Json::array({"v1"}));
  CHECK(a["meta"] == Json{{"k", "v"}});
  CHECK(a["weight"] == 5);
  CHECK(a["priority"] == 2);
  CHECK(a["ttl"] == 10);
  CHECK(a["deregister_after"] == 60);
  CHECK(a["dns_ttl"].is_null());
  CHECK(a["status"] == "passing");
  CHECK(a["lease_remaining"].get<double>() == Approx(7.5));
  CHECK(a["protected"] == false);
  CHECK(a.contains("note"));
  CHECK(a.contains("index"));
  Json b = body["instances"][1];
  CHECK(b["lease_remaining"].is_null());
  CHECK(b["ttl"] == 0);
}

TEST_CASE("an unknown service is 200 with no instances", "[http][router]") {
  RouterFixture f;
  HttpResponse r = f.Get("/v1/services/nothing-here");
  REQUIRE(r.status == 200);
  CHECK(Body(r) == Json{{"name", "nothing-here"}, {"index", 0}, {"instances", Json::array()}});
  CHECK(r.index == 0);
}

TEST_CASE("?healthy=1 keeps passing instances (and warning when configured)", "[http][router]") {
  RouterFixture f;
  f.RegisterWeb("a");
  f.RegisterWeb("b");
  f.RegisterWeb("c");
  REQUIRE(f.Put("/v1/services/web/instances/b/status", R"({"status":"critical"})").status == 200);
  REQUIRE(f.Put("/v1/services/web/instances/c/heartbeat", R"({"status":"warning"})").status == 200);
  auto ids = [&](const std::string& target) {
    std::vector<std::string> out;
    Json body = Body(f.Get(target));
    for (const Json& i : body["instances"]) out.push_back(i["id"]);
    return out;
  };
  CHECK(ids("/v1/services/web") == std::vector<std::string>{"a", "b", "c"});
  CHECK(ids("/v1/services/web?healthy=1") == std::vector<std::string>{"a"});
  CHECK(ids("/v1/services/web?healthy=true") == std::vector<std::string>{"a"});
  CHECK(ids("/v1/services/web?healthy=0") == std::vector<std::string>{"a", "b", "c"});
  f.options.include_warning = true;
  CHECK(ids("/v1/services/web?healthy") == std::vector<std::string>{"a", "c"});
  Json list = Body(f.Get("/v1/services"));
  CHECK(list["services"][0] == Json{{"name", "web"}, {"instances", 3}, {"healthy", 2}});
}

TEST_CASE("GET /v1/services lists names, counts and the registry index", "[http][router]") {
  RouterFixture f;
  CHECK(Body(f.Get("/v1/services")) == Json{{"index", 1}, {"services", Json::array()}});
  f.RegisterWeb("a");
  f.RegisterWeb("b");
  REQUIRE(f.Put("/v1/services/api/instances/x", R"({"port":1})").status == 200);
  HttpResponse r = f.Get("/v1/services");
  Json body = Body(r);
  CHECK(body["index"] == f.registry.index());
  CHECK(r.index == f.registry.index());
  CHECK(body["services"] == Json::array({Json{{"name", "api"}, {"instances", 1}, {"healthy", 1}},
                                         Json{{"name", "web"}, {"instances", 2}, {"healthy", 2}}}));
}

TEST_CASE("heartbeat renews, revives a lapsed instance, and 404s when unknown", "[http][router]") {
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

TEST_CASE("status sets maintenance and back; delete removes at once", "[http][router]") {
  RouterFixture f;
  f.RegisterWeb("a");
  HttpResponse s = f.Put("/v1/services/web/instances/a/status", R"({"status":"maintenance","note":"deploy"})");
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

TEST_CASE("limits answer 429", "[http][router]") {
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

TEST_CASE("with tokens, writes need a valid bearer token and reads do not", "[http][router]") {
  RouterFixture f;
  f.options.tokens = {"s3cret", "other"};
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

TEST_CASE("a blocking query waits while the service index is not past ?index", "[http][router]") {
  RouterFixture f;
  f.RegisterWeb("a");
  uint64_t idx = f.registry.ServiceIndex("web");
  std::string at = std::to_string(idx);

  HttpResponse now = f.Get("/v1/services/web?index=" + std::to_string(idx - 1));
  CHECK_FALSE(now.block);
  CHECK(now.status == 200);

  HttpResponse wait = f.Get("/v1/services/Web?index=" + at + "&wait=30s&healthy=1");
  REQUIRE(wait.block);
  CHECK(wait.block->service == "web");
  CHECK(wait.block->index == idx);
  CHECK(wait.block->healthy_only);
  CHECK(wait.block->deadline == f.clock.Now() + 30s);
  CHECK(wait.route == "/v1/services/{svc}");
  CHECK(wait.index == idx);

  CHECK(f.Get("/v1/services/web?index=" + at).block->deadline == f.clock.Now() + 5min);
  CHECK(f.Get("/v1/services/web?index=" + at + "&wait=1h").block->deadline == f.clock.Now() + 10min);
  CHECK_FALSE(f.Get("/v1/services/web?index=" + at + "&wait=0s").block);
  CHECK_FALSE(f.Get("/v1/services/web?wait=30s").block);
  REQUIRE(f.Get("/v1/services/unknown?index=0").block);

  // Timed out: same state, same index.
  HttpResponse same = AnswerServiceQuery(*wait.block, f.registry, f.options);
  CHECK(same.index == idx);
  CHECK(Body(same)["index"] == idx);
  // After a change to the service: the new index and the new instance.
  f.RegisterWeb("b");
  HttpResponse changed = AnswerServiceQuery(*wait.block, f.registry, f.options);
  CHECK(changed.index > idx);
  CHECK(Body(changed)["instances"].size() == 2);
  CHECK(changed.route == "/v1/services/{svc}");
}

TEST_CASE("/v1/status has exactly the SPEC fields", "[http][router]") {
  RouterFixture f;
  f.options.dns_listeners = {"127.0.0.1:8600"};
  f.options.http_listeners = {"127.0.0.1:8500"};
  f.RegisterWeb("a");
  f.RegisterWeb("b");
  REQUIRE(f.Put("/v1/services/web/instances/b/status", R"({"status":"critical"})").status == 200);
  f.clock.Advance(42s);
  Json body = Body(f.Get("/v1/status"));
  CHECK(body == Json{{"version", "9.9.9"},
                     {"uptime_seconds", 42},
                     {"index", f.registry.index()},
                     {"services", 1},
                     {"instances", 2},
                     {"healthy", 1},
                     {"self_preservation", {{"enabled", true}, {"active", false}, {"held_back", 0}}},
                     {"listeners", {{"dns", {"127.0.0.1:8600"}}, {"http", {"127.0.0.1:8500"}}}}});
}

TEST_CASE("healthz is always 200; readyz is 503 until ready", "[http][router]") {
  RouterFixture f;
  CHECK(f.Get("/healthz").status == 200);
  f.options.ready = false;
  HttpResponse not_ready = f.Get("/readyz");
  CHECK(not_ready.status == 503);
  CHECK(Body(not_ready)["ready"] == false);
  f.options.ready = true;
  CHECK(f.Get("/readyz").status == 200);
}

TEST_CASE("/metrics is Prometheus text with the HTTP and registry families", "[http][router]") {
  RouterFixture f;
  metrics::HttpMetrics http_metrics;
  http_metrics.Record("/v1/services", 200);
  f.options.http_metrics = &http_metrics;
  f.options.render_metrics = [](std::string& out) { out += "# TYPE dnsd_extra gauge\ndnsd_extra 1\n"; };
  f.RegisterWeb("a");
  HttpResponse r = f.Get("/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.route == "/metrics");
  CHECK_THAT(r.body, Catch::Contains("dnsd_http_requests_total{route=\"/v1/services\",code=\"200\"} 1\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_registry_services 1\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_registry_instances{status=\"passing\"} 1\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_lease_lapses_total 0\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_instances_removed_total{reason=\"expired\"} 0\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_self_preservation_active 0\n"));
  CHECK_THAT(r.body, Catch::EndsWith("dnsd_extra 1\n"));
}

TEST_CASE("unmatched paths use one metrics label", "[http][router]") {
  RouterFixture f;
  CHECK(f.Get("/random/path/1").route == kUnmatchedRoute);
  CHECK(f.Get("/v1/services/web/instances/a/other").route == kUnmatchedRoute);
  CHECK(f.Get("/v1/services/%77eb").route == "/v1/services/{svc}");
  CHECK(Body(f.Get("/v1/services/%77eb"))["name"] == "web");
}

}  // namespace
}  // namespace dnsd::http
