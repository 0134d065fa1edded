#include "dnsd/config/keys.h"

#include <catch2/catch.hpp>
#include <filesystem>
#include <fstream>
#include <sstream>

namespace fs = std::filesystem;

namespace {

fs::path RepoRoot() { return fs::path(__FILE__).parent_path().parent_path().parent_path(); }

std::string ReadAll(const fs::path& path) {
  std::ifstream in(path);
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

}  // namespace

TEST_CASE("Every key in the table is a field with a type and a help text", "[config]") {
  for (const auto& spec : dnsd::config::ConfigKeys()) {
    CAPTURE(spec.path);
    CHECK(dnsd::config::FindKey(spec.path) == &spec);
    CHECK_FALSE(spec.help.empty());
    CHECK_FALSE(dnsd::config::TypeName(spec).empty());
  }
  CHECK(dnsd::config::IsSection("registry.self_preservation"));
  CHECK_FALSE(dnsd::config::IsSection("dns.ttl"));
  CHECK(dnsd::config::ConfigKeys().size() == 40);
}

TEST_CASE("docs/CONFIG.md lists every key with its default", "[config]") {
  std::string doc = ReadAll(RepoRoot() / "docs" / "CONFIG.md");
  REQUIRE_FALSE(doc.empty());
  dnsd::config::Config defaults;
  for (const auto& spec : dnsd::config::ConfigKeys()) {
    std::string row = "| `" + std::string(spec.path) + "` | " + dnsd::config::TypeName(spec) +
                      " | `" + dnsd::config::FormatValue(spec, defaults) + "` |";
    CAPTURE(row);
    CHECK(doc.find(row) != std::string::npos);
  }
}

TEST_CASE("examples/dnsd.yaml sets every key and is valid", "[config]") {
  std::string text = ReadAll(RepoRoot() / "examples" / "dnsd.yaml");
  REQUIRE_FALSE(text.empty());
  std::vector<dnsd::config::ConfigError> errors;
  dnsd::config::Config cfg;
  dnsd::config::ApplyYaml(text, "dnsd.yaml", cfg, errors);
  dnsd::config::Validate(cfg, errors);
  for (const auto& e : errors) FAIL_CHECK(e.ToString());
  for (const auto& spec : dnsd::config::ConfigKeys()) {
    std::string leaf(spec.path.substr(spec.path.rfind('.') + 1));
    CAPTURE(spec.path);
    CHECK(text.find(leaf + ":") != std::string::npos);
  }
}

TEST_CASE("docs/CONFIG.md's agent.services example is a valid configuration", "[config]") {
  std::string doc = ReadAll(RepoRoot() / "docs" / "CONFIG.md");
  const size_t at = doc.find("```yaml\nagent:\n");
  REQUIRE(at != std::string::npos);
  const size_t start = at + std::string("```yaml\n").size();
  const std::string text = doc.substr(start, doc.find("```", start) - start);
  std::vector<dnsd::config::ConfigError> errors;
  dnsd::config::Config cfg;
  dnsd::config::ApplyYaml(text, "CONFIG.md", cfg, errors);
  dnsd::config::Validate(cfg, errors);
  for (const auto& e : errors) FAIL_CHECK(e.ToString());
  REQUIRE(cfg.agent.services.size() == 1);
  CHECK(cfg.agent.services[0].spec.checks.size() == 3);
}
