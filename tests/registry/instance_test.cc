#include "registry/instance.h"

#include <catch2/catch.hpp>
#include <functional>

#include "tests/registry/registry_test_util.h"

using namespace registry;
using dnsd::testing::Spec;

TEST_CASE("IpAddress parses IPv4 and IPv6 literals and prints them back", "[registry]") {
  struct Case {
    std::string text;
    bool v4;
    std::string printed;
  };
  const std::vector<Case> cases = {
      {"10.0.0.1", true, "10.0.0.1"},
      {"255.255.255.255", true, "255.255.255.255"},
      {"::1", false, "::1"},
      {"2001:DB8:0:0::1", false, "2001:db8::1"},
      {"::ffff:192.0.2.1", false, "::ffff:192.0.2.1"},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    auto ip = IpAddress::Parse(c.text);
    REQUIRE(ip);
    CHECK(ip->is_v4() == c.v4);
    CHECK(ip->ToString() == c.printed);
  }
  auto v4 = IpAddress::Parse("192.0.2.7");
  CHECK(v4->bytes[0] == 192);
  CHECK(v4->bytes[3] == 7);
  CHECK(v4->bytes[4] == 0);
}

TEST_CASE("IpAddress rejects anything that is not a bare literal", "[registry]") {
  for (const char* text :
       {"", "1.2.3", "256.1.1.1", "1.2.3.4 ", " 1.2.3.4", "[::1]", "fe80::1%eth0", "example.com",
        "1.2.3.4:80", "::1::2", "0123:4567:89ab:cdef:0123:4567:89ab:cdef:1"}) {
    INFO(text);
    CHECK_FALSE(IpAddress::Parse(text));
  }
}

TEST_CASE("IsDnsLabel accepts 1-63 letters, digits and inner hyphens", "[registry]") {
  struct Case {
    std::string label;
    bool ok;
  };
  const std::vector<Case> cases = {
      {"web", true},
      {"Web-1", true},
      {"a", true},
      {"0", true},
      {std::string(63, 'a'), true},
      {"", false},
      {std::string(64, 'a'), false},
      {"-web", false},
      {"web-", false},
      {"we_b", false},
      {"we.b", false},
      {"wéb", false},
      {"web ", false},
  };
  for (const Case& c : cases) {
    INFO(c.label);
    CHECK(IsDnsLabel(c.label) == c.ok);
  }
}

TEST_CASE("names of health states and protocols round-trip", "[registry]") {
  for (Health h : {Health::kPassing, Health::kWarning, Health::kCritical, Health::kMaintenance}) {
    CHECK(ParseHealth(HealthName(h)) == h);
  }
  CHECK(HealthName(Health::kMaintenance) == "maintenance");
  CHECK_FALSE(ParseHealth("Passing"));
  CHECK_FALSE(ParseHealth("ok"));
  CHECK(ProtoName(Proto::kTcp) == "tcp");
  CHECK(ProtoName(Proto::kUdp) == "udp");
  CHECK(ToLower("WeB-1") == "web-1");
}

TEST_CASE("Validate names the offending field", "[registry]") {
  struct Case {
    std::string what;
    std::function<void(InstanceSpec&)> mutate;
    std::string field;
  };
  const std::vector<Case> cases = {
      {"empty service", [](InstanceSpec& s) { s.service = ""; }, "service"},
      {"service with dot", [](InstanceSpec& s) { s.service = "a.b"; }, "service"},
      {"service too long", [](InstanceSpec& s) { s.service = std::string(64, 'x'); }, "service"},
      {"id with underscore", [](InstanceSpec& s) { s.id = "web_1"; }, "id"},
      {"id leading hyphen", [](InstanceSpec& s) { s.id = "-1"; }, "id"},
      {"missing address", [](InstanceSpec& s) { s.address.reset(); }, "address"},
      {"port 65536", [](InstanceSpec& s) { s.port = 65536; }, "port"},
      {"port 65536", [](InstanceSpec& s) { s.port = 65536; }, "port"},
      {"bad proto", [](InstanceSpec& s) { s.proto = static_cast<Proto>(7); }, "proto"},
      {"weight 65536", [](InstanceSpec& s) { s.weight = 65536; }, "weight"},
      {"priority 65536", [](InstanceSpec& s) { s.priority = 65536; }, "priority"},
      {"negative ttl", [](InstanceSpec& s) { s.ttl = Duration(-1); }, "ttl"},
      {"ttl over max", [](InstanceSpec& s) { s.ttl = kMaxLeaseTtl + Duration(1); }, "ttl"},
      {"negative deregister_after", [](InstanceSpec& s) { s.deregister_after = Duration(-1); },
       "deregister_after"},
      {"dns_ttl over max", [](InstanceSpec& s) { s.dns_ttl = kMaxDnsTtl + 1; }, "dns_ttl"},
      {"tag not a label",
       [](InstanceSpec& s) {
         s.tags = {"ok", "not ok"};
       },
       "tags"},
      {"empty tag", [](InstanceSpec& s) { s.tags = {""}; }, "tags"},
      {"too many tags",
       [](InstanceSpec& s) {
         for (size_t i = 0; i <= kMaxTags; ++i) s.tags.push_back("t" + std::to_string(i));
       },
       "tags"},
      {"empty meta key", [](InstanceSpec& s) { s.meta[""] = "v"; }, "meta"},
      {"meta key too long",
       [](InstanceSpec& s) { s.meta[std::string(kMaxMetaKeyLength + 1, 'k')] = "v"; }, "meta"},
      {"meta value too long",
       [](InstanceSpec& s) { s.meta["k"] = std::string(kMaxMetaValueLength + 1, 'v'); }, "meta"},
      {"too many meta entries",
       [](InstanceSpec& s) {
         for (size_t i = 0; i <= kMaxMetaEntries; ++i) s.meta["k" + std::to_string(i)] = "v";
       },
       "meta"},
  };
  for (const Case& c : cases) {
    INFO(c.what);
    InstanceSpec spec = Spec("web", "web-1", std::chrono::seconds(10));
    c.mutate(spec);
    Status s = Validate(spec);
    REQUIRE_FALSE(s.ok());
    CHECK(s.error().code == ErrorCode::kInvalid);
    CHECK(s.error().field == c.field);
    CHECK_FALSE(s.error().message.empty());
  }
}

TEST_CASE("Validate accepts the limits themselves", "[registry]") {
  InstanceSpec spec = Spec("web", "web-1", kMaxLeaseTtl);
  spec.port = 65535;
  spec.weight = 0;
  spec.priority = 65535;
  spec.dns_ttl = kMaxDnsTtl;
  spec.deregister_after = Duration::zero();
  spec.meta[std::string(kMaxMetaKeyLength, 'k')] = std::string(kMaxMetaValueLength, 'v');
  for (size_t i = 0; i < kMaxTags; ++i) spec.tags.push_back("t" + std::to_string(i));
  CHECK(Validate(spec).ok());
  InstanceSpec low = Spec("web", "web-1");
  low.port = 1;
  CHECK(Validate(low).ok());
}

TEST_CASE("Validate lower-cases names and tags and drops duplicate tags", "[registry]") {
  InstanceSpec spec = Spec("WeB", "Web-1");
  spec.tags = {"Primary", "v2", "PRIMARY", "v2", "eu"};
  REQUIRE(Validate(spec).ok());
  CHECK(spec.service == "web");
  CHECK(spec.id == "web-1");
  CHECK(spec.tags == std::vector<std::string>{"primary", "v2", "eu"});
}

TEST_CASE("Instance::HasTag matches lower-case tags exactly", "[registry]") {
  Instance inst;
  inst.tags = {"primary", "v2"};
  CHECK(inst.HasTag("primary"));
  CHECK(inst.HasTag("v2"));
  CHECK_FALSE(inst.HasTag("v"));
  CHECK_FALSE(inst.HasTag("secondary"));
}
