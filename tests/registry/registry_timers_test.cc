// Leases, removals, NextDeadline and self-preservation (SPEC §3).
#include <catch2/catch.hpp>

#include "registry/registry.h"
#include "tests/registry/registry_test_util.h"
#include "tests/support/fake_clock.h"

using namespace registry;
using namespace std::chrono_literals;
using dnsd::testing::EventLog;
using dnsd::testing::FakeClock;
using dnsd::testing::Spec;
using Kind = RegistryEvent::Kind;

namespace {

RegistryConfig Config(bool enabled = true, uint32_t min_instances = 10) {
  RegistryConfig c;
  c.deregister_after = 300s;  // longer than the window: lapsed instances stay in L
  c.self_preservation.enabled = enabled;
  c.self_preservation.threshold = 0.5;
  c.self_preservation.window = 60s;
  c.self_preservation.min_instances = min_instances;
  return c;
}

std::string Id(int i) { return "i" + std::to_string(i); }

void Fill(Registry& reg, int n, Duration ttl = 10s) {
  for (int i = 0; i < n; ++i) REQUIRE(reg.Register(Spec("web", Id(i), ttl)).ok());
}

size_t CountHealth(const Registry& reg, Health h, bool is_protected) {
  size_t n = 0;
  for (const Instance* i : reg.Instances("web")) {
    n += i->health == h && i->is_protected == is_protected;
  }
  return n;
}

}  // namespace

TEST_CASE("NextDeadline follows leases, renewals and removals", "[registry]") {
  FakeClock clock;
  Registry reg(clock, Config(false));
  const TimePoint t0 = clock.Now();
  CHECK_FALSE(reg.NextDeadline());
  REQUIRE(reg.Register(Spec("web", "nolease")).ok());
  CHECK_FALSE(reg.NextDeadline());  // no lease, nothing pending
  REQUIRE(reg.Register(Spec("web", "a", 10s)).ok());
  CHECK(reg.NextDeadline() == t0 + 10s);
  clock.Advance(4s);
  REQUIRE(reg.Heartbeat("web", "a").ok());  // O(1): the old entry stays
  CHECK(reg.NextDeadline() == t0 + 10s);
  clock.Advance(6s);
  reg.Tick();  // early entry: re-queued at the real deadline, nothing happens
  CHECK(reg.Find("web", "a")->health == Health::kPassing);
  CHECK(reg.NextDeadline() == t0 + 14s);
  clock.Advance(4s);
  reg.Tick();
  CHECK(reg.Find("web", "a")->health == Health::kCritical);
  CHECK(reg.NextDeadline() == t0 + 14s + 300s);  // removal
  clock.Advance(1s);
  REQUIRE(reg.SetStatus("web", "nolease", Health::kCritical).ok());
  CHECK(reg.NextDeadline() == t0 + 14s + 300s);  // its removal comes later
  clock.Advance(299s);
  reg.Tick();
  CHECK(reg.Find("web", "a") == nullptr);
  CHECK(reg.NextDeadline() == t0 + 15s + 300s);  // "nolease" went critical at t0 + 15s
  REQUIRE(reg.Deregister("web", "nolease").ok());
  reg.Tick();
  CHECK_FALSE(reg.NextDeadline());
}

TEST_CASE("Tick handles many leases with staggered heartbeats exactly", "[registry]") {
  FakeClock clock;
  Registry reg(clock, Config(false));
  Fill(reg, 1000, 10s);
  // Heartbeat the even ones every second for 30 s; the odd ones lapse at 10 s.
  for (int s = 1; s <= 30; ++s) {
    clock.Advance(1s);
    for (int i = 0; i < 1000; i += 2) REQUIRE(reg.Heartbeat("web", Id(i)).ok());
    reg.Tick();
    REQUIRE(reg.NextDeadline());
    CHECK(*reg.NextDeadline() > clock.Now());
    CHECK(reg.Stats().critical == (s >= 10 ? 500u : 0u));
  }
  CHECK(reg.Stats().passing == 500);
}

TEST_CASE("self-preservation holds back lapses beyond the threshold", "[registry]") {
  FakeClock clock;
  Registry reg(clock, Config());
  EventLog log;
  reg.AddObserver(&log);
  Fill(reg, 20);
  clock.Advance(10s);
  reg.Tick();
  // L = 20: lapses 1..10 give E/L <= 0.5; the 11th would make 11/20 > 0.5.
  CHECK(CountHealth(reg, Health::kCritical, false) == 10);
  CHECK(CountHealth(reg, Health::kPassing, true) == 10);
  RegistryStats s = reg.Stats();
  CHECK(s.self_preservation_active);
  CHECK(s.held_back == 10);
  CHECK(s.self_preservation_entered_total == 1);
  CHECK(s.lease_lapses_total == 10);
  CHECK(log.Count(Kind::kLapseHeldBack) == 10);
  CHECK(log.Count(Kind::kSelfPreservationEntered) == 1);
  // Holding: nothing more happens until the applied lapses leave the window.
  CHECK(reg.NextDeadline() == clock.Now() + 60s);
  clock.Advance(59s);
  reg.Tick();
  CHECK(reg.Stats().held_back == 10);
  CHECK(CountHealth(reg, Health::kPassing, true) == 10);
}

TEST_CASE("held-back lapses are released oldest first when the window passes", "[registry]") {
  FakeClock clock;
  Registry reg(clock, Config());
  Fill(reg, 10);  // i0..i9 lapse at 10 s
  clock.Advance(1s);
  // i10..i19 registered 10 ms apart, in reverse order of id: they lapse in that order.
  for (int i = 19; i >= 10; --i) {
    REQUIRE(reg.Register(Spec("web", Id(i), 10s)).ok());
    clock.Advance(10ms);
  }
  clock.Advance(9s - 100ms);
  reg.Tick();  // t = 10 s: i0..i9 lapse: 10/20 allowed
  CHECK(reg.Stats().lease_lapses_total == 10);
  clock.Advance(1s + 100ms);
  reg.Tick();  // all of i10..i19 are due in this one Tick: held, in deadline order
  REQUIRE(reg.Stats().held_back == 10);
  EventLog log;
  reg.AddObserver(&log);
  clock.Advance(59s - 200ms);  // t = 69.9 s; the first lapses (at 10 s) leave at 70 s
  reg.Tick();
  REQUIRE(reg.Stats().held_back == 10);
  clock.Advance(100ms);
  reg.Tick();
  CHECK(reg.Stats().held_back == 0);
  CHECK_FALSE(reg.Stats().self_preservation_active);
  std::vector<std::string> order;
  for (const auto& e : log.entries) {
    if (e.kind == Kind::kLeaseLapsed) order.push_back(e.id);
  }
  std::vector<std::string> expected;
  for (int i = 19; i >= 10; --i) expected.push_back(Id(i));
  CHECK(order == expected);
  CHECK(log.entries.back().kind == Kind::kSelfPreservationLeft);
  CHECK(CountHealth(reg, Health::kCritical, false) == 20);
}

TEST_CASE("a renewed held-back instance leaves the held-back set", "[registry]") {
  FakeClock clock;
  Registry reg(clock, Config());
  EventLog log;
  reg.AddObserver(&log);
  Fill(reg, 20);
  clock.Advance(10s);
  reg.Tick();
  std::vector<std::string> held;
  for (const Instance* i : reg.Instances("web")) {
    if (i->is_protected) held.push_back(i->id);
  }
  REQUIRE(held.size() == 10);
  const uint64_t before = reg.index();
  REQUIRE(reg.Heartbeat("web", held[0]).ok());
  CHECK(reg.index() == before + 1);  // "protected" cleared is visible
  CHECK_FALSE(reg.Find("web", held[0])->is_protected);
  CHECK(reg.Find("web", held[0])->health == Health::kPassing);
  CHECK(reg.Stats().held_back == 9);
  CHECK(log.Count(Kind::kLapseCancelled) == 1);
  for (size_t i = 1; i < held.size(); ++i) REQUIRE(reg.Heartbeat("web", held[i]).ok());
  CHECK_FALSE(reg.Stats().self_preservation_active);
  CHECK(log.entries.back().kind == Kind::kSelfPreservationLeft);
  CHECK(reg.Stats().passing == 10);
}

TEST_CASE("renewals lower E so that other held-back lapses may be applied", "[registry]") {
  FakeClock clock;
  RegistryConfig config = Config();
  config.self_preservation.threshold = 0.25;
  Registry reg(clock, config);
  Fill(reg, 20);  // threshold 0.25 of 20: 5 lapses may be applied at once
  clock.Advance(10s);
  reg.Tick();
  REQUIRE(reg.Stats().lease_lapses_total == 5);
  REQUIRE(reg.Stats().held_back == 15);
  clock.Advance(60s);  // window passed: E = 15 held / 20 > 0.25, still held
  reg.Tick();
  REQUIRE(reg.Stats().held_back == 15);
  std::vector<std::string> held;
  for (const Instance* i : reg.Instances("web")) {
    if (i->is_protected) held.push_back(i->id);
  }
  for (size_t i = 0; i < 9; ++i) REQUIRE(reg.Heartbeat("web", held[i]).ok());
  // E = 6 held / 20 > 0.25: held. One more renewal: 5/20 <= 0.25: the rest apply.
  CHECK(reg.Stats().held_back == 6);
  REQUIRE(reg.Heartbeat("web", held[9]).ok());
  CHECK(reg.Stats().held_back == 0);
  CHECK(reg.Stats().lease_lapses_total == 10);
}

TEST_CASE("held-back lapses are applied when L falls below min_instances", "[registry]") {
  FakeClock clock;
  Registry reg(clock, Config());
  Fill(reg, 20);
  clock.Advance(10s);
  reg.Tick();
  REQUIRE(reg.Stats().held_back == 10);
  std::string held;
  std::vector<std::string> critical;
  for (const Instance* i : reg.Instances("web")) {
    if (i->is_protected) held = i->id;
    if (i->health == Health::kCritical) critical.push_back(i->id);
  }
  // Deregistering the 10 critical ones: L = 10, still >= min, E/L = 20/10: held.
  for (const std::string& id : critical) REQUIRE(reg.Deregister("web", id).ok());
  CHECK(reg.Stats().held_back == 10);
  // Maintenance takes one out of L (and out of the held-back set): L = 9 < 10.
  REQUIRE(reg.SetStatus("web", held, Health::kMaintenance).ok());
  CHECK(reg.Stats().held_back == 0);
  CHECK_FALSE(reg.Stats().self_preservation_active);
  CHECK(reg.Stats().critical == 9);
  CHECK(reg.Stats().maintenance == 1);
}

TEST_CASE("without enough leased instances or when disabled nothing is held", "[registry]") {
  struct Case {
    std::string what;
    bool enabled;
    int instances;
  };
  for (const Case& c : std::vector<Case>{{"disabled", false, 20}, {"below min", true, 9}}) {
    INFO(c.what);
    FakeClock clock;
    Registry reg(clock, Config(c.enabled));
    Fill(reg, c.instances);
    for (int i = 0; i < 5; ++i)
      REQUIRE(reg.Register(Spec("web", "m" + std::to_string(i), 10s)).ok());
    for (int i = 0; i < 5; ++i) {  // maintenance does not count in L
      REQUIRE(reg.SetStatus("web", "m" + std::to_string(i), Health::kMaintenance).ok());
    }
    clock.Advance(10s);
    reg.Tick();
    RegistryStats s = reg.Stats();
    CHECK(s.critical == static_cast<uint64_t>(c.instances));
    CHECK(s.held_back == 0);
    CHECK_FALSE(s.self_preservation_active);
    CHECK(s.self_preservation_entered_total == 0);
    CHECK(s.maintenance == 5);
  }
}

TEST_CASE("lapses older than the window no longer count", "[registry]") {
  FakeClock clock;
  Registry reg(clock, Config());
  Fill(reg, 5);  // i0..i4 lapse at 10 s
  clock.Advance(60s);
  for (int i = 5; i < 10; ++i) REQUIRE(reg.Register(Spec("web", Id(i), 10s)).ok());
  // Keep i5..i9 alive while i0..i4 lapse.
  reg.Tick();
  CHECK(reg.Stats().lease_lapses_total == 5);  // 5/10 <= 0.5
  clock.Advance(10s);  // t = 70: the first lapses (t = 60) are still in the window
  CHECK(reg.Stats().critical == 5);
  clock.Advance(1s);
  reg.Tick();  // i5..i9 lapse at t = 70, window (t > 11) holds the 5 old ones
  CHECK(reg.Stats().held_back == 5);
  clock.Advance(49s);  // t = 120: lapses at t = 60 leave the window
  reg.Tick();
  CHECK(reg.Stats().held_back == 0);
  CHECK(reg.Stats().critical == 10);
}

TEST_CASE("a held-back instance stays in DNS and put in maintenance leaves the set", "[registry]") {
  FakeClock clock;
  Registry reg(clock, Config());
  Fill(reg, 20);
  clock.Advance(10s);
  reg.Tick();
  reg.Publish();
  const auto view = reg.view().Load();
  std::string held;
  for (const Instance& i : view->Find("web")->instances) {
    if (i.is_protected) {
      CHECK(i.health == Health::kPassing);
      held = i.id;
    }
  }
  REQUIRE_FALSE(held.empty());
  REQUIRE(reg.SetStatus("web", held, Health::kMaintenance).ok());
  CHECK(reg.Stats().held_back == 9);
  CHECK_FALSE(reg.Find("web", held)->is_protected);
  clock.Advance(1h);
  reg.Tick();
  CHECK(reg.Find("web", held)->health == Health::kMaintenance);
}
