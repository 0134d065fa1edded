#include "dnsd/agent/mirror_store.h"

#include <catch2/catch.hpp>

#include "tests/support/fake_clock.h"

namespace dnsd::agent {
namespace {

std::string Instance(const std::string& svc, const std::string& id, const std::string& addr,
                     const std::string& status = "passing") {
  return R"({"service":")" + svc + R"(","id":")" + id + R"(","address":")" + addr +
         R"(","port":80,"proto":"tcp","tags":["blue"],"meta":{"k":"v"},"weight":1,"priority":1,)"
         R"("ttl":10,"deregister_after":60,"dns_ttl":null,"status":")" + status +
         R"(","note":"","lease_remaining":3.5,"protected":false,"index":2})";
}

TEST_CASE("a full answer loads the copy; later ones apply only what changed", "[agent]") {
  testing::FakeClock clock;
  registry::Registry reg(clock, {});
  reg.BeginRestore();
  std::string full = R"({"index":7,"full":true,"services":[{"name":"api","index":5,"instances":[)" +
                     Instance("api", "a1", "192.0.2.1") + "," + Instance("api", "a2", "192.0.2.2") +
                     R"(]},{"name":"web","index":7,"instances":[)" +
                     Instance("web", "w1", "192.0.2.3") + "]}]}";
  auto applied = ApplyRegistryAnswer(full, reg, true);
  REQUIRE(applied);
  CHECK(*applied == 7);
  CHECK(reg.view().Load()->loaded());
  CHECK(reg.Instances("api").size() == 2);
  const registry::Instance* a1 = reg.Find("api", "a1");
  REQUIRE(a1 != nullptr);
  CHECK(a1->tags == std::vector<std::string>{"blue"});
  CHECK(a1->meta.at("k") == "v");
  CHECK_FALSE(a1->lease_deadline.has_value());  // the server's lease, not the agent's

  // a2 went critical, web was removed.
  std::string delta = R"({"index":9,"full":false,"services":[{"name":"api","index":8,"instances":[)" +
                      Instance("api", "a1", "192.0.2.1") + "," +
                      Instance("api", "a2", "192.0.2.2", "critical") +
                      R"(]},{"name":"web","index":9,"instances":[]}]})";
  REQUIRE(ApplyRegistryAnswer(delta, reg, false));
  CHECK(reg.Find("api", "a2")->health == registry::Health::kCritical);
  CHECK(reg.Instances("web").empty());
  CHECK(reg.index() == 9);

  // A full answer without api: the copy drops it.
  REQUIRE(ApplyRegistryAnswer(R"({"index":12,"full":true,"services":[]})", reg, false));
  CHECK(reg.Services().empty());
}

TEST_CASE("a malformed answer is refused whole, naming where", "[agent]") {
  testing::FakeClock clock;
  registry::Registry reg(clock, {});
  std::string bad = R"({"index":3,"full":false,"services":[{"name":"api","index":3,"instances":[)" +
                    Instance("api", "a1", "192.0.2.1") + R"(,{"service":"api","id":"a2"}]}]})";
  auto r = ApplyRegistryAnswer(bad, reg, false);
  REQUIRE_FALSE(r);
  CHECK(r.error().message.find("services[0].instances[1]") != std::string::npos);
  CHECK(reg.Services().empty());  // a1 was not applied either
  CHECK_FALSE(ApplyRegistryAnswer("not json", reg, false));
}

}  // namespace
}  // namespace dnsd::agent
