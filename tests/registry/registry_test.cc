#include "registry/registry.h"
#include "registry/command.h"

#include <catch2/catch.hpp>
#include <functional>

#include "tests/registry/registry_test_util.h"
#include "tests/support/fake_clock.h"

using namespace registry;
using namespace std::chrono_literals;
using dnsd::testing::EventLog;
using dnsd::testing::FakeClock;
using dnsd::testing::Spec;
using Kind = RegistryEvent::Kind;

namespace {

RegistryConfig NoSelfPreservation() {
  RegistryConfig c;
  c.self_preservation.enabled = false;
  c.deregister_after = 30s;
  return c;
}

// One step of a state-transition scenario: an action, then the expected health of
// web/web-1 (nullopt = gone) and whether the registry index moved.
struct Step {
  std::string what;
  std::function<void(Registry&, FakeClock&)> act;
  std::optional<Health> health;
  bool bumps;
};

void Run(const std::vector<Step>& steps) {
  FakeClock clock;
  Registry reg(clock, NoSelfPreservation());
  for (const Step& step : steps) {
    INFO(step.what);
    const uint64_t before = reg.index();
    step.act(reg, clock);
    const Instance* inst = reg.Find("web", "web-1");
    if (step.health) {
      REQUIRE(inst);
      CHECK(inst->health == *step.health);
    } else {
      CHECK(inst == nullptr);
    }
    CHECK((reg.index() != before) == step.bumps);
  }
}

auto Reg(Duration ttl) {
  return [ttl](Registry& r, FakeClock&) { REQUIRE(r.Register(Spec("web", "web-1", ttl)).ok()); };
}
auto Wait(Duration d) {
  return [d](Registry& r, FakeClock& c) {
    c.Advance(d);
    r.Tick();
  };
}
auto Beat(std::optional<Health> status = std::nullopt) {
  return [status](Registry& r, FakeClock&) { REQUIRE(r.Heartbeat("web", "web-1", status).ok()); };
}
auto SetTo(Health h) {
  return [h](Registry& r, FakeClock&) { REQUIRE(r.SetStatus("web", "web-1", h).ok()); };
}
auto Dereg() {
  return [](Registry& r, FakeClock&) { REQUIRE(r.Deregister("web", "web-1").ok()); };
}

constexpr auto P = Health::kPassing;
constexpr auto W = Health::kWarning;
constexpr auto C = Health::kCritical;
constexpr auto M = Health::kMaintenance;
constexpr std::optional<Health> kGone;

}  // namespace

TEST_CASE("lease lapse makes an instance critical, deregister_after removes it", "[registry]") {
  Run({{"register with lease is passing at once", Reg(10s), P, true},
       {"just before the deadline", Wait(9999ms), P, false},
       {"at the deadline", Wait(1ms), C, true},
       {"critical just before removal", Wait(29999ms), C, false},
       {"removed after deregister_after", Wait(1ms), kGone, true}});
}

TEST_CASE("a lease that starts inside a millisecond lasts its whole ttl", "[registry]") {
  FakeClock clock;
  clock.Advance(900us);
  Registry reg(clock, NoSelfPreservation());
  REQUIRE(reg.Register(Spec("web", "web-1", 1s)).ok());
  auto health_after = [&](TimePoint::duration d) {
    clock.Advance(d);
    reg.Tick();
    return reg.Find("web", "web-1")->health;
  };
  CHECK(health_after(999ms) == Health::kPassing);
  CHECK(health_after(999us) == Health::kPassing);  // 1 µs before the lease ends
  CHECK(health_after(1us) == Health::kCritical);
}

TEST_CASE("heartbeats renew, set warning and turn critical back to passing", "[registry]") {
  Run({{"register", Reg(10s), P, true},
       {"heartbeat before the deadline", Wait(8s), P, false},
       {"no-op heartbeat", Beat(), P, false},
       {"old deadline passes: renewed", Wait(8s), P, false},
       {"warning", Beat(W), W, true},
       {"warning again: nothing visible", Beat(W), W, false},
       {"plain heartbeat means passing", Beat(), P, true},
       {"lapse", Wait(10s), C, true},
       {"heartbeat revives", Beat(), P, true},
       {"removal was cancelled", Wait(9s), P, false},
       {"lapses again after ttl", Wait(1s), C, true},
       {"heartbeat with warning revives as warning", Beat(W), W, true}});
}

TEST_CASE("maintenance survives heartbeats, re-registration and lapses", "[registry]") {
  Run({{"register", Reg(10s), P, true},
       {"enter maintenance", SetTo(M), M, true},
       {"lease runs out: not processed in maintenance", Wait(20s), M, false},
       {"heartbeat renews but keeps maintenance", Beat(), M, false},
       {"re-registration keeps maintenance", Reg(10s), M, false},
       {"stays far past deregister_after", Wait(1h), M, false},
       {"leave maintenance with a run-out lease", SetTo(P), P, true},
       {"run-out lease lapses at the next tick", Wait(0s), C, true}});
}

TEST_CASE("a critical instance in maintenance is never removed", "[registry]") {
  Run({{"register", Reg(10s), P, true},
       {"lapse", Wait(10s), C, true},
       {"maintenance cancels the removal", SetTo(M), M, true},
       {"well past deregister_after", Wait(1h), M, false},
       {"set critical again starts a new removal timer", SetTo(C), C, true},
       {"not yet", Wait(29s), C, false},
       {"removed", Wait(1s), kGone, true}});
}

TEST_CASE("instances without a lease never lapse", "[registry]") {
  Run({{"register without lease", Reg(0s), P, true},
       {"a long time", Wait(1000h), P, false},
       {"status warning", SetTo(W), W, true},
       {"heartbeat is accepted", Beat(), P, true},
       {"set critical", SetTo(C), C, true},
       {"critical ones are removed after deregister_after", Wait(30s), kGone, true}});
}

TEST_CASE("deregistration removes at once, whatever the state", "[registry]") {
  Run({{"register", Reg(10s), P, true}, {"deregister", Dereg(), kGone, true}});
  Run({{"register", Reg(10s), P, true},
       {"maintenance", SetTo(M), M, true},
       {"deregister", Dereg(), kGone, true}});
  Run({{"register", Reg(10s), P, true},
       {"lapse", Wait(10s), C, true},
       {"deregister", Dereg(), kGone, true},
       {"old removal timer does nothing", Wait(1h), kGone, false}});
}

TEST_CASE("re-registering replaces data and renews the lease", "[registry]") {
  FakeClock clock;
  Registry reg(clock, NoSelfPreservation());
  REQUIRE(reg.Register(Spec("web", "web-1", 10s, "10.0.0.1", 80)).ok());
  clock.Advance(8s);
  const uint64_t before = reg.index();
  REQUIRE(reg.Register(Spec("web", "web-1", 10s, "10.0.0.1", 80)).ok());
  CHECK(reg.index() == before);  // identical data: nothing visible changed
  clock.Advance(8s);
  reg.Tick();
  CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
  auto spec = Spec("web", "WEB-1", 10s, "::1", 81);
  spec.tags = {"v2"};
  REQUIRE(*reg.Register(spec) == before + 1);
  const Instance* inst = reg.Find("WEB", "web-1");
  REQUIRE(inst);
  CHECK(inst->address.ToString() == "::1");
  CHECK(inst->port == 81);
  CHECK(inst->tags == std::vector<std::string>{"v2"});
  CHECK(inst->index == before + 1);
  CHECK(reg.Stats().instances == 1);
}

TEST_CASE("re-registering with a shorter lease lapses at the new deadline", "[registry]") {
  FakeClock clock;
  Registry reg(clock, NoSelfPreservation());
  REQUIRE(reg.Register(Spec("web", "web-1", 100s)).ok());
  REQUIRE(reg.Register(Spec("web", "web-1", 5s)).ok());
  CHECK(reg.NextDeadline() == clock.Now() + 5s);
  clock.Advance(5s);
  reg.Tick();
  CHECK(reg.Find("web", "web-1")->health == Health::kCritical);
  REQUIRE(reg.Register(Spec("web", "web-1", 0s)).ok());  // lease dropped
  clock.Advance(1000h);
  reg.Tick();
  CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
  CHECK_FALSE(reg.Find("web", "web-1")->lease_deadline);
}

TEST_CASE("heartbeat and status reject bad input and unknown instances", "[registry]") {
  FakeClock clock;
  Registry reg(clock, {});
  REQUIRE(reg.Register(Spec("web", "web-1", 10s)).ok());
  for (Health bad : {Health::kCritical, Health::kMaintenance}) {
    auto r = reg.Heartbeat("web", "web-1", bad);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalid);
    CHECK(r.error().field == "status");
  }
  auto long_note =
      reg.SetStatus("web", "web-1", Health::kWarning, std::string(kMaxNoteLength + 1, 'n'));
  REQUIRE_FALSE(long_note.ok());
  CHECK(long_note.error().field == "note");
  CHECK(reg.Heartbeat("web", "nope").error().code == ErrorCode::kNotFound);
  CHECK(reg.Heartbeat("nope", "web-1").error().code == ErrorCode::kNotFound);
  CHECK(reg.SetStatus("web", "nope", Health::kPassing).error().code == ErrorCode::kNotFound);
  CHECK(reg.Deregister("web", "nope").error().code == ErrorCode::kNotFound);
  CHECK(reg.Heartbeat("WEB", "Web-1").ok());  // names are case-insensitive
  auto bad = Spec("web", "web-1", 10s);
  bad.port = 65536;
  auto r = reg.Register(bad);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().field == "port");
  auto portless = Spec("web", "web-2", 10s);
  portless.port = 0;  // no port: A/AAAA only, no SRV (the Consul API's Port 0)
  CHECK(reg.Register(portless).ok());
}

TEST_CASE("the index starts at 1 and moves only on visible changes", "[registry]") {
  FakeClock clock;
  Registry reg(clock, {});
  CHECK(reg.index() == 1);
  CHECK(*reg.Register(Spec("web", "web-1", 10s)) == 2);
  CHECK(*reg.Register(Spec("api", "api-1", 10s)) == 3);
  CHECK(reg.ServiceIndex("web") == 2);
  CHECK(reg.ServiceIndex("API") == 3);
  CHECK(reg.ServiceIndex("nope") == 0);
  CHECK(*reg.Heartbeat("web", "web-1") == 3);  // renewal only
  CHECK(reg.ServiceIndex("web") == 2);
  CHECK(*reg.Heartbeat("web", "web-1", Health::kPassing, "all good") == 4);  // note changed
  CHECK(*reg.Heartbeat("web", "web-1", Health::kPassing, "all good") == 4);
  CHECK(reg.ServiceIndex("web") == 4);
  CHECK(reg.ServiceIndex("api") == 3);
  CHECK(reg.Find("web", "web-1")->index == 4);
  CHECK(reg.Find("web", "web-1")->note == "all good");
  CHECK(*reg.SetStatus("api", "api-1", Health::kPassing) == 4);  // already passing
  CHECK(*reg.SetStatus("api", "api-1", Health::kWarning) == 5);
  CHECK(*reg.Deregister("api", "api-1") == 6);
  CHECK(reg.ServiceIndex("api") == 0);  // the service went with its last instance
}

TEST_CASE("limits refuse new instances with kLimit but allow re-registration", "[registry]") {
  FakeClock clock;
  RegistryConfig config;
  config.max_instances = 3;
  config.max_instances_per_service = 2;
  Registry reg(clock, config);
  REQUIRE(reg.Register(Spec("web", "web-1")).ok());
  REQUIRE(reg.Register(Spec("web", "web-2")).ok());
  auto per_service = reg.Register(Spec("web", "web-3"));
  REQUIRE_FALSE(per_service.ok());
  CHECK(per_service.error().code == ErrorCode::kLimit);
  CHECK(per_service.error().message.find("max_instances_per_service") != std::string::npos);
  REQUIRE(reg.Register(Spec("web", "web-2", 5s)).ok());  // existing: never limited
  REQUIRE(reg.Register(Spec("api", "api-1")).ok());
  auto total = reg.Register(Spec("db", "db-1"));
  REQUIRE_FALSE(total.ok());
  CHECK(total.error().code == ErrorCode::kLimit);
  CHECK(total.error().message.find("max_instances") != std::string::npos);
  CHECK(reg.Find("db", "db-1") == nullptr);
  REQUIRE(reg.Deregister("api", "api-1").ok());
  CHECK(reg.Register(Spec("db", "db-1")).ok());
}

TEST_CASE("reads list services and instances in order with their counts", "[registry]") {
  FakeClock clock;
  Registry reg(clock, {});
  for (const char* id : {"c", "a", "b"}) REQUIRE(reg.Register(Spec("web", id)).ok());
  REQUIRE(reg.Register(Spec("api", "x")).ok());
  REQUIRE(reg.SetStatus("web", "b", Health::kWarning).ok());
  REQUIRE(reg.SetStatus("web", "c", Health::kMaintenance).ok());
  auto list = reg.Instances("Web");
  REQUIRE(list.size() == 3);
  CHECK(list[0]->id == "a");
  CHECK(list[2]->id == "c");
  CHECK(reg.Instances("nope").empty());
  auto services = reg.Services();
  REQUIRE(services.size() == 2);
  CHECK(services[0].name == "api");
  CHECK(services[1].name == "web");
  CHECK(services[1].instances == 3);
  CHECK(services[1].passing == 1);
  CHECK(services[1].warning == 1);
  RegistryStats s = reg.Stats();
  CHECK(s.services == 2);
  CHECK(s.instances == 4);
  CHECK(s.passing == 2);
  CHECK(s.warning == 1);
  CHECK(s.maintenance == 1);
  CHECK(s.critical == 0);
}

TEST_CASE("stats count lapses and removals by reason", "[registry]") {
  FakeClock clock;
  Registry reg(clock, NoSelfPreservation());
  REQUIRE(reg.Register(Spec("web", "a", 10s)).ok());
  REQUIRE(reg.Register(Spec("web", "b", 10s)).ok());
  REQUIRE(reg.Register(Spec("web", "c")).ok());
  clock.Advance(10s);
  reg.Tick();
  CHECK(reg.Stats().critical == 2);
  CHECK(reg.Stats().lease_lapses_total == 2);
  REQUIRE(reg.Deregister("web", "a").ok());
  clock.Advance(30s);
  reg.Tick();
  RegistryStats s = reg.Stats();
  CHECK(s.instances == 1);
  CHECK(s.critical == 0);
  CHECK(s.passing == 1);
  CHECK(s.removed_deregistered_total == 1);
  CHECK(s.removed_expired_total == 1);
  CHECK_FALSE(s.self_preservation_enabled);
}

TEST_CASE("observers hear every change synchronously, in order", "[registry]") {
  FakeClock clock;
  Registry reg(clock, NoSelfPreservation());
  EventLog log;
  reg.AddObserver(&log);
  REQUIRE(reg.Register(Spec("web", "web-1", 10s)).ok());
  REQUIRE(reg.Register(Spec("web", "web-1", 10s, "10.0.0.2")).ok());
  REQUIRE(reg.Heartbeat("web", "web-1").ok());  // nothing visible: no event
  REQUIRE(reg.Heartbeat("web", "web-1", Health::kWarning).ok());
  clock.Advance(10s);
  reg.Tick();
  clock.Advance(30s);
  reg.Tick();
  CHECK(log.Kinds() == std::vector<Kind>{Kind::kRegistered, Kind::kUpdated, Kind::kHealthChanged,
                                         Kind::kLeaseLapsed, Kind::kHealthChanged, Kind::kRemoved});
  const auto& removed = log.entries.back();
  CHECK(removed.service == "web");
  CHECK(removed.id == "web-1");
  CHECK(removed.reason == RemovalReason::kExpired);
  CHECK(removed.index == reg.index());
  CHECK(log.entries[3].health == Health::kCritical);
  CHECK(log.entries[0].index == 2);
  REQUIRE(reg.Register(Spec("web", "web-2")).ok());
  REQUIRE(reg.Deregister("web", "web-2").ok());
  CHECK(log.entries.back().reason == RemovalReason::kDeregistered);
  reg.RemoveObserver(&log);
  const size_t n = log.entries.size();
  REQUIRE(reg.Register(Spec("web", "web-3")).ok());
  CHECK(log.entries.size() == n);
}

TEST_CASE("Restore brings instances back with fresh leases and an index that never goes back",
          "[registry][restore]") {
  dnsd::testing::FakeClock clock;
  Registry reg(clock, RegistryConfig{});
  reg.BeginRestore();
  CHECK_FALSE(reg.view().Load()->loaded());
  Instance leased;
  // Moved in, not assigned from the literals: GCC 12 warns (-Wmaybe-uninitialized, a
  // false positive) on assigning a literal to a default-constructed string here.
  leased.service = std::string("api");
  leased.id = std::string("a1");
  leased.address = *IpAddress::Parse("10.0.0.1");
  leased.port = 80;
  leased.ttl = std::chrono::seconds(10);
  leased.deregister_after = std::chrono::seconds(60);
  leased.health = Health::kWarning;
  leased.index = 40;
  Instance critical = leased;
  critical.id = "a2";
  critical.health = Health::kCritical;
  critical.index = 41;
  REQUIRE(reg.Restore(leased).ok());
  REQUIRE(reg.Restore(critical).ok());
  CHECK_FALSE(reg.Restore(critical).ok());  // stored twice
  reg.FinishRestore(45);
  CHECK(reg.view().Load()->loaded());
  CHECK(reg.index() == 46);
  CHECK(reg.ServiceIndex("api") == 46);
  REQUIRE(reg.Find("api", "a1") != nullptr);
  CHECK(reg.Find("api", "a1")->health == Health::kWarning);
  CHECK(*reg.Find("api", "a1")->lease_deadline == clock.Now() + std::chrono::seconds(10));

  clock.Advance(std::chrono::seconds(11));  // nobody heartbeats a1: it lapses
  reg.Tick();
  CHECK(reg.Find("api", "a1")->health == Health::kCritical);
  clock.Advance(std::chrono::seconds(50));  // a2's deregister_after counts from the restore
  reg.Tick();
  CHECK(reg.Find("api", "a2") == nullptr);
}

namespace {
auto Renew() {
  return [](Registry& r, FakeClock&) { REQUIRE(r.Renew("web", "web-1").ok()); };
}
}  // namespace

TEST_CASE("Renew renews the lease and keeps every health as it is", "[registry]") {
  Run({{"register", Reg(10s), P, true},
       {"warning", Beat(W), W, true},
       {"renew keeps warning, changes nothing visible", Renew(), W, false},
       {"renewed: the old deadline passes", Wait(9s), W, false},
       {"renew again", Renew(), W, false},
       {"the app reports down", SetTo(C), C, true},
       {"renew keeps critical", Renew(), C, false},
       {"renewed critical instance outlives deregister_after", Wait(20s), C, false},
       {"renew again counts the removal from now", Renew(), C, false},
       {"still there before the new removal", Wait(29s), C, false},
       {"without renewals it is removed", Wait(1s), kGone, true}});
  Run({{"register", Reg(10s), P, true},
       {"maintenance", SetTo(M), M, true},
       {"renew keeps maintenance", Renew(), M, false}});
  FakeClock clock;
  Registry reg(clock, NoSelfPreservation());
  CHECK(reg.Renew("web", "nope").error().code == ErrorCode::kNotFound);
  REQUIRE(reg.Register(Spec("web", "web-1", 10s)).ok());
  HeartbeatCommand keep{"web", "web-1", std::nullopt, std::nullopt, true};
  CHECK(Apply(reg, keep).ok());
}

TEST_CASE("a forced registration status leaves and enters maintenance", "[registry]") {
  FakeClock clock;
  Registry reg(clock, NoSelfPreservation());
  RegisterCommand cmd;
  cmd.spec = Spec("web", "web-1", 10s);
  REQUIRE(Apply(reg, cmd).ok());
  REQUIRE(reg.SetStatus("web", "web-1", Health::kMaintenance).ok());
  cmd.status = Health::kPassing;
  REQUIRE(Apply(reg, cmd).ok());
  CHECK(reg.Find("web", "web-1")->health == Health::kMaintenance);  // not forced: it stays
  cmd.force_status = true;
  REQUIRE(Apply(reg, cmd).ok());
  CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
  cmd.status = Health::kMaintenance;
  REQUIRE(Apply(reg, cmd).ok());
  CHECK(reg.Find("web", "web-1")->health == Health::kMaintenance);
  cmd.status = Health::kCritical;
  REQUIRE(Apply(reg, cmd).ok());
  CHECK(reg.Find("web", "web-1")->health == Health::kCritical);
}
