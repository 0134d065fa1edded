#include "dnsd/http/access.h"

#include <catch2/catch.hpp>

using dnsd::http::AccessToken;
using dnsd::http::GrantFor;
using dnsd::http::MatchesPattern;
using dnsd::http::TokenEquals;

TEST_CASE("service patterns: exact names, or a prefix before a trailing *", "[http][access]") {
  struct Case {
    const char* pattern;
    const char* service;
    bool match;
  };
  const Case cases[] = {
      {"api", "api", true},        {"api", "api-v2", false},   {"api", "ap", false},
      {"web-*", "web-1", true},    {"web-*", "web-", true},    {"web-*", "web", false},
      {"web-*", "api-web-1", false}, {"*", "anything", true},  {"a*", "a", true},
      {"api", "API", false},  // the router lower-cases service names before matching
  };
  for (const Case& c : cases) {
    CAPTURE(c.pattern, c.service);
    CHECK(MatchesPattern(c.pattern, c.service) == c.match);
  }
}

TEST_CASE("token comparison is exact and never matches an empty token", "[http][access]") {
  CHECK(TokenEquals("s3cret", "s3cret"));
  CHECK_FALSE(TokenEquals("s3cre", "s3cret"));
  CHECK_FALSE(TokenEquals("s3cret!", "s3cret"));
  CHECK_FALSE(TokenEquals("s3creT", "s3cret"));
  CHECK_FALSE(TokenEquals("", "s3cret"));
  CHECK_FALSE(TokenEquals("", ""));
  // A presented value that repeats the token is not the token.
  CHECK_FALSE(TokenEquals("abab", "ab"));
}

TEST_CASE("a grant joins every configured token with the presented string", "[http][access]") {
  const std::vector<AccessToken> tokens = {
      {"admin", {}, false},
      {"team", {"api", "web-*"}, true},
      {"team", {"db"}, true},  // the same string twice: both scopes apply
      {"ops", {"metrics-*"}, true},
  };
  auto admin = GrantFor("admin", tokens);
  CHECK(admin.all);
  CHECK(admin.Allows("anything"));

  auto team = GrantFor("team", tokens);
  CHECK_FALSE(team.all);
  CHECK(team.scoped.size() == 2);
  CHECK(team.Allows("api"));
  CHECK(team.Allows("web-7"));
  CHECK(team.Allows("db"));
  CHECK_FALSE(team.Allows("metrics-1"));
  CHECK_FALSE(team.Allows("apiv2"));

  auto nobody = GrantFor("nope", tokens);
  CHECK_FALSE(nobody.all);
  CHECK(nobody.scoped.empty());
  CHECK_FALSE(nobody.Allows("api"));
}
