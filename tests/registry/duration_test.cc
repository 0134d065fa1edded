#include "registry/duration.h"

#include <catch2/catch.hpp>

namespace registry {
namespace {

using std::chrono::milliseconds;

TEST_CASE("durations in SPEC forms parse to milliseconds", "[registry][duration]") {
  struct Case {
    const char* text;
    int64_t ms;
  };
  const Case cases[] = {
      {"500ms", 500}, {"10s", 10'000},          {"1m30s", 90'000}, {"2h", 7'200'000},
      {"0", 0},       {"10", 10'000},           {"1.5", 1'500},    {"1.5s", 1'500},
      {"0s", 0},      {"1h1m1s1ms", 3'661'001}, {"0.0005", 1},     {"250ms", 250},
  };
  for (const Case& c : cases) {
    INFO(c.text);
    std::optional<registry::Duration> d = ParseDuration(c.text);
    REQUIRE(d);
    CHECK(d->count() == c.ms);
  }
}

TEST_CASE("malformed or negative durations are rejected", "[registry][duration]") {
  const char* bad[] = {"",   "-1",   "-5s", "abc",  "10x", "s",   "1.",
                       ".5", "1m30", "1 s", "10s ", "1e3", "+5s", "99999999999999999999h",
                       "5d"};
  for (const char* text : bad) {
    INFO(text);
    CHECK_FALSE(ParseDuration(text));
  }
}

TEST_CASE("numbers of seconds convert with millisecond precision", "[registry][duration]") {
  CHECK(DurationFromSeconds(2.25) == milliseconds(2250));
  CHECK(DurationFromSeconds(0) == milliseconds(0));
  CHECK_FALSE(DurationFromSeconds(-0.5));
  CHECK_FALSE(DurationFromSeconds(1e300));
  CHECK(ToSeconds(milliseconds(7500)) == Approx(7.5));
}

}  // namespace
}  // namespace registry
