#include "dnsd/store/record.h"

#include <catch2/catch.hpp>

namespace dnsd::store {
namespace {

registry::Instance Sample() {
  registry::Instance in;
  in.service = "api";
  in.id = "a-1";
  in.address = *registry::IpAddress::Parse("2001:db8::7");
  in.port = 8080;
  in.proto = registry::Proto::kUdp;
  in.tags = {"blue", "v2"};
  in.meta = {{"zone", "a"}, {"k", "v"}};
  in.weight = 0;
  in.priority = 3;
  in.ttl = std::chrono::seconds(10);
  in.deregister_after = std::chrono::seconds(90);
  in.dns_ttl = 2;
  in.health = registry::Health::kMaintenance;
  in.note = "upgrade";
  in.index = 42;
  return in;
}

TEST_CASE("a record decodes to the instance it was encoded from", "[store]") {
  registry::Result<registry::Instance> back = DecodeInstance(EncodeInstance(Sample()));
  REQUIRE(back.ok());
  const registry::Instance& in = *back;
  const registry::Instance want = Sample();
  CHECK(in.service == want.service);
  CHECK(in.id == want.id);
  CHECK(in.address == want.address);
  CHECK(in.port == want.port);
  CHECK(in.proto == want.proto);
  CHECK(in.tags == want.tags);
  CHECK(in.meta == want.meta);
  CHECK(in.weight == want.weight);
  CHECK(in.priority == want.priority);
  CHECK(in.ttl == want.ttl);
  CHECK(in.deregister_after == want.deregister_after);
  CHECK(in.dns_ttl == want.dns_ttl);
  CHECK(in.health == want.health);
  CHECK(in.note == want.note);
  CHECK(in.index == want.index);
}

TEST_CASE("checks and their last results round-trip; a record without them has none",
          "[store]") {
  registry::Instance in = Sample();
  registry::CheckState http;
  http.spec.kind = registry::CheckKind::kHttp;
  http.spec.target = "http://127.0.0.1:8080/healthz";
  http.spec.interval = std::chrono::seconds(5);
  http.spec.timeout = std::chrono::seconds(2);
  http.spec.success_before_passing = 2;
  http.spec.failures_before_critical = 3;
  http.spec.check_id = "web-http";
  http.spec.name = "HTTP";
  http.status = registry::Health::kCritical;
  http.output = "HTTP GET ...: 500";
  http.last_run_ms = 1764775200123;
  registry::CheckState exec;
  exec.spec.kind = registry::CheckKind::kExec;
  exec.spec.args = {"/bin/true", "-x"};
  in.checks = {http, exec};
  registry::Result<registry::Instance> back = DecodeInstance(EncodeInstance(in));
  REQUIRE(back.ok());
  CHECK(back->checks == in.checks);
  // An older dnsd's record (no checks) is the same bytes as one without checks today.
  CHECK(DecodeInstance(EncodeInstance(Sample()))->checks.empty());
  const std::string with = EncodeInstance(in);
  CHECK(with.substr(4).starts_with(EncodeInstance(Sample()).substr(4)));
}

TEST_CASE("every flipped bit of a record is damage", "[store]") {
  const std::string record = EncodeInstance(Sample());
  for (size_t i = 0; i < record.size(); ++i) {
    for (int bit = 0; bit < 8; ++bit) {
      std::string bad = record;
      bad[i] = static_cast<char>(bad[i] ^ (1 << bit));
      INFO("byte " << i << " bit " << bit);
      CHECK_FALSE(DecodeInstance(bad).ok());
    }
  }
}

TEST_CASE("short or foreign bytes are damage with a reason", "[store]") {
  for (std::string bad : {std::string(), std::string("ab"), std::string("\0\0\0\0{}", 6)}) {
    registry::Result<registry::Instance> r = DecodeInstance(bad);
    REQUIRE_FALSE(r.ok());
    CHECK_FALSE(r.error().message.empty());
  }
}

TEST_CASE("row keys join service and id with a slash", "[store]") {
  CHECK(RecordKey("api", "a-1") == "api/a-1");
}

}  // namespace
}  // namespace dnsd::store
