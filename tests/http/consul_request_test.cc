#include "dnsd/http/consul_request.h"

#include <catch2/catch.hpp>
#include <string>

namespace dnsd::http {
namespace {

TEST_CASE("a Consul registration reads CamelCase and snake_case alike", "[consul]") {
  auto c = ParseConsulRegistration(
      R"({"Name":"web","port":80,"Check":{"TTL":"10s","deregister_critical_service_after":"1m"}})");
  REQUIRE(c.ok());
  CHECK(c->id == "web");
  CHECK(c->port == 80);
  REQUIRE(c->checks.size() == 1);
  CHECK(c->checks[0].ttl == registry::Duration(10000));
  CHECK(c->checks[0].deregister_after == registry::Duration(60000));
}

TEST_CASE("a bad Consul registration body is an error naming the problem", "[consul]") {
  struct Case {
    const char* body;
    const char* field;
  } cases[] = {
      {R"({"Name":"web","Port":"80"})", "Port"},
      {R"({"Port":80})", "Name"},
      {R"({"Name":"web","Name":"api"})", "Name"},  // duplicated: which one was meant?
      {R"({"Name":"web")", ""},                     // truncated JSON
      {R"(["web"])", ""},
      {R"({"Name":"web","Meta":{"a":1}})", "Meta"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    auto r = ParseConsulRegistration(c.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().field == c.field);
    CHECK_FALSE(r.error().message.empty());
  }
  std::string deep = std::string(40, '[') + std::string(40, ']');
  CHECK_FALSE(ParseConsulRegistration(R"({"Name":"web","Connect":)" + deep + "}").ok());
}

}  // namespace
}  // namespace dnsd::http
