#include <catch2/catch.hpp>

#include "dnsd/config/config.h"

namespace {

std::vector<std::string> Problems(const dnsd::config::Config& cfg) {
  std::vector<dnsd::config::ConfigError> errors;
  dnsd::config::Validate(cfg, errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.ToString());
  return out;
}

}  // namespace

TEST_CASE("The default configuration is valid", "[config]") {
  CHECK(Problems(dnsd::config::Config{}).empty());
}

TEST_CASE("Validate checks values set in code and across keys", "[config]") {
  using dnsd::config::Config;
  struct Case {
    const char* what;
    void (*change)(Config&);
    std::vector<std::string> errors;
  } cases[] = {
      {"threshold 0",
       [](Config& c) { c.registry.self_preservation.threshold = 0; },
       {"registry.self_preservation.threshold: must be greater than 0 and at most 1, got 0"}},
      {"max_udp_size",
       [](Config& c) { c.dns.max_udp_size = 100; },
       {"dns.max_udp_size: must be between 512 and 65535, got 100"}},
      {"domain",
       [](Config& c) { c.dns.domain = "bad domain."; },
       {"dns.domain: \"bad domain.\" is not a valid domain name: only letters, digits, '-' and "
        "'_' are allowed"}},
      {"cluster with a data dir",
       [](Config& c) {
         c.cluster.etcd = {"http://127.0.0.1:2379"};
         c.storage.data_dir = "/var/lib/dnsd";
       },
       {"cluster.etcd: cannot be used with storage.data_dir: etcd holds the registry"}},
      {"etcd endpoint without a scheme",
       [](Config& c) { c.cluster.etcd = {"127.0.0.1:2379"}; },
       {"cluster.etcd[0]: \"127.0.0.1:2379\" is not an etcd endpoint: expected http://HOST:PORT"}},
      {"agent server with another scheme",
       [](Config& c) { c.agent.servers = {"https://10.0.0.2:8500", "ftp://10.0.0.3:21"}; },
       {"agent.servers[1]: \"ftp://10.0.0.3:21\" is not a dnsd server: expected "
        "http://HOST:PORT or https://HOST:PORT"}},
      {"agent CA file without servers",
       [](Config& c) { c.agent.ca_file = "/etc/dnsd/ca.pem"; },
       {"agent.ca_file: needs agent.servers: the https:// servers it verifies"}},
      {"cluster prefix",
       [](Config& c) { c.cluster.prefix = "dnsd"; },
       {"cluster.prefix: must start and end with '/' (e.g. /dnsd/), got \"dnsd\""}},
      {"session_ttl",
       [](Config& c) { c.cluster.session_ttl = std::chrono::milliseconds(500); },
       {"cluster.session_ttl: must be between 2s and 1h, got 500ms"}},
      {"log level",
       [](Config& c) { c.log.level = "trace"; },
       {"log.level: must be one of debug, info, warn, error; got \"trace\""}},
      {"upstream",
       [](Config& c) {
         c.dns.upstreams = {"10.0.0.1", "x"};
       },
       {"dns.upstreams[1]: \"x\" is not an upstream: expected an IP address with an optional "
        "port (10.0.0.2, 10.0.0.2:53, [2001:db8::1]:53) or \"system\""}},
      {"advertise",
       [](Config& c) { c.dns.advertise = {"ns1"}; },
       {"dns.advertise[0]: \"ns1\" is not an IPv4 or IPv6 address"}},
      {"no dns listener",
       [](Config& c) { c.dns.listen.clear(); },
       {"dns.listen: needs at least one address"}},
      {"duplicate",
       [](Config& c) {
         c.dns.listen = {{"127.0.0.1", 53}, {"127.0.0.1", 53}};
       },
       {"dns.listen: 127.0.0.1:53 is listed twice"}},
      {"port 0 twice is fine",
       [](Config& c) {
         c.dns.listen = {{"127.0.0.1", 0}, {"127.0.0.1", 0}};
       },
       {}},
      {"http on the dns port",
       [](Config& c) {
         c.http.listen = {{"127.0.0.1", 8600}};
       },
       {"http.listen: 127.0.0.1:8600 is also a dns.listen address"}},
      {"window 0",
       [](Config& c) { c.registry.self_preservation.window = {}; },
       {"registry.self_preservation.window: must be between 1ms and 24h, got 0s"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.what);
    Config cfg;
    c.change(cfg);
    CHECK(Problems(cfg) == c.errors);
  }
}
