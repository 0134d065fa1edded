// The cluster's key layout, value encoding and base64 (dnsd/cluster/layout.h).
#include "dnsd/cluster/layout.h"

#include <catch2/catch.hpp>

using namespace dnsd::cluster;
using namespace std::chrono_literals;

TEST_CASE("base64 round-trips and matches RFC 4648 vectors", "[cluster]") {
  struct Case {
    const char* plain;
    const char* encoded;
  } cases[] = {{"", ""},
               {"f", "Zg=="},
               {"fo", "Zm8="},
               {"foo", "Zm9v"},
               {"foob", "Zm9vYg=="},
               {"fooba", "Zm9vYmE="},
               {"foobar", "Zm9vYmFy"},
               {"/dnsd/a", "L2Ruc2QvYQ=="}};
  for (const Case& c : cases) {
    CAPTURE(c.plain);
    CHECK(Base64Encode(c.plain) == c.encoded);
    CHECK(Base64Decode(c.encoded) == std::string(c.plain));
  }
  std::string binary;
  for (int i = 0; i < 256; ++i) binary.push_back(static_cast<char>(i));
  CHECK(Base64Decode(Base64Encode(binary)) == binary);
  for (const char* bad : {"Zg=", "Z===", "Zm9v!A==", "=Zg=", "Zg==Zg=="}) {
    CAPTURE(bad);
    CHECK_FALSE(Base64Decode(bad));
  }
}

TEST_CASE("keys: one per instance and one per replica under the prefix", "[cluster]") {
  CHECK(InstanceKey("/dnsd/", "web", "web-1") == "/dnsd/instances/web/web-1");
  CHECK(NodeKey("/dnsd/", "node-a") == "/dnsd/nodes/node-a");
  CHECK(PrefixEnd("/dnsd/") == "/dnsd0");
  CHECK(PrefixEnd(std::string("a\xff", 2)) == "b");

  ParsedKey i = ParseKey("/dnsd/", "/dnsd/instances/web/web-1");
  CHECK(i.kind == ParsedKey::Kind::kInstance);
  CHECK(i.service == "web");
  CHECK(i.id == "web-1");
  ParsedKey n = ParseKey("/dnsd/", "/dnsd/nodes/node-a");
  CHECK(n.kind == ParsedKey::Kind::kNode);
  CHECK(n.node == "node-a");
  for (const char* other : {"/other/instances/web/a", "/dnsd/instances/web", "/dnsd/nodes/",
                            "/dnsd/instances/we_b/a", "/dnsd/instances/web/a/b", "/dnsd/x"}) {
    CAPTURE(other);
    CHECK(ParseKey("/dnsd/", other).kind == ParsedKey::Kind::kOther);
  }
}

namespace {
registry::Instance Web(const char* id, const char* address) {
  registry::Instance in;
  in.service = "web";
  in.id = id;
  in.address = *registry::IpAddress::Parse(address);
  return in;
}

registry::InstanceSpec WebSpec() {
  registry::InstanceSpec spec;
  spec.service = "web";
  spec.id = "a";
  spec.address = registry::IpAddress::Parse("10.0.0.1");
  spec.port = 80;
  return spec;
}

registry::CheckState Check(registry::CheckKind kind, std::string target) {
  registry::CheckState c;
  c.spec.kind = kind;
  c.spec.target = std::move(target);
  c.spec.interval = 5s;
  return c;
}
}  // namespace

TEST_CASE("an instance value round-trips with its owner, health and note", "[cluster]") {
  registry::Instance in = Web("web-1", "2001:db8::1");
  in.port = 8443;
  in.proto = registry::Proto::kUdp;
  in.tags = {"blue", "v2"};
  in.meta = {{"zone", "eu-1"}, {"quote", "a \"b\""}};
  in.weight = 0;
  in.priority = 7;
  in.ttl = 10s;
  in.deregister_after = 90s;
  in.dns_ttl = 3;
  in.health = registry::Health::kWarning;
  in.note = "disk 91%";
  in.index = 99;  // not stored: the index is the key's mod_revision
  registry::Result<InstanceValue> v = DecodeValue(EncodeValue(in, "node-a"));
  REQUIRE(v);
  CHECK(v->owner == "node-a");
  const registry::Instance& out = v->instance;
  CHECK(out.service == in.service);
  CHECK(out.id == in.id);
  CHECK(SameData(out, in));
  CHECK(out.health == in.health);
  CHECK(out.note == in.note);
  CHECK(out.index == 0);
  CHECK_FALSE(out.lease_deadline);
}

TEST_CASE("an instance value carries its checks, spec and last result", "[cluster]") {
  registry::Instance in = Web("web-1", "10.0.0.1");
  in.port = 80;
  in.health = registry::Health::kCritical;
  registry::CheckState http = Check(registry::CheckKind::kHttp, "http://127.0.0.1:8080/healthz");
  http.spec.timeout = 2s;
  http.spec.success_before_passing = 2;
  http.spec.failures_before_critical = 3;
  http.spec.check_id = "service:web-1";
  http.spec.name = "Web \"health\"";
  http.status = registry::Health::kCritical;
  http.output = "HTTP GET http://127.0.0.1:8080/healthz: 503";
  http.last_run_ms = 1764979200123;
  in.checks = {http, Check(registry::CheckKind::kTcp, "127.0.0.1:5432"),
               Check(registry::CheckKind::kTtl, "")};
  in.checks[2].deadline = registry::TimePoint{} + 1s;  // the owner's own: not stored
  registry::Result<InstanceValue> v = DecodeValue(EncodeValue(in, "node-a"));
  REQUIRE(v);
  const registry::Instance& out = v->instance;
  REQUIRE(out.checks.size() == 3);
  CHECK(registry::SameData(out, in));
  CHECK(out.checks[0] == http);
  CHECK(out.checks[1].spec == in.checks[1].spec);
  CHECK(out.checks[1].status == registry::Health::kPassing);
  CHECK(out.checks[1].last_run_ms == 0);
  CHECK_FALSE(out.checks[2].deadline);
  // A value without "checks" (as an instance without any is written) has none.
  in.checks.clear();
  const std::string plain = EncodeValue(in, "node-a");
  CHECK(plain.find("checks") == std::string::npos);
  CHECK(DecodeValue(plain)->instance.checks.empty());
}

TEST_CASE("values dnsd never writes are refused with a reason", "[cluster]") {
  for (const char* bad : {"", "[]", "{\"service\":\"web\"}",
                          R"({"service":"web","id":"a","address":"nope","port":1,"proto":"tcp",
                              "tags":[],"meta":{},"weight":1,"priority":1,"ttl_ms":0,
                              "deregister_after_ms":0,"dns_ttl":null,"health":"passing",
                              "note":"","owner":"a"})"}) {
    CAPTURE(bad);
    CHECK_FALSE(DecodeValue(bad));
  }
  registry::Instance in = Web("a", "10.0.0.1");
  in.checks = {Check(registry::CheckKind::kTcp, "127.0.0.1:5432")};
  const std::string good = EncodeValue(in, "node-a");
  REQUIRE(DecodeValue(good));
  auto with = [&](std::string_view from, std::string_view to) {
    std::string text = good;
    REQUIRE(text.find(from) != std::string::npos);
    return text.replace(text.find(from), from.size(), to);
  };
  for (const std::string& bad :
       {with("\"kind\":\"tcp\"", "\"kind\":\"ping\""),
        with("\"status\":\"passing\"", "\"status\":\"maintenance\""),
        with("\"target\":\"127.0.0.1:5432\"", "\"target\":\"nowhere\""),
        with("\"interval_ms\":5000", "\"interval_ms\":\"5s\""),
        with("\"interval_ms\":5000", "\"interval_ms\":1"),
        with("\"checks\":[{", "\"checks\":[1,{"),
        with("\"output\":\"\"", "\"outputs\":\"\"")}) {
    CAPTURE(bad);
    registry::Result<InstanceValue> v = DecodeValue(bad);
    REQUIRE_FALSE(v);
    CHECK(v.error().message.find("check") != std::string::npos);
  }
}

TEST_CASE("a registration keeps maintenance and the note of the instance it replaces",
          "[cluster]") {
  registry::InstanceSpec spec = WebSpec();
  spec.ttl = 5s;
  registry::Instance fresh = FromSpec(spec, 60s, nullptr);
  CHECK(fresh.health == registry::Health::kPassing);
  CHECK(fresh.deregister_after == 60s);
  registry::Instance prev = fresh;
  prev.health = registry::Health::kMaintenance;
  prev.note = "upgrading";
  registry::Instance again = FromSpec(spec, 60s, &prev);
  CHECK(again.health == registry::Health::kMaintenance);
  CHECK(again.note == "upgrading");
  prev.health = registry::Health::kCritical;
  CHECK(FromSpec(spec, 60s, &prev).health == registry::Health::kPassing);
}

TEST_CASE("a registration keeps the last result of each check whose spec is unchanged",
          "[cluster]") {
  registry::InstanceSpec spec = WebSpec();
  registry::CheckState tcp = Check(registry::CheckKind::kTcp, "127.0.0.1:5432");
  registry::CheckState http = Check(registry::CheckKind::kHttp, "http://127.0.0.1:8080/");
  spec.checks = {tcp.spec, http.spec};
  registry::Instance prev = FromSpec(spec, 60s, nullptr);
  REQUIRE(prev.checks.size() == 2);
  CHECK(prev.checks[0].last_run_ms == 0);
  prev.checks[0].status = prev.checks[1].status = registry::Health::kCritical;
  prev.checks[0].output = "TCP connect 127.0.0.1:5432: connection refused";
  spec.checks[1].interval = 10s;
  registry::Instance next = FromSpec(spec, 60s, &prev);
  CHECK_FALSE(registry::SameData(next, prev));
  CHECK(next.checks[0] == prev.checks[0]);
  CHECK(next.checks[1].spec.interval == 10s);
  CHECK(next.checks[1].status == registry::Health::kPassing);
  spec.checks.clear();
  CHECK(FromSpec(spec, 60s, &prev).checks.empty());
}
