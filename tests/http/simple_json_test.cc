#include "dnsd/http/simple_json.h"

#include <catch2/catch.hpp>

namespace dnsd::http::internal {
namespace {

using Json = nlohmann::json;

TEST_CASE("the simple-object fast path gives exactly what nlohmann parses", "[http][json]") {
  const char* texts[] = {
      "{}",
      " \t\r\n{ } \n",
      R"({"address":"10.0.0.1","port":80})",
      R"({"address":"10.0.0.1","port":80,"ttl":"10m"})",
      R"( { "port" : 0 , "weight" : 18446744073709551 } )",
      R"({"port":1234567890123456789})",
      R"({"tags":[],"meta":{}})",
      R"({"tags":["a","B c"],"meta":{"zone":"eu","k":"v"},"dns_ttl":null})",
      "{\"note\":\"~ printable ascii !#$%&'()*+,-./:;<=>?@[]^_`{|}\x7f\"}",
      R"({"z":"1","a":"2"})",
  };
  for (const char* text : texts) {
    INFO(text);
    std::optional<Json> fast = ParseSimpleObject(text);
    REQUIRE(fast);
    CHECK(*fast == Json::parse(text));
    CHECK(fast->dump() == Json::parse(text).dump());
    const Json full = Json::parse(text);
    for (const auto& [key, value] : full.items()) {
      CHECK(fast->at(key).type() == value.type());  // e.g. number_unsigned, as ReadUint needs
    }
  }
}

TEST_CASE("anything outside the simple subset is left to the full parser", "[http][json]") {
  const char* texts[] = {
      // valid JSON, but not simple
      R"({"note":"caf\u00e9"})", R"({"note":"a\"b"})", "{\"note\":\"caf\xc3\xa9\"}",
      R"({"port":-1})", R"({"ttl":1.5})", R"({"ttl":1e3})", R"({"port":12345678901234567890})",
      R"({"x":true})", R"({"x":false})", R"({"tags":[1]})", R"({"meta":{"a":1}})",
      R"({"meta":{"a":{"b":"c"}}})", R"({"tags":[["a"]]})", "\xEF\xBB\xBF{}", "[]", "\"x\"",
      // duplicates, at the top and nested
      R"({"port":1,"port":2})", R"({"meta":{"a":"1","a":"2"}})",
      // malformed
      "", "{", "}", "{,}", R"({"port":01})", R"({"port":1,})", R"({"tags":["a",]})",
      R"({"port":1} x)", R"({"port":1}{})", R"({"port" 1})", R"({port:1})", R"({"a":nul})",
      R"({"a":nullx})", "{\"a\":\"\x01\"}", R"({"a":"unterminated})", R"({"a":[)",
  };
  for (const char* text : texts) {
    INFO(text);
    CHECK_FALSE(ParseSimpleObject(text));
  }
}

}  // namespace
}  // namespace dnsd::http::internal
