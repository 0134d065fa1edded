#include "dnsd/config/values.h"

#include <catch2/catch.hpp>

using dnsd::config::Duration;
using namespace std::chrono_literals;

TEST_CASE("Durations parse as in SPEC section 4", "[config]") {
  struct Case {
    const char* text;
    std::optional<Duration> want;
  } cases[] = {
      {"500ms", 500ms},
      {"10s", 10s},
      {"1m30s", 90s},
      {"2h", 2h},
      {"10", 10s},
      {"0", 0ms},
      {"1.5", 1500ms},
      {"0.25s", 250ms},
      {"1h2m3s4ms", 3723004ms},
      {"90m", 90min},
      {"0s", 0ms},
      {"", std::nullopt},
      {"-5s", std::nullopt},
      {"-1", std::nullopt},
      {"5x", std::nullopt},
      {"s", std::nullopt},
      {"10 s", std::nullopt},
      {"1.2.3", std::nullopt},
      {"1m30", std::nullopt},
      {"ms", std::nullopt},
      {"1d", std::nullopt},
      {"99999999999999999999", std::nullopt},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    CHECK(dnsd::config::ParseDuration(c.text) == c.want);
  }
}

TEST_CASE("Durations print in their shortest exact form", "[config]") {
  CHECK(dnsd::config::FormatDuration(0ms) == "0s");
  CHECK(dnsd::config::FormatDuration(90s) == "1m30s");
  CHECK(dnsd::config::FormatDuration(1500ms) == "1s500ms");
  CHECK(dnsd::config::FormatDuration(2h) == "2h");
}

TEST_CASE("Upstreams, domains and IP literals are checked", "[config]") {
  using namespace dnsd::config;
  for (const char* ok :
       {"10.0.0.2", "10.0.0.2:5353", "[2001:db8::1]:53", "2001:db8::1", "system"}) {
    CAPTURE(ok);
    CHECK(CheckUpstream(ok).empty());
  }
  for (const char* bad : {"10.0.0.2:0", "dns.google", "System", "10.0.0.2:53:1", ""}) {
    CAPTURE(bad);
    CHECK_FALSE(CheckUpstream(bad).empty());
  }
  CHECK(NormalizeDomain("Consul") == "consul.");
  CHECK(NormalizeDomain("discovery.") == "discovery.");
  CHECK(CheckDomain("consul.").empty());
  CHECK(CheckDomain("svc.cluster_1.local.").empty());
  CHECK(CheckDomain(".") == "must be a domain name such as discovery. or consul.");
  CHECK(CheckDomain("a..b.") == "\"a..b.\" is not a valid domain name: empty label");
  CHECK(CheckDomain("-a.") ==
        "\"-a.\" is not a valid domain name: a label starts or ends with '-'");
  CHECK(CheckDomain("a b.") ==
        "\"a b.\" is not a valid domain name: only letters, digits, '-' and '_' are allowed");
  CHECK(CheckDomain(std::string(64, 'a') + ".") ==
        "\"" + std::string(64, 'a') +
            ".\" is not a valid domain name: a label is longer than 63 characters");
  CHECK(CheckIpLiteral("fd00::1").empty());
  CHECK(CheckIpLiteral("host") == "\"host\" is not an IPv4 or IPv6 address");
}

TEST_CASE("ConfigError prints source, line, key and message", "[config]") {
  using dnsd::config::ConfigError;
  CHECK(ConfigError{"dnsd.yaml", 12, "dns.ttl", "bad"}.ToString() == "dnsd.yaml:12: dns.ttl: bad");
  CHECK(ConfigError{"command line", 0, "--ttl", "bad"}.ToString() == "command line: --ttl: bad");
  CHECK(ConfigError{"", 0, "dns.listen", "bad"}.ToString() == "dns.listen: bad");
  CHECK(ConfigError{"f", 3, "", "bad"}.ToString() == "f:3: bad");
}
