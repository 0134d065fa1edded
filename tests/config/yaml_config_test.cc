#include <catch2/catch.hpp>

#include "dnsd/config/config.h"

namespace {

using dnsd::config::Config;
using namespace std::chrono_literals;

std::vector<std::string> Apply(const std::string& text, Config& cfg) {
  std::vector<dnsd::config::ConfigError> errors;
  dnsd::config::ApplyYaml(text, "dnsd.yaml", cfg, errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.ToString());
  return out;
}

}  // namespace

TEST_CASE("The SPEC section 6 configuration applies without problems", "[config]") {
  const char* text = R"(
dns:
  listen: ["127.0.0.1:0", "[::1]:0"]
  domain: Consul
  ttl: 7
  negative_ttl: 3
  max_udp_size: 4096
  udp_answer_limit: 3
  include_warning: true
  upstreams: ["10.0.0.2", "[2001:db8::1]:53", system]
  upstream_timeout: 500ms
  workers: 2
  tcp_idle_timeout: 1m30s
  tcp_max_connections: 10
  advertise: [10.0.0.1, "fd00::1"]
  chaos: true
http:
  listen: ["127.0.0.1:8501"]
  tokens: [secret]
  max_body: 1024
registry:
  deregister_after: 2h
  max_instances: 50
  self_preservation: {enabled: false, threshold: 0.25, window: 30, min_instances: 3}
zones:
  dir: /etc/dnsd/zones
storage:
  data_dir: /var/lib/dnsd
log:
  level: DEBUG
  format: json
)";
  Config cfg;
  REQUIRE(Apply(text, cfg).empty());
  CHECK(cfg.dns.listen.size() == 2);
  CHECK(cfg.dns.listen[1].ToString() == "[::1]:0");
  CHECK(cfg.dns.domain == "consul.");
  CHECK(cfg.dns.ttl == 7);
  CHECK(cfg.dns.negative_ttl == 3);
  CHECK(cfg.dns.max_udp_size == 4096);
  CHECK(cfg.dns.udp_answer_limit == 3);
  CHECK(cfg.dns.include_warning);
  CHECK(cfg.dns.upstreams == std::vector<std::string>{"10.0.0.2", "[2001:db8::1]:53", "system"});
  CHECK(cfg.dns.upstream_timeout == 500ms);
  CHECK(cfg.dns.workers == 2);
  CHECK(cfg.dns.tcp_idle_timeout == 90s);
  CHECK(cfg.dns.tcp_max_connections == 10);
  CHECK(cfg.dns.advertise == std::vector<std::string>{"10.0.0.1", "fd00::1"});
  CHECK(cfg.dns.chaos);
  CHECK(cfg.http.listen[0].port == 8501);
  REQUIRE(cfg.http.tokens.size() == 1);
  CHECK(cfg.http.tokens[0].token == "secret");
  CHECK_FALSE(cfg.http.tokens[0].scoped);
  CHECK(cfg.http.max_body == 1024);
  CHECK(cfg.registry.deregister_after == 2h);
  CHECK(cfg.registry.max_instances == 50);
  CHECK_FALSE(cfg.registry.self_preservation.enabled);
  CHECK(cfg.registry.self_preservation.threshold == 0.25);
  CHECK(cfg.registry.self_preservation.window == 30s);
  CHECK(cfg.registry.self_preservation.min_instances == 3);
  CHECK(cfg.zones.dir == "/etc/dnsd/zones");
  CHECK(cfg.zones_dir_explicit);
  CHECK(cfg.storage.data_dir == "/var/lib/dnsd");
  CHECK(cfg.log.level == "debug");
  CHECK(cfg.log.format == "json");
}

TEST_CASE("Keys left out keep their defaults", "[config]") {
  for (const char* text : {"", "# only a comment\n", "dns:\n", "dns: {ttl: 9}\n"}) {
    CAPTURE(text);
    Config cfg;
    REQUIRE(Apply(text, cfg).empty());
    CHECK(cfg.dns.listen[0].ToString() == "127.0.0.1:8600");
    CHECK(cfg.http.listen[0].ToString() == "127.0.0.1:8500");
    CHECK(cfg.dns.domain == "discovery.");
    CHECK(cfg.registry.self_preservation.enabled);
    CHECK(cfg.zones.dir == "zones/");
    CHECK_FALSE(cfg.zones_dir_explicit);
  }
}

TEST_CASE("Self-preservation may be written as a nested block", "[config]") {
  Config cfg;
  REQUIRE(
      Apply("registry:\n  self_preservation:\n    enabled: false\n    window: 2m\n", cfg).empty());
  CHECK_FALSE(cfg.registry.self_preservation.enabled);
  CHECK(cfg.registry.self_preservation.window == 2min);
  CHECK(cfg.registry.self_preservation.threshold == 0.5);
}

TEST_CASE("Bad configurations name the line and the key", "[config]") {
  struct Case {
    const char* text;
    std::vector<std::string> errors;
  } cases[] = {
      {"dns:\n  tll: 5\n", {"dnsd.yaml:2: dns.tll: unknown key (did you mean dns.ttl?)"}},
      {"dsn:\n  ttl: 5\n", {"dnsd.yaml:1: dsn: unknown key"}},
      {"dns:\n  ttl: five\n", {"dnsd.yaml:2: dns.ttl: must be a whole number, got \"five\""}},
      {"dns:\n  ttl: -1\n", {"dnsd.yaml:2: dns.ttl: must be a whole number, got \"-1\""}},
      {"dns:\n  ttl: 2147483648\n",
       {"dnsd.yaml:2: dns.ttl: must be between 0 and 2147483647, got 2147483648"}},
      {"dns:\n  ttl: 99999999999999999999999\n",
       {"dnsd.yaml:2: dns.ttl: must be between 0 and 2147483647, got 99999999999999999999999"}},
      {"dns:\n  ttl:\n", {"dnsd.yaml:2: dns.ttl: missing value"}},
      {"dns:\n  ttl: [5]\n",
       {"dnsd.yaml:2: dns.ttl: must be a single value (integer), not a list"}},
      {"dns:\n  max_udp_size: 511\n",
       {"dnsd.yaml:2: dns.max_udp_size: must be between 512 and 65535, got 511"}},
      {"dns:\n  max_udp_size: 65536\n",
       {"dnsd.yaml:2: dns.max_udp_size: must be between 512 and 65535, got 65536"}},
      {"dns:\n  chaos: maybe\n", {"dnsd.yaml:2: dns.chaos: must be true or false, got \"maybe\""}},
      {"dns:\n  domain: \"a..b\"\n",
       {"dnsd.yaml:2: dns.domain: \"a..b.\" is not a valid domain name: empty label"}},
      {"dns:\n  domain: .\n",
       {"dnsd.yaml:2: dns.domain: must be a domain name such as discovery. or consul."}},
      {"dns:\n  listen: 127.0.0.1:53\n",
       {"dnsd.yaml:2: dns.listen: must be a list, e.g. [\"a\", \"b\"]"}},
      {"dns:\n  listen:\n    - 127.0.0.1:53\n    - localhost:53\n",
       {"dnsd.yaml:4: dns.listen[1]: \"localhost:53\" is not an address: expected IP:PORT, "
        "[IPv6]:PORT or IP"}},
      {"dns:\n  upstreams: [\"10.0.0.2:0\"]\n",
       {"dnsd.yaml:2: dns.upstreams[0]: \"10.0.0.2:0\" is not an upstream: expected an IP "
        "address with an optional port (10.0.0.2, 10.0.0.2:53, [2001:db8::1]:53) or \"system\""}},
      {"dns:\n  upstreams: [[1]]\n", {"dnsd.yaml:2: dns.upstreams[0]: must be a string"}},
      {"dns:\n  advertise: [ns.example.]\n",
       {"dnsd.yaml:2: dns.advertise[0]: \"ns.example.\" is not an IPv4 or IPv6 address"}},
      {"dns:\n  upstream_timeout: 10 s\n",
       {"dnsd.yaml:2: dns.upstream_timeout: must be a duration such as \"500ms\", \"10s\", "
        "\"1m30s\", \"2h\" or a number of seconds, got \"10 s\""}},
      {"dns:\n  upstream_timeout: 0\n",
       {"dnsd.yaml:2: dns.upstream_timeout: must be between 1ms and 1m, got 0"}},
      {"dns:\n  upstream_timeout: -2s\n",
       {"dnsd.yaml:2: dns.upstream_timeout: must be a duration such as \"500ms\", \"10s\", "
        "\"1m30s\", \"2h\" or a number of seconds, got \"-2s\""}},
      {"http:\n  tokens: [\"\"]\n",
       {"dnsd.yaml:2: http.tokens[0]: a token must not be empty or contain whitespace"}},
      {"registry:\n  self_preservation: {threshold: 0}\n",
       {"dnsd.yaml:2: registry.self_preservation.threshold: must be greater than 0 and at most "
        "1, got 0"}},
      {"registry:\n  self_preservation: {threshold: 1.01}\n",
       {"dnsd.yaml:2: registry.self_preservation.threshold: must be greater than 0 and at most "
        "1, got 1.01"}},
      {"registry:\n  self_preservation: {threshold: half}\n",
       {"dnsd.yaml:2: registry.self_preservation.threshold: must be a number, got \"half\""}},
      {"registry:\n  self_preservation: true\n",
       {"dnsd.yaml:2: registry.self_preservation: must be a map of keys (enabled, threshold, "
        "window, min_instances)"}},
      {"log:\n  level: verbose\n",
       {"dnsd.yaml:2: log.level: must be one of debug, info, warn, error; got \"verbose\""}},
      {"log:\n  format: xml\n",
       {"dnsd.yaml:2: log.format: must be one of text, json; got \"xml\""}},
      {"log:\n  level: info\n  level: debug\n", {"dnsd.yaml:3: log.level: given twice"}},
      {"- dns\n",
       {"dnsd.yaml:1: the configuration must be a map of sections (dns, http, registry, zones, "
        "storage, cluster, agent, consul, log)"}},
      {"dns: [\n", {"dnsd.yaml:2: YAML syntax error: end of sequence flow not found"}},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    Config cfg;
    CHECK(Apply(c.text, cfg) == c.errors);
  }
}

TEST_CASE("Every problem in a file is reported at once and good keys still apply", "[config]") {
  const char* text = R"(dns:
  ttl: 10
  tll: 5
  max_udp_size: 100
  domain: Example
http:
  listen: ["nope"]
  max_body: 0
log:
  level: loud
bogus: 1
)";
  Config cfg;
  CHECK(Apply(text, cfg) ==
        std::vector<std::string>{
            "dnsd.yaml:3: dns.tll: unknown key (did you mean dns.ttl?)",
            "dnsd.yaml:4: dns.max_udp_size: must be between 512 and 65535, got 100",
            "dnsd.yaml:7: http.listen[0]: \"nope\" is not an address: expected IP:PORT, "
            "[IPv6]:PORT or IP",
            "dnsd.yaml:8: http.max_body: must be between 1 and 67108864, got 0",
            "dnsd.yaml:10: log.level: must be one of debug, info, warn, error; got \"loud\"",
            "dnsd.yaml:11: bogus: unknown key",
        });
  CHECK(cfg.dns.ttl == 10);
  CHECK(cfg.dns.domain == "example.");
  CHECK(cfg.dns.max_udp_size == 1232);  // a bad value leaves the default
  CHECK(cfg.http.listen[0].ToString() == "127.0.0.1:8500");
}

TEST_CASE("agent.services: each service with its checks, exec ones included", "[config]") {
  Config cfg;
  auto errors = Apply(R"(
agent:
  servers: ["http://127.0.0.1:8500"]
  token: s3cret
  services:
    - name: API
      port: 8080
      tags: [v2]
      meta: {version: "2.1"}
      checks:
        - {http: "http://127.0.0.1:8080/healthz", interval: 5s, timeout: 2s,
           success_before_passing: 2, failures_before_critical: 3}
        - {exec: ["/bin/sh", "-c", "exit 0"], interval: 30s}
    - {name: db, id: db-1, address: 10.0.0.5, port: 5432, checks: [{tcp: "10.0.0.5:5432"}]}
)",
                      cfg);
  REQUIRE(errors.empty());
  REQUIRE(cfg.agent.services.size() == 2);
  CHECK(cfg.agent.token == "s3cret");
  const auto& api = cfg.agent.services[0].spec;
  CHECK(api.service == "api");  // lower-cased, as the registry stores it
  CHECK(api.id.empty());        // the server fills in <name>-<host name>
  CHECK_FALSE(api.address.has_value());
  CHECK(api.port == 8080);
  CHECK(api.tags == std::vector<std::string>{"v2"});
  CHECK(api.meta.at("version") == "2.1");
  REQUIRE(api.checks.size() == 2);
  CHECK(api.checks[0].kind == registry::CheckKind::kHttp);
  CHECK(api.checks[0].interval == 5s);
  CHECK(api.checks[0].timeout == 2s);
  CHECK(api.checks[0].success_before_passing == 2);
  CHECK(api.checks[0].failures_before_critical == 3);
  CHECK(api.checks[1].kind == registry::CheckKind::kExec);
  CHECK(api.checks[1].args == std::vector<std::string>{"/bin/sh", "-c", "exit 0"});
  CHECK(cfg.agent.services[0].line == 6);
  const auto& db = cfg.agent.services[1].spec;
  CHECK(db.id == "db-1");
  CHECK(db.address->ToString() == "10.0.0.5");
  CHECK(db.checks[0].kind == registry::CheckKind::kTcp);
  CHECK(db.checks[0].target == "10.0.0.5:5432");
}

TEST_CASE("agent.services: problems name their line and path, and nothing is kept", "[config]") {
  Config cfg;
  auto errors = Apply(R"(agent:
  services:
    - name: api
      port: 70000
    - name: db
      port: 5432
      checks: [{tcp: "nohost"}]
    - {name: db, id: x, port: 1}
    - {name: db, id: x, port: 2}
    - {name: -bad, port: 3}
    - 7
)",
                      cfg);
  CHECK(cfg.agent.services.empty());
  auto has = [&](const std::string& text) {
    for (const auto& e : errors) {
      if (e.find(text) != std::string::npos) return true;
    }
    return false;
  };
  CHECK(has("dnsd.yaml:4: agent.services[0].port: must be an integer between 1 and 65535"));
  CHECK(has("dnsd.yaml:5: agent.services[1].checks[0].tcp"));
  CHECK(has("dnsd.yaml:9: agent.services[3].id: \"x\" is given twice"));
  CHECK(has("agent.services[4].name"));
  CHECK(has("dnsd.yaml:11: agent.services[5]: must be a map of keys"));
}
