#include <catch2/catch.hpp>

#include "tests/http/router_fixture.h"

namespace dnsd::http {
namespace {

using testing::Body;
using testing::Json;
using testing::RouterFixture;
using namespace std::chrono_literals;

TEST_CASE("GET of a service lists every field, status, lease and protection", "[http][read]") {
  RouterFixture f;
  f.RegisterWeb("a", R"(,"tags":["v1"],"meta":{"k":"v"},"priority":2,"weight":5)");
  REQUIRE(f.Put("/v1/services/web/instances/b", R"({"address":"10.0.0.2","port":81})").status ==
          200);
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

TEST_CASE("an unknown service is 200 with no instances", "[http][read]") {
  RouterFixture f;
  HttpResponse r = f.Get("/v1/services/nothing-here");
  REQUIRE(r.status == 200);
  CHECK(Body(r) == Json{{"name", "nothing-here"}, {"index", 0}, {"instances", Json::array()}});
  CHECK(r.index == 0);
}

TEST_CASE("?healthy=1 keeps passing instances (and warning when configured)", "[http][read]") {
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

TEST_CASE("GET /v1/services lists names, counts and the registry index", "[http][read]") {
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

TEST_CASE("a blocking query waits while the service index is not past ?index", "[http][read]") {
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
  CHECK(f.Get("/v1/services/web?index=" + at + "&wait=1h").block->deadline ==
        f.clock.Now() + 10min);
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

TEST_CASE("/v1/status has exactly the SPEC fields", "[http][read]") {
  RouterFixture f;
  f.options.dns_listeners = {"127.0.0.1:8600"};
  f.options.http_listeners = {"127.0.0.1:8500"};
  f.RegisterWeb("a");
  f.RegisterWeb("b");
  REQUIRE(f.Put("/v1/services/web/instances/b/status", R"({"status":"critical"})").status == 200);
  f.clock.Advance(42s);
  Json body = Body(f.Get("/v1/status"));
  CHECK(body ==
        Json{{"version", "9.9.9"},
             {"uptime_seconds", 42},
             {"index", f.registry.index()},
             {"services", 1},
             {"instances", 2},
             {"healthy", 1},
             {"self_preservation", {{"enabled", true}, {"active", false}, {"held_back", 0}}},
             {"listeners", {{"dns", {"127.0.0.1:8600"}}, {"http", {"127.0.0.1:8500"}}}},
             {"storage", nullptr},    // memory only (SPEC §7)
             {"cluster", nullptr},    // one node (SPEC §8)
             {"agent", nullptr}});    // not an agent (SPEC §9)
}

TEST_CASE("healthz is always 200; readyz is 503 until ready", "[http][read]") {
  RouterFixture f;
  CHECK(f.Get("/healthz").status == 200);
  f.options.ready = false;
  HttpResponse not_ready = f.Get("/readyz");
  CHECK(not_ready.status == 503);
  CHECK(Body(not_ready)["ready"] == false);
  f.options.ready = true;
  CHECK(f.Get("/readyz").status == 200);
}

TEST_CASE("/metrics is Prometheus text with the HTTP and registry families", "[http][read]") {
  RouterFixture f;
  metrics::HttpMetrics http_metrics;
  http_metrics.Record("/v1/services", 200);
  f.options.http_metrics = &http_metrics;
  f.options.render_metrics = [](std::string& out) {
    out += "# TYPE dnsd_extra gauge\ndnsd_extra 1\n";
  };
  f.RegisterWeb("a");
  HttpResponse r = f.Get("/metrics");
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "text/plain; version=0.0.4; charset=utf-8");
  CHECK(r.route == "/metrics");
  CHECK_THAT(r.body,
             Catch::Contains("dnsd_http_requests_total{route=\"/v1/services\",code=\"200\"} 1\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_registry_services 1\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_registry_instances{status=\"passing\"} 1\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_lease_lapses_total 0\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_instances_removed_total{reason=\"expired\"} 0\n"));
  CHECK_THAT(r.body, Catch::Contains("dnsd_self_preservation_active 0\n"));
  CHECK_THAT(r.body, Catch::EndsWith("dnsd_extra 1\n"));
}

}  // namespace
}  // namespace dnsd::http
