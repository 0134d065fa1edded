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
