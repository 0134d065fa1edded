#include "dnsd/agent/registrar.h"

#include <catch2/catch.hpp>
#include <nlohmann/json.hpp>

using namespace std::chrono_literals;

namespace {

registry::CheckSpec Check(registry::Duration interval) {
  registry::CheckSpec c;
  c.kind = registry::CheckKind::kTcp;
  c.target = "127.0.0.1:80";
  c.interval = interval;
  return c;
}

}  // namespace

TEST_CASE("An agent service's lease is 3x its shortest check interval, 30 s without checks",
          "[agent]") {
  registry::InstanceSpec spec;
  CHECK(dnsd::agent::AgentLease(spec) == 30s);
  spec.checks = {Check(10s), Check(2s), Check(5s)};
  CHECK(dnsd::agent::AgentLease(spec) == 6s);
}

TEST_CASE("The registration carries the service's fields and lease, never its checks",
          "[agent]") {
  registry::InstanceSpec spec;
  spec.service = "api";
  spec.id = "api-1";
  spec.address = registry::IpAddress::Parse("192.0.2.7");
  spec.port = 8080;
  spec.tags = {"v2"};
  spec.meta = {{"version", "2"}};
  spec.checks = {Check(200ms)};
  auto body = nlohmann::json::parse(dnsd::agent::RegistrationBody(spec));
  CHECK(body == nlohmann::json{{"address", "192.0.2.7"},
                               {"port", 8080},
                               {"tags", {"v2"}},
                               {"meta", {{"version", "2"}}},
                               {"ttl", "600ms"}});
}
