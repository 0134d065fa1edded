#include "dnsd/config/http_tokens.h"

#include <catch2/catch.hpp>

#include "dnsd/config/config.h"

using dnsd::config::ApplyYaml;
using dnsd::config::CheckServicePattern;
using dnsd::config::Config;
using dnsd::config::ConfigError;
using dnsd::config::Validate;

namespace {

std::vector<std::string> Problems(const std::string& text, Config& cfg) {
  std::vector<ConfigError> errors;
  ApplyYaml(text, "dnsd.yaml", cfg, errors);
  std::vector<std::string> out;
  for (const auto& e : errors) out.push_back(e.ToString());
  return out;
}

}  // namespace

TEST_CASE("http.tokens: plain strings and {token, services} mappings", "[config]") {
  Config cfg;
  const std::string text = R"(http:
  tokens:
    - admin-secret
    - {token: team-secret, services: [API, "web-*"]}
    - token: ops-secret
      services:
        - "*"
)";
  REQUIRE(Problems(text, cfg).empty());
  REQUIRE(cfg.http.tokens.size() == 3);
  CHECK(cfg.http.tokens[0].token == "admin-secret");
  CHECK_FALSE(cfg.http.tokens[0].scoped);
  CHECK(cfg.http.tokens[0].line == 3);
  CHECK(cfg.http.tokens[1].token == "team-secret");
  CHECK(cfg.http.tokens[1].scoped);
  CHECK(cfg.http.tokens[1].services == std::vector<std::string>{"api", "web-*"});
  CHECK(cfg.http.tokens[2].services == std::vector<std::string>{"*"});
  CHECK(cfg.http.tokens[2].line == 5);
  std::vector<ConfigError> errors;
  Validate(cfg, errors);
  CHECK(errors.empty());
}

TEST_CASE("http.tokens: bad forms name the key, the entry and the line", "[config]") {
  struct Case {
    std::string text;
    std::string problem;
  };
  const Case cases[] = {
      {"http:\n  tokens: secret\n", "dnsd.yaml:2: http.tokens: must be a list of tokens"},
      {"http:\n  tokens: [\"\"]\n",
       "dnsd.yaml:2: http.tokens[0]: a token must not be empty or contain whitespace"},
      {"http:\n  tokens:\n    - ok\n    - \"has space\"\n",
       "dnsd.yaml:4: http.tokens[1]: a token must not be empty or contain whitespace"},
      {"http:\n  tokens:\n    - [a, b]\n",
       "dnsd.yaml:3: http.tokens[0]: must be a token string or a map"},
      {"http:\n  tokens:\n    - {services: [api]}\n", "dnsd.yaml:3: http.tokens[0].token: is required"},
      {"http:\n  tokens:\n    - {token: t}\n", "dnsd.yaml:3: http.tokens[0].services: is required"},
      {"http:\n  tokens:\n    - {token: t, services: []}\n",
       "dnsd.yaml:3: http.tokens[0].services: must list at least one service pattern"},
      {"http:\n  tokens:\n    - {token: t, services: api}\n",
       "dnsd.yaml:3: http.tokens[0].services: must be a list of service patterns"},
      {"http:\n  tokens:\n    - token: t\n      services:\n        - api\n        - \"a*b\"\n",
       "dnsd.yaml:6: http.tokens[0].services[1]: \"a*b\" is not a service pattern"},
      {"http:\n  tokens:\n    - {token: t, services: [api], scope: x}\n",
       "dnsd.yaml:3: http.tokens[0].scope: unknown key (known: token, services)"},
      {"http:\n  tokens:\n    - {token: [t], services: [api]}\n",
       "dnsd.yaml:3: http.tokens[0].token: must be a string"},
  };
  for (const Case& c : cases) {
    CAPTURE(c.text);
    Config cfg;
    std::vector<std::string> problems = Problems(c.text, cfg);
    REQUIRE(problems.size() == 1);
    CHECK(problems[0].starts_with(c.problem));
    CHECK(cfg.http.tokens.empty());  // nothing of a list with a problem is kept
  }
}

TEST_CASE("service patterns are labels, or a label's beginning and one trailing *", "[config]") {
  for (const char* good : {"api", "web-*", "*", "a1-b2", "Api"}) {
    CAPTURE(good);
    CHECK(CheckServicePattern(good).empty());
  }
  for (const char* bad : {"", "**", "a*b", "*api", "web.*", "has space", "api/x"}) {
    CAPTURE(bad);
    CHECK_FALSE(CheckServicePattern(bad).empty());
  }
}

TEST_CASE("Validate checks tokens built in code by the same rules", "[config]") {
  Config cfg;
  cfg.http.tokens.push_back({"ok", {}, false, 0});
  cfg.http.tokens.push_back({"bad token", {}, false, 0});
  cfg.http.tokens.push_back({"scoped", {}, true, 0});
  cfg.http.tokens.push_back({"scoped2", {"x*y"}, true, 0});
  std::vector<ConfigError> errors;
  Validate(cfg, errors);
  std::vector<std::string> keys;
  for (const auto& e : errors) keys.push_back(e.key);
  CHECK(keys == std::vector<std::string>{"http.tokens[1]", "http.tokens[2].services",
                                         "http.tokens[3].services[0]"});
}

TEST_CASE("http.tls needs both cert and key; limits have ranges", "[config]") {
  Config cfg;
  REQUIRE(Problems("http:\n  tls: {cert: /tmp/c.pem}\n  max_connections: 10\n"
                   "  header_timeout: 1.5s\n",
                   cfg)
              .empty());
  CHECK(cfg.http.tls_cert == "/tmp/c.pem");
  CHECK(cfg.http.max_connections == 10);
  CHECK(cfg.http.header_timeout == std::chrono::milliseconds(1500));
  std::vector<ConfigError> errors;
  Validate(cfg, errors);
  REQUIRE(errors.size() == 1);
  CHECK(errors[0].key == "http.tls.key");
  Config other;
  std::vector<std::string> problems = Problems("http:\n  max_connections: 0\n  tls: x\n", other);
  REQUIRE(problems.size() == 2);
  CHECK(problems[0] == "dnsd.yaml:2: http.max_connections: must be between 1 and 1000000, got 0");
  CHECK(problems[1].starts_with("dnsd.yaml:3: http.tls: must be a map of keys (cert, key)"));
}
