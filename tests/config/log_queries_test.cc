#include <catch2/catch.hpp>

#include "dnsd/config/config.h"

namespace {

TEST_CASE("log.queries is off by default and is a bool in the file", "[config]") {
  struct Case {
    const char* yaml;
    bool ok;
    bool queries;
  };
  const Case cases[] = {
      {"log:\n  level: info\n", true, false},
      {"log:\n  queries: true\n", true, true},
      {"log:\n  queries: false\n", true, false},
      {"log: {format: json, queries: yes}\n", true, true},
      {"log:\n  queries: sometimes\n", false, false},
      {"log:\n  queries: [true]\n", false, false},
  };
  for (const Case& c : cases) {
    CAPTURE(c.yaml);
    dnsd::config::Config cfg;
    std::vector<dnsd::config::ConfigError> errors;
    dnsd::config::ApplyYaml(c.yaml, "dnsd.yaml", cfg, errors);
    CHECK(errors.empty() == c.ok);
    if (!c.ok) {
      REQUIRE_FALSE(errors.empty());
      CHECK(errors[0].key == "log.queries");
      CHECK(errors[0].line == 2);
    }
    CHECK(cfg.log.queries == c.queries);
  }
}

}  // namespace
