// Write tokens (SPEC §12): a plain token may write every service; a scoped one only the
// services one of its patterns matches. Pure; shared by the router and the server options.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace dnsd::http {

struct AccessToken {
  std::string token;
  std::vector<std::string> services;  // lower-case patterns: "api" (exact), "web-*" (prefix)
  bool scoped = false;                // false: every service
};

// Whether a lower-case service name matches a pattern: a trailing '*' matches any rest
// (so "*" matches everything), otherwise the names must be equal.
bool MatchesPattern(std::string_view pattern, std::string_view service);

// Compares a presented token with a configured one in time that depends only on the
// presented token's length: no early exit on the first differing byte, nor on a length
// mismatch (which would tell the length of the secret).
bool TokenEquals(std::string_view presented, std::string_view token);

// What the token of a request may write: every service, or those the matched scoped
// tokens' patterns allow (several configured tokens may share one string).
struct Grant {
  bool all = false;
  std::vector<const AccessToken*> scoped;
  bool Allows(std::string_view service) const;  // service lower-case
};

// Compares `presented` with every configured token (never stopping at a match).
Grant GrantFor(std::string_view presented, const std::vector<AccessToken>& tokens);

}  // namespace dnsd::http
