#include "dnsd/http/request_json.h"

#include <catch2/catch.hpp>

namespace dnsd::http {
namespace {

using registry::ErrorCode;

TEST_CASE("a full registration body decodes every field", "[http][json]") {
  auto spec = ParseRegisterBody(R"({"service":"WEB","id":"a1","address":"2001:db8::1","port":443,
      "proto":"udp","tags":["v1","Blue"],"meta":{"zone":"eu"},"weight":0,"priority":3,
      "ttl":"1m30s","deregister_after":120,"dns_ttl":"30s"})",
                                "web", "a1");
  REQUIRE(spec.ok());
  CHECK(spec->service == "web");
  CHECK(spec->id == "a1");
  REQUIRE(spec->address);
  CHECK(spec->address->ToString() == "2001:db8::1");
  CHECK(spec->port == 443);
  CHECK(spec->proto == registry::Proto::kUdp);
  CHECK(spec->tags == std::vector<std::string>{"v1", "Blue"});
  CHECK(spec->meta.at("zone") == "eu");
  CHECK(spec->weight == 0);
  CHECK(spec->priority == 3);
  CHECK(spec->ttl == std::chrono::seconds(90));
  CHECK(spec->deregister_after == std::chrono::seconds(120));
  CHECK(spec->dns_ttl == 30u);
}

TEST_CASE("an empty body or nulls leave the defaults", "[http][json]") {
  for (const char* body : {"", "{}", R"({"address":null,"ttl":null,"tags":null})"}) {
    INFO(body);
    auto spec = ParseRegisterBody(body, "web", "a");
    REQUIRE(spec.ok());
    CHECK_FALSE(spec->address);
    CHECK(spec->ttl.count() == 0);
    CHECK(spec->weight == 1);
    CHECK(spec->priority == 1);
    CHECK_FALSE(spec->deregister_after);
    CHECK_FALSE(spec->dns_ttl);
  }
}

TEST_CASE("bad registration bodies name the field at fault", "[http][json]") {
  struct Case {
    const char* body;
    ErrorCode code;
    const char* field;
    const char* message_part;
  };
  const Case cases[] = {
      {"{", ErrorCode::kInvalid, "", "invalid JSON"},
      {"[1]", ErrorCode::kInvalid, "", "must be a JSON object"},
      {"\"x\"", ErrorCode::kInvalid, "", "must be a JSON object"},
      {R"({"port":80} trailing)", ErrorCode::kInvalid, "", "invalid JSON"},
      {R"({"bogus":1})", ErrorCode::kInvalid, "bogus", "unknown field"},
      {R"({"port":"80"})", ErrorCode::kInvalid, "port", "non-negative integer"},
      {R"({"port":-1})", ErrorCode::kInvalid, "port", "non-negative integer"},
      {R"({"port":80.5})", ErrorCode::kInvalid, "port", "non-negative integer"},
      {R"({"port":99999999999})", ErrorCode::kInvalid, "port", "out of range"},
      {R"({"weight":true})", ErrorCode::kInvalid, "weight", "non-negative integer"},
      {R"({"ttl":"-5s"})", ErrorCode::kInvalid, "ttl", "not a valid duration"},
      {R"({"ttl":-1})", ErrorCode::kInvalid, "ttl", "not a valid duration"},
      {R"({"ttl":[1]})", ErrorCode::kInvalid, "ttl", "must be a duration"},
      {R"({"deregister_after":"soon"})", ErrorCode::kInvalid, "deregister_after", "duration"},
      {R"({"dns_ttl":"1500ms"})", ErrorCode::kInvalid, "dns_ttl", "whole seconds"},
      {R"({"address":"10.0.0.300"})", ErrorCode::kInvalid, "address", "IPv4 or IPv6"},
      {R"({"address":"[::1]"})", ErrorCode::kInvalid, "address", "IPv4 or IPv6"},
      {R"({"address":17})", ErrorCode::kInvalid, "address", "must be a string"},
      {R"({"proto":"sctp"})", ErrorCode::kInvalid, "proto", "tcp"},
      {R"({"tags":"a"})", ErrorCode::kInvalid, "tags", "array of strings"},
      {R"({"tags":["a",1]})", ErrorCode::kInvalid, "tags", "array of strings"},
      {R"({"meta":[]})", ErrorCode::kInvalid, "meta", "object of strings"},
      {R"({"meta":{"k":1}})", ErrorCode::kInvalid, "meta", "\"k\""},
      {R"({"port":80,"port":81})", ErrorCode::kInvalid, "port", "duplicate field"},
      {R"({"service":"api"})", ErrorCode::kConflict, "service", "differs from the path"},
      {R"({"id":"b"})", ErrorCode::kConflict, "id", "differs from the path"},
      {R"({"service":5})", ErrorCode::kInvalid, "service", "must be a string"},
  };
  for (const Case& c : cases) {
    INFO(c.body);
    auto spec = ParseRegisterBody(c.body, "web", "a");
    REQUIRE_FALSE(spec.ok());
    CHECK(spec.error().code == c.code);
    CHECK(spec.error().field == c.field);
    CHECK_THAT(spec.error().message, Catch::Contains(c.message_part));
  }
}

TEST_CASE("service and id in the body may differ from the path in case only", "[http][json]") {
  CHECK(ParseRegisterBody(R"({"service":"Web","id":"A"})", "web", "a").ok());
}

TEST_CASE("deep nesting is refused without recursion trouble", "[http][json]") {
  std::string deep(20000, '[');
  deep += std::string(20000, ']');
  auto spec = ParseRegisterBody("{\"meta\":" + deep + "}", "web", "a");
  REQUIRE_FALSE(spec.ok());
  CHECK_THAT(spec.error().message, Catch::Contains("nested deeper"));
}

TEST_CASE("invalid UTF-8 in a body is a parse error, not a crash", "[http][json]") {
  auto spec = ParseRegisterBody("{\"meta\":{\"k\":\"\xff\"}}", "web", "a");
  REQUIRE_FALSE(spec.ok());
  CHECK_THAT(spec.error().message, Catch::Contains("invalid JSON"));
}

TEST_CASE("heartbeat bodies accept passing or warning and a note", "[http][json]") {
  auto empty = ParseHeartbeatBody("");
  REQUIRE(empty.ok());
  CHECK_FALSE(empty->status);
  auto warning = ParseHeartbeatBody(R"({"status":"warning","note":"slow disk"})");
  REQUIRE(warning.ok());
  CHECK(warning->status == registry::Health::kWarning);
  CHECK(warning->note == "slow disk");

  struct Case {
    const char* body;
    const char* field;
  };
  const Case bad[] = {
      {R"({"status":"critical"})", "status"},
      {R"({"status":"maintenance"})", "status"},
      {R"({"status":"up"})", "status"},
      {R"({"status":1})", "status"},
      {R"({"note":5})", "note"},
      {R"({"ttl":"5s"})", "ttl"},
  };
  for (const Case& c : bad) {
    INFO(c.body);
    auto r = ParseHeartbeatBody(c.body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().code == ErrorCode::kInvalid);
    CHECK(r.error().field == c.field);
  }
  auto long_note = ParseHeartbeatBody("{\"note\":\"" + std::string(2000, 'x') + "\"}");
  REQUIRE_FALSE(long_note.ok());
  CHECK(long_note.error().field == "note");
}

TEST_CASE("status bodies need one of the four states", "[http][json]") {
  for (const char* s : {"passing", "warning", "critical", "maintenance"}) {
    auto r = ParseStatusBody(std::string(R"({"status":")") + s + "\"}");
    REQUIRE(r.ok());
    CHECK(registry::HealthName(r->status) == s);
  }
  for (const char* body :
       {"", "{}", R"({"note":"x"})", R"({"status":"down"})", R"({"status":"PASSING"})"}) {
    INFO(body);
    auto r = ParseStatusBody(body);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().field == "status");
  }
}

}  // namespace
}  // namespace dnsd::http
