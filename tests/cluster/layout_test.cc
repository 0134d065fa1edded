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

TEST_CASE("an instance value round-trips with its owner, health and note", "[cluster]") {
  registry::Instance in;
  in.service = "web";
  in.id = "web-1";
  in.address = *registry::IpAddress::Parse("2001:db8::1");
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

TEST_CASE("values dnsd never writes are refused with a reason", "[cluster]") {
  for (const char* bad : {"", "[]", "{\"service\":\"web\"}",
                          R"({"service":"web","id":"a","address":"nope","port":1,"proto":"tcp",
                              "tags":[],"meta":{},"weight":1,"priority":1,"ttl_ms":0,
                              "deregister_after_ms":0,"dns_ttl":null,"health":"passing",
                              "note":"","owner":"a"})"}) {
    CAPTURE(bad);
    CHECK_FALSE(DecodeValue(bad));
  }
}

TEST_CASE("a registration keeps maintenance and the note of the instance it replaces",
          "[cluster]") {
  registry::InstanceSpec spec;
  spec.service = "web";
  spec.id = "a";
  spec.address = registry::IpAddress::Parse("10.0.0.1");
  spec.port = 80;
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
