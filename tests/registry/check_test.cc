#include "registry/check.h"

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

CheckSpec Http(std::string url) {
  CheckSpec c;
  c.kind = CheckKind::kHttp;
  c.target = std::move(url);
  return c;
}

CheckSpec Tcp(std::string target) {
  CheckSpec c;
  c.kind = CheckKind::kTcp;
  c.target = std::move(target);
  return c;
}

std::string FieldOf(const Status& s) { return s ? std::string() : s.error().field; }

}  // namespace

TEST_CASE("check URLs: http(s), a host, an optional port", "[check]") {
  for (const char* good : {"http://127.0.0.1:8080/healthz", "https://example.com", "http://h/",
                           "http://[::1]:80/x?y=1", "http://a.b-c_d:1/p#f"}) {
    INFO(good);
    CHECK(IsCheckUrl(good));
  }
  for (const char* bad : {"", "ftp://h/", "http://", "http://:80/", "http://h:0/", "http://h:65536",
                          "http://h:8x/", "http://h /", "http://u:p@h/", "http://[1.2.3.4]/",
                          "127.0.0.1:80", "http://[::1/"}) {
    INFO(bad);
    CHECK_FALSE(IsCheckUrl(bad));
  }
}

TEST_CASE("check host:port targets", "[check]") {
  for (const char* good : {"127.0.0.1:5432", "db:1", "[::1]:53", "a.example:65535"}) {
    INFO(good);
    CHECK(IsHostPort(good));
  }
  for (const char* bad : {"", "127.0.0.1", ":80", "h:0", "h:", "h:99999", "[::1]", "::1:53",
                          "h p:1", "[1.2.3.4]:1"}) {
    INFO(bad);
    CHECK_FALSE(IsHostPort(bad));
  }
}

TEST_CASE("check validation names the field", "[check]") {
  CHECK(FieldOf(ValidateChecks({Http("http://h/")})).empty());
  CHECK(FieldOf(ValidateChecks({Http("http://h/"), Http("nope")})) == "checks[1].http");
  CHECK(FieldOf(ValidateChecks({Tcp("nope")})) == "checks[0].tcp");
  CheckSpec fast = Http("http://h/");
  fast.interval = 50ms;
  CHECK(FieldOf(ValidateChecks({fast})) == "checks[0].interval");
  CheckSpec zero = Tcp("h:1");
  zero.failures_before_critical = 0;
  CHECK(FieldOf(ValidateChecks({zero})) == "checks[0].failures_before_critical");
  zero.failures_before_critical = 1;
  zero.success_before_passing = 101;
  CHECK(FieldOf(ValidateChecks({zero})) == "checks[0].success_before_passing");
  CheckSpec exec;
  exec.kind = CheckKind::kExec;
  CHECK(FieldOf(ValidateChecks({exec})) == "checks[0].args");
  CHECK(FieldOf(ValidateChecks(std::vector<CheckSpec>(kMaxChecks + 1, Tcp("h:1")))) == "checks");
}

TEST_CASE("the timeout defaults to the interval, capped, and never exceeds it", "[check]") {
  CheckSpec c = Http("http://h/");
  c.interval = 200ms;
  CHECK(c.EffectiveTimeout() == 200ms);
  c.interval = 1min;
  CHECK(c.EffectiveTimeout() == kMaxCheckTimeout);
  c.timeout = 30s;
  CHECK(c.EffectiveTimeout() == 30s);
  c.interval = 1s;
  CHECK(c.EffectiveTimeout() == 1s);
}

TEST_CASE("a registration with a bad check stores nothing", "[check]") {
  FakeClock clock;
  Registry reg(clock, RegistryConfig{});
  InstanceSpec s = Spec("web", "web-1");
  s.checks = {Http("gopher://h/")};
  Result<uint64_t> r = reg.Register(s);
  REQUIRE_FALSE(r);
  CHECK(r.error().field == "checks[0].http");
  CHECK(reg.Find("web", "web-1") == nullptr);
}

TEST_CASE("health is the worst of the checks and the lease", "[check]") {
  FakeClock clock;
  RegistryConfig config;
  config.self_preservation.enabled = false;
  Registry reg(clock, config);
  EventLog log;
  reg.AddObserver(&log);
  InstanceSpec s = Spec("web", "web-1", 10s);
  s.checks = {Http("http://h/"), Tcp("h:1")};
  REQUIRE(reg.Register(s));
  const Instance* in = reg.Find("web", "web-1");
  REQUIRE(in->checks.size() == 2);
  CHECK(in->health == Health::kPassing);  // checks start passing
  CHECK(in->checks[0].last_run_ms == 0);

  uint64_t before = reg.index();
  REQUIRE(reg.SetCheckResult("web", "web-1", 1, Health::kWarning, "slow", 1000));
  CHECK(reg.index() == before + 1);
  CHECK(reg.Find("web", "web-1")->health == Health::kWarning);
  CHECK(log.entries.back().kind == Kind::kHealthChanged);

  REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kCritical, "HTTP 500", 1100));
  CHECK(reg.Find("web", "web-1")->health == Health::kCritical);

  SECTION("the same result again is no visible change, only last_run") {
    before = reg.index();
    const size_t events = log.entries.size();
    REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kCritical, "HTTP 500", 1200));
    CHECK(reg.index() == before);
    CHECK(log.entries.size() == events);
    CHECK(reg.Find("web", "web-1")->checks[0].last_run_ms == 1200);
    reg.NoteCheckRun("web", "web-1", 0, 1300);
    CHECK(reg.Find("web", "web-1")->checks[0].last_run_ms == 1300);
    CHECK(reg.index() == before);
  }
  SECTION("a new output alone is visible, the health stays") {
    before = reg.index();
    REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kCritical, "HTTP 503", 1200));
    CHECK(reg.index() == before + 1);
    CHECK(log.entries.back().kind == Kind::kNoteChanged);
  }
  SECTION("a heartbeat does not hide a failing check") {
    REQUIRE(reg.Heartbeat("web", "web-1"));
    CHECK(reg.Find("web", "web-1")->health == Health::kCritical);
    REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kPassing, "HTTP 200", 1300));
    CHECK(reg.Find("web", "web-1")->health == Health::kWarning);
    REQUIRE(reg.SetCheckResult("web", "web-1", 1, Health::kPassing, "ok", 1300));
    CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
  }
  SECTION("a lapsed lease stays critical when the checks pass") {
    REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kPassing, "HTTP 200", 1300));
    REQUIRE(reg.SetCheckResult("web", "web-1", 1, Health::kPassing, "ok", 1300));
    clock.Advance(11s);
    reg.Tick();
    CHECK(reg.Find("web", "web-1")->health == Health::kCritical);
    REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kWarning, "HTTP 429", 1400));
    CHECK(reg.Find("web", "web-1")->health == Health::kCritical);
    REQUIRE(reg.Heartbeat("web", "web-1"));
    CHECK(reg.Find("web", "web-1")->health == Health::kWarning);
  }
  SECTION("maintenance overrides the checks") {
    REQUIRE(reg.SetStatus("web", "web-1", Health::kMaintenance));
    REQUIRE(reg.SetCheckResult("web", "web-1", 1, Health::kCritical, "x", 1300));
    CHECK(reg.Find("web", "web-1")->health == Health::kMaintenance);
    REQUIRE(reg.SetStatus("web", "web-1", Health::kPassing));
    CHECK(reg.Find("web", "web-1")->health == Health::kCritical);
  }
  SECTION("a critical check removes the instance after deregister_after") {
    clock.Advance(config.deregister_after + 1s);
    REQUIRE(reg.Heartbeat("web", "web-1"));  // the lease is fine; the check is not
    reg.Tick();
    CHECK(reg.Find("web", "web-1") == nullptr);
  }
  SECTION("re-registering keeps the results of unchanged checks, resets changed ones") {
    InstanceSpec again = s;
    again.checks[1].interval = 5s;
    REQUIRE(reg.Register(again));
    in = reg.Find("web", "web-1");
    CHECK(in->checks[0].status == Health::kCritical);
    CHECK(in->checks[1].status == Health::kPassing);
    CHECK(in->health == Health::kCritical);
    again.checks.clear();
    REQUIRE(reg.Register(again));
    CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
  }
  reg.RemoveObserver(&log);
}

TEST_CASE("check results for unknown instances or checks are refused", "[check]") {
  FakeClock clock;
  Registry reg(clock, RegistryConfig{});
  InstanceSpec s = Spec("web", "web-1");
  s.checks = {Http("http://h/")};
  REQUIRE(reg.Register(s));
  CHECK(reg.SetCheckResult("web", "nope", 0, Health::kCritical, "", 1).error().code ==
        ErrorCode::kNotFound);
  CHECK(reg.SetCheckResult("web", "web-1", 1, Health::kCritical, "", 1).error().field == "check");
  CHECK(reg.SetCheckResult("web", "web-1", 0, Health::kMaintenance, "", 1).error().field ==
        "status");
  CHECK(reg.Owned("web", "web-1"));
}

namespace {

CheckSpec Ttl(Duration ttl) {
  CheckSpec c;
  c.kind = CheckKind::kTtl;
  c.interval = ttl;
  return c;
}

}  // namespace

TEST_CASE("a TTL check is a lease of its own, beside the instance's", "[check][ttl]") {
  FakeClock clock;
  RegistryConfig config;
  config.self_preservation.enabled = false;
  Registry reg(clock, config);
  EventLog log;
  reg.AddObserver(&log);
  InstanceSpec s = Spec("web", "web-1", 10s);
  s.checks = {Ttl(3s), Ttl(6s)};
  REQUIRE(reg.Register(s));
  CHECK(reg.Find("web", "web-1")->health == Health::kPassing);  // they start passing

  SECTION("each runs out on its own, at its deadline") {
    clock.Advance(2s);
    REQUIRE(reg.Heartbeat("web", "web-1"));  // the lease only
    clock.Advance(999ms);
    reg.Tick();
    CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
    CHECK(reg.NextDeadline() == clock.Now() + 1ms);
    clock.Advance(1ms);
    const uint64_t before = reg.index();
    reg.Tick();
    const Instance* in = reg.Find("web", "web-1");
    CHECK(in->health == Health::kCritical);
    CHECK(in->own_health == Health::kPassing);  // the lease is fine
    CHECK(in->checks[0].status == Health::kCritical);
    CHECK(in->checks[0].output == "TTL expired");
    CHECK(in->checks[1].status == Health::kPassing);
    CHECK(reg.index() == before + 1);
    CHECK(log.entries.back().kind == Kind::kHealthChanged);

    SECTION("its heartbeat makes it passing again and renews only it") {
      REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kPassing, "", 3000));
      CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
      clock.Advance(2s);
      REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kPassing, "", 5000));
      clock.Advance(1s);  // 6 s after registering: the second one runs out
      reg.Tick();
      in = reg.Find("web", "web-1");
      CHECK(in->checks[0].status == Health::kPassing);
      CHECK(in->checks[1].status == Health::kCritical);
      CHECK(in->health == Health::kCritical);
    }
    SECTION("critical, it is removed after deregister_after") {
      clock.Advance(config.deregister_after);
      REQUIRE(reg.Heartbeat("web", "web-1"));
      REQUIRE(reg.SetCheckResult("web", "web-1", 1, Health::kPassing, "", 1));
      reg.Tick();
      CHECK(reg.Find("web", "web-1") == nullptr);
    }
    SECTION("re-registering renews every TTL check") {
      REQUIRE(reg.Register(s));
      CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
      clock.Advance(2999ms);
      reg.Tick();
      CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
    }
  }
  SECTION("a heartbeat that changes nothing visible still renews it") {
    for (int i = 0; i < 5; ++i) {
      clock.Advance(2s);
      const uint64_t before = reg.index();
      REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kPassing, "", 1));
      REQUIRE(reg.SetCheckResult("web", "web-1", 1, Health::kPassing, "", 1));
      REQUIRE(reg.Heartbeat("web", "web-1"));
      CHECK(reg.index() == before);
      reg.Tick();
      CHECK(reg.Find("web", "web-1")->health == Health::kPassing);
    }
  }
  SECTION("a failed one stays critical until its next pass, past its TTL") {
    REQUIRE(reg.SetCheckResult("web", "web-1", 1, Health::kCritical, "down", 1));
    CHECK(reg.Find("web", "web-1")->health == Health::kCritical);
    clock.Advance(7s);
    REQUIRE(reg.Heartbeat("web", "web-1"));
    REQUIRE(reg.SetCheckResult("web", "web-1", 0, Health::kPassing, "", 1));
    reg.Tick();
    CHECK(reg.Find("web", "web-1")->checks[1].output == "down");
    REQUIRE(reg.SetCheckResult("web", "web-1", 1, Health::kWarning, "slow", 1));
    CHECK(reg.Find("web", "web-1")->health == Health::kWarning);
  }
  reg.RemoveObserver(&log);
}

TEST_CASE("a TTL check has no target and a TTL of 100ms to 24h", "[check][ttl]") {
  CHECK(ValidateCheck(Ttl(1s), "checks[0]"));
  CHECK(ValidateCheck(Ttl(50ms), "checks[0]").error().field == "checks[0].ttl");
  CHECK(ValidateCheck(Ttl(25h), "checks[0]").error().field == "checks[0].ttl");
  CheckSpec with_target = Ttl(1s);
  with_target.target = "h:1";
  CHECK(ValidateCheck(with_target, "checks[0]").error().field == "checks[0].ttl");
}
