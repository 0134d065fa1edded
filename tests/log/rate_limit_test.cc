#include "dnsd/log/rate_limit.h"

#include <catch2/catch.hpp>

namespace dnsd::log {
namespace {

using std::chrono::milliseconds;
using std::chrono::seconds;
using Time = RateLimiter::Clock::time_point;

const Time kT0 = Time{} + seconds(1000);

TEST_CASE("the default limiter lets one line through per 10 s", "[log][rate]") {
  RateLimiter limiter;
  uint64_t suppressed = 99;
  REQUIRE(limiter.Allow(kT0, &suppressed));
  CHECK(suppressed == 0);
  suppressed = 99;
  CHECK_FALSE(limiter.Allow(kT0, &suppressed));
  CHECK(suppressed == 99);  // untouched when refused
  CHECK_FALSE(limiter.Allow(kT0 + milliseconds(9999), &suppressed));
  CHECK(limiter.pending_suppressed() == 2);
  REQUIRE(limiter.Allow(kT0 + seconds(10), &suppressed));
  CHECK(suppressed == 2);
  CHECK(limiter.pending_suppressed() == 0);
}

TEST_CASE("a burst passes, the rest of the window is counted, the next window reports it",
          "[log][rate]") {
  RateLimiter limiter(3, seconds(1));
  uint64_t suppressed = 0;
  for (int i = 0; i < 3; ++i) {
    REQUIRE(limiter.Allow(kT0 + milliseconds(i), &suppressed));
    CHECK(suppressed == 0);
  }
  for (int i = 0; i < 50; ++i) CHECK_FALSE(limiter.Allow(kT0 + milliseconds(10 + i), &suppressed));
  REQUIRE(limiter.Allow(kT0 + seconds(1), &suppressed));
  CHECK(suppressed == 50);
  // The new window has room for two more before refusing again.
  CHECK(limiter.Allow(kT0 + seconds(1), &suppressed));
  CHECK(suppressed == 0);
  CHECK(limiter.Allow(kT0 + seconds(1), &suppressed));
  CHECK_FALSE(limiter.Allow(kT0 + seconds(1), &suppressed));
}

TEST_CASE("after a quiet spell every call is allowed again with nothing suppressed",
          "[log][rate]") {
  RateLimiter limiter(1, seconds(10));
  uint64_t suppressed = 7;
  Time t = kT0;
  for (int i = 0; i < 5; ++i, t += seconds(11)) {
    REQUIRE(limiter.Allow(t, &suppressed));
    CHECK(suppressed == 0);
  }
}

TEST_CASE("suppressed may be null and edge settings are sane", "[log][rate]") {
  struct Case {
    uint32_t burst;
    RateLimiter::Clock::duration interval;
    int allowed_at_once;
  };
  const Case cases[] = {
      {0, seconds(1), 1},  // burst 0 acts as 1
      {2, seconds(1), 2},
      {1, seconds(0), 10},   // no interval: no limit
      {1, -seconds(1), 10},  // negative likewise
  };
  for (const Case& c : cases) {
    RateLimiter limiter(c.burst, c.interval);
    int allowed = 0;
    for (int i = 0; i < 10; ++i) allowed += limiter.Allow(kT0, nullptr) ? 1 : 0;
    CHECK(allowed == c.allowed_at_once);
  }
}

TEST_CASE("a clock that goes backwards opens a new window instead of stalling", "[log][rate]") {
  RateLimiter limiter(1, seconds(10));
  uint64_t suppressed = 0;
  REQUIRE(limiter.Allow(kT0, &suppressed));
  CHECK_FALSE(limiter.Allow(kT0 + seconds(1), &suppressed));
  REQUIRE(limiter.Allow(kT0 - seconds(1), &suppressed));
  CHECK(suppressed == 1);
}

}  // namespace
}  // namespace dnsd::log
