// The Eureka API's pure parts (SPEC §11): register bodies in JSON and XML, the shapes,
// the hashcode, the status rules and the delta window, on a fake clock. No sockets.
#include <catch2/catch.hpp>
#include <pugixml.hpp>

#include "dnsd/http/consul_names.h"
#include "dnsd/http/eureka_api.h"
#include "dnsd/http/eureka_delta.h"
#include "dnsd/http/eureka_view.h"
#include "tests/http/router_fixture.h"

using namespace std::chrono_literals;
using dnsd::http::EurekaDelta;
using dnsd::http::HttpRequest;
using dnsd::http::HttpResponse;
using dnsd::http::testing::Json;
using dnsd::http::testing::RouterFixture;
namespace eureka = dnsd::http::eureka;
using registry::Health;

namespace {

struct EurekaFixture : RouterFixture, registry::RegistryObserver {
  EurekaDelta delta;
  EurekaFixture() {
    options.eureka = &delta;
    registry.AddObserver(this);
  }
  ~EurekaFixture() override { registry.RemoveObserver(this); }
  void OnRegistryEvent(const registry::RegistryEvent& e) override { delta.OnEvent(e, clock.Now()); }

  HttpResponse Send(const std::string& method, const std::string& target, const std::string& body = "",
                    std::optional<std::string> content_type = std::nullopt,
                    std::optional<std::string> accept = "application/json") {
    HttpRequest r;
    r.method = method;
    size_t q = target.find('?');
    r.path = target.substr(0, q);
    if (q != std::string::npos) r.query = target.substr(q + 1);
    r.body = body;
    r.content_type = std::move(content_type);
    r.accept = std::move(accept);
    HttpResponse response = dnsd::http::Route(r, registry, options);
    if (!response.write) return response;
    dnsd::http::PendingWrite write = std::move(*response.write);
    std::optional<registry::Result<uint64_t>> result;
    store.Submit(std::move(write.command), [&](registry::Result<uint64_t> x) { result = x; });
    REQUIRE(result);
    return dnsd::http::AnswerWrite(write, *result, registry);
  }
  HttpResponse RegisterJson(const std::string& app, const Json& instance) {
    return Send("POST", "/eureka/apps/" + app, Json{{"instance", instance}}.dump(),
                "application/json");
  }
  Json GetJson(const std::string& target) {
    HttpResponse r = Send("GET", target);
    REQUIRE(r.status == 200);
    CHECK(r.content_type == "application/json");
    return Json::parse(r.body);
  }
  const registry::Instance* Find(const std::string& svc, const std::string& id) {
    return registry.Find(svc, id);
  }
};

Json Instance(const std::string& host, const std::string& status = "UP") {
  return {{"instanceId", host + ":web:8080"},
          {"hostName", host},
          {"app", "WEB"},
          {"ipAddr", "10.0.0.7"},
          {"status", status},
          {"port", {{"$", 8080}, {"@enabled", "true"}}},
          {"securePort", {{"$", 8443}, {"@enabled", false}}},
          {"vipAddress", "web.example,web"},
          {"dataCenterInfo", {{"@class", "com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"},
                              {"name", "MyOwn"}}},
          {"leaseInfo", {{"renewalIntervalInSecs", 10}, {"durationInSecs", 20}}},
          {"metadata", {{"zone", "a"}, {"build", 42}}}};
}

const char* kXmlInstance = R"(<?xml version="1.0" encoding="UTF-8"?>
<instance>
  <instanceId>h1:web:8080</instanceId>
  <hostName>h1</hostName>
  <app>WEB</app>
  <ipAddr>10.0.0.8</ipAddr>
  <status>UP</status>
  <port enabled="false">8080</port>
  <securePort enabled="true">8443</securePort>
  <dataCenterInfo class="com.netflix.appinfo.InstanceInfo$DefaultDataCenterInfo"><name>MyOwn</name></dataCenterInfo>
  <leaseInfo><durationInSecs>30</durationInSecs></leaseInfo>
  <metadata><zone>b</zone></metadata>
  <vipAddress>web</vipAddress>
</instance>)";

}  // namespace

TEST_CASE("a JSON register body maps onto an instance", "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  const registry::Instance* in = f.Find("web", dnsd::http::ConsulLabel("h1:web:8080"));
  REQUIRE(in);
  CHECK(in->address.ToString() == "10.0.0.7");
  CHECK(in->port == 8080);
  CHECK(in->ttl == 20s);
  CHECK(in->health == Health::kPassing);
  CHECK(in->meta.at("zone") == "a");
  CHECK(in->meta.at("build") == "42");
  CHECK(in->HasTag("web"));
  CHECK(in->HasTag(dnsd::http::ConsulLabel("web.example")));
}

TEST_CASE("eureka-js-client's bare port number and a missing @enabled mean an enabled port",
          "[eureka]") {
  registry::Result<eureka::InstanceInfo> a =
      eureka::ParseInstanceJson(R"({"instance":{"app":"a","hostName":"h","ipAddr":"10.0.0.1","port":8080}})");
  REQUIRE(a);
  CHECK(a->port == 8080);
  CHECK(a->port_enabled);
  registry::Result<eureka::InstanceInfo> empty = eureka::ParseInstanceJson(
      R"({"instance":{"app":"a","hostName":"h","ipAddr":"10.0.0.1","port":1,)"
      R"("metadata":{"@class":"java.util.Collections$EmptyMap"}}})");
  REQUIRE(empty);
  CHECK(empty->metadata.empty());  // Eureka's Java codec's empty map
  registry::Result<eureka::InstanceInfo> b = eureka::ParseInstanceJson(
      R"({"instance":{"app":"a","hostName":"h","ipAddr":"10.0.0.1","port":{"$":"81"}}})");
  REQUIRE(b);
  CHECK(b->port == 81);
  CHECK(b->port_enabled);
  CHECK(b->Id() == "h");  // no instanceId: the hostName
}

TEST_CASE("an XML register body maps onto an instance, securePort when port is disabled",
          "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.Send("POST", "/eureka/v2/apps/WEB", kXmlInstance, "application/xml").status == 204);
  const registry::Instance* in = f.Find("web", dnsd::http::ConsulLabel("h1:web:8080"));
  REQUIRE(in);
  CHECK(in->address.ToString() == "10.0.0.8");
  CHECK(in->port == 8443);
  CHECK(in->ttl == 30s);
  CHECK(in->meta.at("zone") == "b");
}

TEST_CASE("bad register bodies are 400 naming the field, and store nothing", "[eureka]") {
  EurekaFixture f;
  const uint64_t index = f.registry.index();
  auto bad = [&](const std::string& body, const char* type, const std::string& field) {
    INFO(body);
    HttpResponse r = f.Send("POST", "/eureka/apps/web", body, type);
    CHECK(r.status == 400);
    Json j = Json::parse(r.body);
    CHECK(j.value("field", "") == field);
    CHECK(f.registry.index() == index);
    CHECK(f.registry.Services().empty());
  };
  bad("{\"instance\":", "application/json", "");
  bad("<instance><app>web</app>", "application/xml", "");
  bad("[1]", "application/json", "");
  bad("{}", "application/json", "instance");
  Json no_app = Instance("h1");
  no_app.erase("app");
  bad(Json{{"instance", no_app}}.dump(), "application/json", "app");
  Json no_ip = Instance("h1");
  no_ip.erase("ipAddr");
  bad(Json{{"instance", no_ip}}.dump(), "application/json", "ipAddr");
  Json host_ip = Instance("h1");
  host_ip["ipAddr"] = "web.example";
  bad(Json{{"instance", host_ip}}.dump(), "application/json", "ipAddr");
  Json port = Instance("h1");
  port["port"] = {{"$", "eighty"}, {"@enabled", "true"}};
  bad(Json{{"instance", port}}.dump(), "application/json", "port");
  Json big = Instance("h1");
  big["port"] = 70000;
  bad(Json{{"instance", big}}.dump(), "application/json", "port");
  // Found by fuzz.eureka: a number beyond int64 (a double) as a port was cast undefined.
  for (const char* huge : {"8080222222222222222222222222222222222222", "-1e300", "8080.5"}) {
    Json port_number = Instance("h1");
    port_number["port"] = Json::parse(huge);  // a double: beyond int64, or a fraction
    bad(Json{{"instance", port_number}}.dump(), "application/json", "port");
  }
  Json status = Instance("h1", "SLEEPY");
  bad(Json{{"instance", status}}.dump(), "application/json", "status");
  std::string xml_port = kXmlInstance;
  xml_port.replace(xml_port.find(">8080<"), 6, ">x<");
  bad(xml_port, "application/xml", "port");
  Json reserved = Instance("h1");
  reserved["metadata"] = {{"eureka-status", "UP"}};
  bad(Json{{"instance", reserved}}.dump(), "application/json", "metadata.eureka-status");
  CHECK(f.Send("POST", "/eureka/apps/other", Json{{"instance", Instance("h1")}}.dump(),
               "application/json").status == 400);
}

TEST_CASE("GET /eureka/apps in Eureka's JSON shape, arrays always", "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  Json j = f.GetJson("/eureka/apps/");
  const Json& apps = j.at("applications");
  CHECK(apps.at("apps__hashcode") == "UP_1_");
  CHECK(apps.at("versions__delta").is_string());
  REQUIRE(apps.at("application").is_array());
  const Json& app = apps["application"][0];
  CHECK(app.at("name") == "WEB");
  REQUIRE(app.at("instance").is_array());
  const Json& in = app["instance"][0];
  CHECK(in.at("instanceId") == "h1:web:8080");
  CHECK(in.at("hostName") == "h1");
  CHECK(in.at("app") == "WEB");
  CHECK(in.at("status") == "UP");
  CHECK(in.at("overriddenstatus") == "UNKNOWN");
  CHECK(in.at("port") == Json{{"$", 8080}, {"@enabled", "true"}});
  CHECK(in.at("securePort") == Json{{"$", 8443}, {"@enabled", "false"}});
  CHECK(in.at("dataCenterInfo").at("name") == "MyOwn");
  CHECK(in.at("leaseInfo").at("durationInSecs") == 20);
  CHECK(in.at("leaseInfo").at("renewalIntervalInSecs") == 10);
  CHECK(in.at("leaseInfo").at("registrationTimestamp").get<int64_t>() > 0);
  CHECK(in.at("metadata") == Json{{"build", "42"}, {"zone", "a"}});  // no eureka-* keys
  CHECK(in.at("vipAddress") == "web.example,web");
  CHECK(in.at("isCoordinatingDiscoveryServer") == "false");
  CHECK(in.at("lastDirtyTimestamp").is_string());
  CHECK(f.GetJson("/eureka/apps/WEB").at("application").at("instance").size() == 1);
  CHECK(f.GetJson("/eureka/apps/web/h1:web:8080").at("instance").at("hostName") == "h1");
  CHECK(f.GetJson("/eureka/instances/h1:web:8080").at("instance").at("app") == "WEB");
  CHECK(f.GetJson("/eureka/vips/web.example").at("applications").at("application").size() == 1);
  CHECK(f.GetJson("/eureka/vips/nope").at("applications").at("application").empty());
  CHECK(f.GetJson("/eureka/svips/web").at("applications").at("application").empty());
  CHECK(f.Send("GET", "/eureka/apps/nope").status == 404);
  CHECK(f.Send("GET", "/eureka/apps/web/nope").status == 404);
  CHECK(f.Send("GET", "/eureka/nothing").status == 404);
  HttpResponse wrong = f.Send("PATCH", "/eureka/apps/web");
  CHECK(wrong.status == 405);
}

TEST_CASE("XML answers unless Accept asks for JSON; attributes as Eureka writes them", "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.Send("POST", "/eureka/apps/WEB", kXmlInstance, "application/xml").status == 204);
  HttpResponse r = f.Send("GET", "/eureka/apps", "", std::nullopt, std::nullopt);
  REQUIRE(r.status == 200);
  CHECK(r.content_type == "application/xml");
  pugi::xml_document doc;
  REQUIRE(doc.load_buffer(r.body.data(), r.body.size()));
  pugi::xml_node apps = doc.child("applications");
  CHECK(std::string(apps.child_value("apps__hashcode")) == "UP_1_");
  pugi::xml_node in = apps.child("application").child("instance");
  CHECK(std::string(apps.child("application").child_value("name")) == "WEB");
  CHECK(std::string(in.child_value("hostName")) == "h1");
  CHECK(std::string(in.child("port").attribute("enabled").value()) == "false");
  CHECK(std::string(in.child_value("securePort")) == "8443");
  CHECK(std::string(in.child("dataCenterInfo").attribute("class").value()) ==
        eureka::kDefaultDataCenterClass);
  CHECK(std::string(in.child("metadata").child_value("zone")) == "b");
  HttpResponse one = f.Send("GET", "/eureka/apps/web/h1:web:8080", "", std::nullopt,
                            "application/xml");
  CHECK(one.content_type == "application/xml");
  CHECK(one.body.find("<instance>") != std::string::npos);
}

TEST_CASE("the hashcode counts statuses sorted by name, as Eureka's", "[eureka]") {
  CHECK(eureka::HashCode({{"UP", 2}, {"DOWN", 1}}) == "DOWN_1_UP_2_");
  CHECK(eureka::HashCode({{"UP", 10}, {"OUT_OF_SERVICE", 1}, {"STARTING", 3}}) ==
        "OUT_OF_SERVICE_1_STARTING_3_UP_10_");
  CHECK(eureka::HashCode({}).empty());
}

TEST_CASE("status: STARTING and DOWN stay out of DNS while the lease runs; heartbeats keep them",
          "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.RegisterJson("web", Instance("h1", "STARTING")).status == 204);
  const std::string id = dnsd::http::ConsulLabel("h1:web:8080");
  CHECK(f.Find("web", id)->health == Health::kCritical);
  Json j = f.GetJson("/eureka/apps/web/h1:web:8080");
  CHECK(j["instance"]["status"] == "STARTING");
  f.clock.Advance(15s);
  REQUIRE(f.Send("PUT", "/eureka/apps/web/h1:web:8080").status == 200);
  CHECK(f.Find("web", id)->health == Health::kCritical);
  CHECK(f.GetJson("/eureka/apps/web/h1:web:8080")["instance"]["status"] == "STARTING");
  f.clock.Advance(15s);  // past the first lease: the heartbeat renewed it
  f.registry.Tick();
  REQUIRE(f.Find("web", id));
  REQUIRE(f.RegisterJson("web", Instance("h1", "UP")).status == 204);
  CHECK(f.Find("web", id)->health == Health::kPassing);
  REQUIRE(f.RegisterJson("web", Instance("h1", "DOWN")).status == 204);
  CHECK(f.Find("web", id)->health == Health::kCritical);
  REQUIRE(f.Send("PUT", "/eureka/apps/web/h1:web:8080").status == 200);
  CHECK(f.GetJson("/eureka/apps/web/h1:web:8080")["instance"]["status"] == "DOWN");
  CHECK(f.GetJson("/eureka/apps")["applications"]["apps__hashcode"] == "DOWN_1_");
}

TEST_CASE("a lapsed lease shows DOWN; a heartbeat of an UP app revives it; unknown is 404",
          "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  const std::string id = dnsd::http::ConsulLabel("h1:web:8080");
  f.clock.Advance(21s);
  f.registry.Tick();
  CHECK(f.Find("web", id)->health == Health::kCritical);
  CHECK(f.GetJson("/eureka/apps/web/h1:web:8080")["instance"]["status"] == "DOWN");
  REQUIRE(f.Send("PUT", "/eureka/apps/web/h1:web:8080").status == 200);
  CHECK(f.Find("web", id)->health == Health::kPassing);
  CHECK(f.Send("PUT", "/eureka/apps/web/h2:web:8080").status == 404);
  CHECK(f.Send("DELETE", "/eureka/apps/web/h2:web:8080").status == 404);
  REQUIRE(f.Send("DELETE", "/eureka/apps/web/h1:web:8080").status == 200);
  CHECK(f.Find("web", id) == nullptr);
}

TEST_CASE("status overrides: OUT_OF_SERVICE is maintenance, kept over registrations, removed",
          "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  const std::string id = dnsd::http::ConsulLabel("h1:web:8080");
  const std::string path = "/eureka/apps/web/h1:web:8080/status";
  CHECK(f.Send("PUT", path).status == 400);
  CHECK(f.Send("PUT", path + "?value=LATER").status == 400);
  REQUIRE(f.Send("PUT", path + "?value=OUT_OF_SERVICE").status == 200);
  CHECK(f.Find("web", id)->health == Health::kMaintenance);
  Json j = f.GetJson("/eureka/apps/web/h1:web:8080");
  CHECK(j["instance"]["status"] == "OUT_OF_SERVICE");
  CHECK(j["instance"]["overriddenstatus"] == "OUT_OF_SERVICE");
  REQUIRE(f.Send("PUT", "/eureka/apps/web/h1:web:8080").status == 200);  // heartbeat
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);          // the app again
  CHECK(f.Find("web", id)->health == Health::kMaintenance);
  REQUIRE(f.Send("DELETE", path).status == 200);
  CHECK(f.Find("web", id)->health == Health::kPassing);
  CHECK(f.GetJson("/eureka/apps/web/h1:web:8080")["instance"]["overriddenstatus"] == "UNKNOWN");
  REQUIRE(f.Send("PUT", path + "?value=DOWN").status == 200);
  CHECK(f.Find("web", id)->health == Health::kCritical);
  REQUIRE(f.Send("PUT", path + "?value=UP").status == 200);
  CHECK(f.Find("web", id)->health == Health::kPassing);
  CHECK(f.Send("PUT", "/eureka/apps/web/nope/status?value=UP").status == 404);
}

TEST_CASE("maintenance set by an operator outlives a Eureka registration", "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  const std::string id = dnsd::http::ConsulLabel("h1:web:8080");
  REQUIRE(f.Put("/v1/services/web/instances/" + id + "/status", R"({"status":"maintenance"})").status ==
          200);
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  CHECK(f.Find("web", id)->health == Health::kMaintenance);
}

TEST_CASE("metadata updates merge keys", "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  REQUIRE(f.Send("PUT", "/eureka/apps/web/h1:web:8080/metadata?zone=c&color=blue").status == 200);
  Json meta = f.GetJson("/eureka/apps/web/h1:web:8080")["instance"]["metadata"];
  CHECK(meta == Json{{"build", "42"}, {"color", "blue"}, {"zone", "c"}});
  CHECK(f.Send("PUT", "/eureka/apps/web/h1:web:8080/metadata?eureka-status=DOWN").status == 400);
  CHECK(f.Send("PUT", "/eureka/apps/web/nope/metadata?a=b").status == 404);
}

TEST_CASE("an instance registered through the native API has Eureka's view", "[eureka]") {
  EurekaFixture f;
  f.RegisterWeb("web-1");
  Json in = f.GetJson("/eureka/apps")["applications"]["application"][0]["instance"][0];
  CHECK(in["app"] == "WEB");
  CHECK(in["instanceId"] == "web-1");
  CHECK(in["ipAddr"] == "10.0.0.1");
  CHECK(in["port"]["$"] == 8080);
  CHECK(in["vipAddress"] == "web");
  CHECK(f.GetJson("/eureka/vips/web")["applications"]["application"].size() == 1);
}

TEST_CASE("the delta holds the last 3 minutes' changes with the full registry's hashcode",
          "[eureka]") {
  EurekaFixture f;
  f.GetJson("/eureka/apps");  // a client's first fetch: the delta records from now on
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  REQUIRE(f.RegisterJson("web", Instance("h2")).status == 204);
  f.clock.Advance(2min);
  REQUIRE(f.RegisterJson("web", Instance("h3")).status == 204);
  REQUIRE(f.Send("PUT", "/eureka/apps/web/h2:web:8080/status?value=OUT_OF_SERVICE").status == 200);
  REQUIRE(f.Send("DELETE", "/eureka/apps/web/h1:web:8080").status == 200);
  auto actions = [&] {
    std::map<std::string, std::string> out;
    Json j = f.GetJson("/eureka/apps/delta");
    for (const Json& app : j["applications"]["application"]) {
      for (const Json& in : app["instance"]) out[in["instanceId"]] = in["actionType"];
    }
    return std::make_pair(out, j["applications"]["apps__hashcode"].get<std::string>());
  };
  auto [a, hash] = actions();
  // h1 and h2 were added within the window, h1 deleted since, h2 modified since.
  CHECK(a == std::map<std::string, std::string>{
                 {"h1:web:8080", "DELETED"}, {"h2:web:8080", "ADDED"}, {"h3:web:8080", "ADDED"}});
  CHECK(hash == "OUT_OF_SERVICE_1_UP_1_");
  f.clock.Advance(90s);  // h1 and h2's registrations leave the window; the later changes stay
  auto [b, hash_b] = actions();
  CHECK(b == std::map<std::string, std::string>{
                 {"h1:web:8080", "DELETED"}, {"h2:web:8080", "MODIFIED"}, {"h3:web:8080", "ADDED"}});
  f.clock.Advance(3min);
  f.registry.Tick();  // h3's lease lapses (h2 is in maintenance: not processed)
  CHECK(actions().second == "DOWN_1_OUT_OF_SERVICE_1_");
  REQUIRE(f.Send("PUT", "/eureka/apps/web/h3:web:8080").status == 200);  // revived
  auto [c, hash_c] = actions();
  CHECK(c == std::map<std::string, std::string>{{"h3:web:8080", "MODIFIED"}});
  CHECK(hash_c == "OUT_OF_SERVICE_1_UP_1_");
}

TEST_CASE("EurekaDelta alone: the window, the bound and remembered instances", "[eureka]") {
  dnsd::testing::FakeClock clock;
  EurekaDelta d(3min, 2);
  using Kind = registry::RegistryEvent::Kind;
  auto ev = [](Kind k, std::string_view id) {
    return registry::RegistryEvent{k, "web", id, Health::kPassing, {}, 1};
  };
  eureka::InstanceInfo info;
  info.app = "Web";
  info.instance_id = "Original-Id";
  d.Remember("web", "a", info);
  d.NoteRead(clock.Now());
  d.OnEvent(ev(Kind::kRegistered, "a"), clock.Now());
  d.OnEvent(ev(Kind::kNoteChanged, "a"), clock.Now());  // not visible to Eureka
  CHECK(d.size() == 1);
  d.OnEvent(ev(Kind::kRemoved, "a"), clock.Now());
  std::vector<EurekaDelta::Change> r = d.Recent(clock.Now());
  REQUIRE(r.size() == 1);
  CHECK(r[0].action == EurekaDelta::Action::kDeleted);
  REQUIRE(r[0].last);
  CHECK(r[0].last->instance_id == "Original-Id");
  d.OnEvent(ev(Kind::kRegistered, "b"), clock.Now());
  CHECK(d.size() == 2);  // bounded: the oldest went
  clock.Advance(3min + 1ms);
  CHECK(d.Recent(clock.Now()).empty());
}

TEST_CASE("the delta records only while Eureka clients read", "[eureka]") {
  EurekaFixture f;
  REQUIRE(f.RegisterJson("web", Instance("h1")).status == 204);
  CHECK(f.delta.size() == 0);  // nobody reads through Eureka: nothing kept
  f.GetJson("/eureka/apps/web");
  REQUIRE(f.RegisterJson("web", Instance("h2")).status == 204);
  CHECK(f.delta.size() == 1);
  f.clock.Advance(3min + 1ms);  // no read for a whole window
  REQUIRE(f.RegisterJson("web", Instance("h3")).status == 204);
  CHECK(f.delta.size() == 0);
  Json j = f.GetJson("/eureka/apps/delta");  // after a gap: the full hashcode tells the client
  CHECK(j["applications"]["apps__hashcode"] == "UP_3_");
  REQUIRE(f.Send("DELETE", "/eureka/apps/web/h3:web:8080").status == 200);
  CHECK(f.delta.size() == 1);
}

TEST_CASE("JSON answers escape strings as nlohmann does and replace invalid UTF-8", "[eureka]") {
  EurekaFixture f;
  Json in = Instance("h1");
  in["metadata"] = {{"q", "a\"b\\c\n\t\x01 é €"}};
  REQUIRE(f.RegisterJson("web", in).status == 204);
  HttpResponse r = f.Send("GET", "/eureka/apps/web/h1:web:8080");
  Json parsed = Json::parse(r.body);
  CHECK(parsed["instance"]["metadata"]["q"] == "a\"b\\c\n\t\x01 é €");
  // The same bytes nlohmann writes for the string.
  CHECK(r.body.find(Json("a\"b\\c\n\t\x01 é €").dump()) != std::string::npos);
  std::string xml = kXmlInstance;
  xml.replace(xml.find("<zone>b</zone>"), 14, "<zone>b\xff</zone>");
  REQUIRE(f.Send("POST", "/eureka/apps/web", xml, "application/xml").status == 204);
  Json bad = f.GetJson("/eureka/apps/web/h1:web:8080");
  CHECK(bad["instance"]["metadata"]["zone"] == "b\xEF\xBF\xBD");
}

TEST_CASE("a scoped token writes only the Eureka apps its patterns match", "[eureka][tokens]") {
  EurekaFixture f;
  f.options.tokens = {dnsd::http::AccessToken{"team", {"web"}, true}};
  auto post = [&](const std::string& app, std::optional<std::string> token) {
    HttpRequest r;
    r.method = "POST";
    r.path = "/eureka/apps/" + app;
    Json inst = Instance("h1");
    inst["app"] = app;
    r.body = Json{{"instance", inst}}.dump();
    r.content_type = "application/json";
    if (token) r.authorization = "Bearer " + *token;
    return dnsd::http::Route(r, f.registry, f.options);
  };
  CHECK(post("WEB", std::nullopt).status == 401);
  HttpResponse denied = post("ORDERS", "team");
  CHECK(denied.status == 403);
  CHECK_FALSE(denied.write);
  HttpResponse allowed = post("WEB", "team");
  CHECK(allowed.write);
}
