// Registry::ApplyAt / RemoveAt / FinishRestoreAt: changes committed by a shared store
// (cluster mode) applied at the store's index.
#include <catch2/catch.hpp>

#include "registry/registry.h"
#include "tests/registry/registry_test_util.h"
#include "tests/support/fake_clock.h"

using namespace registry;
using namespace std::chrono_literals;
using dnsd::testing::EventLog;
using dnsd::testing::FakeClock;
using Kind = RegistryEvent::Kind;

namespace {

RegistryConfig Config() {
  RegistryConfig c;
  c.self_preservation.enabled = false;
  c.deregister_after = 30s;
  return c;
}

Instance Inst(std::string id, Duration ttl = 10s, Health health = Health::kPassing) {
  Instance in;
  in.service = "web";
  in.id = std::move(id);
  in.address = *IpAddress::Parse("10.0.0.1");
  in.port = 80;
  in.ttl = ttl;
  in.deregister_after = 30s;
  in.health = health;
  return in;
}

}  // namespace

TEST_CASE("ApplyAt sets the instance, service and registry index to the store's index",
          "[registry][cluster]") {
  FakeClock clock;
  Registry reg(clock, Config());
  reg.ApplyAt(Inst("a"), 40, /*owned=*/false);
  CHECK(reg.index() == 40);
  CHECK(reg.ServiceIndex("web") == 40);
  REQUIRE(reg.Find("web", "a"));
  CHECK(reg.Find("web", "a")->index == 40);
  // An older revision of another key (a watch event behind a write reply) never moves
  // the registry index back, but the service's index is never lowered either.
  reg.ApplyAt(Inst("b"), 35, false);
  CHECK(reg.index() == 40);
  CHECK(reg.Find("web", "b")->index == 35);
  CHECK(reg.ServiceIndex("web") == 40);
}

TEST_CASE("a remote instance has no lease here: it never lapses on this replica",
          "[registry][cluster]") {
  FakeClock clock;
  Registry reg(clock, Config());
  reg.ApplyAt(Inst("a", 5s), 2, /*owned=*/false);
  CHECK_FALSE(reg.Find("web", "a")->lease_deadline);
  clock.Advance(60s);
  reg.Tick();
  REQUIRE(reg.Find("web", "a"));
  CHECK(reg.Find("web", "a")->health == Health::kPassing);
  CHECK(reg.index() == 2);
  CHECK_FALSE(reg.NextDeadline());
  // Critical from its owner: stays until its owner removes it.
  reg.ApplyAt(Inst("a", 5s, Health::kCritical), 3, false);
  clock.Advance(60s);
  reg.Tick();
  CHECK(reg.Find("web", "a"));
}

TEST_CASE("an owned instance's lease runs here: it lapses and is removed as usual",
          "[registry][cluster]") {
  FakeClock clock;
  Registry reg(clock, Config());
  EventLog log;
  reg.AddObserver(&log);
  reg.ApplyAt(Inst("a", 5s), 7, /*owned=*/true);
  REQUIRE(reg.Find("web", "a")->lease_deadline);
  clock.Advance(6s);
  reg.Tick();
  CHECK(reg.Find("web", "a")->health == Health::kCritical);
  CHECK(reg.index() == 8);  // a local lapse; the store writes it and applies the echo
  CHECK(log.Count(Kind::kLeaseLapsed) == 1);
  // The echo of the lapse keeps the removal deadline counted from the lapse.
  reg.ApplyAt(Inst("a", 5s, Health::kCritical), 12, true);
  CHECK(reg.index() == 12);
  clock.Advance(25s);
  reg.Tick();
  CHECK(reg.Find("web", "a"));
  clock.Advance(6s);
  reg.Tick();
  CHECK_FALSE(reg.Find("web", "a"));
  CHECK(log.Count(Kind::kRemoved) == 1);
}

TEST_CASE("ownership moving away stops the timers, moving here starts a whole lease",
          "[registry][cluster]") {
  FakeClock clock;
  Registry reg(clock, Config());
  reg.ApplyAt(Inst("a", 5s), 2, true);
  clock.Advance(4s);
  reg.ApplyAt(Inst("a", 5s), 3, false);  // a heartbeat on another replica took it
  CHECK_FALSE(reg.Find("web", "a")->lease_deadline);
  clock.Advance(10s);
  reg.Tick();
  CHECK(reg.Find("web", "a")->health == Health::kPassing);
  reg.ApplyAt(Inst("a", 5s), 4, true);  // and back here
  REQUIRE(reg.Find("web", "a")->lease_deadline);
  CHECK(*reg.Find("web", "a")->lease_deadline == clock.Now() + 5s);
  clock.Advance(4s);
  reg.Tick();
  CHECK(reg.Find("web", "a")->health == Health::kPassing);
  CHECK(reg.Heartbeat("web", "a"));  // owned heartbeats stay local: no index move
  CHECK(reg.index() == 4);
}

TEST_CASE("RemoveAt removes at the given index; an unknown key only moves the index",
          "[registry][cluster]") {
  FakeClock clock;
  Registry reg(clock, Config());
  EventLog log;
  reg.AddObserver(&log);
  reg.ApplyAt(Inst("a"), 2, false);
  reg.ApplyAt(Inst("b"), 3, false);
  reg.RemoveAt("web", "a", 9);
  CHECK_FALSE(reg.Find("web", "a"));
  CHECK(reg.index() == 9);
  CHECK(reg.ServiceIndex("web") == 9);
  REQUIRE(log.entries.back().kind == Kind::kRemoved);
  CHECK(log.entries.back().index == 9);
  reg.RemoveAt("web", "zzz", 11);
  CHECK(reg.index() == 11);
  reg.RemoveAt("web", "b", 12);
  CHECK(reg.ServiceIndex("web") == 0);  // the service left with its last instance
}

TEST_CASE("FinishRestoreAt publishes a loaded view at exactly the store's revision",
          "[registry][cluster]") {
  FakeClock clock;
  Registry reg(clock, Config());
  reg.BeginRestore();
  CHECK_FALSE(reg.view().Load()->loaded());
  reg.ApplyAt(Inst("a"), 5, false);
  reg.ApplyAt(Inst("b"), 8, false);
  reg.FinishRestoreAt(20);
  CHECK(reg.view().Load()->loaded());
  CHECK(reg.index() == 20);
  CHECK(reg.ServiceIndex("web") == 8);
  CHECK(reg.view().Load()->Find("web") != nullptr);
}
