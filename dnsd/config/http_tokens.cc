#include "dnsd/config/http_tokens.h"

#include <set>

#include "dnsd/config/values.h"

namespace dnsd::config {

namespace {

using std::string;

bool IsLabelChar(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

constexpr std::string_view kNoPatterns =
    "must list at least one service pattern (a token for every service is a plain string)";

// The problems of an entry built in code (Validate), by the reader's rules.
void CheckEntry(const HttpToken& t, const string& at, Reporter& rep) {
  if (string problem = CheckToken(t.token); !problem.empty()) {
    rep.Add(0, t.scoped ? at + ".token" : at, problem);
  }
  if (!t.scoped) return;
  if (t.services.empty()) rep.Add(0, at + ".services", string(kNoPatterns));
  for (size_t i = 0; i < t.services.size(); ++i) {
    if (string problem = CheckServicePattern(t.services[i]); !problem.empty()) {
      rep.Add(0, at + ".services[" + std::to_string(i) + "]", problem);
    }
  }
}

bool ReadScalar(const YAML::Node& node, int line, const string& path, Reporter& rep, string& out) {
  if (!node.IsScalar()) {
    rep.Add(LineOf(node, line), path, "must be a string");
    return false;
  }
  out = node.Scalar();
  return true;
}

bool ReadPatterns(const YAML::Node& node, int line, const string& path, Reporter& rep,
                  HttpToken& token) {
  if (!node.IsSequence()) {
    rep.Add(LineOf(node, line), path, "must be a list of service patterns, e.g. [\"api\", \"web-*\"]");
    return false;
  }
  if (node.size() == 0) {
    rep.Add(LineOf(node, line), path, string(kNoPatterns));
    return false;
  }
  bool ok = true;
  for (size_t i = 0; i < node.size(); ++i) {
    const string at = path + "[" + std::to_string(i) + "]";
    string pattern;
    if (!ReadScalar(node[i], line, at, rep, pattern)) {
      ok = false;
      continue;
    }
    if (string problem = CheckServicePattern(pattern); !problem.empty()) {
      rep.Add(LineOf(node[i], line), at, problem);
      ok = false;
    }
    token.services.push_back(registry::ToLower(pattern));
  }
  return ok;
}

bool ReadToken(const YAML::Node& node, int line, const string& path, Reporter& rep, string& out) {
  if (!ReadScalar(node, line, path, rep, out)) return false;
  if (string problem = CheckToken(out); !problem.empty()) {
    rep.Add(LineOf(node, line), path, problem);
    return false;
  }
  return true;
}

// {token: "...", services: [...]}: both keys, nothing else.
bool ReadMapping(const YAML::Node& node, int line, const string& at, Reporter& rep,
                 HttpToken& token) {
  token.scoped = true;
  bool ok = true, has_token = false, has_services = false;
  std::set<string> seen;
  for (const auto& entry : node) {
    int key_line = LineOf(entry.first, line);
    string key = entry.first.IsScalar() ? entry.first.Scalar() : "";
    string path = at + "." + key;
    if (!seen.insert(key).second) {
      rep.Add(key_line, path, "given twice");
      ok = false;
    } else if (key == "token") {
      has_token = ReadToken(entry.second, key_line, path, rep, token.token);
      ok = has_token && ok;
    } else if (key == "services") {
      has_services = ReadPatterns(entry.second, key_line, path, rep, token);
      ok = has_services && ok;
    } else {
      rep.Add(key_line, path, "unknown key (known: token, services)");
      ok = false;
    }
  }
  if (ok && !has_token) rep.Add(line, at + ".token", "is required");
  if (ok && !has_services) rep.Add(line, at + ".services", "is required");
  return ok && has_token && has_services;
}

}  // namespace

string CheckServicePattern(std::string_view pattern) {
  std::string_view stem = pattern;
  const bool prefix = stem.ends_with('*');
  if (prefix) stem.remove_suffix(1);
  bool chars_ok = stem.size() <= 63;
  for (char c : stem) chars_ok &= IsLabelChar(c);
  if (!chars_ok || (!prefix && stem.empty())) {
    return "\"" + string(pattern) +
           "\" is not a service pattern: a service name (letters, digits, hyphen), or its "
           "beginning followed by '*'";
  }
  return {};
}

void ApplyHttpTokens(const YAML::Node& list, int key_line, Config& cfg, Reporter& rep) {
  const string path(kHttpTokensKey);
  if (list.IsNull()) {  // "tokens:" is an empty list
    cfg.http.tokens.clear();
    return;
  }
  if (!list.IsSequence()) {
    rep.Add(LineOf(list, key_line), path,
            "must be a list of tokens: \"secret\" or {token: \"...\", services: [\"api\", \"web-*\"]}");
    return;
  }
  std::vector<HttpToken> tokens;
  bool ok = true;
  for (size_t i = 0; i < list.size(); ++i) {
    const YAML::Node& item = list[i];
    const string at = path + "[" + std::to_string(i) + "]";
    HttpToken token;
    token.line = LineOf(item, key_line);
    bool read = false;
    if (item.IsScalar()) {
      read = ReadToken(item, token.line, at, rep, token.token);
    } else if (item.IsMap()) {
      read = ReadMapping(item, token.line, at, rep, token);
    } else {
      rep.Add(token.line, at,
              "must be a token string or a map {token: \"...\", services: [...]}");
    }
    ok = read && ok;
    tokens.push_back(std::move(token));
  }
  if (ok) cfg.http.tokens = std::move(tokens);
}

void CheckHttpTokens(const Config& cfg, std::vector<ConfigError>& errors) {
  Reporter rep{"", errors};
  for (size_t i = 0; i < cfg.http.tokens.size(); ++i) {
    CheckEntry(cfg.http.tokens[i], string(kHttpTokensKey) + "[" + std::to_string(i) + "]", rep);
  }
}

}  // namespace dnsd::config
