#include "dnsd/http/access.h"

namespace dnsd::http {

bool MatchesPattern(std::string_view pattern, std::string_view service) {
  if (pattern.ends_with('*')) return service.starts_with(pattern.substr(0, pattern.size() - 1));
  return pattern == service;
}

bool TokenEquals(std::string_view presented, std::string_view token) {
  if (token.empty()) return false;
  // Each presented byte is compared with the token's byte at that place (cycling), so the
  // loop runs presented.size() times whatever the token is.
  unsigned diff = presented.size() == token.size() ? 0 : 1;
  for (size_t i = 0; i < presented.size(); ++i) {
    diff |= static_cast<unsigned char>(presented[i] ^ token[i % token.size()]);
  }
  return diff == 0;
}

bool Grant::Allows(std::string_view service) const {
  if (all) return true;
  for (const AccessToken* t : scoped) {
    for (const std::string& pattern : t->services) {
      if (MatchesPattern(pattern, service)) return true;
    }
  }
  return false;
}

Grant GrantFor(std::string_view presented, const std::vector<AccessToken>& tokens) {
  Grant grant;
  for (const AccessToken& t : tokens) {
    const bool equal = TokenEquals(presented, t.token);
    if (equal && !t.scoped) grant.all = true;
    if (equal && t.scoped) grant.scoped.push_back(&t);
  }
  return grant;
}

}  // namespace dnsd::http
